# SPDX-License-Identifier: MIT
# kill -9 in the middle of an upload, then run it again: nothing the server acknowledged is
# sent twice (counted at the proxy), and the blob is byte-identical to qemu-img's VHD.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

H mkimage frag.raw fragmented
qemu_ref frag.raw ref.vhd

proxy reset
proxy config "rate=0&delay_ms=200"
"$WGBAKE" upload -j 2 --state "$WORK/up.state" frag.raw "$PX/vhds/resume.vhd" >run1.out 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	n=$(pstat put_pages_ok 2>/dev/null || echo 0)
	((n >= 40)) && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
proxy config "delay_ms=0"
for _ in $(seq 1 100); do
	[[ $(pstat inflight) == 0 ]] && break
	sleep 0.1
done
done1=$(pstat put_pages_ok)
note "killed after $done1 acknowledged Put Pages"
cp "$PROXY_LOG" run1.log
check "killed mid-upload (some but not all pages sent)" test "$done1" -ge 40 -a "$done1" -lt 150
check "the state file records completed ranges" grep -q '^done ' up.state

# A line the server contradicts: the state file is checked against Get Page Ranges.
echo "done $((159 * 131072)) 512" >>up.state
proxy reset
wgb upload -j 4 --state "$WORK/up.state" frag.raw "$PX/vhds/resume.vhd" >run2.out 2>&1
check "a state line the server contradicts is caught and re-sent" \
	grep -q 'bytes that the state file lists as sent are not in' run2.out
check "the rerun succeeds" grep -q '^upload: uploaded' run2.out
check "the rerun says it resumed" grep -q 'resum' run2.out
check "no acknowledged range was sent again" H resent run1.log "$PROXY_LOG"
note "$(H resent run1.log "$PROXY_LOG")"
BT download vhds/resume.vhd dl.vhd
check "the blob equals qemu-img's VHD (but for timestamp, creator, id)" same_vhd dl.vhd ref.vhd
check "qemu-img compare" qemu-img compare -q -f vpc -F vpc dl.vhd ref.vhd
check "the state file is removed" test ! -e up.state
nonzero=$(H nonzero ref.vhd)
total=$(($(H putstats run1.log | H json bytes) + $(pstat put_bytes)))
note "Put Page bytes over both runs: $total for $nonzero non-zero"
check "both runs together sent <= 1.01 x non-zero data" test "$total" -le $((nonzero * 101 / 100))

# Killed (here: failed) after the footer, before the metadata that marks the blob complete:
# the rerun finds every page on the server and sends none.
H mkimage small.raw small
qemu_ref small.raw ref-small.vhd
proxy reset
proxy config "rate=1&kinds=403&only=comp:metadata"
check_fails "a failure at the very end is reported" "setting blob metadata: PUT .* failed: HTTP 403" \
	wgb upload --state "$WORK/late.state" small.raw "$PX/vhds/late.vhd"
proxy config "rate=0&only=put"
check "... the state file stays" test -s late.state
proxy reset
wgb upload --state "$WORK/late.state" small.raw "$PX/vhds/late.vhd" >late.out 2>&1
check "... the rerun completes it" grep -q '^upload: uploaded' late.out
check "... sending no page at all, not even the footer" test "$(pstat put_pages)" = 0
BT download vhds/late.vhd late.vhd
check "... and the blob is right" same_vhd late.vhd ref-small.vhd

# A state file cannot talk wgbake into resuming over a blob that holds another image.
proxy reset
id=$(BT props vhds/resume.vhd | H json x-ms-meta-wgbakeupload)
digest=$(wgb upload --json --state "$WORK/probe.state" small.raw "$PX/vhds/probe-small.vhd" | H json digest)
printf 'wgbake-upload-state 1\nblob %s\nblob-size %s\ndigest %s\nupload-id %s\n' \
	"$PX/vhds/resume.vhd" 4194816 "$digest" "$id" >forged.state
check_fails "a forged state file does not make it resume over other content" \
	"already exists and holds something else" \
	wgb upload --state "$WORK/forged.state" small.raw "$PX/vhds/resume.vhd"
BT download vhds/resume.vhd after.vhd
check "... and the blob is untouched" cmp after.vhd dl.vhd
