#!/bin/bash
# SPDX-License-Identifier: MIT
#
# wgagent against the IMDS stand-in (imds.py) on loopback, on the host, no root needed:
# configuration from userData, every fault mode, the retry budget and rate, "not on Azure",
# clone detection (same state folder, new vmId: new key), no key material in any output.
# `sync --dry-run` does everything up to the kernel (sources, identity, diff); the guest tests
# (tests/vm/t-sync.sh) cover the kernel side.
#
#   tests/azure/imds/run.sh --agent PATH [--results FILE]
#
# Ends with "imds: N passed, N failed"; exit status 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
agent=
results=/dev/null
while (($#)); do
	case $1 in
	--agent) agent=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -x $agent ]] || { echo "run.sh: --agent PATH is required" >&2; exit 2; }
mkdir -p "$(dirname "$results")"
: >"$results"

W=$(mktemp -d "${TMPDIR:-/tmp}/wgagent-imds.XXXXXX")
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	if [[ ${WGBAKE_KEEP:-} == 1 ]]; then echo "run.sh: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
emit() { echo "$1" | tee -a "$results"; }
ok() { passed=$((passed + 1)); emit "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	emit "not ok - $1"
	[[ -f $W/out ]] && sed 's/^/#   /' "$W/out" | tail -8 | tee -a "$results"
}
note() { emit "# $*"; }

# A fake /sys/class/dmi/id: Azure's asset tag and a product UUID (a test may change them).
mkdir -p "$W/dmi" "$W/etc" "$W/state" "$W/run"
echo 7783-7084-3265-9085-8269-3286-77 >"$W/dmi/chassis_asset_tag"
echo 4C4C4544-0042-3510-8051-B1C04F4A1111 >"$W/dmi/product_uuid"

# The configuration the backend hands over: no private key (the VM makes its own).
k1=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
cat >"$W/ud.conf" <<EOF
[Interface]
ListenPort = 51820
Address = 10.7.0.1/24

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
AllowedIPs = 10.7.0.2/32
Endpoint = 192.0.2.1:51820

[Peer]
PublicKey = TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
AllowedIPs = 10.7.0.3/32
EOF

python3 "$here/imds.py" --port 0 --port-file "$W/port" --user-data "$W/ud.conf" \
	--vm-id 11111111-2222-3333-4444-555555555555 2>"$W/imds.log" &
pid=$!
for _ in $(seq 50); do [[ -s $W/port ]] && break; sleep 0.1; done
port=$(cat "$W/port" 2>/dev/null)
[[ -n $port ]] || { emit "not ok - imds.py starts"; emit "imds: 0 passed, 1 failed"; exit 1; }
EP=http://127.0.0.1:$port

ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$EP/_control" >/dev/null; }
requests() { curl -sf "$EP/_requests"; }

# wa ARGS...: the agent with test paths; output in $W/out (also kept in $W/all for the leak check).
wa() {
	"$agent" "$1" --imds-endpoint "$EP" --dmi-dir "$W/dmi" --config-dir "$W/etc" \
		--state-dir "$W/state" --run-dir "$W/run" --no-kmsg "${@:2}" >"$W/out" 2>&1
	local rc=$?
	cat "$W/out" >>"$W/all"
	return $rc
}
sanitizer() { grep -qE 'Sanitizer|runtime error' "$W/out"; }

# expect NAME RC CMD...: exit status RC and no sanitizer report.
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$@"
	rc=$?
	if sanitizer; then not_ok "$name (sanitizer report)"; return 1; fi
	if [[ $rc != "$want" ]]; then not_ok "$name (exit $rc, want $want)"; return 1; fi
	ok "$name"
}
has() { # has NAME TEXT: the last output contains TEXT
	if grep -qF -- "$2" "$W/out"; then ok "$1"; else not_ok "$1 (no '$2')"; fi
}

