# SPDX-License-Identifier: MIT
# Every command has --help; bad arguments get a short, specific message.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out=$(wgb --help)
check "wgbake --help lists vhd and upload" grep -q 'upload' <<<"$out"
for c in vhd upload; do
	check "wgbake $c --help" bash -c "'$WGBAKE' $c --help | grep -q '^Usage: wgbake $c'"
done
check "wgbake --version" bash -c "'$WGBAKE' --version | grep -q '^wgbake [0-9]'"
check_fails "unknown command" "invalid command 'frob'" wgb frob
check_fails "unknown option" "unrecognized option|try 'wgbake upload --help'" wgb upload --frob x
check_fails "missing arguments" "expected IMAGE" wgb upload
check_fails "bad --concurrency" "--concurrency wants 1 to 64, not '0'" wgb upload -j 0 x
check_fails "bad --max-request" "--max-request wants a multiple of 512" wgb upload --max-request 8388608 x
check_fails "vhd wants two arguments" "expected INPUT and OUTPUT" wgb vhd onlyone
