#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check-image: bakes the local Debian 12 base with `wgbake build`, then checks the
# result with tools that are not wgbake's (guestfish, virt-cat, virt-inspector, qemu-img,
# sha256sum, python3 for the manifest), lints it, lints a deliberately unprepared image,
# tries bad inputs, and boots two VMs from the baked image (tests/image/boot-pair.sh).
#
# Usage: tests/image/run.sh --wgbake BIN --agent BIN [--results LOG] [--no-boot]
# The log ends with "image: N passed, N failed"; exit status 1 when anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
wgbake= agent= results= boot=yes
while [[ $# -gt 0 ]]; do
	case $1 in
	--wgbake) wgbake=$(readlink -f "$2"); shift 2 ;;
	--agent) agent=$(readlink -f "$2"); shift 2 ;;
	--results) results=$2; shift 2 ;;
	--no-boot) boot=no; shift ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -x $wgbake && -x $agent ]] || { echo "run.sh: need --wgbake and --agent" >&2; exit 2; }
results=${results:-$top/build/results/image.log}
mkdir -p "$(dirname "$results")"
: >"$results"
w=$top/build/image-test
[[ -n $top && $w == */build/image-test ]] || exit 2
rm -rf "$w"
mkdir -p "$w"
cd "$top" || exit 2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
passed=0 failed=0
emit() { printf '%s\n' "$1" | tee -a "$results"; }
ok() { passed=$((passed + 1)); emit "ok $1"; }
not_ok() { failed=$((failed + 1)); emit "not ok $1: $2"; }
note() { emit "# $*"; }
check() { # name cmd...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$(tail -n 2 <<<"$out" | tr '\n' ' ')"; fi
}
finish() {
	emit "image: $passed passed, $failed failed"
	[[ $failed == 0 ]]
	exit
}
t0=$(date +%s)

# ---------------------------------------------------------------- setup
if ! "$here/kvm-ok.sh"; then
	export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	note "KVM does not work here: libguestfs and qemu use TCG"
fi
base=$("$top/images/make-debian-base.sh") || { not_ok "local Debian base image" "make-debian-base.sh failed"; finish; }
ok "local Debian base image ($(basename "$(readlink -f "$base")"))"
debs=$("$top/images/local-debs.sh" "$agent") || { not_ok "local .debs" "local-debs.sh failed"; finish; }
base_sum=$(sha256sum <"$base" | cut -d' ' -f1)
# A copy: the agent may be rebuilt while this runs, which would (rightly) restart a resumed
# build.
cp "$agent" "$w/wgagent"
agent=$w/wgagent

