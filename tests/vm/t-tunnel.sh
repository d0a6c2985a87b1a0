#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A real tunnel made by wgagent between two network namespaces, checked against the kernel as
# wg and ip see it; then key generation, Table=off and Table=<id>.
#
#   ns1 [v1 192.0.2.1/24] ===== veth ===== [v2 192.0.2.2/24] ns2
#   ns1 [wg1 10.9.0.1/24 fd09::1/64]  -- WireGuard --  [wg2 10.9.0.2/24 fd09::2/64] ns2
#
# Each peer also routes a network behind it (10.99.N.0/24, fd99:N::/64), which the interface
# address does not cover, so wgagent must add those routes itself (protocol 87).
# All addresses live only inside the guest, which has no network card.
# shellcheck source=tests/vm/lib.sh disable=SC2016 # bash -c '...' expands in the child
. /tests/lib.sh

# ---------------------------------------------------------------- CLI basics
check "wgagent --version" wgagent --version
check "wgagent --help" wgagent --help
check_status "usage error exits 2 (no config)" 2 "" wgagent up
check_status "usage error exits 2 (unknown command)" 2 "" wgagent no-such-command

wgagent genkey >/tmp/k1 && wgagent genkey >/tmp/k2
check "genkey prints a key wg accepts" bash -c 'wg pubkey </tmp/k1 && [[ $(wc -c </tmp/k1) == 45 ]]'
check "genkey: two keys differ" bash -c '! cmp -s /tmp/k1 /tmp/k2'
check "pubkey equals wg pubkey" bash -c '[[ $(wgagent pubkey </tmp/k1) == "$(wg pubkey </tmp/k1)" ]]'
check_fails "pubkey rejects garbage" "wgagent:" bash -c 'echo not-a-key | wgagent pubkey'
pub1=$(wg pubkey </tmp/k1)
pub2=$(wg pubkey </tmp/k2)

# ---------------------------------------------------------------- underlay
ip netns add ns1
ip netns add ns2
ip -n ns1 link set lo up
ip -n ns2 link set lo up
ip link add v1 netns ns1 type veth peer name v2 netns ns2
ip -n ns1 addr add 192.0.2.1/24 dev v1
ip -n ns2 addr add 192.0.2.2/24 dev v2
ip -n ns1 link set v1 up
ip -n ns2 link set v2 up
check "underlay ping" ip netns exec ns1 ping -c1 -W5 192.0.2.2

cat >/tmp/wg1.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k1)
ListenPort = 51821
Address = 10.9.0.1/24, fd09::1/64

[Peer]
PublicKey = $pub2
AllowedIPs = 10.9.0.2/32, fd09::2/128, 10.99.2.0/24, fd99:2::/64
Endpoint = 192.0.2.2:51822
EOF
cat >/tmp/wg2.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k2)
ListenPort = 51822
Address = 10.9.0.2/24
Address = fd09::2/64

[Peer]
PublicKey = $pub1
AllowedIPs = 10.9.0.1/32, fd09::1/128, 10.99.1.0/24, fd99:1::/64
Endpoint = 192.0.2.1:51821
EOF

# ---------------------------------------------------------------- tunnel
t0=$EPOCHREALTIME
check "wgagent up wg1 in ns1" ip netns exec ns1 wgagent up /tmp/wg1.conf
note "wgagent up: $(ms_since "$t0") ms"
check "wgagent up wg2 in ns2" ip netns exec ns2 wgagent up /tmp/wg2.conf

check "wg1 is up" bash -c 'ip -n ns1 link show wg1 | grep -q "[<,]UP[,>]"'
check "wg1 has its addresses" bash -c '
	ip -n ns1 -o addr show dev wg1 | grep -q "inet 10.9.0.1/24" &&
	ip -n ns1 -o addr show dev wg1 | grep -q "inet6 fd09::1/64"'
check "wg2 has its addresses" bash -c '
	ip -n ns2 -o addr show dev wg2 | grep -q "inet 10.9.0.2/24" &&
	ip -n ns2 -o addr show dev wg2 | grep -q "inet6 fd09::2/64"'
check "wg1 listen port and peer as configured" bash -c "
	[[ \$(ip netns exec ns1 wg show wg1 listen-port) == 51821 ]] &&
	[[ \$(ip netns exec ns1 wg show wg1 peers) == '$pub2' ]] &&
	[[ \$(ip netns exec ns1 wg show wg1 endpoints) == '$pub2'$'\t'192.0.2.2:51822 ]]"
check "wg1 private key as configured" bash -c \
	'[[ $(ip netns exec ns1 wg show wg1 private-key) == "$(cat /tmp/k1)" ]]'

# The first packet waits for the handshake; give that one more time than the checks below.
ip netns exec ns1 ping -c1 -W10 10.9.0.2 >/dev/null 2>&1
check "ping 10.9.0.2 through the tunnel" ip netns exec ns1 ping -c1 -W2 10.9.0.2
check "ping fd09::2 through the tunnel" ip netns exec ns1 ping -6 -c1 -W2 fd09::2
check "latest handshake is set" bash -c '
	hs=$(ip netns exec ns1 wg show wg1 latest-handshakes | cut -f2)
	echo "latest-handshake: $hs"; [[ -n $hs && $hs != 0 ]]'
check "traffic counted" bash -c '
	ip netns exec ns1 wg show wg1 transfer | awk -F"\t" "{ exit !(\$2 > 0 && \$3 > 0) }"'

check_dump "wgagent show --dump --show-keys equals wg show dump" wg1 ns1
check_dump_hidden "wgagent show --dump hides the private key" wg1 ns1
check "wgagent show --dump prints no private key" bash -c "
	! ip netns exec ns1 wgagent show wg1 --dump | grep -qF '$(cat /tmp/k1)'"
