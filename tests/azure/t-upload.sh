# SPDX-License-Identifier: MIT
# A sparse image into Azurite through the proxy; downloaded, it must be the VHD qemu-img
# makes, and only the non-zero data may travel, in Put Pages of at most 4 MiB.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

H mkimage std.raw standard
qemu_ref std.raw ref.vhd
nonzero=$(H nonzero ref.vhd)
note "non-zero data in the VHD (footer included): $nonzero bytes"

proxy reset
proxy config "rate=0&delay_ms=0"
wgb upload --json std.raw "$PX/vhds/std.vhd" >up.json 2>up.err
check "upload succeeds" test "$(H json status <up.json)" = uploaded
check "--json reports the data bytes" test "$(H json data_bytes <up.json)" = $((nonzero - 512))
BT download vhds/std.vhd dl.vhd
check "downloaded blob: same disk bytes and footer fields as qemu-img's VHD" same_vhd dl.vhd ref.vhd
check "downloaded blob: qemu-img compare" qemu-img compare -q -f vpc -F vpc dl.vhd ref.vhd
check "downloaded blob: qemu-img info says vpc, 49 MiB" \
	bash -c "qemu-img info -f vpc --output=json dl.vhd | grep -q '\"virtual-size\": 51380224,'"
wgb vhd std.raw local.vhd >/dev/null
check "the blob is byte for byte what 'wgbake vhd' writes" cmp dl.vhd local.vhd
put_bytes=$(pstat put_bytes)
note "bytes in Put Page bodies: $put_bytes (limit $((nonzero * 101 / 100)))"
check "bytes sent <= 1.01 x non-zero data" test "$put_bytes" -le $((nonzero * 101 / 100))
check "no Put Page over 4 MiB" test "$(pstat max_put)" -le 4194304
check "proxy saw no Put Page violation" test "$(pstat violations)" = "[]"
check "every Put Page carried a Content-MD5 (and the proxy checked it)" test "$(pstat md5_missing)" = 0
check "Put Pages carried Shared Key and x-ms-version >= 2017-11-09" \
	bash -c "grep '\"comp\": \"page\"' '$PROXY_LOG' | grep -v '\"auth\": \"SharedKey\"' | wc -l | grep -qx 0"
check "the state file is gone after success" test ! -e std.raw.wgbake-upload

proxy reset
wgb upload std.raw "$PX/vhds/std.vhd" >again.out 2>&1
check "a rerun finds the blob up to date" grep -q '^upload: unchanged' again.out
check "... and sends no page" test "$(pstat put_pages)" = 0
check "non-TTY: exactly one summary line" test "$(wc -l <again.out)" = 1

proxy reset
wgb upload --max-request 65536 --verify std.raw "$PX/vhds/small-req.vhd" >mr.out 2>&1
check "--max-request 64 KiB is obeyed" test "$(pstat max_put)" -le 65536
check "--verify reads everything back" grep -q 'verified everything' mr.out
BT download vhds/small-req.vhd mr.vhd
check "... same blob" cmp mr.vhd local.vhd

qemu-img convert -f raw -O qcow2 std.raw std.qcow2
wgb upload -j 3 std.qcow2 "$PX/vhds/q.vhd" >q.out 2>&1
BT download vhds/q.vhd q.vhd
check "qcow2 input uploads the same disk" same_vhd q.vhd ref.vhd

# The progress bar, on a pseudo-terminal.
script -qfec "'$WGBAKE' upload --overwrite std.raw '$PX/vhds/tty.vhd'" /dev/null >tty.out 2>&1
check "TTY: a progress bar with rate and ETA" grep -q 'ETA' tty.out
check "TTY: then the summary" grep -q 'upload: uploaded' tty.out

proxy reset
wgb upload -q std.raw "$PX/vhds/quiet.vhd" >quiet.out 2>&1
check "--quiet prints nothing" test ! -s quiet.out

# The proxy really enforces Azure's limit that Azurite lacks: a 4 MiB + 512 Put Page is refused.
proxy reset
head -c $((4 * 1024 * 1024 + 512)) /dev/urandom >big.bin
status=$(python3 "$HERE/blobtool.py" "$PX" put-page vhds/std.vhd 0 big.bin)
check "the proxy refuses a Put Page over 4 MiB (413)" test "$status" = 413
check "... and records it" test "$(pstat violations)" != "[]"

# A fixed VHD as input goes up as it is, its own footer included.
wgb upload -q ref.vhd "$PX/vhds/from-vhd.vhd"
BT download vhds/from-vhd.vhd fv.vhd
check "a fixed VHD input (qemu-img's) is uploaded byte for byte" cmp fv.vhd ref.vhd

# An image of nothing but zeros: only the footer travels.
truncate -s 5M zero.raw
proxy reset
wgb upload -q zero.raw "$PX/vhds/zero.vhd"
check "an all-zero image sends only the footer" test "$(pstat put_bytes)" = 512
qemu_ref zero.raw ref-zero.vhd
BT download vhds/zero.vhd zero.vhd
check "... and the blob is right" same_vhd zero.vhd ref-zero.vhd

# A 1 TiB sparse disk: holes are skipped by SEEK_DATA, not read, and only three pages travel.
truncate -s 1T huge.raw
printf 'start' | dd of=huge.raw bs=1 seek=1000 conv=notrunc status=none
printf 'end' | dd of=huge.raw bs=1 seek=$((1024 * 1024 * 1024 * 1024 - 4096)) conv=notrunc status=none
proxy reset
start=$(date +%s)
check "a 1 TiB sparse image uploads" timeout 120 "$WGBAKE" upload -q huge.raw "$PX/vhds/huge.vhd"
note "1 TiB sparse upload took $(($(date +%s) - start)) s"
check "... sending two data pages and the footer" test "$(pstat put_bytes)" = 1536
check "... which are exactly the blob's page ranges" \
	test "$(BT ranges vhds/huge.vhd)" = "[[512, 1024], [1099511623680, 1099511624192], [1099511627776, 1099511628288]]"
rm -f huge.raw
