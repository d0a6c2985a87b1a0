#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The boot path against IMDS at 169.254.169.254, with a real WireGuard kernel: the agent finds
# IMDS by itself (Azure's SMBIOS asset tag, default endpoint), configures the interface from
# userData, survives every fault mode, keeps the last good configuration when userData turns
# bad, and a clone (same disk, new vmId) gets a new key on the live interface.
# The stand-in is the script below under busybox nc (the guest has no Python for
# tests/azure/imds/imds.py); it lives here so the initramfs cache key covers it.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

cat >/tmp/imds-nc.sh <<'STANDIN'
#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A minimal IMDS for the qemu guest (which has no Python), one connection per run, under
# `nc -ll -p 80 -e imds-nc.sh`: the subset of tests/azure/imds/imds.py that wgagent uses,
# answering the same way (400 without "Metadata: true" or api-version, userData as base64 text,
# vmId, the attested document), with the same fault modes. State in $IMDS_DIR (default
# /tmp/imds): user-data (the raw text, served base64), vm-id, fault ("MODE COUNT"), log.
dir=${IMDS_DIR:-/tmp/imds}

reply() { # reply STATUS TEXT BODY [CONTENT-LENGTH]
	printf 'HTTP/1.1 %s %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
		"$1" "$2" "${ctype:-application/json; charset=utf-8}" "${4:-${#3}}" "$3"
}

read -r method target _ || exit 0
target=${target%$'\r'}
metadata=no
while IFS= read -r line; do
	line=${line%$'\r'}
	[[ -z $line ]] && break
	shopt -s nocasematch
	[[ $line == 'metadata: true' ]] && metadata=yes
	shopt -u nocasematch
done
path=${target%%\?*}
query=
[[ $target == *\?* ]] && query=${target#*\?}
echo "$EPOCHREALTIME $method $target metadata=$metadata" >>"$dir/log"

if [[ $method != GET ]]; then reply 405 'Method Not Allowed' '{"error":"Method not allowed"}'; exit 0; fi
if [[ $metadata != yes ]]; then
	reply 400 'Bad Request' '{"error":"Bad request. Required metadata header not specified"}'
	exit 0
fi
if [[ $query != *api-version=* ]]; then
	reply 400 'Bad Request' '{"error":"Bad request. api-version was not specified in the request"}'
	exit 0
fi

fault=
if read -r mode count <"$dir/fault" 2>/dev/null && [[ -n $mode ]]; then
	fault=$mode
	if [[ -n $count ]]; then
		count=$((count - 1))
		if ((count <= 0)); then : >"$dir/fault"; else echo "$mode $count" >"$dir/fault"; fi
	fi
fi
case $fault in
404) reply 404 'Not Found' '{"error":"Not found"}'; exit 0 ;;
410) reply 410 'Gone' '{"error":"Gone"}'; exit 0 ;;
429) reply 429 'Too Many Requests' '{"error":"Too many requests"}'; exit 0 ;;
500) reply 500 'Internal Server Error' '{"error":"Internal server error"}'; exit 0 ;;
timeout) sleep 5; exit 0 ;;
reset) exit 0 ;;
esac

ctype='text/plain; charset=utf-8'
case $path in
/metadata/instance/compute/userData) body=$(base64 -w0 <"$dir/user-data" 2>/dev/null) ;;
/metadata/instance/compute/vmId) body=$(cat "$dir/vm-id") ;;
/metadata/attested/document)
	ctype='application/json; charset=utf-8'
	body='{"encoding":"pkcs7","signature":"UEtDUzctU1RBTkQtSU4="}' ;;
*) ctype=; reply 404 'Not Found' '{"error":"Not found"}'; exit 0 ;;
esac
case $fault in
garbage) body='###not base64###' ;;
truncated) reply 200 OK "${body:0:$((${#body} / 2))}" "${#body}"; exit 0 ;;
esac
reply 200 OK "$body"
STANDIN
chmod 0755 /tmp/imds-nc.sh

export IMDS_DIR=/tmp/imds
mkdir -p $IMDS_DIR /tmp/dmi
: >$IMDS_DIR/fault
echo 11111111-2222-3333-4444-555555555555 >$IMDS_DIR/vm-id
echo 7783-7084-3265-9085-8269-3286-77 >/tmp/dmi/chassis_asset_tag
echo 4c4c4544-0042-3510-8051-b1c04f4a1111 >/tmp/dmi/product_uuid
ip link add imds0 type dummy
ip addr add 169.254.169.254/32 dev imds0
ip link set imds0 up
nc -ll -p 80 -e /tmp/imds-nc.sh &
ncpid=$!

p1=$(wg genkey | wg pubkey)
p2=$(wg genkey | wg pubkey)
cat >$IMDS_DIR/user-data <<EOF2
[Interface]
ListenPort = 51820
Address = 10.7.0.1/24

[Peer]
PublicKey = $p1
AllowedIPs = 10.7.0.2/32

[Peer]
PublicKey = $p2
AllowedIPs = 10.7.0.3/32
EOF2

all=$WGT_TMP/all
: >"$all"
agent() { # agent ARGS...: sync with the fake DMI, output kept for the leak check
	wgagent sync --dmi-dir /tmp/dmi --no-kmsg --stats "$@" >"$WGT_TMP/agent.out" 2>&1
	local rc=$?
	cat "$WGT_TMP/agent.out"
	cat "$WGT_TMP/agent.out" >>"$all"
	return $rc
}
peers() { wg show wg0 peers 2>/dev/null | wc -l; }