# ---------------------------------------------------------------- shipped specs
for s in "$top"/images/*.json; do
	check "spec $(basename "$s") parses (wgbake build --check)" "$wgbake" build --check -q "$s"
done

# ---------------------------------------------------------------- fetch
# A loopback HTTP server that breaks the first download after 1.5 MB: wgbake must resume
# with a Range request, check the sha256, and keep a mismatch out of the cache.
mkdir -p "$w/fetch/srv"
head -c 5000000 /dev/urandom >"$w/fetch/srv/base.img"
fsum=$(sha256sum <"$w/fetch/srv/base.img" | cut -d' ' -f1)
python3 "$here/rangeserver.py" --dir "$w/fetch/srv" --log "$w/fetch/requests" --cut-after 1500000 \
	>"$w/fetch/port" &
fetch_srv=$!
for _ in $(seq 50); do [[ -s $w/fetch/port ]] && break; sleep 0.1; done
furl=http://127.0.0.1:$(cat "$w/fetch/port")
if got=$("$wgbake" fetch -q --cache "$w/fetch/cache" "$furl/base.img" "$fsum" 2>"$w/fetch/err") &&
	cmp -s "$got" "$w/fetch/srv/base.img" && grep -q '^/base.img bytes=1500000-$' "$w/fetch/requests"; then
	ok "fetch: a broken download resumes with a Range request; sha256 checked"
else
	not_ok "fetch: a broken download resumes" "$(tail -n1 "$w/fetch/err") $(tr '\n' ' ' <"$w/fetch/requests")"
fi
n=$(wc -l <"$w/fetch/requests")
"$wgbake" fetch -q --cache "$w/fetch/cache" "$furl/base.img" "$fsum" >/dev/null 2>&1
[[ $(wc -l <"$w/fetch/requests") == "$n" ]] && ok "fetch: a cached base is checked and reused without a request" ||
	not_ok "fetch: a cached base is reused" "a new request was made"
cp "$w/fetch/srv/base.img" "$w/fetch/srv/other.img"
printf x >>"$w/fetch/srv/other.img"
bad_sum=$(printf '%064d' 0)
if ! "$wgbake" fetch -q --cache "$w/fetch/cache" "$furl/other.img" "$bad_sum" >/dev/null 2>"$w/fetch/err2" &&
	grep -q "sha256 mismatch: expected $bad_sum" "$w/fetch/err2" &&
	! ls "$w/fetch/cache/$bad_sum".* >/dev/null 2>&1; then
	ok "fetch: a sha256 mismatch fails clearly and leaves nothing in the cache"
else
	not_ok "fetch: a sha256 mismatch" "$(tail -n1 "$w/fetch/err2")"
fi
if ! "$wgbake" fetch -q --cache "$w/fetch/cache" "$furl/missing.img" "$(printf '%064d' 1)" >/dev/null 2>"$w/fetch/err3" &&
	grep -q '404' "$w/fetch/err3"; then
	ok "fetch: HTTP 404 fails clearly"
else
	not_ok "fetch: HTTP 404" "$(tail -n1 "$w/fetch/err3")"
fi
kill "$fetch_srv" 2>/dev/null
wait "$fetch_srv" 2>/dev/null

# ---------------------------------------------------------------- a used-looking base
# Everything generalization must remove, planted in a copy-on-write copy of the base.
dirty=$w/dirty.qcow2
qemu-img create -q -f qcow2 -F raw -b "$(readlink -f "$base")" "$dirty"
printf 'dirt\n' >"$w/dirt"
guestfish --rw --format=qcow2 -a "$dirty" -i >"$w/dirt.log" 2>&1 <<GUESTFISH_DIRT
write /etc/machine-id "0123456789abcdef0123456789abcdef\n"
rm-f /var/lib/dbus/machine-id
write /var/lib/dbus/machine-id "0123456789abcdef0123456789abcdef\n"
upload $w/dirt /etc/ssh/ssh_host_ed25519_key
upload $w/dirt /etc/ssh/ssh_host_ed25519_key.pub
mkdir-p /root/.ssh
upload $w/dirt /root/.ssh/authorized_keys
mkdir-p /home/debian/.ssh
upload $w/dirt /home/debian/.ssh/authorized_keys
mkdir-p /var/lib/cloud/instances/i-build/sem
upload $w/dirt /var/lib/cloud/instances/i-build/obj.pkl
ln-sf /var/lib/cloud/instances/i-build /var/lib/cloud/instance
upload $w/dirt /var/log/cloud-init.log
upload $w/dirt /var/log/cloud-init-output.log
mkdir-p /var/lib/waagent
upload $w/dirt /var/lib/waagent/ovf-env.xml
upload $w/dirt /var/log/waagent.log
mkdir-p /var/lib/dhcp
upload $w/dirt /var/lib/dhcp/dhclient.eth0.leases
upload $w/dirt /var/log/syslog
mkdir-p /var/log/journal/0123456789abcdef
upload $w/dirt /var/log/journal/0123456789abcdef/system.journal
upload $w/dirt /root/.bash_history
upload $w/dirt /home/debian/.bash_history
sh "sed -i 's|^root:[^:]*:|root:\$6\$salt\$0123456789abcdefghijklmnopqrstuvwxyz:|' /etc/shadow"
sh "cp -p /etc/shadow /etc/shadow-"
upload $w/dirt /tmp/build-junk
upload $w/dirt /var/tmp/build-junk
mkdir-p /var/lib/apt/lists/partial
upload $w/dirt /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease
upload $w/dirt /var/cache/apt/pkgcache.bin
upload $w/dirt /var/cache/apt/archives/old_1.0_amd64.deb
mkdir-p /etc/udev/rules.d
upload $w/dirt /etc/udev/rules.d/70-persistent-net.rules
mkdir-p /var/lib/systemd
upload $w/dirt /var/lib/systemd/random-seed
mkdir-p /etc/systemd/network
upload $w/dirt /etc/systemd/network/10-cloud-init-eth0.network
mkdir-p /etc/netplan
upload $w/dirt /etc/netplan/50-cloud-init.yaml
mkdir-p /etc/wireguard
write /etc/wireguard/wg0.conf "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
write /etc/wireguard/keep.conf "[Interface]\nAddress = 10.0.0.1/24\n"
mkdir-p /var/lib/wgagent
upload $w/dirt /var/lib/wgagent/wg0.key
write /etc/hostname "buildhost\n"
mkdir-p /var/mail
upload $w/dirt /var/mail/root
mkdir-p /var/crash
upload $w/dirt /var/crash/app.crash
GUESTFISH_DIRT
if [[ $? == 0 ]] && guestfish --ro --format=qcow2 -a "$dirty" -i sh "grep ^root: /etc/shadow | cut -c1-9" 2>&1 | grep -q 'root:\$6\$'; then
	ok "planted build-machine state in a copy of the base"
else
	not_ok "planted build-machine state in a copy of the base" "$(tail -n2 "$w/dirt.log" | tr '\n' ' ')"
	finish
fi

# ---------------------------------------------------------------- bake
mkdir -p "$w/files"
printf 'Baked by wgbake check-image\n' >"$w/files/release"
cat >"$w/spec.json" <<SPEC
{
  "name": "check-image",
  "os": "debian",
  "release": "12",
  "base": { "path": "$dirty" },
  "disk_size": "2560M",
  "packages": { "debs": ["$debs/*.deb"], "updates": false },
  "agent": { "binary": "$agent", "unit": "$top/packaging/wgagent.service" },
  "files": [
    { "path": "/etc/wgbake-release", "source": "$w/files/release", "mode": "0644" },
    { "path": "/usr/local/share/wgbake/inline.txt", "content": "inline\n", "mode": "0600" }
  ],
  "outputs": ["qcow2", "raw", "vhd"]
}
SPEC
out=$w/out
t=$(date +%s)
if SOURCE_DATE_EPOCH=1700000000 "$wgbake" build --json -o "$out" "$w/spec.json" >"$w/build.json" 2>"$w/build.err"; then
	bake_s=$(($(date +%s) - t))
	ok "wgbake build of the local base (${bake_s} s)"
else
	not_ok "wgbake build of the local base" "$(tail -n3 "$w/build.err" | tr '\n' ' ')"
	finish
fi
note "bake steps (s): $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join("%s %s" % kv for kv in d["bake_steps"].items()))' "$w/build.json")"
img=$out/check-image.qcow2
raw=$out/check-image.raw
[[ $(sha256sum <"$base" | cut -d' ' -f1) == "$base_sum" ]] && ok "the cached base is unchanged" ||
	not_ok "the cached base is unchanged" "sha256 differs"
check "output qcow2 stands alone (no backing file)" \
	bash -c "! qemu-img info --output=json '$img' | grep -q backing-filename"
check "output qcow2 passes qemu-img check" qemu-img check -q "$img"
check "raw and qcow2 outputs hold the same disk (qemu-img compare)" \
	qemu-img compare -q -f qcow2 -F raw "$img" "$raw"
vhd=$out/check-image.vhd
check "vhd output holds the same disk (qemu-img compare -F vpc)" \
	qemu-img compare -q -f raw -F vpc "$raw" "$vhd"
vhd_size=$(stat -c %s "$vhd")
[[ $(((vhd_size - 512) % 1048576)) == 0 && $(tail -c 512 "$vhd" | head -c 8) == conectix ]] &&
	ok "vhd output: a fixed VHD, whole MiB plus the 512-byte footer" ||
	not_ok "vhd output: a fixed VHD" "size $vhd_size"
virt=$(stat -c %s "$raw")
alloc=$(($(stat -c %b "$raw") * 512))
note "raw output: virtual $((virt / 1048576)) MiB, allocated $((alloc / 1048576)) MiB"
[[ $alloc -lt $((virt / 2)) ]] && ok "trimmed: the raw output is sparse (allocated < half its size)" ||
	not_ok "trimmed: the raw output is sparse" "allocated $alloc of $virt"

# ---------------------------------------------------------------- independent checks
# One read-only guestfish session; every answer in a section of its own.
guestfish --ro --format=qcow2 -a "$img" -i >"$w/gf.out" 2>"$w/gf.err" <<'GUESTFISH_CHECK'
echo @disk-size
blockdev-getsize64 /dev/sda
echo @root-statvfs
statvfs /
echo @machine-id-size
filesize /etc/machine-id
echo @dbus-machine-id
exists /var/lib/dbus/machine-id
echo @ssh-hostkeys
glob-expand /etc/ssh/ssh_host_*
echo @ssh-userdir
exists /root/.ssh
exists /home/debian/.ssh
echo @cloud-init
ls /var/lib/cloud
exists /var/log/cloud-init.log
exists /var/log/cloud-init-output.log
echo @waagent
glob-expand /var/lib/waagent/*
exists /var/log/waagent.log
echo @dhcp
exists /var/lib/dhcp/dhclient.eth0.leases
echo @logs
sh "find /var/log ! -type d"
echo @history
exists /root/.bash_history
exists /home/debian/.bash_history
echo @root-password
sh "grep ^root: /etc/shadow | cut -d: -f2 | cut -c1"
echo @backups
exists /etc/shadow-
echo @tmp
exists /tmp/build-junk
exists /var/tmp/build-junk
echo @apt
glob-expand /var/lib/apt/lists/*_*
glob-expand /var/cache/apt/archives/*.deb
exists /var/cache/apt/pkgcache.bin
echo @persistent-net
exists /etc/udev/rules.d/70-persistent-net.rules
echo @random-seed
exists /var/lib/systemd/random-seed
echo @cloud-init-network
exists /etc/systemd/network/10-cloud-init-eth0.network
exists /etc/netplan/50-cloud-init.yaml
echo @wireguard-keys
exists /etc/wireguard/wg0.conf
echo @wireguard-keep
exists /etc/wireguard/keep.conf
echo @wgagent-state
ls /var/lib/wgagent
echo @wgagent-state-mode
sh "stat -c %a /var/lib/wgagent"
echo @hostname
cat /etc/hostname
echo @mail
exists /var/mail/root
echo @crash
exists /var/crash/app.crash
echo @agent-sum
checksum sha256 /usr/sbin/wgagent
echo @agent-mode
sh "stat -c %a /usr/sbin/wgagent"
echo @agent-runs
sh "/usr/sbin/wgagent --version"
echo @unit-link
readlink /etc/systemd/system/multi-user.target.wants/wgagent.service
echo @unit-sum
sh "sha256sum < /usr/lib/systemd/system/wgagent.service | cut -d' ' -f1"
echo @modules-load
cat /etc/modules-load.d/wgbake.conf
echo @wireguard-ko
sh "ls /lib/modules/*/kernel/drivers/net/wireguard/"
echo @wg-version
sh "dpkg-query -W -f '${Version} ${db:Status-Abbrev}' wireguard-tools"
echo @wg-binary
is-file /usr/bin/wg
echo @inline-mode
sh "stat -c %a /usr/local/share/wgbake/inline.txt"
echo @policy-rc
exists /usr/sbin/policy-rc.d
echo @debdir
exists /var/tmp/wgbake-debs
echo @end
GUESTFISH_CHECK
[[ $? == 0 ]] || not_ok "guestfish inspection of the output" "$(tail -n2 "$w/gf.err" | tr '\n' ' ')"
sec() { awk -v s="@$1" '$0 == s { on = 1; next } /^@/ { on = 0 } on' "$w/gf.out"; }
expect() { # name section expected
	local got
	got=$(sec "$2")
	if [[ $got == "$3" ]]; then ok "$1"; else not_ok "$1" "got '$(tr '\n' ' ' <<<"$got")', expected '$(tr '\n' ' ' <<<"$3")'"; fi
}
expect "resize: the disk is 2560 MiB (disk_size)" disk-size $((2560 * 1048576))
root_mib=$(sec root-statvfs | awk '$1 == "bsize:" { b = $2 } $1 == "blocks:" { n = $2 } END { print int(b * n / 1048576) }')
[[ $root_mib -gt 2200 ]] && ok "resize: the root filesystem grew into it (${root_mib} MiB)" ||
	not_ok "resize: the root filesystem grew into it" "${root_mib} MiB"
