#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The Azure suite: starts Azurite and the fault proxy on free loopback ports, runs the
# t-*.sh scripts against them, and writes their lines and a final
# "azure: N passed, N failed" to the results file.
#
#   tests/azure/run.sh --wgbake PATH [--results FILE] [SCRIPT...]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
wgbake=
results=
scripts=()
while (($#)); do
	case $1 in
	--wgbake) wgbake=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	-h | --help) sed -n '3,8p' "$0" | sed 's/^# *//'; exit 0 ;;
	*) scripts+=("$1"); shift ;;
	esac
done
[[ -n $wgbake && -x $wgbake ]] || { echo "run.sh: --wgbake PATH is required" >&2; exit 2; }
wgbake=$(cd "$(dirname "$wgbake")" && pwd)/$(basename "$wgbake")
((${#scripts[@]})) || scripts=("$here"/t-*.sh)
results=${results:-/dev/null}
mkdir -p "$(dirname "$results")"
: >"$results"

# Proxies in the environment must not see loopback traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset AZURE_STORAGE_SAS_URL AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_TOKEN_FILE AZURE_STORAGE_ACCOUNT
export AZURE_STORAGE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

top=$(mktemp -d "${TMPDIR:-/tmp}/wgbake-azure.XXXXXX")
proxy_pid=
cleanup() {
	[[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
	"$here/azurite.sh" stop "$top/azurite"
	if [[ ${WGBAKE_KEEP:-} == 1 ]]; then
		echo "run.sh: kept $top" >&2
	else
		rm -rf "$top"
	fi
}
trap cleanup EXIT

passed=0
failed=0
emit() {
	echo "$1" | tee -a "$results"
}

if ! port=$("$here/azurite.sh" start "$top/azurite"); then
	emit "not ok - azurite starts"
	emit "azure: 0 passed, 1 failed"
	exit 1
fi
python3 "$here/faultproxy.py" --upstream "127.0.0.1:$port" --port-file "$top/proxy.port" \
	--log "$top/proxy.log" >"$top/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 50); do
	[[ -s $top/proxy.port ]] && break
	sleep 0.1
done
pport=$(cat "$top/proxy.port" 2>/dev/null)
export WGBAKE=$wgbake
export ENDPOINT=http://127.0.0.1:$port/devstoreaccount1
export PX=http://127.0.0.1:$pport/devstoreaccount1
export PROXY_CTL=http://127.0.0.1:$pport/__proxy
export PROXY_LOG=$top/proxy.log
python3 "$here/blobtool.py" "$ENDPOINT" mkcontainer vhds >/dev/null

for s in "${scripts[@]}"; do
	s=$(cd "$(dirname "$s")" && pwd)/$(basename "$s")
	name=$(basename "$s" .sh)
	before=$((passed + failed))
	export WORK=$top/$name
	mkdir -p "$WORK"
	export ASAN_OPTIONS=log_path=$WORK/asan:detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=log_path=$WORK/ubsan:print_stacktrace=1:halt_on_error=1
	emit "# $name"
	start=$(date +%s)
	while IFS= read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); emit "$line" ;;
		"not ok "*) failed=$((failed + 1)); emit "$line" ;;
		"# exit "*) [[ $line == "# exit 0" ]] || { failed=$((failed + 1)); emit "not ok - $name: script ${line#\# }"; sed 's/^/#   /' "$WORK/stderr" | tail -10 | tee -a "$results"; } ;;
		*) emit "$line" ;;
		esac
	done < <(cd "$WORK" && timeout 600 bash "$s" 2>"$WORK/stderr"; echo "# exit $?")
	if ((passed + failed == before)); then
		failed=$((failed + 1))
		emit "not ok - $name: made no check"
	fi
	if compgen -G "$WORK/asan.*" >/dev/null || compgen -G "$WORK/ubsan.*" >/dev/null; then
		failed=$((failed + 1))
		emit "not ok - $name: sanitizer report"
		cat "$WORK"/asan.* "$WORK"/ubsan.* 2>/dev/null | head -30 | sed 's/^/#   /' | tee -a "$results"
	fi
	emit "# $name took $(($(date +%s) - start)) s"
done
emit "azure: $passed passed, $failed failed"
((failed == 0))