check "the stand-in answers 400 without the Metadata header" \
	bash -c '[[ $(printf "GET /metadata/instance/compute/vmId?api-version=2021-02-01&format=text HTTP/1.1\r\nHost: x\r\n\r\n" | nc 169.254.169.254 80 | head -n1) == *" 400 "* ]]'

t0=$EPOCHREALTIME
: >$IMDS_DIR/log # that request had no header on purpose
check "sync from IMDS userData (default endpoint)" agent
note "sync from IMDS: $(ms_since "$t0") ms"
check "wg0 has the two peers" test "$(peers)" -eq 2
check "the key is bound to the vmId" grep -qx 'vm_id=11111111-2222-3333-4444-555555555555' /var/lib/wgagent/identity
pub1=$(wg show wg0 public-key)
check "the public key file" bash -c "[[ \$(cat /run/wgagent/wg0.pub) == $pub1 ]]"
check "every request had the Metadata header" bash -c "! grep -q 'metadata=no' $IMDS_DIR/log"

# Every fault mode, then the right answer: configured (a third peer shows it was read again).
p3=$(wg genkey | wg pubkey)
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.7.0.4/32\n' "$p3" >>$IMDS_DIR/user-data
n=3
rate_bad=0
# Within one run, request starts are 200 ms apart; this log stamps them when nc has started the
# handler, which jitters under TCG, hence 150 ms.
rate_check() {
	awk '{ if (NR > 1 && $1 - prev < 0.15) bad++; prev = $1 } END { exit bad > 0 }' $IMDS_DIR/log ||
		{ rate_bad=$((rate_bad + 1)); cat $IMDS_DIR/log; }
	: >$IMDS_DIR/log
}
: >$IMDS_DIR/log
for f in "410 3" "429 2" "500 2" "404 1" "truncated 2" "reset 2" "garbage 1" "timeout 1"; do
	echo "$f" >$IMDS_DIR/fault
	if [[ $f == "404 1" ]]; then
		# 404: IMDS says there is no userData: no source left, the interface stays as it is.
		agent
		rc=$?
		: >$IMDS_DIR/log
		check "fault $f: exit 3, interface untouched ($rc)" bash -c "[[ $rc == 3 && \$(wg show wg0 peers | wc -l) == $n ]]"
		continue
	fi
	check "fault '$f': retried, then synced" agent --imds-timeout 1500
	rate_check
	check "fault '$f': wg0 has $n peers" test "$(peers)" -eq "$n"
	if [[ $f == "410 3" ]]; then
		check "the change was one peer" grep -q 'peers_added=1 peers_removed=0 peers_changed=0' "$WGT_TMP/agent.out"
	fi
done
check "the stand-in saw no more than 5 requests per second" test "$rate_bad" -eq 0

# Bad userData: one clear error, nothing changes.
wg showconf wg0 >"$WGT_TMP/before"
cp $IMDS_DIR/user-data "$WGT_TMP/good"
printf '[Interface]\nListenPort = 99999\n' >$IMDS_DIR/user-data
check_fails "bad userData is refused" "imds:userData:2: ListenPort: invalid port" \
	wgagent sync --dmi-dir /tmp/dmi --no-kmsg
wg showconf wg0 >"$WGT_TMP/after"
check_same "the last good configuration stays" "$WGT_TMP/before" "$WGT_TMP/after"
echo "500" >$IMDS_DIR/fault
check_fails "IMDS failing for good: one error after the budget" "failed after" \
	wgagent sync --dmi-dir /tmp/dmi --no-kmsg --imds-budget 2000
wg showconf wg0 >"$WGT_TMP/after"
check_same "...and the configuration stays" "$WGT_TMP/before" "$WGT_TMP/after"
: >$IMDS_DIR/fault
cp "$WGT_TMP/good" $IMDS_DIR/user-data

# A clone: the same disk (state folder), a new VM.
echo 99999999-8888-7777-6666-555555555555 >$IMDS_DIR/vm-id
check "a clone syncs" agent
pub2=$(wg show wg0 public-key)
check "the clone has a new key on the interface" test "$pub2" != "$pub1"
check "...which is the new stored key" bash -c "[[ \$(wgagent pubkey </var/lib/wgagent/wg0.key) == $pub2 ]]"
check "...told in the log" grep -q "made on another machine" "$WGT_TMP/agent.out"
check "...only the key changed" grep -q 'device_changed=1 wg_messages=1' "$WGT_TMP/agent.out"
check "the clone again keeps its key" bash -c "wgagent sync --dmi-dir /tmp/dmi --no-kmsg && [[ \$(wg show wg0 public-key) == $pub2 ]]"

# Not on Azure: no request at all, files only.
echo "No Asset Tag" >/tmp/dmi/chassis_asset_tag
: >$IMDS_DIR/log
check_fails "off Azure without files: exit 3" "no configuration" wgagent sync --dmi-dir /tmp/dmi --no-kmsg
check "off Azure: no IMDS request" test ! -s $IMDS_DIR/log

kill "$ncpid" 2>/dev/null
leak=0
for k in /var/lib/wgagent/*.key; do grep -qF -- "$(cat "$k")" "$all" && leak=1; done
dmesg | grep -qF -- "$(cat /var/lib/wgagent/wg0.key)" && leak=1
check "no private key in any output" test "$leak" -eq 0

finish
