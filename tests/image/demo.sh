#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The image half of `make demo`: makes (or reuses) the local Debian 12 base, bakes
# images/debian-12-local.json with wgbake, then boots two VMs from the baked image through
# OVMF and GRUB and shows their WireGuard tunnel (tests/image/boot-pair.sh).
#
# Usage: tests/image/demo.sh [--wgbake BIN] [--agent BIN]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wgbake=$top/builder/wgbake
agent=$top/agent/wgagent
while (($#)); do
	case $1 in
	--wgbake) wgbake=$(readlink -f "$2"); shift 2 ;;
	--agent) agent=$(readlink -f "$2"); shift 2 ;;
	*) echo "demo: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
say() { printf '\n== %s\n' "$*"; }
if ! "$here/kvm-ok.sh"; then
	export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
cd "$top" || exit 1
say "local Debian 12 base (cached in .cache/images)"
images/make-debian-base.sh || exit 1
images/local-debs.sh "$agent" >/dev/null || exit 1
say "wgbake build images/debian-12-local.json"
out=build/demo-image
"$wgbake" build --agent "$agent" -o "$out" images/debian-12-local.json || exit 1
say "wgbake lint"
"$wgbake" lint "$out/debian-12-local-wg.qcow2"
say "two VMs from that image, OVMF + GRUB, one virtual network over a loopback socket"
"$here/boot-pair.sh" "$out/debian-12-local-wg.qcow2" build/demo-boot
rc=$?
say "what the VMs said on their serial consoles"
grep -a -h '^WGTEST' build/demo-boot/vm-a.console build/demo-boot/vm-b.console | tr -d '\r'
exit $rc
