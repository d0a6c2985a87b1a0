#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Gateway role: a tunnel client's traffic is forwarded and masqueraded out of the primary
# interface; `down` removes the nftables table and restores forwarding.
#   client ns (172.19.5.2, full tunnel) --wg over veth lan--> this VM (wggw, 172.19.5.1)
#     --eth0sim 10.1.0.4--> fabric ns (10.1.0.1, the "internet" host 198.51.100.7)
# The fabric has no route back to 172.19.5.0/24: replies arrive only if the VM masqueraded.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

check "nft is there" nft --version

ip netns add fabric
ip link add eth0sim type veth peer name fab netns fabric
ip link set eth0sim up
ip addr add 10.1.0.4/24 dev eth0sim
ip route add default via 10.1.0.1 dev eth0sim
ip -n fabric link set fab up
ip -n fabric link set lo up
ip -n fabric addr add 10.1.0.1/24 dev fab
ip -n fabric addr add 198.51.100.7/32 dev lo

ip netns add client
ip link add lan type veth peer name lanc netns client
ip link set lan up
ip addr add 192.168.80.1/24 dev lan
ip -n client link set lanc up
ip -n client link set lo up
ip -n client addr add 192.168.80.2/24 dev lanc

wg genkey >"$WGT_TMP/gw.key"
wg genkey >"$WGT_TMP/cl.key"
chmod 600 "$WGT_TMP/gw.key"
gwpub=$(wg pubkey <"$WGT_TMP/gw.key")
clpub=$(wg pubkey <"$WGT_TMP/cl.key")
ip -n client link add wgc type wireguard
ip netns exec client wg set wgc private-key "$WGT_TMP/cl.key" \
	peer "$gwpub" endpoint 192.168.80.1:51830 allowed-ips 0.0.0.0/0
ip -n client addr add 172.19.5.2/24 dev wgc
ip -n client link set wgc up
ip -n client route add 198.51.100.7/32 dev wgc

mkdir -p /etc/wgagent
cat >/etc/wgagent/wggw.conf <<EOF
[Interface]
PrivateKeyFile = $WGT_TMP/gw.key
ListenPort = 51830
Address = 172.19.5.1/24

[Peer]
PublicKey = $clpub
AllowedIPs = 172.19.5.2/32
EOF
echo 0 >/proc/sys/net/ipv4/ip_forward

check "sync without the gateway role" wgagent sync wggw
check "the client reaches the VM through the tunnel" ip netns exec client ping -c1 -W5 172.19.5.1
check "but not the internet (no forwarding)" bash -c '! ip netns exec client ping -c1 -W3 198.51.100.7'

check "sync --gateway" wgagent sync --gateway wggw
check "forwarding is on" bash -c '[[ $(cat /proc/sys/net/ipv4/ip_forward) == 1 ]]'
nft list table inet wgagent-wggw >"$WGT_TMP/table" 2>&1
note - <"$WGT_TMP/table"
check "the table masquerades out of the primary interface" \
	grep -q 'oifname "eth0sim" ip saddr 172.19.5.0/24 masquerade' "$WGT_TMP/table"
check "the client reaches the internet through the VM" ip netns exec client ping -c1 -W5 198.51.100.7
# Even with a route to the clients, the internet may not open connections to them.
ip -n fabric route add 172.19.5.0/24 via 10.1.0.4
check "the internet cannot open connections into the tunnel" \
	bash -c '! ip netns exec fabric ping -c1 -W3 172.19.5.2'
ip -n fabric route del 172.19.5.0/24 via 10.1.0.4
check "sync --gateway again is idempotent (one table)" \
	bash -c 'wgagent sync --gateway wggw && [[ $(nft list tables | grep -c wgagent-wggw) == 1 ]]'
check "still forwarding after the second sync" ip netns exec client ping -c1 -W5 198.51.100.7

check "wgagent down wggw" wgagent down wggw
check "down removes the table" bash -c '! nft list tables | grep -q wgagent-wggw'
check "down restores forwarding" bash -c '[[ $(cat /proc/sys/net/ipv4/ip_forward) == 0 ]]'

finish