if sgdisk -v "$raw" 2>&1 | grep -q 'No problems found'; then
	ok "resize: the GPT is valid, backup header at the new end (sgdisk -v)"
else
	not_ok "resize: the GPT is valid (sgdisk -v)" "$(sgdisk -v "$raw" 2>&1 | grep -i -m1 problem)"
fi
expect "machine-id: /etc/machine-id is empty" machine-id-size 0
expect "machine-id: /var/lib/dbus/machine-id removed" dbus-machine-id false
expect "ssh-hostkeys: no /etc/ssh/ssh_host_*" ssh-hostkeys ""
expect "ssh-userdir: ~/.ssh removed" ssh-userdir $'false\nfalse'
expect "cloud-init: instance state and logs removed" cloud-init $'false\nfalse'
expect "waagent: state and log removed" waagent false
expect "dhcp-leases: removed" dhcp false
expect "logs: no file left under /var/log" logs ""
expect "shell-history: removed" history $'false\nfalse'
expect "root-password: locked ('!')" root-password '!'
expect "backup-files: /etc/shadow- removed" backups false
expect "tmp-files: /tmp and /var/tmp emptied" tmp $'false\nfalse'
expect "apt-cache: lists, archives and pkgcache removed" apt false
expect "persistent-net: rules removed" persistent-net false
expect "random-seed: removed" random-seed false
expect "cloud-init-network: generated network files removed" cloud-init-network $'false\nfalse'
expect "wireguard-keys: /etc/wireguard/wg0.conf with a PrivateKey removed" wireguard-keys false
expect "wireguard-keys: a config without a key is kept" wireguard-keep true
expect "wgagent-state: /var/lib/wgagent emptied" wgagent-state ""
expect "wgagent-state: /var/lib/wgagent is 0700" wgagent-state-mode 700
expect "hostname: reset to localhost" hostname localhost
expect "mail-spool: removed" mail false
expect "crash-data: removed" crash false
expect "agent: /usr/sbin/wgagent is the built binary" agent-sum "$(sha256sum <"$agent" | cut -d' ' -f1)"
expect "agent: /usr/sbin/wgagent is 0755" agent-mode 755
expect "agent: runs inside the guest (its libraries are there)" agent-runs "$("$agent" --version)"
expect "agent: wgagent.service enabled for multi-user.target" unit-link /usr/lib/systemd/system/wgagent.service
expect "agent: the unit is packaging/wgagent.service" unit-sum "$(sha256sum <"$top/packaging/wgagent.service" | cut -d' ' -f1)"
expect "wireguard loaded at boot (modules-load.d)" modules-load $'# Written by wgbake: loaded at boot by systemd-modules-load.\nwireguard'
[[ -n $(sec wireguard-ko) ]] && ok "the guest kernel ships wireguard.ko" || not_ok "the guest kernel ships wireguard.ko" "none"
expect "wireguard-tools installed from the local .deb" wg-version "$(dpkg-deb -f "$debs/wireguard-tools_"*.deb Version) ii "
expect "wireguard-tools: /usr/bin/wg present" wg-binary true
expect "files: inline file has mode 0600" inline-mode 600
expect "policy-rc.d removed after the bake" policy-rc false
expect "uploaded .debs removed after the bake" debdir false

