#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Makes a small bootable Debian 12 cloud image, laid out like Debian's own cloud images:
#
#   GPT disk (2 GiB virtual, sparse raw)
#     1  BIOS boot partition (1 MiB, GRUB's core.img for BIOS boot)
#     2  EFI system partition (127 MiB, vfat, GRUB at the removable path \EFI\BOOT\BOOTX64.EFI)
#     3  root, ext4 (the rest; last, so wgbake can grow it)
#
#   systemd, udev, kmod, linux-image-amd64, grub-efi-amd64 + grub-pc-bin (UEFI and BIOS),
#   cloud-init (NoCloud, Azure and the other default datasources), openssh-server,
#   systemd-networkd; serial console on ttyS0; no swap.
#
# The packages come from the machine's configured Debian mirror, read from
# /etc/apt/sources.list.d/debian.sources (or /etc/apt/sources.list); nothing else is
# fetched. The result is cached: a second run with the same script prints the path at once.
#
# Usage: images/make-debian-base.sh [-o OUTPUT] [--cache DIR] [--force]
#   prints the image's path on stdout. Needs root (debootstrap), debootstrap, e2fsprogs,
#   dosfstools, mtools, gdisk and libguestfs-tools (GRUB is installed from inside a libguestfs
#   appliance, so no loop devices or mounts are needed on the host).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${WGBAKE_CACHE:-$top/.cache}
out=
force=no
SUITE=bookworm
SIZE_MIB=2048
ESP_MIB=127

