#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Every config in tests/vm/bad-configs/ must make `wgagent up -i wgbad FILE` exit 1 with the
# expected text on stderr and leave no link behind:
#   NN-name.conf   first line "# expect: <substring>"
#   NN-name.json   with NN-name.expect holding the substring (its final newline is not part of it)
# Then a failure that only the kernel can report: a ListenPort another interface holds.
# shellcheck source=tests/vm/lib.sh disable=SC2016 # bash -c '...' expands in the child
. /tests/lib.sh

dir=/tests/bad-configs
n=0
for f in "$dir"/*.conf "$dir"/*.json; do
	[[ -f $f ]] || continue
	n=$((n + 1))
	base=${f##*/}
	case $f in
	*.conf)
		first=$(head -n1 "$f")
		first=${first%$'\r'}
		if [[ $first != '# expect: '* ]]; then
			not_ok "$base" "first line is not '# expect: <substring>'"
			continue
		fi
		want=${first#'# expect: '}
		;;
	*.json)
		if [[ ! -f ${f%.json}.expect ]]; then
			not_ok "$base" "no ${base%.json}.expect next to it"
			continue
		fi
		want=$(cat "${f%.json}.expect")
		;;
	esac
	if [[ -z $want ]]; then
		not_ok "$base" "empty expectation"
		continue
	fi
	rm -rf /tmp/bad-state
	wgagent up -i wgbad --state-dir /tmp/bad-state "$f" >/tmp/bad.out 2>/tmp/bad.err </dev/null
	rc=$?
	printf '+ wgagent up -i wgbad %s (exit %d)\n' "$base" "$rc"
	cat /tmp/bad.out /tmp/bad.err
	san=$(_wgt_sanitizer /tmp/bad.err)
	err=$(_wgt_last /tmp/bad.err 2)
	if ip link show wgbad >/dev/null 2>&1; then
		not_ok "$base" "link wgbad left behind (exit $rc: $err)"
		ip link del wgbad
	elif [[ -n $san ]]; then
		not_ok "$base" "sanitizer report: $(_wgt_oneline "$san")"
	elif ((rc != 1)); then
		not_ok "$base" "exit status $rc, expected 1 (stderr: $err)"
	elif ! grep -qF -- "$want" /tmp/bad.err; then
		not_ok "$base" "stderr lacks '$want': $err"
	elif ! grep -q '^wgagent: ' /tmp/bad.err; then
		not_ok "$base" "stderr has no 'wgagent: ' line: $err"
	else
		ok "$base"
	fi
done
((n > 0)) || not_ok "bad-configs" "no config in $dir"

# ---------------------------------------------------------------- apply-time failure
# The port is only bound while the link is up.
ip link add wgport type wireguard
wg genkey >/tmp/kport
wg set wgport listen-port 51999 private-key /tmp/kport
ip link set wgport up
check "wgport holds udp port 51999" bash -c '[[ $(wg show wgport listen-port) == 51999 ]]'
cat >/tmp/clash.conf <<EOF
[Interface]
PrivateKey = $(wg genkey)
ListenPort = 51999
Address = 10.9.8.1/24

[Peer]
PublicKey = $(wg genkey | wg pubkey)
AllowedIPs = 10.99.8.0/24
EOF
check_status "ListenPort in use: exit 1, kernel's EADDRINUSE" 1 "Address already in use" \
	wgagent up -i wgclash /tmp/clash.conf
check "ListenPort in use: no link wgclash left" bash -c '! ip link show wgclash'
check "ListenPort in use: no route left" bash -c '! ip route show table all | grep -q "10\.99\.8\."'
check "wgport untouched" bash -c '[[ $(wg show wgport listen-port) == 51999 ]]'
ip link del wgclash 2>/dev/null
ip link del wgport

finish