if got=$(virt-cat --format=qcow2 -a "$img" /etc/wgbake-release 2>&1) && [[ $got == "Baked by wgbake check-image" ]]; then
	ok "files: /etc/wgbake-release has the spec's content (virt-cat)"
else
	not_ok "files: /etc/wgbake-release has the spec's content (virt-cat)" "$got"
fi
if virt-inspector --format=qcow2 -a "$img" >"$w/inspector.xml" 2>"$w/inspector.err"; then
	grep -q '<distro>debian</distro>' "$w/inspector.xml" && grep -q '<major_version>12</major_version>' "$w/inspector.xml" &&
		ok "virt-inspector: Debian 12" || not_ok "virt-inspector: Debian 12" "$(grep -m2 'distro\|major' "$w/inspector.xml" | tr -d ' \n')"
	grep -q '<name>wireguard-tools</name>' "$w/inspector.xml" && ok "virt-inspector: wireguard-tools among the applications" ||
		not_ok "virt-inspector: wireguard-tools among the applications" "missing"
	grep -q '<hostname>localhost</hostname>' "$w/inspector.xml" && ok "virt-inspector: hostname localhost" ||
		not_ok "virt-inspector: hostname localhost" "$(grep -m1 hostname "$w/inspector.xml")"
else
	not_ok "virt-inspector ran" "$(tail -n1 "$w/inspector.err")"