# ---------------------------------------------------------------- the stand-in answers like IMDS
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$EP/metadata/instance/compute/vmId?api-version=2021-02-01&format=text") == 400 ]] &&
	ok "stand-in: 400 without the Metadata header" || not_ok "stand-in: 400 without the Metadata header"
[[ $(code -H Metadata:true "$EP/metadata/instance/compute/vmId?format=text") == 400 ]] &&
	ok "stand-in: 400 without api-version" || not_ok "stand-in: 400 without api-version"
[[ $(code -H Metadata:true -H X-Forwarded-For:1.2.3.4 "$EP/metadata/instance?api-version=2021-02-01") == 400 ]] &&
	ok "stand-in: 400 with X-Forwarded-For" || not_ok "stand-in: 400 with X-Forwarded-For"
ud=$(curl -sf -H Metadata:true "$EP/metadata/instance/compute/userData?api-version=2021-02-01&format=text")
[[ $(base64 -d <<<"$ud") == "$(cat "$W/ud.conf")" ]] && ok "stand-in: userData is base64 of the file" ||
	not_ok "stand-in: userData is base64 of the file"

# ---------------------------------------------------------------- configuration from userData
expect "sync takes its configuration from IMDS userData" 0 wa sync --dry-run --stats
has "two peers from userData, interface wg0" "wg0: created=1 peers_added=2"
grep -q '^product_uuid=4c4c4544-0042-3510-8051-b1c04f4a1111$' "$W/state/identity" &&
	grep -q '^vm_id=11111111-2222-3333-4444-555555555555$' "$W/state/identity" &&
	ok "the key is bound to product UUID and vmId" || not_ok "the key is bound to product UUID and vmId"
[[ $(stat -c %a "$W/state/wg0.key") == 600 ]] && ok "key file is 0600" || not_ok "key file is 0600"
expect "identity prints the public key" 0 wa identity
pub1=$(cat "$W/out")
priv1=$(cat "$W/state/wg0.key")
[[ $("$agent" pubkey <"$W/state/wg0.key") == "$pub1" ]] && ok "it is the stored key's" ||
	not_ok "it is the stored key's"
expect "same VM again: same key" 0 wa identity
[[ $(cat "$W/out") == "$pub1" ]] && ok "key kept on the same VM" || not_ok "key kept on the same VM"

# A local file comes first (documented precedence).
cp "$W/ud.conf" "$W/etc/wg0.conf"
sed -i '/^\[Peer\]/,$d' "$W/etc/wg0.conf"
expect "a file in the config folder comes before IMDS" 0 wa sync --dry-run --stats
has "...and it has no peers" "wg0: created=1 peers_added=0"
rm "$W/etc/wg0.conf"

# JSON userData, with its own interface name.
ctl "{\"user_data\": \"$(printf '{"interface": {"name": "wgj", "listen_port": 51000}, "peers": [{"public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "allowed_ips": ["10.9.0.2/32"]}]}' | base64 -w0)\"}"
expect "JSON userData" 0 wa sync --dry-run --stats
has "...names the interface wgj" "wgj: created=1 peers_added=1"
ctl "{\"user_data\": \"$(base64 -w0 <"$W/ud.conf")\"}"

# Proxies in the environment are ignored for IMDS.
wa_proxy() { http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 wa "$@"; }
expect "http_proxy is not used for IMDS" 0 wa_proxy sync --dry-run --stats
has "...and the configuration still comes" "wg0: created=1 peers_added=2"

# ---------------------------------------------------------------- fault modes: retried, then fine
for f in 410:3 429:2 500:3 503:2 404:1 truncated:2 reset:2 garbage:1 timeout:1; do
	ctl "{\"fault\": \"${f%%:*}\", \"count\": ${f##*:}, \"clear_requests\": true}"
	if [[ $f == 404:1 ]]; then
		# 404 is an answer ("no userData"), not a fault to retry: files are next, and there are none.
		expect "fault $f: no userData means the next source" 3 wa sync --dry-run --stats
		continue
	fi
	expect "fault $f: retried, then configured" 0 wa sync --dry-run --stats --imds-timeout 1000
	grep -qF "wg0: created=1 peers_added=2" "$W/out" || not_ok "fault $f: configuration after retries"
	requests >"$W/req.json"
	python3 - "$W/req.json" "${f##*:}" >"$W/rate" <<'PY' || not_ok "fault $f: rate and count $(cat "$W/rate")"
