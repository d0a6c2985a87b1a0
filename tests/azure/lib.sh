# SPDX-License-Identifier: MIT
# Sourced by tests/azure/t-*.sh, which run.sh starts with these set:
#   WGBAKE      the wgbake binary under test
#   ENDPOINT    http://127.0.0.1:PORT/devstoreaccount1 (Azurite, direct)
#   PX          the same account through the fault proxy
#   PROXY_CTL   http://127.0.0.1:PORT/__proxy
#   PROXY_LOG   the proxy's JSON-lines log
#   WORK        a scratch folder for this script
#   AZURE_STORAGE_KEY   Azurite's published well-known key
# A script reports with ok/not_ok/check lines; run.sh counts them.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
H() { python3 "$HERE/helpers.py" "$@"; }
BT() { python3 "$HERE/blobtool.py" "$ENDPOINT" "$@"; }

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
note() { echo "# $*"; }

# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$WORK/check.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/#   /' "$WORK/check.out" | tail -20
	fi
}

# check_fails DESCRIPTION PATTERN COMMAND...: ok if it fails and stderr/stdout match PATTERN.
check_fails() {
	local desc=$1 pattern=$2
	shift 2
	if "$@" >"$WORK/check.out" 2>&1; then
		not_ok "$desc (succeeded)"
		sed 's/^/#   /' "$WORK/check.out" | tail -5
	elif grep -Eq -- "$pattern" "$WORK/check.out"; then
		ok "$desc"
	else
		not_ok "$desc (output lacks /$pattern/)"
		sed 's/^/#   /' "$WORK/check.out" | tail -5
	fi
}

proxy() { # proxy reset | proxy config QUERY | proxy stats
	case $1 in
	stats) curl -sf "$PROXY_CTL/stats" ;;
	reset) curl -sf -X POST "$PROXY_CTL/reset" >/dev/null ;;
	config) curl -sf -X POST "$PROXY_CTL/config?$2" >/dev/null ;;
	esac
}
pstat() { proxy stats | H json "$1"; }

# The VHD qemu-img makes of the same input, rounded up to a whole MiB first (qemu-img
# rounds only to 512), as the oracle.
qemu_ref() {
	local in=$1 out=$2 size
	size=$(stat -c %s "$in")
	size=$(((size + 1048575) / 1048576 * 1048576))
	cp --sparse=always "$in" "$out.raw"
	truncate -s "$size" "$out.raw"
	qemu-img convert -f raw -O vpc -o subformat=fixed,force_size "$out.raw" "$out"
	rm -f "$out.raw"
}

# Same disk bytes, and footers equal but for timestamp, creator and unique id.
same_vhd() {
	local a=$1 b=$2 sa sb
	sa=$(stat -c %s "$a")
	sb=$(stat -c %s "$b")
	[[ $sa == "$sb" ]] || { echo "sizes differ: $sa vs $sb"; return 1; }
	cmp -n $((sa - 512)) "$a" "$b" || return 1
	H footer "$a" "$b"
}

wgb() { "$WGBAKE" "$@"; }
