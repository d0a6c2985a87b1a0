#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark: `wgagent sync` with 1 changed peer out of 10,000 against `wg syncconf` doing the
# same, on one interface in one guest. Each run flips the same peer's AllowedIPs (the data of
# tests/vm/t-sync.gen), so every run changes exactly one peer. Prints medians and the ratio.
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

runs=${WGT_BENCH_RUNS:-9}

# us_since T0: microseconds since an $EPOCHREALTIME value.
us_since() {
	local a=${1/./} b=${EPOCHREALTIME/./}
	echo $((10#$b - 10#$a))
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

wgagent sync -q --no-kmsg --state-dir /tmp/state -i wgsync /data/sync0.conf || {
	note "b-sync: wgagent sync could not create the interface"
	exit 1
}
note "b-sync: 10,000 peers, 1 changed per run, $runs runs each"

: >"$WGT_TMP/agent"
for ((i = 1; i <= runs; i++)); do
	t0=$EPOCHREALTIME
	wgagent sync -q --no-kmsg --state-dir /tmp/state -i wgsync /data/sync$((i % 2)).conf || exit 1
	us_since "$t0" >>"$WGT_TMP/agent"
done
: >"$WGT_TMP/wg"
for ((i = 1; i <= runs; i++)); do
	t0=$EPOCHREALTIME
	wg syncconf wgsync /data/sync$((i % 2)).wg || exit 1
	us_since "$t0" >>"$WGT_TMP/wg"
done
a=$(median <"$WGT_TMP/agent")
w=$(median <"$WGT_TMP/wg")
# What one agent run sent, for the record.
wgagent sync --stats --no-kmsg --state-dir /tmp/state -i wgsync /data/sync0.conf >"$WGT_TMP/stats"
note "$(printf '%-34s %10s\n' 'command' 'median ms')"
note "$(printf '%-34s %10.1f\n' 'wgagent sync (1 of 10000 changed)' "$(awk -v a="$a" 'BEGIN { print a / 1000 }')")"
note "$(printf '%-34s %10.1f\n' 'wg syncconf (1 of 10000 changed)' "$(awk -v a="$w" 'BEGIN { print a / 1000 }')")"
note "ratio wg syncconf / wgagent sync: $(awk -v a="$a" -v w="$w" 'BEGIN { printf "%.1fx", w / a }')"
note "agent runs (us): $(paste -s -d' ' "$WGT_TMP/agent")"
note "wg runs (us): $(paste -s -d' ' "$WGT_TMP/wg")"
note "one agent run sent: $(cut -d' ' -f2- "$WGT_TMP/stats")"
# What a whole-config SET of the same file costs in messages: wg syncconf sends every peer (it
# only leaves out REPLACE_PEERS), which is what the agent would build for an empty interface.
ip link add wgempty type wireguard
wgagent sync --dry-run --stats --no-kmsg --state-dir /tmp/state -i wgempty /data/sync1.conf \
	>"$WGT_TMP/full"
note "a whole-config SET (what wg syncconf sends): $(grep -o 'wg_messages=[0-9]* wg_bytes=[0-9]* wg_peers=[0-9]*' "$WGT_TMP/full")"
ip link del wgempty
finish