import json, sys
reqs = [r for r in json.load(open(sys.argv[1])) if r["path"].startswith("/metadata/")]
ts = [r["t"] for r in reqs]
gaps = [b - a for a, b in zip(ts, ts[1:])]
n_faulted = int(sys.argv[2])
# The agent spaces request starts 200 ms apart; arrival times here jitter by a few ms.
ok = all(r["metadata"] for r in reqs) and min(gaps or [1]) >= 0.18 and len(reqs) >= n_faulted + 1
print(f"{len(reqs)} requests, smallest gap {min(gaps or [0]):.3f} s")
sys.exit(0 if ok else 1)
PY
	note "fault $f: $(cat "$W/rate")"
done

# ---------------------------------------------------------------- persistent faults: one clear error
ctl '{"fault": "500", "count": null}'
t0=$EPOCHREALTIME
expect "500 for ever: gives up within the budget" 1 wa sync --dry-run --imds-budget 3000
note "gave up after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
has "...with one clear error" "imds: GET '$EP/metadata/instance/compute/userData?api-version=2021-02-01&format=text' failed after"
[[ $(grep -c 'wgagent: ' "$W/out") == 1 ]] && ok "...and only one line" || not_ok "...and only one line"
ctl '{"fault": "garbage", "count": null}'
expect "userData that is not base64: bounded retries, then an error" 1 wa sync --dry-run
has "...saying so" "imds: userData is not base64 (3 attempts)"
ctl '{"fault": null}'
ctl "{\"user_data\": \"$(printf '[Interface]\nListenPort = 99999\n' | base64 -w0)\"}"
expect "userData with a bad configuration: an error" 1 wa sync --dry-run
has "...naming the source, line and field" "imds:userData:2: ListenPort: invalid port '99999'"
ctl "{\"user_data\": \"$(printf 'PrivateKey = %s\n' "$k1" | base64 -w0)\"}"
expect "userData with a key outside a section" 1 wa sync --dry-run
if grep -qF "$k1" "$W/out"; then not_ok "...and the key is not shown"; else ok "...and the key is not shown"; fi
ctl "{\"user_data\": \"$(printf '[Interface]\nPrivateKeyFile = /etc/shadow\n' | base64 -w0)\"}"
expect "userData may not name key files" 1 wa sync --dry-run
has "...saying so" "key files are not allowed here"
ctl '{"user_data": ""}'
expect "no userData and no files: exit 3" 3 wa sync --dry-run
ctl "{\"user_data\": \"$(base64 -w0 <"$W/ud.conf")\"}"

# ---------------------------------------------------------------- at 169.254.169.254 itself
# In a network namespace of its own (a user namespace makes that possible without root), the
# stand-in listens where IMDS does and the agent uses its built-in endpoint: no override.
if unshare -rn true 2>/dev/null; then
	mkdir -p "$W/ns-state" "$W/ns-run"
	unshare -rn bash -c '
		ip link set lo up && ip addr add 169.254.169.254/32 dev lo || exit 90
		python3 "$1/imds.py" --bind 169.254.169.254 --port 80 --port-file "$2/ns.port" \
			--user-data "$2/ud.conf" --vm-id 12121212-3434-5656-7878-909090909090 2>/dev/null &
		for _ in $(seq 50); do [[ -s $2/ns.port ]] && break; sleep 0.1; done
		env -u WGAGENT_IMDS_ENDPOINT "$3" sync --dry-run --stats --dmi-dir "$2/dmi" \
			--config-dir "$2/etc" --state-dir "$2/ns-state" --run-dir "$2/ns-run" --no-kmsg
		rc=$?
		kill %1
		exit $rc' _ "$here" "$W" "$agent" >"$W/out" 2>&1
	rc=$?
	cat "$W/out" >>"$W/all"
	if [[ $rc == 0 ]] && grep -q "wg0: created=1 peers_added=2" "$W/out" && ! sanitizer; then
		ok "IMDS at 169.254.169.254 (own network namespace, default endpoint)"
	else
		not_ok "IMDS at 169.254.169.254 (own network namespace, default endpoint) (exit $rc)"
	fi
	grep -q '^vm_id=12121212-3434-5656-7878-909090909090$' "$W/ns-state/identity" &&
		ok "...and the vmId came from there" || not_ok "...and the vmId came from there"
