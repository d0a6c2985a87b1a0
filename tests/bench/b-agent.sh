#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark (never pass/fail; `make bench`, i.e. tests/vm/run-suite.sh --bench, release agent):
# in one guest, in the same run,
#   (a) a 1-peer config: `wgagent up` + `down` against `wg-quick up` + `down`, the same file,
#       runs interleaved; medians of the up (and down) step, and the ratio;
#   (b) 10,000 peers (b-agent.gen): `wgagent up` (Table = off) against `ip link add` +
#       `wg setconf` + `ip link set up` on a fresh link (the same end state); medians, ratio.
# Timing is bash's $EPOCHREALTIME around each command. Under TCG (no KVM) every number is
# several times what real hardware shows; the ratios are what to compare.
# WGT_BENCH_RUNS / WGT_BENCH_BIG_RUNS override the run counts (15 and 5).
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

runs=${WGT_BENCH_RUNS:-15}
big_runs=${WGT_BENCH_BIG_RUNS:-5}

us_since() {
	local a=${1/./} b=${EPOCHREALTIME/./}
	echo $((10#$b - 10#$a))
}

# stats US...: "median min max" in ms.
stats() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.1f %.1f %.1f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}

row() {
	local label=$1 med lo hi
	shift
	read -r med lo hi < <(stats "$@")
	printf '%-34s %9s ms   (%s - %s)' "$label" "$med" "$lo" "$hi"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
}

median_ms() {
	stats "$@" | cut -d' ' -f1
}

failed_step() {
	note "!! $1 failed (exit $2); output:"
	note - <"$WGT_TMP/step.out"
	not_ok "${3:-bench}" "$1 failed"
	finish
}

note "wgagent benchmark: $(wgagent --version 2>&1 | head -n1), kernel $(uname -r)," \
	"$(nproc) vCPUs, ${WGT_ACCEL:-unknown accel}"

# ---------------------------------------------------------------- (a) one peer
# An underlay, so the endpoint has a route (wg-quick asks `ip route get` for its MTU).
ip link add v1 type veth peer name v2
ip addr add 192.0.2.1/24 dev v1
ip link set v1 up
ip link set v2 up
umask 077
cat >/tmp/wgb.conf <<EOF
[Interface]
PrivateKey = $(wg genkey)
ListenPort = 51820
Address = 10.9.0.1/24, fd09::1/64

[Peer]
PublicKey = $(wg genkey | wg pubkey)
AllowedIPs = 10.9.0.2/32, fd09::2/128, 10.99.2.0/24, fd99:2::/64
Endpoint = 192.0.2.2:51820
EOF

# One untimed round of each first: page cache, and proof that both work here.
wgagent up /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent up /tmp/wgb.conf" $?
ip route show dev wgb >"$WGT_TMP/agent.routes"
wgagent down wgb >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent down wgb" $?
wg-quick up /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wg-quick up /tmp/wgb.conf" $?
wg show wgb >/dev/null 2>&1 || failed_step "wg show wgb after wg-quick up" 1
ip route show dev wgb >"$WGT_TMP/quick.routes"
wg-quick down /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wg-quick down /tmp/wgb.conf" $?

a_up=() a_down=() q_up=() q_down=()
for ((i = 0; i < runs; i++)); do
	t0=$EPOCHREALTIME
	wgagent up /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent up" $?
	a_up+=("$(us_since "$t0")")
	t0=$EPOCHREALTIME
	wgagent down wgb >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent down" $?
	a_down+=("$(us_since "$t0")")
	t0=$EPOCHREALTIME
	wg-quick up /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wg-quick up" $?
	q_up+=("$(us_since "$t0")")
	t0=$EPOCHREALTIME
	wg-quick down /tmp/wgb.conf >"$WGT_TMP/step.out" 2>&1 || failed_step "wg-quick down" $?
	q_down+=("$(us_since "$t0")")
done

note ""
note "(a) 1 peer, 2 addresses, 4 AllowedIPs; $runs runs each, interleaved; median (min - max)"
note "$(row "wgagent up" "${a_up[@]}")"
note "$(row "wg-quick up" "${q_up[@]}")"
note "$(row "wgagent down" "${a_down[@]}")"
note "$(row "wg-quick down" "${q_down[@]}")"
note "up:   wg-quick / wgagent = $(ratio "$(median_ms "${q_up[@]}")" "$(median_ms "${a_up[@]}")")"
note "down: wg-quick / wgagent = $(ratio "$(median_ms "${q_down[@]}")" "$(median_ms "${a_down[@]}")")"
if ! cmp -s <(sort "$WGT_TMP/agent.routes") <(sort "$WGT_TMP/quick.routes"); then
	note "note: the two made different routes:"
	note "  wgagent:  $(paste -s -d';' "$WGT_TMP/agent.routes")"
	note "  wg-quick: $(paste -s -d';' "$WGT_TMP/quick.routes")"
fi
ip link del v1

# ---------------------------------------------------------------- (b) 10,000 peers
big=/data/wgbig.conf
npeers=$(grep -c '^\[Peer\]' "$big")
b_agent=() b_wg=() b_agent_down=()
for ((i = 0; i < big_runs; i++)); do
	t0=$EPOCHREALTIME
	wgagent up "$big" >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent up $big" $?
	b_agent+=("$(us_since "$t0")")
	if ((i == 0)); then
		n=$(wg show wgbig peers | wc -l)
		((n == npeers)) || note "!! wgagent up made $n peers, not $npeers"
	fi
	t0=$EPOCHREALTIME
	wgagent down wgbig >"$WGT_TMP/step.out" 2>&1 || failed_step "wgagent down wgbig" $?
	b_agent_down+=("$(us_since "$t0")")

	t0=$EPOCHREALTIME
	# Up as well: bringing a link up starts the handshakes of peers with a keepalive, work
	# the kernel does for both paths.
	{ ip link add wgset type wireguard && wg setconf wgset /data/wgbig.expected &&
		ip link set wgset up; } \
		>"$WGT_TMP/step.out" 2>&1 || failed_step "ip link add + wg setconf + ip link set up" $?
	b_wg+=("$(us_since "$t0")")
	ip link del wgset
done

note ""
note "(b) $npeers peers, $(grep '^AllowedIPs = ' "$big" | tr ',' '\n' | wc -l) AllowedIPs; $big_runs runs each; median (min - max)"
note "$(row "wgagent up (Table = off)" "${b_agent[@]}")"
note "$(row "ip link add + wg setconf + up" "${b_wg[@]}")"
note "$(row "wgagent down" "${b_agent_down[@]}")"
note "up: (ip link add + wg setconf + up) / wgagent up = $(ratio "$(median_ms "${b_wg[@]}")" "$(median_ms "${b_agent[@]}")")"

ok "bench"
finish
