#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark (not pass/fail, not part of `make check`): `wgbake upload` against
# `az storage blob upload --type page` (Debian's azure-cli), the same fixed VHD into the same
# Azurite in the same run, both through the counting proxy. Runs on the host, not in a VM.
#
#   tests/bench/b-upload.sh [--wgbake PATH] [--virtual BYTES] [--data BYTES]
#
# Default: a 4 GiB virtual disk holding 300 MiB of data in 1 MiB runs spread over it.
# Needs packaging/install-deps-bench.sh (Azurite and azure-cli).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
az_dir=$root/tests/azure
wgbake=$root/builder/wgbake
virtual=$((4 * 1024 * 1024 * 1024))
data=$((300 * 1024 * 1024))
while (($#)); do
	case $1 in
	--wgbake) wgbake=$2; shift 2 ;;
	--virtual) virtual=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	-h | --help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "b-upload: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -x $wgbake ]] || { echo "b-upload: build $wgbake first (make builder/wgbake)" >&2; exit 2; }
command -v az >/dev/null || { echo "b-upload: az is missing: run packaging/install-deps-bench.sh" >&2; exit 2; }

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
export AZURE_STORAGE_KEY=$key
work=$(mktemp -d "${TMPDIR:-/tmp}/wgbake-bench.XXXXXX")
proxy_pid=
cleanup() {
	[[ -n $proxy_pid ]] && kill "$proxy_pid" 2>/dev/null
	"$az_dir/azurite.sh" stop "$work/azurite" || true
	rm -rf "$work"
}
trap cleanup EXIT

port=$("$az_dir/azurite.sh" start "$work/azurite")
python3 "$az_dir/faultproxy.py" --upstream "127.0.0.1:$port" --port-file "$work/proxy.port" \
	--log "$work/proxy.log" >"$work/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 50); do [[ -s $work/proxy.port ]] && break; sleep 0.1; done
pport=$(cat "$work/proxy.port")
endpoint=http://127.0.0.1:$pport/devstoreaccount1
ctl=http://127.0.0.1:$pport/__proxy
python3 "$az_dir/blobtool.py" "http://127.0.0.1:$port/devstoreaccount1" mkcontainer bench >/dev/null

stat_of() { curl -sf "$ctl/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
now() { date +%s.%N; }

echo "b-upload: making a $((virtual >> 20)) MiB image with $((data >> 20)) MiB of data" >&2
python3 "$az_dir/helpers.py" mkbench "$work/disk.raw" "$virtual" "$data"
"$wgbake" vhd -q "$work/disk.raw" "$work/disk.vhd"
rm -f "$work/disk.raw"
sync

results=()
run() { # NAME COMMAND...
	local name=$1 t0 t1 bytes reqs
	shift
	curl -sf -X POST "$ctl/reset" >/dev/null
	t0=$(now)
	"$@" >"$work/$name.out" 2>&1 || { echo "b-upload: $name failed:" >&2; tail -5 "$work/$name.out" >&2; exit 1; }
	t1=$(now)
	bytes=$(stat_of body_bytes)
	reqs=$(stat_of requests)
	results+=("$name $(awk "BEGIN { print $t1 - $t0 }") $bytes $reqs")
}

run wgbake "$wgbake" upload -q "$work/disk.vhd" "$endpoint/bench/wgbake.vhd"
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$endpoint;"
run az az storage blob upload --only-show-errors --type page --file "$work/disk.vhd" \
	--container-name bench --name az.vhd --overwrite true

printf '\n%-8s %10s %14s %9s\n' tool seconds "bytes sent" requests
for r in "${results[@]}"; do
	read -r name secs bytes reqs <<<"$r"
	printf '%-8s %10.2f %14d %9d\n' "$name" "$secs" "$bytes" "$reqs"
done
read -r _ ws wb _ <<<"${results[0]}"
read -r _ as ab _ <<<"${results[1]}"
printf '\nwgbake/az: time %.3f, bytes %.3f (data in the VHD: %d bytes)\n' \
	"$(awk "BEGIN { print $ws / $as }")" "$(awk "BEGIN { print $wb / $ab }")" "$((data + 512))"
