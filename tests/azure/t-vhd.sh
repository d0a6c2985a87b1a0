# SPDX-License-Identifier: MIT
# wgbake vhd against its oracles: qemu-img info and compare, and qemu-img's own conversion.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u

H mkimage std.raw standard
H mkimage small.raw small
qemu_ref std.raw ref.vhd
qemu_ref small.raw ref-small.vhd

wgb vhd std.raw ours.vhd >vhd.out 2>vhd.err
check "wgbake vhd succeeds" test -s ours.vhd
check "one summary line" test "$(wc -l <vhd.out)" = 1
info=$(qemu-img info -f vpc --output=json ours.vhd)
check "qemu-img info: format vpc" grep -q '"format": "vpc"' <<<"$info"
check "qemu-img info: virtual size rounded up to 49 MiB" grep -q '"virtual-size": 51380224,' <<<"$info"
check "qemu-img compare with qemu-img's own VHD" qemu-img compare -q -f vpc -F vpc ours.vhd ref.vhd
check "byte-identical disk, same footer but timestamp/creator/unique id" same_vhd ours.vhd ref.vhd
check "CHS geometry per the VHD spec" H geometry ours.vhd
check "output is sparse" test "$(du -k ours.vhd | cut -f1)" -lt 20000

wgb vhd small.raw small.vhd >/dev/null
check "small image: rounds 3 MiB + 3584 up to 4 MiB" \
	bash -c "qemu-img info -f vpc --output=json small.vhd | grep -q '\"virtual-size\": 4194304,'"
check "small image: same as qemu-img" same_vhd small.vhd ref-small.vhd

# 17 MiB is one of the sizes whose spec CHS multiplies out exactly (512/4/17): then the
# spec geometry goes in, and qemu (which trusts CHS for unknown creators) still sees 17 MiB.
truncate -s 17M s17.raw
printf 'x' | dd of=s17.raw bs=1 seek=5000 conv=notrunc status=none
wgb vhd s17.raw s17.vhd >/dev/null
qemu_ref s17.raw ref17.vhd
check "17 MiB: spec geometry" H geometry s17.vhd
check "17 MiB: qemu-img info says 17 MiB" \
	bash -c "qemu-img info -f vpc --output=json s17.vhd | grep -q '\"virtual-size\": 17825792,'"
check "17 MiB: footer fields but geometry match qemu-img's" H footer s17.vhd ref17.vhd --skip geometry
check "17 MiB: qemu-img compare" qemu-img compare -q -f vpc -F vpc s17.vhd ref17.vhd

qemu-img convert -f raw -O qcow2 std.raw std.qcow2
wgb vhd std.qcow2 q.vhd >q.out
check "qcow2 input is detected" grep -q '(qcow2)' q.out
check "qcow2 input: same as qemu-img's VHD of the raw image" same_vhd q.vhd ref.vhd

for f in vhdx vmdk; do
	qemu-img convert -f raw -O $f std.raw std.$f
	wgb vhd std.$f from-$f.vhd >from-$f.out
	check "$f input is detected" grep -q "($f)" from-$f.out
	check "$f input: same as qemu-img's VHD of the raw image" same_vhd from-$f.vhd ref.vhd
done
qemu-img convert -f raw -O vpc std.raw std-dynamic.vhd
wgb vhd std-dynamic.vhd from-dyn.vhd >from-dyn.out
check "a dynamic VHD is detected" grep -q '(vhd, dynamic)' from-dyn.out
check "dynamic VHD input: same as qemu-img's fixed VHD" same_vhd from-dyn.vhd ref.vhd
# A fixed VHD that is not a whole number of MiB (qemu-img without force_size rounds to CHS).
qemu-img convert -f raw -O vpc -o subformat=fixed small.raw chs.vhd
wgb vhd chs.vhd from-chs.vhd >/dev/null
check "an unaligned fixed VHD is rounded up to a whole MiB" \
	bash -c "qemu-img info -f vpc --output=json from-chs.vhd | grep -q '\"virtual-size\": 4194304,'"
check "... keeping its data" qemu-img compare -q -f vpc -F vpc from-chs.vhd ref-small.vhd

wgb vhd ref.vhd again.vhd >/dev/null
check "a fixed VHD input passes through unchanged" cmp ref.vhd again.vhd
wgb vhd std.raw ours2.vhd >/dev/null
check "reruns give identical bytes" cmp ours.vhd ours2.vhd

json=$(wgb vhd --json small.raw j.vhd)
check "--json" bash -c "H() { python3 '$HERE/helpers.py' \"\$@\"; }; test \"\$(H json virtual_size <<<'$json')\" = 4194304"

truncate -s 1000001 odd.raw
check_fails "size not a multiple of 512" "size 1000001 is not a multiple of 512" wgb vhd odd.raw x.vhd
check_fails "missing image" "cannot open image 'nope.raw': No such file" wgb vhd nope.raw x.vhd
mkdir -p adir
check_fails "a directory" "is not a file or a block device" wgb vhd adir x.vhd
: >empty.raw
check_fails "empty image" "is empty" wgb vhd empty.raw x.vhd
cp small.raw secret.raw
chmod 600 secret.raw
check_fails "unreadable image" "cannot open image '.*secret.raw': Permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$WGBAKE" vhd "$PWD/secret.raw" /tmp/x.vhd
check_fails "bad format name" "unknown format 'vdi'" wgb vhd -f vdi std.raw x.vhd
check_fails "qcow2 forced on a raw file" "qemu-img could not convert it" wgb vhd -f qcow2 small.raw x.vhd
check_fails "vhd forced on a raw file" "has no valid VHD footer" wgb vhd -f vhd small.raw x.vhd

# A 1 TiB sparse input: holes are found with SEEK_DATA, not read.
truncate -s 1T huge.raw
printf 'x' | dd of=huge.raw bs=1 seek=123456789 conv=notrunc status=none
start=$(date +%s)
check "1 TiB sparse image: done quickly" timeout 30 "$WGBAKE" vhd -q huge.raw huge.vhd
check "... qemu-img info says 1 TiB" \
	bash -c "qemu-img info -f vpc --output=json huge.vhd | grep -q '\"virtual-size\": 1099511627776,'"
check "... the output stays sparse" test "$(du -k huge.vhd | cut -f1)" -lt 1024
note "1 TiB sparse vhd took $(($(date +%s) - start)) s"
rm -f huge.raw huge.vhd