fi

# ---------------------------------------------------------------- manifest
if python3 - "$out/check-image.manifest.json" "$dirty" "$img" "$raw" "$("$agent" --version)" \
	"$("$wgbake" generalize --list | wc -l)" "$(dpkg-deb -f "$debs/wireguard-tools_"*.deb Version)" >"$w/manifest.check" 2>&1 <<'PY'
import hashlib, json, sys
path, base, qcow2, raw, agent_version, n_ops, wg_version = sys.argv[1:]
m = json.load(open(path))
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(m["build_time"] == "2023-11-14T22:13:20Z", "build_time honours SOURCE_DATE_EPOCH")
want(m["spec"]["name"] == "check-image", "spec embedded")
want(m["base"]["sha256"] == sha(base), "base sha256")
want(m["base"]["format"] == "qcow2", "base format")
want(m["packages"].get("wireguard-tools") == wg_version, "wireguard-tools version from dpkg")
want(len(m["packages"]) > 100, "every installed package listed")
want(m["agent_version"] == agent_version, "agent version")
want(len(m["operations"]) == int(n_ops), "every operation recorded")
want(all(not o["skipped"] for o in m["operations"]), "no operation skipped")
want(all(c["ok"] for c in m["azure_readiness"]), "readiness recorded, all ok")
outs = {o["format"]: o for o in m["outputs"]}
want(outs["qcow2"]["sha256"] == sha(qcow2), "qcow2 sha256")
want(outs["raw"]["sha256"] == sha(raw), "raw sha256")
want(outs["vhd"]["sha256"] == sha(raw[:-4] + ".vhd"), "vhd sha256")
want(any(c["package"] == "wireguard-tools" and c["from"] is None for c in m["package_changes"]["changes"]),
     "package_changes records wireguard-tools as installed")
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
then ok "manifest: spec, base sha256, dpkg versions, agent version, operations, output sha256, SOURCE_DATE_EPOCH"
else not_ok "manifest" "$(cat "$w/manifest.check")"; fi

