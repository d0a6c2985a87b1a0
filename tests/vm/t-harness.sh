#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Self-test of the guest harness: the things every other guest test relies on.
# shellcheck source=tests/vm/lib.sh disable=SC2016 # bash -c '...' expands in the child
. /tests/lib.sh

check "kernel is not the host's (Debian 6.1)" bash -c 'uname -r; [[ $(uname -r) == 6.1.* ]]'
check "wireguard module loaded" grep -q '^wireguard ' /proc/modules
check "ip link add type wireguard" ip link add wgx type wireguard
check "wg show wgx" wg show wgx
check "wg set private-key" bash -c 'wg genkey >/tmp/k && wg set wgx private-key /tmp/k listen-port 51000'
check "wg show wgx listen-port" bash -c '[[ $(wg show wgx listen-port) == 51000 ]]'
check "ip link del wgx" ip link del wgx

check "netns add" bash -c 'ip netns add hs1 && ip netns add hs2'
check "veth pair across netns" bash -c '
	ip link add v1 netns hs1 type veth peer name v2 netns hs2 &&
	ip -n hs1 addr add 192.0.2.1/24 dev v1 && ip -n hs2 addr add 192.0.2.2/24 dev v2 &&
	ip -n hs1 addr add 2001:db8::1/64 dev v1 nodad &&
	ip -n hs2 addr add 2001:db8::2/64 dev v2 nodad &&
	ip -n hs1 link set v1 up && ip -n hs2 link set v2 up &&
	ip -n hs1 link set lo up && ip -n hs2 link set lo up'
check "ping over veth (IPv4)" ip netns exec hs1 ping -c1 -W5 192.0.2.2
check "ping over veth (IPv6)" ip netns exec hs1 ping -6 -c1 -W5 2001:db8::2
check "ip netns exec sees its own links" bash -c '
	ip netns exec hs1 ip -o link show | grep -q " v1@" && ! ip -o link show | grep -q " v1@"'
check "netns del" bash -c 'ip netns del hs1 && ip netns del hs2'

# What wg-quick needs beyond ip and wg.
check "busybox stat as wg-quick uses it" bash -c '(( $(stat -c "0%#a" /tmp) == 01777 ))'
check "wg-quick runs" wg-quick --help
check "process substitution (wg-quick uses it)" bash -c 'cat <(echo x) | grep -qx x'
check "wg-quick up and down" bash -c '
	umask 077
	printf "[Interface]\nPrivateKey = %s\nAddress = 10.9.3.1/24\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.99.3.0/24\n" \
		"$(wg genkey)" "$(wg genkey | wg pubkey)" >/tmp/wgq.conf &&
	wg-quick up /tmp/wgq.conf && ip route show dev wgq | grep -q "^10\.99\.3\.0/24" &&
	wg-quick down /tmp/wgq.conf && ! ip link show wgq'
check "wgagent installed" test -x /usr/sbin/wgagent

# Modules the kernel loads on demand (busybox modprobe): nftables for the gateway role.
check "ip link add type dummy loads dummy.ko" bash -c 'ip link add d0 type dummy && ip link del d0'
check "nftables loads on demand" bash -c '
	nft add table inet wgt && nft add chain inet wgt post "{ type nat hook postrouting priority srcnat; }" &&
	nft add rule inet wgt post oifname lo ct state established masquerade && nft delete table inet wgt'

finish
