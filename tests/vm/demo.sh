#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `make demo`: a WireGuard tunnel made by wgagent between two network namespaces in a qemu guest.
# Everything printed is a note (run-suite.sh --demo shows notes as they arrive).
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

fail=0
run() {
	"$@" >"$WGT_TMP/run.out" 2>&1
	local rc=$?
	note - <"$WGT_TMP/run.out"
	if ((rc != 0)); then
		note "!! '$*' failed with exit status $rc"
		fail=1
	fi
	return $rc
}
redact() {
	sed -E 's/^((Private|Preshared)Key = ).*/\1(redacted)/' "$1"
}

note "== $(wgagent --version 2>&1 | head -n1), kernel $(uname -r), wg $(wg --version | cut -d' ' -f2)"
note ""
note "== underlay: namespaces ns1 and ns2, joined by a veth pair"
ip netns add ns1
ip netns add ns2
ip -n ns1 link set lo up
ip -n ns2 link set lo up
ip link add v1 netns ns1 type veth peer name v2 netns ns2
ip -n ns1 addr add 192.0.2.1/24 dev v1
ip -n ns2 addr add 192.0.2.2/24 dev v2
ip -n ns1 link set v1 up
ip -n ns2 link set v2 up
note "   ns1 v1 192.0.2.1/24  <->  ns2 v2 192.0.2.2/24"
note ""

wgagent genkey >/tmp/k1
wgagent genkey >/tmp/k2
cat >/tmp/wg1.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k1)
ListenPort = 51821
Address = 10.9.0.1/24, fd09::1/64

[Peer]
PublicKey = $(wgagent pubkey </tmp/k2)
AllowedIPs = 10.9.0.2/32, fd09::2/128
Endpoint = 192.0.2.2:51822
EOF
cat >/tmp/wg2.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k2)
ListenPort = 51822
Address = 10.9.0.2/24, fd09::2/64

[Peer]
PublicKey = $(wgagent pubkey </tmp/k1)
AllowedIPs = 10.9.0.1/32, fd09::1/128
Endpoint = 192.0.2.1:51821
EOF
for n in 1 2; do
	note "== /tmp/wg$n.conf (keys from wgagent genkey/pubkey)"
	redact /tmp/wg$n.conf | note -
	note ""
done

t0=$EPOCHREALTIME
run ip netns exec ns1 wgagent up /tmp/wg1.conf
ms1=$(ms_since "$t0")
t0=$EPOCHREALTIME
run ip netns exec ns2 wgagent up /tmp/wg2.conf
ms2=$(ms_since "$t0")
note "== ip netns exec ns1 wgagent up /tmp/wg1.conf: $ms1 ms; ns2: $ms2 ms (qemu guest)"
note ""

note "== ns1: ping -c3 10.9.0.2 (through the tunnel)"
run ip netns exec ns1 ping -c3 -W5 10.9.0.2
note ""
note "== ns1: ping -6 -c2 fd09::2"
run ip netns exec ns1 ping -6 -c2 -W5 fd09::2
note ""
note "== ns1: wgagent show wg1"
run ip netns exec ns1 wgagent show wg1
note ""
note "== ns1: ip -brief address show wg1; ip route show dev wg1"
run ip -n ns1 -brief address show wg1
run ip -n ns1 route show dev wg1
note ""
note "== ns1: wgagent down wg1; ns2: wgagent down wg2"
run ip netns exec ns1 wgagent down wg1
run ip netns exec ns2 wgagent down wg2
if ip -n ns1 link show wg1 >/dev/null 2>&1; then
	note "!! wg1 is still there"
	fail=1
else
	note "   wg1 is gone"
fi
if ((fail)); then
	not_ok "demo" "a step failed (see above)"
	exit 1
fi
ok "demo"
finish