# ---------------------------------------------------------------- resume
t=$(date +%s)
if "$wgbake" build --json -o "$out" "$w/spec.json" >"$w/build2.json" 2>"$w/build2.err" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={x["stage"]: x["resumed"] for x in d["stages"]}; sys.exit(0 if s["bake"] and s["outputs"] else 1)' "$w/build2.json"; then
	ok "a rerun resumes from the state file (bake and outputs skipped, $(($(date +%s) - t)) s)"
else
	not_ok "a rerun resumes from the state file" "$(tail -n2 "$w/build2.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- lint
# Without the LIBGUESTFS_* settings: where KVM is broken, wgbake's first launch fails, and
# it must say why and retry once with TCG.
if env -u LIBGUESTFS_BACKEND -u LIBGUESTFS_BACKEND_SETTINGS "$wgbake" lint "$img" >"$w/lint.out" 2>"$w/lint.err"; then
	ok "wgbake lint passes on the baked image ($(grep -c '^ok' "$w/lint.out") checks)"
else
	not_ok "wgbake lint passes on the baked image" "$(grep -v '^ok' "$w/lint.out" "$w/lint.err" | tr '\n' ' ')"
fi
if [[ -n ${LIBGUESTFS_BACKEND_SETTINGS:-} ]]; then
	if grep -q 'appliance launch failed (.*); retrying once with TCG' "$w/lint.err"; then
		ok "broken KVM: the failed launch is reported with its cause and retried with TCG"
		note "$(head -c 200 "$w/lint.err")"
	else
		not_ok "broken KVM: the failed launch is retried with TCG" "$(head -n2 "$w/lint.err" | tr '\n' ' ')"
	fi
