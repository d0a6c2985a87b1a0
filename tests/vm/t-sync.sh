#!/bin/bash
# SPDX-License-Identifier: MIT
#
# wgagent sync: the smallest change on a live interface.
#  - 10,000 peers (t-sync.gen) plus one real peer in another namespace with a live session;
#    changing one peer sends exactly one SET message carrying one peer, the result equals what
#    `wg setconf` makes of the same file, and the real peer's session is untouched;
#  - routes (only protocol 87 ones), addresses, MTU and the full-tunnel rules follow the config;
#  - a bad config changes nothing; no private key ever shows in the output or the kernel log.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

all=$WGT_TMP/agent-all.log
: >"$all"

# agent ARGS...: wgagent with stdout in $WGT_TMP/out.last, everything also kept in $all.
agent() {
	wgagent "$@" >"$WGT_TMP/out.last" 2>"$WGT_TMP/err.last"
	local rc=$?
	cat "$WGT_TMP/out.last" "$WGT_TMP/err.last" | tee -a "$all"
	return $rc
}

# statv NAME: a key=value from the last --stats line.
statv() {
	grep -o "[ :]$1=[0-9]*" "$WGT_TMP/out.last" | tail -n1 | cut -d= -f2
}

# expect_stats NAME k=v...: every k has value v in the last --stats line.
expect_stats() {
	local name=$1 kv bad=
	shift
	for kv in "$@"; do
		[[ $(statv "${kv%%=*}") == "${kv#*=}" ]] || bad+=" ${kv%%=*}=$(statv "${kv%%=*}") (want ${kv#*=})"
	done
	if [[ -z $bad ]]; then ok "$name"; else not_ok "$name" "$bad | $(cat "$WGT_TMP/out.last")"; fi
}

# peer_field KEY N: field N of the `wg show wgsync dump` line of peer KEY.
peer_field() {
	wg show wgsync dump | awk -F'\t' -v k="$1" -v n="$2" '$1 == k { print $n }'
}

# ---------------------------------------------------------------- the real peer
ip netns add peer
ip link add vsa type veth peer name vsb netns peer
ip addr add 192.168.77.1/24 dev vsa
ip link set vsa up
ip -n peer addr add 192.168.77.2/24 dev vsb
ip -n peer link set vsb up
ip -n peer link set lo up
wg genkey >"$WGT_TMP/peer.key"
peerpub=$(wg pubkey <"$WGT_TMP/peer.key")
mypriv=$(sed -n 's/^PrivateKey = //p' /data/sync0.conf)
mypub=$(wg pubkey <<<"$mypriv")
changed=$(cat /data/changed.pub)
ip -n peer link add wgp type wireguard
ip netns exec peer wg set wgp private-key "$WGT_TMP/peer.key" listen-port 51900 \
	peer "$mypub" endpoint 192.168.77.1:51820 allowed-ips 172.16.99.1/32
ip -n peer addr add 172.16.99.2/24 dev wgp
ip -n peer link set wgp up

# The configs: the generated ones plus an Address and the real peer.
for n in 0 1; do
	{
		sed 's/^Table = off$/Table = off\nAddress = 172.16.99.1\/24/' /data/sync$n.conf
		printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 172.16.99.2/32\nEndpoint = 192.168.77.2:51900\n' \
			"$peerpub"
	} >"$WGT_TMP/c$n.conf"
	grep -v -e '^Table' -e '^Address' "$WGT_TMP/c$n.conf" >"$WGT_TMP/c$n.wg"
done
mkdir -p /etc/wgagent

# ---------------------------------------------------------------- create, then no-op
t0=$EPOCHREALTIME
if ! check "sync creates wgsync (10001 peers)" agent sync --stats -i wgsync "$WGT_TMP/c0.conf"; then
	finish
fi
note "sync (create) with 10001 peers: $(ms_since "$t0") ms"
expect_stats "first sync reports created" created=1 peers_added=10001

check "real peer: ping through the tunnel" ip netns exec peer ping -c1 -W5 172.16.99.1
hs0=$(peer_field "$peerpub" 5)
rx0=$(peer_field "$peerpub" 6)
check "real peer has a handshake" test "${hs0:-0}" -gt 0

t0=$EPOCHREALTIME
check "sync again, nothing changed" agent sync --stats -i wgsync "$WGT_TMP/c0.conf"
note "sync (no change) with 10001 peers: $(ms_since "$t0") ms"
expect_stats "no change: no WireGuard message, no rtnetlink change" created=0 wg_messages=0 \
	peers_changed=0 peers_added=0 peers_removed=0 peers_unchanged=10001 rtnl_messages=0