check "wgagent show wg1 (human form)" bash -c "
	ip netns exec ns1 wgagent show wg1 | grep -qF '$pub2'"

# Routes for the AllowedIPs: the address prefix covers the peers' own addresses; the networks
# behind the peers need routes of wgagent's (protocol 87).
check "route to 10.99.2.0/24 via wg1, protocol 87" bash -c '
	ip -n ns1 -4 route show dev wg1; ip -n ns1 -4 route show dev wg1 | grep -Eq "^10\.99\.2\.0/24 .*proto 87( |$)"'
check "route to fd99:2::/64 via wg1, protocol 87" bash -c '
	ip -n ns1 -6 route show dev wg1; ip -n ns1 -6 route show dev wg1 | grep -Eq "^fd99:2::/64 .*proto 87( |$)"'
check "routes cover every AllowedIP" bash -c '
	for p in 10.9.0.2/32 10.99.2.0/24; do [[ -n $(ip -n ns1 -4 route show dev wg1 match $p) ]] || { echo "no route for $p"; exit 1; }; done
	for p in fd09::2/128 fd99:2::/64; do [[ -n $(ip -n ns1 -6 route show dev wg1 match $p) ]] || { echo "no route for $p"; exit 1; }; done'
# A packet to the network behind the peer really goes into the tunnel.
check "10.99.2.1 routes through wg1" bash -c 'ip -n ns1 route get 10.99.2.1 | grep -q "dev wg1"'

check "wgagent down (by config)" ip netns exec ns1 wgagent down /tmp/wg1.conf
check "wg1 is gone" bash -c '! ip -n ns1 link show wg1'
check "its routes are gone" bash -c '! ip -n ns1 route show table all | grep -q "10\.99\.2\."'
check "wgagent down (by name)" ip netns exec ns2 wgagent down wg2
check "wg2 is gone" bash -c '! ip -n ns2 link show wg2'
check "nothing but the veth left in ns1" bash -c '
	[[ $(ip -n ns1 -o link show | grep -cv "lo:\|v1@") == 0 ]]'
ip netns del ns1
ip netns del ns2

# ---------------------------------------------------------------- generated key
cat >/tmp/wgk.conf <<EOF
[Interface]
Address = 10.9.7.1/24

[Peer]
PublicKey = $pub2
AllowedIPs = 10.9.7.2/32
EOF
rm -rf /var/lib/wgagent
if check "up without PrivateKey" wgagent up /tmp/wgk.conf; then
	check "key file /var/lib/wgagent/wgk.key, mode 0600" bash -c '
		ls -l /var/lib/wgagent/; [[ $(stat -c %a /var/lib/wgagent/wgk.key) == 600 ]]'
	keypub1=$(wg show wgk public-key)
	check "the interface got a key" test -n "$keypub1"
	check "down" wgagent down wgk
	check "up again" wgagent up /tmp/wgk.conf
	check "the key is reused" bash -c "[[ \$(wg show wgk public-key) == '$keypub1' ]]"
	check "down again" wgagent down wgk
fi
check "--state-dir" bash -c '
	wgagent up --state-dir /tmp/st /tmp/wgk.conf && [[ $(stat -c %a /tmp/st/wgk.key) == 600 ]] &&
	wgagent down wgk'
check "-i names the interface" bash -c '
	wgagent up -i wgnamed /tmp/wgk.conf && ip link show wgnamed && wgagent down -i wgnamed /tmp/wgk.conf &&
	! ip link show wgnamed'
ip link del wgnamed 2>/dev/null
ip link del wgk 2>/dev/null

# ---------------------------------------------------------------- Table=off, Table=1234
cat >/tmp/wgo.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k1)
Address = 10.9.5.1/24, fd09:5::1/64
Table = off

[Peer]
PublicKey = $pub2
AllowedIPs = 10.9.5.2/32, 10.99.5.0/24, fd99:5::/64
EOF
if check "up with Table = off" wgagent up /tmp/wgo.conf; then
	check "Table = off adds no routes" bash -c '
		r=$({ ip -4 route show table all dev wgo; ip -6 route show table all dev wgo; } |
			grep -v "proto kernel" | grep -Ev "^(local|multicast|broadcast) ")
		[[ -z $r ]] || { echo "unexpected: $r"; exit 1; }'
	check "Table = off still sets the addresses" bash -c 'ip -o addr show dev wgo | grep -q "10.9.5.1/24"'
	check "down (Table = off)" wgagent down wgo
fi
ip link del wgo 2>/dev/null

cat >/tmp/wgt.conf <<EOF
[Interface]
PrivateKey = $(cat /tmp/k1)
Address = 10.9.6.1/24, fd09:6::1/64
Table = 1234

[Peer]
PublicKey = $pub2
AllowedIPs = 10.9.6.2/32, 10.99.6.0/24, fd99:6::/64
EOF
if check "up with Table = 1234" wgagent up /tmp/wgt.conf; then
	check "routes in table 1234" bash -c '
		ip -4 route show table 1234; ip -6 route show table 1234
		ip -4 route show table 1234 dev wgt | grep -q "^10\.99\.6\.0/24 " &&
		ip -6 route show table 1234 dev wgt | grep -q "^fd99:6::/64 "'
	check "none of them in main" bash -c '! ip route show table main | grep -q "10\.99\.6\."'
	check "down (Table = 1234)" wgagent down wgt
	check "table 1234 is empty again" bash -c '[[ -z $(ip route show table 1234; ip -6 route show table 1234) ]]'
fi
ip link del wgt 2>/dev/null

finish