while [[ $# -gt 0 ]]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--force) force=yes; shift ;;
	-h | --help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "make-debian-base: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

say() { printf 'make-debian-base: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The cache key covers this script, so changing the recipe rebuilds the image.
key=$(sha256sum "$0" | cut -c1-16)
mkdir -p "$cache/images"
cached=$cache/images/debian-12-base-$key.raw
out=${out:-$cached}

if [[ $force == no && -s $cached ]]; then
	ln -sfn "$(basename "$cached")" "$cache/images/debian-12-base.raw"
	[[ $out == "$cached" ]] || cp --sparse=always "$cached" "$out"
	echo "$out"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "needs root (debootstrap)"
for t in debootstrap mkfs.ext4 mkfs.vfat mcopy sgdisk guestfish; do
	command -v "$t" >/dev/null || die "'$t' is missing: run 'make deps'"
done

# ---------------------------------------------------------------- mirror
mirror() {
	local f=/etc/apt/sources.list.d/debian.sources m=
	if [[ -r $f ]]; then
		# deb822: the URIs of the first stanza whose Suites names $SUITE (not -security).
		m=$(awk -v suite="$SUITE" '
			/^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
			END { if (uri != "" && ok) print uri }' "$f" | head -n1)
	fi
	if [[ -z $m && -r /etc/apt/sources.list ]]; then
		m=$(awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' \
			/etc/apt/sources.list)
	fi
	[[ -n $m ]] || die "no Debian mirror for '$SUITE' in /etc/apt/sources.list.d/debian.sources"
	echo "$m"
}
MIRROR=$(mirror)
say "mirror $MIRROR"
# The security archive as this machine names it (a stanza whose Suites has SUITE-security):
# the image's apt gets it too, so `packages.updates` picks up security fixes.
SECURITY=$(awk -v suite="$SUITE-security" '
	/^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
	tolower($1) == "uris:" { uri = $2 }
	tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
	END { if (uri != "" && ok) print uri }' /etc/apt/sources.list.d/debian.sources 2>/dev/null |
	head -n1)

work=$(mktemp -d "$cache/images/.make-base.XXXXXX")
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
root=$work/root
# The assembled disk before GRUB, kept so a failure in the last step costs seconds.
stage1=$cache/images/.stage1-$key.raw

start=$(date +%s)
if [[ ! -s $stage1 ]]; then
# ---------------------------------------------------------------- debootstrap
# debootstrap installs the small base; the kernel, GRUB and cloud-init (whose Python
# packages don't configure inside debootstrap's bare chroot) come from apt in the chroot.
BASE=systemd,systemd-sysv,udev,kmod,dbus,iproute2,iputils-ping,netbase,ca-certificates
EXTRA="linux-image-amd64 initramfs-tools grub-efi-amd64 grub-pc-bin cloud-init openssh-server
	isc-dhcp-client sudo"
say "debootstrap $SUITE (minbase + systemd, udev, kmod)"
start=$(date +%s)
debootstrap --variant=minbase --include="$BASE" "$SUITE" "$root" "$MIRROR" \
	>"$work/debootstrap.log" 2>&1 || {
	cp "$work/debootstrap.log" "$cache/images/make-base-failure.log"
	tail -n 30 "$work/debootstrap.log" >&2
	die "debootstrap failed (log: $cache/images/make-base-failure.log)"
}
say "debootstrap took $(($(date +%s) - start)) s"

mounted=()
cleanup() {
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null; done
	rm -rf --one-file-system "$work"
}
for m in proc sys dev dev/pts; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sys "$root/sys" ;;
	*) mount --bind "/$m" "$root/$m" ;;
	esac
	mounted+=("$root/$m")
done
# Nothing may start services in the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# Initramfs: gzip so that tools (and wgbake lint) read it without zstd; "most" drivers so
# the Hyper-V storage and network drivers are there for Azure.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'COMPRESS=gzip\nMODULES=most\n' >"$root/etc/initramfs-tools/conf.d/wgbake.conf"
say "apt-get install in the chroot: $(echo $EXTRA)"
# shellcheck disable=SC2086 # the list is split on purpose
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $EXTRA >"$work/apt.log" 2>&1 || {
	cp "$work/apt.log" "$cache/images/make-base-failure.log"
	tail -n 30 "$work/apt.log" >&2
	die "apt-get install in the chroot failed (log: $cache/images/make-base-failure.log)"
}
rm -f "$root/usr/sbin/policy-rc.d"
say "packages installed after $(($(date +%s) - start)) s"

# ---------------------------------------------------------------- configure
ROOT_UUID=$(cat /proc/sys/kernel/random/uuid)
ESP_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ' | tr a-f A-F)
ESP_UUID=${ESP_ID:0:4}-${ESP_ID:4:4}

cat >"$root/etc/fstab" <<EOF
# <file system>	<mount point>	<type>	<options>	<dump>	<pass>
UUID=$ROOT_UUID	/	ext4	rw,discard,errors=remount-ro	0	1
UUID=$ESP_UUID	/boot/efi	vfat	umask=0077	0	1
EOF
mkdir -p "$root/boot/efi"
echo localhost >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
if [[ -n $SECURITY ]]; then
	cat >>"$root/etc/apt/sources.list.d/debian.sources" <<EOF

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
: >"$root/etc/apt/sources.list"

# Serial console first (Azure's serial console and the tests read ttyS0), like Debian's images.
cat >"$root/etc/default/grub" <<'EOF'
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_TIMEOUT_STYLE=menu
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8 earlyprintk=ttyS0,115200 rootdelay=30"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200"
GRUB_DISABLE_OS_PROBER=true
EOF

# Networking as Debian's cloud images do it on bookworm: cloud-init renders to networkd.
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot "$root" systemctl enable systemd-resolved.service >/dev/null 2>&1 || true
chroot "$root" systemctl disable systemd-networkd-wait-online.service >/dev/null 2>&1 || true
cat >"$root/etc/cloud/cloud.cfg.d/01_debian_cloud.cfg" <<'EOF'
# Debian cloud image defaults (as in Debian's own images): no datasource_list restriction,
# so ds-identify finds NoCloud (a "cidata" volume) here and Azure on Azure.
system_info:
  default_user:
    name: debian
EOF

# The image is a template: no machine identity, no host keys, no root password.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
chroot "$root" passwd -l root >/dev/null
chroot "$root" apt-get clean
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
mounted=()
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/tmp/* "$root/var/cache/debconf/"*-old

# ---------------------------------------------------------------- disk
say "assembling the GPT disk"
esp=$work/esp.img rootfs=$work/root.img disk=$work/disk.raw
ROOT_START=$((1 + 1 + ESP_MIB))            # MiB: 1 MiB gap, 1 MiB BIOS boot, ESP
ROOT_MIB=$((SIZE_MIB - ROOT_START - 1))    # 1 MiB left for the backup GPT
truncate -s "${ESP_MIB}M" "$esp"
mkfs.vfat -F 32 -n ESP -i "$ESP_ID" "$esp" >/dev/null
truncate -s "${ROOT_MIB}M" "$rootfs"
# mkfs.ext4 -d copies the tree with owners, modes, xattrs and device nodes; no mount needed.
mkfs.ext4 -q -F -L root -U "$ROOT_UUID" -d "$root" -E root_owner=0:0 "$rootfs"
truncate -s "${SIZE_MIB}M" "$disk"
sgdisk \
	-n 1:1M:+1M -t 1:EF02 -c 1:bios \
	-n 2:2M:+${ESP_MIB}M -t 2:EF00 -c 2:esp \
	-n "3:${ROOT_START}M:+${ROOT_MIB}M" -t 3:8304 -c 3:root \
	"$disk" >/dev/null
dd if="$esp" of="$disk" bs=1M seek=2 conv=notrunc,sparse status=none
dd if="$rootfs" of="$disk" bs=1M seek="$ROOT_START" conv=notrunc,sparse status=none
rm -f "$esp" "$rootfs"

cp --sparse=always "$disk" "$stage1.tmp" && mv -f "$stage1.tmp" "$stage1"
fi
disk=$work/disk.raw
cp --sparse=always "$stage1" "$disk"

# ---------------------------------------------------------------- GRUB (inside an appliance)
say "installing GRUB for UEFI (removable path) and BIOS"
if [[ -z ${LIBGUESTFS_BACKEND_SETTINGS:-} ]] && ! "$top/tests/image/kvm-ok.sh" >/dev/null 2>&1; then
	export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
guestfish --rw --format=raw -a "$disk" >"$work/grub.log" 2>&1 <<'EOF' || { cat "$work/grub.log" >&2; die "GRUB installation failed"; }
run
mount /dev/sda3 /
mount /dev/sda2 /boot/efi
command "grub-install --target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram --no-floppy /dev/sda"
command "grub-install --target=i386-pc --no-floppy /dev/sda"
command "update-grub"
fstrim /
umount-all
EOF
grep -q 'console=ttyS0' "$work/grub.log" 2>/dev/null || true

mv -f "$disk" "$cached"
rm -f "$stage1"
# A stable name for specs (images/debian-12-local.json) and tests; older recipes' images go.
ln -sfn "$(basename "$cached")" "$cache/images/debian-12-base.raw"
for old in "$cache"/images/debian-12-base-*.raw "$cache"/images/.stage1-*.raw; do
	[[ $old == "$cached" ]] || rm -f "$old"
done
[[ $out == "$cached" ]] || cp --sparse=always "$cached" "$out"
say "done in $(($(date +%s) - start)) s: $cached"
echo "$out"