# ---------------------------------------------------------------- one peer of 10,001
check "dry run shows the one change" agent sync --dry-run --stats -i wgsync "$WGT_TMP/c1.conf"
expect_stats "dry run: 1 changed peer, 1 message" peers_changed=1 wg_messages=1 wg_peers=1
check "dry run changed nothing" bash -c "! wg show wgsync allowed-ips | grep -q 172.31.0.1/32"

t0=$EPOCHREALTIME
check "sync with 1 peer changed" agent sync --stats -i wgsync "$WGT_TMP/c1.conf"
note "sync (1 of 10001 changed): $(ms_since "$t0") ms"
note "stats: $(cat "$WGT_TMP/out.last")"
# One SET message: ifname, peers nest, one peer nest with key, flags and the allowed-ips nest.
expect_stats "only that peer is sent: 1 message, 1 peer" peers_changed=1 peers_unchanged=10000 \
	peers_added=0 peers_removed=0 device_changed=0 wg_messages=1 wg_peers=1 rtnl_messages=0
n_ips=$(wg show wgsync allowed-ips | awk -v k="$changed" '$1 == k { print NF - 1 }')
attrs=$(statv wg_attributes)
# ifname + peers + peer + key + flags + allowedips + 4 per allowed IP (nest, family, addr, cidr)
check "attribute count is that peer's and nothing more ($attrs)" \
	test "$attrs" -eq $((6 + 4 * n_ips))
check "the changed peer has the new allowed IP" \
	bash -c "wg show wgsync allowed-ips | grep -F '$changed' | grep -q 172.31.0.1/32"

ip netns add oracle
ip -n oracle link add wgo type wireguard
ip netns exec oracle wg setconf wgo "$WGT_TMP/c1.wg"
ip netns exec oracle wg showconf wgo >"$WGT_TMP/oracle.conf"
wg showconf wgsync >"$WGT_TMP/agent.conf"
check_same "wgsync equals wg setconf of the same file" "$WGT_TMP/oracle.conf" "$WGT_TMP/agent.conf"

hs1=$(peer_field "$peerpub" 5)
rx1=$(peer_field "$peerpub" 6)
check "real peer: handshake untouched by the sync ($hs0 -> $hs1)" test "$hs1" -eq "$hs0"
check "real peer: rx counter not reset ($rx0 -> $rx1)" test "$rx1" -ge "$rx0"
check "real peer: tunnel still works" ip netns exec peer ping -c1 -W5 172.16.99.1
hs2=$(peer_field "$peerpub" 5)
rx2=$(peer_field "$peerpub" 6)
check "real peer: same session after the sync (no new handshake: $hs0 -> $hs2)" test "$hs2" -eq "$hs0"
check "real peer: counters kept growing ($rx1 -> $rx2)" test "$rx2" -gt "$rx1"

# ---------------------------------------------------------------- bad input changes nothing
sed 's/^ListenPort = .*/ListenPort = 99999/' "$WGT_TMP/c0.conf" >"$WGT_TMP/bad.conf"
check_fails "a bad config is refused" "ListenPort" wgagent sync -i wgsync "$WGT_TMP/bad.conf"
wg showconf wgsync >"$WGT_TMP/after-bad.conf"
check_same "a bad config changed nothing" "$WGT_TMP/agent.conf" "$WGT_TMP/after-bad.conf"

# ---------------------------------------------------------------- peers leave and come back
head -n -4 "$WGT_TMP/c1.conf" >"$WGT_TMP/c1-nopeer.conf"
check "sync without the real peer" agent sync --stats -i wgsync "$WGT_TMP/c1-nopeer.conf"
expect_stats "one peer removed, nothing else" peers_removed=1 peers_changed=0 peers_added=0 \
	wg_messages=1 wg_peers=1
check "the real peer is gone" bash -c "! wg show wgsync peers | grep -qF '$peerpub'"
check "sync with the real peer again" agent sync --stats -i wgsync "$WGT_TMP/c1.conf"
expect_stats "one peer added, nothing else" peers_added=1 peers_removed=0 peers_changed=0 \
	wg_messages=1 wg_peers=1
# The new peer object has no session: this side starts a handshake at once.
check "real peer: a new handshake after it came back" ping -c1 -W5 172.16.99.2

check "the public key file" bash -c "[[ \$(cat /run/wgagent/wgsync.pub) == \$(wg show wgsync public-key) ]]"
check "the public key is on the kernel log" bash -c "dmesg | grep -F 'wgagent: wgsync public key $mypub'"
# No `down` here: the kernel flushes a workqueue per peer when it deletes the link, which takes
# minutes with 10,000 peers under TCG (t-bigconfig.sh covers down); the guest powers off instead.

