#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark (never pass/fail, not part of `make check`): the same bake done two ways, in the
# same run, on the same local Debian 12 base:
#
#   wgbake build      one appliance launch: .debs, agent + unit (enabled), modules-load.d,
#                     a file, generalization, Azure readiness checks, fstrim; then a
#                     standalone qcow2 and the manifest (sha256 of the output included)
#   virt-customize    the same .debs, agent, unit, module, file
#   + virt-sysprep    its default operations (generalization)
#   + virt-sparsify --in-place   (the trim), then qemu-img convert to a standalone qcow2
#
# The .debs given to virt-customize are exactly those wgbake installed (wgbake skips the
# ones the base already has at the same version; dpkg -i would reinstall them).
# Prints wall times, the ratio and the baked image's allocated size against its virtual
# size.  Usage: tests/bench/b-bake.sh [--wgbake BIN] [--agent BIN] [--runs N]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
wgbake=$top/builder/wgbake
agent=$top/agent/wgagent
runs=1
while (($#)); do
	case $1 in
	--wgbake) wgbake=$(readlink -f "$2"); shift 2 ;;
	--agent) agent=$(readlink -f "$2"); shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "b-bake: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
say() { printf 'b-bake: %s\n' "$*" >&2; }
w=$top/build/bench-bake
[[ $w == */build/bench-bake ]] || exit 2
rm -rf "$w"
mkdir -p "$w"
if ! "$top/tests/image/kvm-ok.sh"; then
	export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	accel=tcg
else
	accel=kvm
fi
base=$(readlink -f "$("$top/images/make-debian-base.sh")") || exit 1
debs=$("$top/images/local-debs.sh" "$agent") || exit 1
unit=$top/packaging/wgagent.service
printf 'Baked by the bake benchmark\n' >"$w/release"
cat >"$w/spec.json" <<SPEC
{
  "name": "bench",
  "os": "debian",
  "base": { "path": "$base" },
  "packages": { "debs": ["$debs/*.deb"] },
  "agent": { "binary": "$agent", "unit": "$unit" },
  "files": [ { "path": "/etc/wgbake-release", "source": "$w/release" } ],
  "outputs": ["qcow2"]
}
SPEC

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

t_wg=() t_virt=()
for ((i = 1; i <= runs; i++)); do
	# ---- wgbake
	say "run $i/$runs: wgbake build"
	t=$(now)
	"$wgbake" build -q --force -o "$w/wgbake" "$w/spec.json" >"$w/wgbake.log" 2>&1 ||
		{ say "wgbake build failed: $(tail -n2 "$w/wgbake.log")"; exit 1; }
	t_wg+=("$(calc "$(now) - $t")")

	# the .debs wgbake actually installed
	mapfile -t installed < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
for c in m["package_changes"]["changes"]:
    if c["to"]:
        print(c["package"])' "$w/wgbake/bench.manifest.json")
	mkdir -p "$w/debs"
	rm -f "$w/debs"/*.deb
	for p in "${installed[@]}"; do cp "$debs/${p}_"*.deb "$w/debs/"; done

	# ---- virt-customize + virt-sysprep + virt-sparsify
	say "run $i/$runs: virt-customize + virt-sysprep + virt-sparsify"
	ov=$w/virt-overlay.qcow2
	rm -f "$ov" "$w/virt.qcow2"
	t=$(now)
	qemu-img create -q -f qcow2 -F raw -b "$base" "$ov"
	virt-customize -q --format qcow2 -a "$ov" --no-network \
		--mkdir /var/tmp/bench-debs --copy-in "$w/debs:/var/tmp" \
		--run-command 'dpkg -i /var/tmp/debs/*.deb && rm -rf /var/tmp/debs' \
		--upload "$agent:/usr/sbin/wgagent" --chmod 0755:/usr/sbin/wgagent \
		--upload "$unit:/usr/lib/systemd/system/wgagent.service" \
		--run-command 'systemctl enable wgagent.service' \
		--mkdir /etc/wgagent --mkdir /var/lib/wgagent --chmod 0700:/var/lib/wgagent \
		--write '/etc/modules-load.d/wgbake.conf:wireguard' \
		--upload "$w/release:/etc/wgbake-release" \
		>"$w/virt.log" 2>&1 || { say "virt-customize failed: $(tail -n2 "$w/virt.log")"; exit 1; }
	virt-sysprep -q --format qcow2 -a "$ov" >>"$w/virt.log" 2>&1 ||
		{ say "virt-sysprep failed: $(tail -n2 "$w/virt.log")"; exit 1; }
	virt-sparsify -q --in-place --format qcow2 "$ov" >>"$w/virt.log" 2>&1 ||
		{ say "virt-sparsify failed: $(tail -n2 "$w/virt.log")"; exit 1; }
	qemu-img convert -q -f qcow2 -O qcow2 "$ov" "$w/virt.qcow2"
	t_virt+=("$(calc "$(now) - $t")")
done

wg=$(printf '%s\n' "${t_wg[@]}" | median)
virt=$(printf '%s\n' "${t_virt[@]}" | median)
img=$w/wgbake/bench.qcow2
vsize=$(qemu-img info --output=json "$img" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
alloc=$(($(stat -c %b "$img") * 512))
valloc=$(($(stat -c %b "$w/virt.qcow2") * 512))
printf '# bake benchmark (%s, %s run%s, median wall seconds)\n' "$accel" "$runs" "$([[ $runs == 1 ]] || echo s)"
printf '%-44s %8.1f s\n' "wgbake build" "$wg"
printf '%-44s %8.1f s\n' "virt-customize + virt-sysprep + virt-sparsify" "$virt"
printf '%-44s %8.2f\n' "wgbake / virt-* (target <= 0.50)" "$(calc "$wg / $virt")"
printf '%-44s %5d MiB virtual, %d MiB allocated (%.0f%%)\n' "wgbake image (qcow2)" \
	$((vsize / 1048576)) $((alloc / 1048576)) "$(calc "100 * $alloc / $vsize")"
printf '%-44s %5d MiB virtual, %d MiB allocated\n' "virt-* image (qcow2)" \
	$((vsize / 1048576)) $((valloc / 1048576))
