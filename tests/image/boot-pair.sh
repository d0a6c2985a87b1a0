#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Boots two VMs from one baked image, as Azure Gen2 does: UEFI firmware (OVMF) and the
# image's own GRUB, no -kernel. They share one virtual Ethernet through a loopback socket
# (-netdev socket listen/connect on 127.0.0.1) and nothing else. Each gets its own NoCloud
# seed (a vfat volume labelled CIDATA) whose user-data writes /etc/wgagent/wg0.conf.
#
# Two phases, because each VM's key is made by wgagent at boot and never leaves the VM:
#   1. wgagent.service brings wg0 up at boot (no peer yet: the peer's key does not exist
#      before the peer boots). A runcmd script reports, on the serial console, the agent's
#      state, cloud-init's own schema check, and the public key (read with `wg`).
#   2. The host hands each VM its peer's *public* key through a second serial port; the
#      VM adds the [Peer] to its config, runs `wgagent sync` (the smallest change: the peer
#      is added to the running wg0; the key stays, it is kept in /var/lib/wgagent), and pings
#      the peer's tunnel address.
# The alternative — keys made on the host and put in the seeds — would test a config the
# product never uses (the private key travelling in user-data), so it is not done.
#
# Usage: boot-pair.sh IMAGE WORKDIR    prints "ok NAME" / "not ok NAME: why" lines and
# "# ..." notes; exit status 0 when every check passed.
set -uo pipefail
image=$1
w=$2
here=$(cd "$(dirname "$0")" && pwd)
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
TIMEOUT=${WGBAKE_BOOT_TIMEOUT:-600}
failed=0
ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; failed=1; }
note() { echo "# $*"; }