# ---------------------------------------------------------------- routes, addresses, MTU
k1=$(wg genkey | wg pubkey)
k2=$(wg genkey | wg pubkey)
k3=$(wg genkey | wg pubkey)
cat >/etc/wgagent/wgr.conf <<EOF
[Interface]
ListenPort = 51830
Address = 172.20.0.1/24

[Peer]
PublicKey = $k1
AllowedIPs = 172.21.1.0/24, 172.21.2.0/24

[Peer]
PublicKey = $k2
AllowedIPs = 172.22.0.0/16, fd22::/64
EOF
check "sync wgr from /etc/wgagent (key made on first use)" agent sync --stats wgr
check "the generated key is 0600" bash -c '[[ $(stat -c %a /var/lib/wgagent/wgr.key) == 600 ]]'
routes() {
	{ ip -4 route show table all proto 87; ip -6 route show table all proto 87; } |
		sed 's/ *$//' | sort
}
routes >"$WGT_TMP/r1"
printf '%s\n' '172.21.1.0/24 dev wgr scope link' '172.21.2.0/24 dev wgr scope link' \
	'172.22.0.0/16 dev wgr scope link' 'fd22::/64 dev wgr metric 1024 pref medium' |
	sort >"$WGT_TMP/r1.want"
check_same "routes with protocol 87" "$WGT_TMP/r1.want" "$WGT_TMP/r1"
ip route add 172.23.0.0/16 dev wgr proto static
check "mtu 1420 by default" bash -c '[[ $(cat /sys/class/net/wgr/mtu) == 1420 ]]'

sed -i -e 's|^AllowedIPs = 172.21.1.0/24, 172.21.2.0/24|AllowedIPs = 172.21.1.0/24, 172.21.3.0/24|' \
	-e 's|^Address = 172.20.0.1/24|Address = 172.20.0.1/24, 172.20.1.1/24\nMTU = 1380|' \
	/etc/wgagent/wgr.conf
check "sync wgr after a change" agent sync --stats wgr
expect_stats "one route in, one out, one address, MTU" routes_added=1 routes_removed=1 \
	addrs_added=1 addrs_removed=0 mtu_set=1380 peers_changed=1 wg_peers=1
routes >"$WGT_TMP/r2"
sed 's/172.21.2.0/172.21.3.0/' "$WGT_TMP/r1.want" | sort >"$WGT_TMP/r2.want"
check_same "routes follow AllowedIPs" "$WGT_TMP/r2.want" "$WGT_TMP/r2"
check "a route of someone else's stays" bash -c 'ip route show proto static | grep -q "^172.23.0.0/16 dev wgr"'
check "both addresses" bash -c 'ip -4 addr show dev wgr | grep -q 172.20.0.1/24 && ip -4 addr show dev wgr | grep -q 172.20.1.1/24'
check "MTU 1380" bash -c '[[ $(cat /sys/class/net/wgr/mtu) == 1380 ]]'

printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 0.0.0.0/0\n' "$k3" >>/etc/wgagent/wgr.conf
check "sync wgr into a full tunnel" agent sync --stats wgr
check "default route in table 51820" bash -c 'ip route show table 51820 proto 87 | grep -q "^default dev wgr"'
check "fwmark rule" bash -c 'ip rule | grep -q "not from all fwmark 0xca6c lookup 51820"'
check "suppress_prefixlength rule" bash -c 'ip rule | grep -q "lookup main suppress_prefixlength 0"'
check "fwmark set on the device" bash -c '[[ $(wg show wgr fwmark) == 0xca6c ]]'
head -n -3 /etc/wgagent/wgr.conf >"$WGT_TMP/wgr.conf" && cp "$WGT_TMP/wgr.conf" /etc/wgagent/wgr.conf
check "sync wgr out of the full tunnel" agent sync --stats wgr
check "full-tunnel rules gone" bash -c '! ip rule | grep -q -e 51820 -e suppress_prefixlength'
check "table 51820 empty" bash -c '[[ -z $(ip route show table 51820) ]]'
check "wgagent down wgr" wgagent down wgr

# ---------------------------------------------------------------- no key material anywhere
dmesg >"$WGT_TMP/dmesg"
leaks=0
for k in "$mypriv" "$(cat /var/lib/wgagent/wgr.key)" "$(cat "$WGT_TMP/peer.key")"; do
	grep -qF -- "$k" "$all" "$WGT_TMP/dmesg" && leaks=$((leaks + 1))
done
check "no private key in any output or in the kernel log ($(wc -l <"$all") lines)" test "$leaks" -eq 0

finish