fi
bad=$w/unprepared.qcow2
qemu-img create -q -f qcow2 -F raw -b "$(readlink -f "$base")" "$bad"
mkdir -p "$w/tiny"
echo x >"$w/tiny/x"
(cd "$w/tiny" && echo x | cpio -o -H newc 2>/dev/null | gzip >"$w/tiny-initrd.img")
guestfish --rw --format=qcow2 -a "$bad" -i >"$w/bad.log" 2>&1 <<GUESTFISH_BAD
sh "sed -i 's/console=ttyS0[^ ]*//g' /boot/grub/grub.cfg"
sh "echo '/swapfile none swap sw 0 0' >> /etc/fstab"
write /etc/modprobe.d/no-udf.conf "install udf /bin/true\n"
write /etc/cloud/cloud.cfg.d/99-nocloud-only.cfg "datasource_list: [ NoCloud, None ]\n"
glob upload $w/tiny-initrd.img /boot/initrd.img-*
GUESTFISH_BAD
"$wgbake" lint "$bad" >"$w/lint-bad.out" 2>&1
rc=$?
[[ $rc == 1 ]] && ok "wgbake lint fails on an unprepared image (exit 1)" ||
	not_ok "wgbake lint fails on an unprepared image" "exit $rc: $(tail -n1 "$w/lint-bad.out")"
for c in hyperv-drivers provisioning serial-console no-swap udf; do
	if grep -q "^FAIL $c:" "$w/lint-bad.out"; then
		ok "lint reports $c: $(grep "^FAIL $c:" "$w/lint-bad.out" | cut -d: -f2- | cut -c2-90)"
	else
		not_ok "lint reports $c" "$(grep "$c" "$w/lint-bad.out")"
	fi
done

