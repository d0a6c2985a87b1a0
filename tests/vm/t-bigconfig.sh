#!/bin/bash
# SPDX-License-Identifier: MIT
#
# 10,000 peers (20 of them with 300 prefixes each) through wgagent, checked against the kernel
# as `wg` reads it. The config is made on the host by t-bigconfig.gen (gen-peers.py) in exactly
# the format `wg showconf` prints, plus "Table = off" for wgagent.
# shellcheck source=tests/vm/lib.sh disable=SC2016 # bash -c '...' expands in the child
. /tests/lib.sh

conf=/data/wgbig.conf
want=/data/wgbig.expected

check "input has 10000 peers" bash -c "[[ \$(grep -c '^\[Peer\]' $want) == 10000 ]]"

# The oracle first: wg itself must give back what it was given, or the comparisons below
# would prove nothing.
ip link add wgoracle type wireguard
check "oracle - wg setconf takes the config" wg setconf wgoracle "$want"
wg showconf wgoracle >"$WGT_TMP/oracle.conf"
check_same "oracle - wg showconf gives the config back" "$want" "$WGT_TMP/oracle.conf"
ip link del wgoracle

t0=$EPOCHREALTIME
if check "wgagent up (10000 peers)" wgagent up "$conf"; then
	note "wgagent up with 10000 peers: $(ms_since "$t0") ms"
	wg showconf wgbig >"$WGT_TMP/showconf" 2>&1
	check_same "wg showconf wgbig equals the input" "$want" "$WGT_TMP/showconf"
	check_dump "wgagent show --dump --show-keys equals wg show dump" wgbig
	check_dump_hidden "wgagent show --dump hides the keys" wgbig
	check "Table = off adds no routes" bash -c '
		r=$({ ip -4 route show table all dev wgbig; ip -6 route show table all dev wgbig; } |
			grep -v "proto kernel" | grep -Ev "^(local|multicast|broadcast) ")
		[[ -z $r ]] || { echo "unexpected: $r"; exit 1; }'
	t0=$EPOCHREALTIME
	check "wgagent down wgbig" wgagent down wgbig
	note "wgagent down with 10000 peers: $(ms_since "$t0") ms"
	check "wgbig is gone" bash -c '! ip link show wgbig'
fi

finish