else
	not_ok "unshare -rn is not available: cannot put the stand-in at 169.254.169.254"
fi

# ---------------------------------------------------------------- not on Azure
echo "No Asset Tag" >"$W/dmi/chassis_asset_tag"
t0=$EPOCHREALTIME
"$agent" sync --dmi-dir "$W/dmi" --config-dir "$W/etc" --state-dir "$W/state" --run-dir "$W/run" \
	--no-kmsg --dry-run >"$W/out" 2>&1
rc=$?
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
[[ $rc == 3 ]] && ((ms < 1000)) && ok "not on Azure: no IMDS request, files only ($ms ms)" ||
	not_ok "not on Azure: no IMDS request, files only (exit $rc, $ms ms)"
# An endpoint nobody listens on: connection refused, retried briefly, then files.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t0=$EPOCHREALTIME
"$agent" sync --imds-endpoint "http://127.0.0.1:$dead" --imds-connect-budget 1000 --dmi-dir "$W/dmi" \
	--config-dir "$W/etc" --state-dir "$W/state" --run-dir "$W/run" --no-kmsg --dry-run >"$W/out" 2>&1
rc=$?
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
[[ $rc == 3 ]] && ((ms < 2500)) && ok "IMDS refusing connections: falls back to files ($ms ms)" ||
	not_ok "IMDS refusing connections: falls back to files (exit $rc, $ms ms)"
has "...and says so" "not on Azure"
echo 7783-7084-3265-9085-8269-3286-77 >"$W/dmi/chassis_asset_tag"

# ---------------------------------------------------------------- clone detection
ctl '{"vm_id": "99999999-8888-7777-6666-555555555555"}'
expect "a clone (new vmId, same disk)" 0 wa identity
pub2=$(cat "$W/out" | tail -n1)
[[ -n $pub2 && $pub2 != "$pub1" ]] && ok "...gets a new key" || not_ok "...gets a new key ($pub2)"
has "...and is told why" "made on another machine"
if grep -rqF "$priv1" "$W/state"; then not_ok "...and the old key is gone from the state folder"
else ok "...and the old key is gone from the state folder"; fi
expect "the clone again" 0 wa identity
[[ $(tail -n1 "$W/out") == "$pub2" ]] && ok "...keeps its new key" || not_ok "...keeps its new key"
echo 4C4C4544-0042-3510-8051-B1C04F4A2222 >"$W/dmi/product_uuid"
expect "a new SMBIOS product UUID" 0 wa identity
[[ $(tail -n1 "$W/out") != "$pub2" ]] && ok "...gets a new key too" || not_ok "...gets a new key too"

# ---------------------------------------------------------------- no key material in any output
leak=0
for f in "$W"/state/*.key; do
	grep -qF -- "$(cat "$f")" "$W/all" "$W/imds.log" && leak=1
done
grep -qF -- "$priv1" "$W/all" && leak=1
((leak == 0)) && ok "no private key in any output ($(wc -l <"$W/all") lines)" ||
	not_ok "no private key in any output"

emit "imds: $passed passed, $failed failed"
((failed == 0))
