#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Azure safety with a full tunnel: 168.63.129.16 and 169.254.169.254 stay on the primary NIC
# while everything else goes through the tunnel; the default MTU follows the path to the
# endpoint (its NIC's MTU minus 80). The "Azure fabric" is a namespace behind a veth (the
# VM's eth0), holding the platform addresses and the VPN server the VM tunnels to.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

ip netns add fabric
ip link add eth0sim type veth peer name fab netns fabric
ip link set eth0sim mtu 1400 up
ip addr add 10.1.0.4/24 dev eth0sim
ip route add default via 10.1.0.1 dev eth0sim
ip -n fabric link set fab mtu 1400 up
ip -n fabric link set lo up
ip -n fabric addr add 10.1.0.1/24 dev fab
for a in 168.63.129.16 169.254.169.254 198.51.100.7; do
	ip -n fabric addr add $a/32 dev lo
done

# The VPN server the VM tunnels everything to.
wg genkey >"$WGT_TMP/srv.key"
wg genkey >"$WGT_TMP/vm.key"
chmod 600 "$WGT_TMP/vm.key"
srvpub=$(wg pubkey <"$WGT_TMP/srv.key")
vmpub=$(wg pubkey <"$WGT_TMP/vm.key")
ip -n fabric link add wgs type wireguard
ip netns exec fabric wg set wgs private-key "$WGT_TMP/srv.key" listen-port 51820 \
	peer "$vmpub" allowed-ips 172.19.0.2/32
ip -n fabric addr add 172.19.0.1/24 dev wgs
ip -n fabric link set wgs up

mkdir -p /etc/wgagent
full() {
	cat >/etc/wgagent/wgaz.conf <<EOF
[Interface]
PrivateKeyFile = $WGT_TMP/vm.key
Address = 172.19.0.2/24

[Peer]
PublicKey = $srvpub
Endpoint = 10.1.0.1:51820
AllowedIPs = $1
PersistentKeepalive = 25
EOF
}

full 0.0.0.0/0
check "sync a full tunnel" wgagent sync --stats wgaz
check "MTU from the path to the endpoint: 1400 - 80" bash -c '[[ $(cat /sys/class/net/wgaz/mtu) == 1320 ]]'
for a in 169.254.169.254 168.63.129.16; do
	check "$a stays on the primary NIC" bash -c "ip route get $a | tee /dev/stderr | grep -q 'via 10.1.0.1 dev eth0sim'"
	check "$a has an explicit route (protocol 87)" bash -c "ip route show proto 87 | grep -q '^$a via 10.1.0.1 dev eth0sim'"
	check "$a answers outside the tunnel" ping -c1 -W5 "$a"
done
check "anything else goes into the tunnel" bash -c "ip route get 198.51.100.7 | tee /dev/stderr | grep -q 'dev wgaz table 51820'"
check "and really gets through it" ping -c1 -W5 198.51.100.7
check "the server saw the VM's tunnel address" \
	bash -c "ip netns exec fabric wg show wgs latest-handshakes | awk '{ exit !(\$2 > 0) }'"

full 172.19.0.0/24
check "sync out of the full tunnel" wgagent sync --stats wgaz
check "the platform routes go with it" bash -c '! ip route show proto 87 | grep -qE "^(169.254.169.254|168.63.129.16)"'
check "169.254.169.254 still on the primary NIC (main table)" \
	bash -c "ip route get 169.254.169.254 | grep -q 'dev eth0sim'"

full 0.0.0.0/0
check "sync into the full tunnel again" wgagent sync --stats wgaz
check "platform routes are back" bash -c 'ip route show proto 87 | grep -q "^169.254.169.254 via"'
check "wgagent down wgaz" wgagent down wgaz
check "down removes the platform routes" bash -c '! ip route show proto 87 | grep -q .'
check "down removes the rules" bash -c '! ip rule | grep -q -e 51820 -e suppress_prefixlength'

# An Azure-style main table with DHCP's own /32 routes: those are left alone.
ip route add 169.254.169.254/32 via 10.1.0.1 dev eth0sim proto dhcp
check "full tunnel with a DHCP route present" wgagent up /etc/wgagent/wgaz.conf
check "the DHCP route is used, no second one" \
	bash -c "[[ \$(ip route show 169.254.169.254 | wc -l) == 1 ]] && ip route show 169.254.169.254 | grep -q 'proto dhcp'"
check "wgagent down wgaz" wgagent down wgaz
check "the DHCP route stays" bash -c "ip route show 169.254.169.254 | grep -q 'proto dhcp'"

# MTU without an endpoint (a server): the default route's device.
ip link set eth0sim mtu 1380
cat >/etc/wgagent/wgsrv.conf <<EOF
[Interface]
PrivateKeyFile = $WGT_TMP/vm.key
ListenPort = 51822
Address = 172.19.9.1/24
EOF
check "sync a server without peers" wgagent sync wgsrv
check "its MTU follows the default route (1380 - 80)" bash -c '[[ $(cat /sys/class/net/wgsrv/mtu) == 1300 ]]'
check "MTU = in the config wins" bash -c 'echo "MTU = 1280" >>/etc/wgagent/wgsrv.conf && wgagent sync wgsrv && [[ $(cat /sys/class/net/wgsrv/mtu) == 1280 ]]'

finish