# ---------------------------------------------------------------- bad input
bad_build() { # name expected-substring dir; the spec on stdin
	local name=$1 want=$2 d=$w/bad-$3 rc
	mkdir -p "$d"
	cat >"$d/spec.json"
	"$wgbake" build -q --cache "$d/cache" -o "$d/out" "$d/spec.json" >"$d/log" 2>&1
	rc=$?
	if [[ $rc != 0 ]] && grep -q -- "$want" "$d/log" &&
		! ls "$d/out"/*.manifest.json "$d/out"/*.qcow2 >/dev/null 2>&1; then
		ok "$name: fails clearly, nothing that looks finished"
	else
		not_ok "$name" "exit $rc: $(tail -n1 "$d/log")"
	fi
}
head -c 1048576 /dev/urandom >"$w/garbage.img"
bad_build "unknown base format" "unknown format" garbage <<SPEC
{"name": "x", "os": "debian", "base": {"path": "$w/garbage.img"},
 "agent": {"binary": "$agent", "unit": "$top/packaging/wgagent.service"}}
SPEC
bad_build "missing .deb" "packages.debs: '$w/nope.deb'" nodeb <<SPEC
{"name": "x", "os": "debian", "base": {"path": "$dirty"}, "packages": {"debs": ["$w/nope.deb"]},
 "agent": {"binary": "$agent", "unit": "$top/packaging/wgagent.service"}}
SPEC
bad_build "unknown spec field" "unknown field 'pakages'" field <<SPEC
{"name": "x", "os": "debian", "base": {"path": "$dirty"}, "pakages": {}}
SPEC
# A fixed VHD in a tar.gz, like Canonical's Azure images, but with no OS: unpacking and
# format detection must get as far as inspection.
mkdir -p "$w/noos"
truncate -s 64M "$w/empty.raw"
sgdisk -n 1:1M:0 "$w/empty.raw" >/dev/null 2>&1
qemu-img convert -q -f raw -O vpc -o subformat=fixed,force_size=on "$w/empty.raw" "$w/noos/disk.vhd"
tar -C "$w/noos" -cSzf "$w/noos.vhd.tar.gz" disk.vhd
bad_build "a base with no OS (a VHD in a tar.gz)" "expected exactly one operating system, found 0" noos <<SPEC
{"name": "x", "os": "debian", "base": {"path": "$w/noos.vhd.tar.gz"},
 "agent": {"binary": "$agent", "unit": "$top/packaging/wgagent.service"}}
SPEC
ls "$w/bad-noos/cache/"*.unpacked/disk.vhd >/dev/null 2>&1 && ok "archive: the tar.gz was recognised by content and unpacked" ||
	not_ok "archive: the tar.gz was recognised by content and unpacked" "$(ls -R "$w/bad-noos/cache" | tr '\n' ' ')"
tar -C "$w/noos" -czf "$w/two.tar.gz" disk.vhd -C "$w" garbage.img
bad_build "an archive with two files" "holds more than one file" two <<SPEC
{"name": "x", "os": "debian", "base": {"path": "$w/two.tar.gz"},
 "agent": {"binary": "$agent", "unit": "$top/packaging/wgagent.service"}}
SPEC

# ---------------------------------------------------------------- boot
if [[ $boot == yes ]]; then
	t=$(date +%s)
	"$here/boot-pair.sh" "$img" "$w/boot" >"$w/boot.out" 2>&1
	while IFS= read -r l; do
		case $l in
		"ok "*) ok "boot: ${l#ok }" ;;
		"not ok "*) l=${l#not ok }; not_ok "boot: ${l%%: *}" "${l#*: }" ;;
		"# "*) note "boot: ${l#\# }" ;;
		esac
	done <"$w/boot.out"
	grep -q '^ok ' "$w/boot.out" || not_ok "boot-pair ran" "$(tail -n2 "$w/boot.out" | tr '\n' ' ')"
	note "two-VM boot test: $(($(date +%s) - t)) s"
fi
note "check-image took $(($(date +%s) - t0)) s"
finish
