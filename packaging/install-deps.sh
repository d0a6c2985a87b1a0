#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs every Debian package that building, testing and the demo need, on a
# bare Debian 12 machine, as root. Idempotent: when everything is present it
# only checks, so `make check` can depend on it without touching the network.
set -eu

PACKAGES="
	build-essential pkg-config
	libmnl-dev libsodium-dev libjson-c-dev libcurl4-openssl-dev
	qemu-system-x86 qemu-utils linux-image-amd64
	busybox-static wireguard-tools iproute2 iputils-ping cpio kmod bash
	python3 curl nftables systemd
	libguestfs-dev libguestfs-tools debootstrap ovmf dosfstools mtools gdisk e2fsprogs
	cloud-init xz-utils
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing
