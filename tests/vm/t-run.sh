#!/bin/bash
# SPDX-License-Identifier: MIT
#
# wgagent run: the long-running form. A peer with a literal endpoint comes up at once while a
# host name that does not resolve yet is retried in the background; SIGHUP re-reads the
# config; SIGTERM stops the agent and leaves the interface up. The report goes to
# /run/wgagent/IFNAME.pub, the kernel log and an HTTP receiver (busybox nc) with the timings.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

# The real peer, in its own namespace.
ip netns add peer
ip link add vra type veth peer name vrb netns peer
ip addr add 192.168.78.1/24 dev vra
ip link set vra up
ip -n peer addr add 192.168.78.2/24 dev vrb
ip -n peer link set vrb up
ip -n peer link set lo up
wg genkey >"$WGT_TMP/peer.key"
peerpub=$(wg pubkey <"$WGT_TMP/peer.key")
wg genkey >"$WGT_TMP/my.key"
mypub=$(wg pubkey <"$WGT_TMP/my.key")
ip -n peer link add wgp type wireguard
ip netns exec peer wg set wgp private-key "$WGT_TMP/peer.key" listen-port 51901 \
	peer "$mypub" allowed-ips 172.17.0.1/32
ip -n peer addr add 172.17.0.2/24 dev wgp
ip -n peer link set wgp up
late=$(wg genkey | wg pubkey)
third=$(wg genkey | wg pubkey)

# Names come from /etc/hosts only, so "not resolvable yet" is deterministic.
printf 'hosts: files\n' >/etc/nsswitch.conf
printf '127.0.0.1 localhost\n' >/etc/hosts
mkdir -p /etc/wgagent
chmod 0600 "$WGT_TMP/my.key"
cat >/etc/wgagent/wgrun.conf <<EOF
[Interface]
PrivateKeyFile = $WGT_TMP/my.key
ListenPort = 51821
Address = 172.17.0.1/24

[Peer]
PublicKey = $peerpub
AllowedIPs = 172.17.0.2/32
Endpoint = 192.168.78.2:51901

[Peer]
PublicKey = $late
AllowedIPs = 172.17.1.0/24
Endpoint = late.example:51902
EOF

# An HTTP receiver for the report: answers 200 and keeps the request.
{ printf 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'; sleep 20; } |
	timeout 60 nc -l -p 8088 >"$WGT_TMP/post.txt" 2>/dev/null &

wgagent run --interval 2 --report-url http://127.0.0.1:8088/report --report-allow-http wgrun \
	>"$WGT_TMP/run.out" 2>&1 &
agent=$!

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}
endpoint_of() {
	wg show wgrun endpoints 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'
}

t0=$EPOCHREALTIME
check "interface up with both peers" wait_for 30 bash -c "[[ \$(wg show wgrun peers | wc -l) == 2 ]]"
note "run: interface configured after $(ms_since "$t0") ms"
check "the literal endpoint is set at once" bash -c "[[ \$(wg show wgrun endpoints | grep -F '$peerpub') == *192.168.78.2:51901 ]]"
check "the peer with the literal endpoint works while the name is unresolved" \
	ping -c1 -W5 172.17.0.2
check "the host-name peer has no endpoint yet" bash -c "[[ \$(wg show wgrun endpoints | grep -F '$late') == *'(none)' ]]"
check "the agent said it will retry" wait_for 10 grep -q "did not resolve yet" "$WGT_TMP/run.out"

echo '192.168.78.3 late.example' >>/etc/hosts
t0=$EPOCHREALTIME
check "the name is resolved in the background" \
	wait_for 40 bash -c "[[ \$(wg show wgrun endpoints | grep -F '$late') == *192.168.78.3:51902 ]]"
note "run: late name resolved $(ms_since "$t0") ms after it appeared in /etc/hosts"

hs=$(wg show wgrun latest-handshakes | awk -v k="$peerpub" '$1 == k { print $2 }')
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 172.17.2.0/24\n' "$third" >>/etc/wgagent/wgrun.conf
kill -HUP "$agent"
check "SIGHUP: the new peer is added" wait_for 10 bash -c "wg show wgrun peers | grep -qF '$third'"
check "SIGHUP: the working peer kept its session" \
	bash -c "[[ \$(wg show wgrun latest-handshakes | grep -F '$peerpub' | cut -f2) == $hs ]]"
check "route for the new peer" bash -c 'ip route show proto 87 | grep -q "^172.17.2.0/24 dev wgrun"'

kill -TERM "$agent"
wait_for 10 bash -c "! kill -0 $agent"
wait "$agent"
rc=$?
check "SIGTERM: run exits 0 ($rc)" test "$rc" -eq 0
check "the interface stays after run stops" ip link show wgrun
check "no sanitizer report from run" bash -c "! grep -E 'Sanitizer|runtime error' '$WGT_TMP/run.out'"

check "public key file" bash -c "[[ \$(cat /run/wgagent/wgrun.pub) == $mypub ]]"
check "public key on the kernel log" bash -c "dmesg | grep -F 'wgagent: wgrun public key $mypub'"
wait_for 10 grep -q '"public_key"' "$WGT_TMP/post.txt"
body=$(sed -n '/^\r*$/,$p' "$WGT_TMP/post.txt" | tr -d '\r')
note "report body: $body"
check "report POSTed as JSON" bash -c "grep -q '^POST /report HTTP/1.1' '$WGT_TMP/post.txt' && grep -qi '^Content-Type: application/json' '$WGT_TMP/post.txt'"
check "report has the public key" bash -c "grep -qF '\"public_key\":\"$mypub\"' '$WGT_TMP/post.txt'"
check "report has the timings" bash -c "grep -qE '\"timings\":\\{\"since_boot_ms\":[0-9]+,\"since_agent_start_ms\":[0-9]+\\}' '$WGT_TMP/post.txt'"
priv=$(cat "$WGT_TMP/my.key")
check "no private key in the agent's output, the report or the kernel log" \
	bash -c "! grep -qF -- '$priv' '$WGT_TMP/run.out' '$WGT_TMP/post.txt' && ! dmesg | grep -qF -- '$priv'"
note "$(cat "$WGT_TMP/run.out")"

finish
