#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Exits 0 when KVM really works here, 1 when only TCG does. /dev/kvm existing is not enough
# (on some hosts qemu aborts with -cpu host, or the guest hangs), so boot Debian's kernel with
# no root disk and wait for its panic: seconds with KVM. The answer is cached in
# $WGBAKE_CACHE/accel-image (delete it to probe again); WGBAKE_ACCEL=kvm|tcg skips the probe.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${WGBAKE_CACHE:-$top/.cache}
case ${WGBAKE_ACCEL:-} in
kvm) exit 0 ;;
tcg) exit 1 ;;
esac
f=$cache/accel-image
if [[ -s $f ]]; then
	[[ $(cat "$f") == kvm ]]
	exit
fi
answer=tcg
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
if [[ -r /dev/kvm && -w /dev/kvm && -n $kernel ]]; then
	out=$(mktemp)
	timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nographic -nodefaults \
		-no-reboot -serial stdio -kernel "$kernel" -append "console=ttyS0 panic=-1" \
		>"$out" 2>&1
	grep -q 'Kernel panic\|VFS: Unable' "$out" && answer=kvm
	rm -f "$out"
fi
mkdir -p "$cache"
echo "$answer" >"$f.tmp" && mv -f "$f.tmp" "$f"
[[ $answer == kvm ]]
