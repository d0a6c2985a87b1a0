# SPDX-License-Identifier: MIT
# The same upload with at least 10% of requests faulted: 503, 500 (applied, then failed),
# 429 with Retry-After, connection resets and slow answers.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

H mkimage std.raw standard
qemu_ref std.raw ref.vhd

proxy reset
proxy config "rate=0.2&kinds=503,500,429,reset,reset-late,slow&only=all&seed=11&delay_ms=0"
wgb upload --retry-delay 50 --retries 12 --max-request 262144 -j 6 --json std.raw \
	"$PX/vhds/faulty.vhd" >up.json 2>up.err
proxy config "rate=0"
stats=$(proxy stats)
requests=$(H json requests <<<"$stats")
faulted=$(H json faulted <<<"$stats")
note "proxy: $requests requests, $faulted faulted: $(H json faults <<<"$stats")"
check "upload through faults succeeds" test "$(H json status <up.json 2>/dev/null)" = uploaded
check "at least 10% of requests were faulted" test $((faulted * 10)) -ge "$requests"
for k in 503 500 429 reset reset-late slow; do
	check "fault '$k' was injected" test "$(H json "faults.$k" <<<"$stats" 2>/dev/null || echo 0)" -gt 0
done
BT download vhds/faulty.vhd dl.vhd
check "downloaded blob equals qemu-img's VHD (but for timestamp, creator, id)" same_vhd dl.vhd ref.vhd
check "no Put Page over 4 MiB" test "$(H json max_put <<<"$stats")" -le 4194304
check "no Put Page violation" test "$(H json violations <<<"$stats")" = "[]"
check "every Put Page carried Content-MD5" test "$(H json md5_missing <<<"$stats")" = 0
# Retry-After: 1 must hold back the retry of that request for a second.
check "Retry-After is honoured" python3 - "$PROXY_LOG" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = 0
for i, e in enumerate(log):
    if e["status"] != 429 or not e["range"] or e["comp"] != "page":
        continue
    later = [f for f in log[i + 1:] if f["range"] == e["range"] and f["comp"] == "page"]
    if later and later[0]["t"] - e["t"] < 0.9:
        bad += 1
        print("retried after", later[0]["t"] - e["t"], "s:", e["range"])
sys.exit(1 if bad else 0)
PY