mkdir -p "$w"
rm -f "$w"/*.console "$w"/*.sock "$w"/*.qcow2 "$w"/*.fd "$w"/seed-*
if "$here/kvm-ok.sh"; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg,thread=multi -cpu max)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# ---------------------------------------------------------------- seeds
make_seed() { # name ip peer_ip peer_underlay mac
	local name=$1 ip=$2 tip=$3 ptip=$4 pip=$5 mac=$6 d=$w/seed-$1
	mkdir -p "$d"
	cat >"$d/meta-data" <<EOM
instance-id: $name-$(date +%s)
local-hostname: $name
EOM
	cat >"$d/network-config" <<EOM
version: 2
ethernets:
  lan0:
    match:
      macaddress: "$mac"
    addresses: [$ip/24]
EOM
	cat >"$d/user-data" <<EOM
#cloud-config
# wgagent's config for this VM: no PrivateKey, so wgagent makes one at first boot.
write_files:
  - path: /etc/wgagent/wg0.conf
    permissions: '0600'
    content: |
      [Interface]
      Address = $tip/24
      ListenPort = 51820
  - path: /usr/local/sbin/wgtest-phase2
    permissions: '0755'
    content: |
      #!/bin/sh
      # Reports on ttyS0; reads the peer's public key from ttyS1.
      out() { echo "WGTEST $name \$*" >/dev/ttyS0; }
      out agent \$(systemctl is-active wgagent.service)
      out link \$(cat /sys/class/net/wg0/operstate 2>/dev/null || echo missing)
      out module \$(grep -c '^wireguard ' /proc/modules)
      if cloud-init schema --system >/dev/null 2>&1; then out schema valid; else out schema invalid; fi
      stty -F /dev/ttyS1 raw -echo
      exec 3</dev/ttyS1
      out pubkey \$(wg show wg0 public-key)
      read -r peer <&3
      out got-peer
      printf '[Peer]\nPublicKey = %s\nAllowedIPs = $ptip/32\nEndpoint = $pip:51820\nPersistentKeepalive = 5\n' "\$peer" >>/etc/wgagent/wg0.conf
      wgagent sync -q /etc/wgagent/wg0.conf || out sync failed
      out pubkey2 \$(wg show wg0 public-key)
      i=0
      until ping -c 1 -W 2 $ptip >/dev/null 2>&1; do
        i=\$((i + 1)); [ \$i -lt 30 ] || break
      done
      if ping -c 3 -W 2 $ptip >/dev/null 2>&1; then out ping ok; else out ping failed; fi
      out handshake \$(wg show wg0 latest-handshakes | awk '{print \$2}')
      out done
runcmd:
  - [/usr/local/sbin/wgtest-phase2]
power_state:
  mode: poweroff
  timeout: 30
  condition: true
EOM
	mkfs.vfat -n CIDATA -C "$w/seed-$name.img" 2048 >/dev/null
	mcopy -i "$w/seed-$name.img" "$d/user-data" "$d/meta-data" "$d/network-config" ::
}
make_seed vm-a 192.168.77.1 10.99.0.1 10.99.0.2 192.168.77.2 52:54:00:77:00:01
make_seed vm-b 192.168.77.2 10.99.0.2 10.99.0.1 192.168.77.1 52:54:00:77:00:02
for v in vm-a vm-b; do
	if out=$(cloud-init schema --config-file "$w/seed-$v/user-data" 2>&1); then
		ok "$v user-data passes cloud-init schema (host)"
	else
		not_ok "$v user-data passes cloud-init schema (host)" "$(tail -n1 <<<"$out")"
	fi
done

# ---------------------------------------------------------------- boot
boot() { # name netdev mac
	local name=$1 net=$2 mac=$3
	qemu-img create -q -f qcow2 -F qcow2 -b "$(readlink -f "$image")" "$w/$name.qcow2"
	cp "$OVMF_VARS" "$w/$name-vars.fd"
	timeout "$TIMEOUT" qemu-system-x86_64 "${accel[@]}" -machine q35 -m 768 -smp 1 \
		-nodefaults -display none -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,file="$w/$name-vars.fd" \
		-drive file="$w/$name.qcow2",format=qcow2,if=virtio \
		-drive file="$w/seed-$name.img",format=raw,if=virtio,readonly=on \
		-chardev file,id=s0,path="$w/$name.console" -serial chardev:s0 \
		-chardev socket,id=s1,path="$w/$name.sock",server=on,wait=off -serial chardev:s1 \
		-netdev "$net" -device virtio-net-pci,netdev=n0,mac="$mac" \
		>"$w/$name.qemu.log" 2>&1 &
	echo $!
}
start=$(date +%s)
pid_a=$(boot vm-a "socket,id=n0,listen=127.0.0.1:$port" 52:54:00:77:00:01)
for _ in $(seq 50); do
	grep -q . "$w/vm-a.console" 2>/dev/null && break
	sleep 0.2
done
pid_b=$(boot vm-b "socket,id=n0,connect=127.0.0.1:$port" 52:54:00:77:00:02)
cleanup() { kill "$pid_a" "$pid_b" 2>/dev/null; }
trap cleanup EXIT

line() { grep -a -m1 "^WGTEST $1 $2" "$w/$1.console" 2>/dev/null | tr -d '\r' | cut -d' ' -f4-; }
wait_for() { # pattern-vm what seconds
	local t=0
	while ! grep -a -q "^WGTEST $1 $2" "$w/$1.console" 2>/dev/null; do
		kill -0 "$pid_a" 2>/dev/null || kill -0 "$pid_b" 2>/dev/null || return 1
		sleep 1
		t=$((t + 1))
		[[ $t -lt $3 ]] || return 1
	done
}

declare -A key
for v in vm-a vm-b; do
	if wait_for "$v" pubkey "$TIMEOUT"; then
		key[$v]=$(line "$v" pubkey)
		note "$v: wg0 up with its own key after $(($(date +%s) - start)) s"
	else
		key[$v]=
		not_ok "$v booted and reported its key" "no 'WGTEST $v pubkey' on the console (see $w/$v.console)"
	fi
done
grep -a -q 'EFI stub\|Booting from\|GRUB' "$w/vm-a.console" && note "vm-a: firmware and GRUB output seen on the serial console"
for v in vm-a vm-b; do
	[[ -n ${key[$v]} ]] || continue
	ok "$v booted through OVMF and GRUB and reported its key"
	[[ $(line "$v" agent) == active ]] && ok "$v wgagent.service active at boot" ||
		not_ok "$v wgagent.service active at boot" "$(line "$v" agent)"
	[[ $(line "$v" link) != missing && -n $(line "$v" link) ]] && ok "$v wg0 exists at boot" ||
		not_ok "$v wg0 exists at boot" "operstate '$(line "$v" link)'"
	[[ $(line "$v" module) == 1 ]] && ok "$v wireguard module loaded" ||
		not_ok "$v wireguard module loaded" "$(line "$v" module)"
	[[ $(line "$v" schema) == valid ]] && ok "$v cloud-init validates its user-data" ||
		not_ok "$v cloud-init validates its user-data" "$(line "$v" schema)"
	[[ ${key[$v]} =~ ^[A-Za-z0-9+/]{43}=$ ]] && ok "$v public key well-formed" ||
		not_ok "$v public key well-formed" "'${key[$v]}'"
done
if [[ -n ${key[vm-a]} && -n ${key[vm-b]} ]]; then
	[[ ${key[vm-a]} != "${key[vm-b]}" ]] && ok "the two VMs generated different keys" ||
		not_ok "the two VMs generated different keys" "both are ${key[vm-a]}"
	# phase 2: each VM gets its peer's public key
	python3 - "$w/vm-a.sock" "${key[vm-b]}" "$w/vm-b.sock" "${key[vm-a]}" <<'PY'
import socket, sys, time
for path, key in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(key.encode() + b"\n")
    time.sleep(0.5)
    s.close()
PY
	for v in vm-a vm-b; do
		if ! wait_for "$v" done 300; then
			not_ok "$v phase 2 finished" "no 'WGTEST $v done' (see $w/$v.console)"
			continue
		fi
		[[ $(line "$v" pubkey2) == "${key[$v]}" ]] && ok "$v key kept across wgagent sync" ||
			not_ok "$v key kept across wgagent sync" "'$(line "$v" pubkey2)'"
		[[ $(line "$v" ping) == ok ]] && ok "$v pings its peer through the tunnel" ||
			not_ok "$v pings its peer through the tunnel" "$(line "$v" ping)"
		hs=$(line "$v" handshake)
		[[ $hs =~ ^[0-9]+$ && $hs != 0 ]] && ok "$v completed a WireGuard handshake" ||
			not_ok "$v completed a WireGuard handshake" "latest-handshakes '$hs'"
	done
	note "both VMs done after $(($(date +%s) - start)) s"
fi
for pid in $pid_a $pid_b; do
	for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
done
exit $failed
