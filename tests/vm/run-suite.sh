#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run guest test scripts in qemu, one boot per script, on Debian's kernel (which ships
# wireguard.ko; the host kernel may not).
#
#   tests/vm/run-suite.sh [--agent PATH] [--results FILE] [--timeout SECONDS]
#                         [--demo | --bench] SCRIPT...
#
# The guest is a gzip'd cpio initramfs (cached under .cache/vm/, keyed by a hash of every input)
# holding busybox-static, the WireGuard and veth module closures, wg, wg-quick, bash, ip, the
# agent as /usr/sbin/wgagent, each with the libraries ldd lists, plus tests/vm/lib.sh,
# tests/vm/bad-configs/, the scripts and their generated data. A script X.sh may come with an
# executable X.gen next to it: it is run on the host as `X.gen OUTDIR` when the image is built,
# and OUTDIR appears as /data in the guest (the cache key covers X.gen and tests/vm/*.py).
#
# Scripts source /tests/lib.sh and report through it (ok, not_ok, check, check_fails, note). The
# result lines travel over the second serial port (ttyS1); the console (ttyS0) goes to a log
# that is shown, last 40 lines, when a guest hangs or its script crashes.
#
# Modes:
#   (default)  count results, print "vm: N passed, N failed"; exit 0 iff nothing failed.
#   --demo     one script; its notes go to the terminal as they arrive; exit status from it.
#   --bench    like --demo, for every SCRIPT; no pass/fail counting, notes are the output.
#
# Environment:
#   WGBAKE_VM_ACCEL=kvm|tcg   skip the KVM probe (the probe's answer is cached in
#                             .cache/vm/accel-*; delete it to probe again)
#   WGBAKE_VM_KERNEL=PATH     kernel image; its modules must be in /lib/modules/<version>/
#   WGBAKE_VM_CACHE=DIR       cache folder (default .cache/vm in the repository)
#   WGBAKE_VM_KEEP_LOGS=1     keep the per-run folder with console and qemu logs
#   WGBAKE_VM_APPEND=ARGS     more kernel command line (experiments)
#   WGBAKE_VM_SMP=N           guest CPUs (default 2)
#
# Kernel modules: wireguard and veth are loaded at boot; nftables' and dummy are in the image
# for the kernel to load on demand (a script may add "# vm-modules: NAME..." lines for more, and
# "# vm-binaries: NAME..." for programs beyond wg, wg-quick, bash, ip, nft and busybox).
#
# The hang path is exercised by tests/vm/selftest-hang.sh (run by hand, see there).

set -uo pipefail
shopt -s nullglob

prog=run-suite
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${WGBAKE_VM_CACHE:-$root/.cache/vm}
PATH=$PATH:/usr/sbin:/sbin

rundir=
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	[[ -z $rundir ]] || rm -rf "$rundir"
	exit 2
}

usage() {
	sed -n '7,8p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2
	exit 2
}

agent=
results=
timeout=900
mode='test'
scripts=()
while (($#)); do
	case $1 in
	--agent) agent=${2-}; shift 2 || usage ;;
	--agent=*) agent=${1#*=}; shift ;;
	--results) results=${2-}; shift 2 || usage ;;
	--results=*) results=${1#*=}; shift ;;
	--timeout) timeout=${2-}; shift 2 || usage ;;
	--timeout=*) timeout=${1#*=}; shift ;;
	--demo) mode=demo; shift ;;
	--bench) mode=bench; shift ;;
	-h | --help) usage ;;
	--) shift; scripts+=("$@"); break ;;
	-*) die "unknown option '$1'" ;;
	*) scripts+=("$1"); shift ;;
	esac
done
((${#scripts[@]})) || usage
if [[ ! $timeout =~ ^[0-9]+$ ]] || ((timeout == 0)); then
	die "--timeout wants a number of seconds, not '$timeout'"
fi
[[ $mode != demo || ${#scripts[@]} -eq 1 ]] || die "--demo runs exactly one script"
for s in "${scripts[@]}"; do
	[[ -f $s ]] || die "no such script '$s'"
done
# `make bench` hands over tests/bench/b-*.sh, some of which run on the host (b-upload.sh):
# a guest script sources /tests/lib.sh; skip the others.
if [[ $mode == bench ]]; then
	keep_scripts=()
	for s in "${scripts[@]}"; do
		if grep -q '/tests/lib\.sh' "$s"; then
			keep_scripts+=("$s")
		else
			printf '%s: skipping %s: a host-side script (it does not source /tests/lib.sh)\n' \
				"$prog" "$s" >&2
		fi
	done
	scripts=("${keep_scripts[@]}")
	((${#scripts[@]})) || die "no guest script to run"
fi
if [[ -z $agent && -x $root/agent/wgagent ]]; then
	agent=$root/agent/wgagent
fi
[[ -z $agent || -x $agent ]] || die "agent '$agent' is not an executable file"

# Progress goes to a terminal only; CI and logs stay quiet.
progress=0
if [[ -t 2 && ${CI:-} != true ]]; then
	progress=1
fi
say() {
	((progress)) && printf '%s\n' "$*" >&2
	return 0
}

mkdir -p "$cache" || die "cannot create '$cache'"

# ---------------------------------------------------------------- kernel
# The newest Debian kernel that has its modules installed; never `uname -r`, which is the host's.
pick_kernel() {
	local k v best='' bestv=''
	if [[ -n ${WGBAKE_VM_KERNEL:-} ]]; then
		k=$WGBAKE_VM_KERNEL
		v=${k##*/vmlinuz-}
		[[ -r $k && -f /lib/modules/$v/modules.dep ]] ||
			die "WGBAKE_VM_KERNEL='$k': unreadable, or no /lib/modules/$v/modules.dep"
		printf '%s %s\n' "$k" "$v"
		return
	fi
	for k in /boot/vmlinuz-*; do
		v=${k#/boot/vmlinuz-}
		[[ -r $k && -f /lib/modules/$v/modules.dep ]] || continue
		if [[ -z $bestv ]] || [[ $(printf '%s\n%s\n' "$bestv" "$v" | sort -V | tail -n1) == "$v" ]]; then
			best=$k bestv=$v
		fi
	done
	[[ -n $best ]] || die "no kernel in /boot with modules in /lib/modules (apt-get install linux-image-amd64)"
	printf '%s %s\n' "$best" "$bestv"
}
read -r kernel kver < <(pick_kernel) || exit 2
[[ -n ${kernel:-} ]] || exit 2
moddir=/lib/modules/$kver

# ---------------------------------------------------------------- module closure
declare -A mod_path=() mod_deps=() mod_seen=()
mod_order=()
# Module names as the kernel spells them: '-' and '_' are the same.
modname() {
	local n=${1##*/}
	n=${n%%.ko*}
	printf '%s' "${n//-/_}"
}
while IFS= read -r line; do
	p=${line%%:*}
	n=${p##*/}
	n=${n%%.ko*}
	n=${n//-/_}
	mod_path[$n]=$p
	mod_deps[$n]=${line#*:}
done <"$moddir/modules.dep"

is_builtin() {
	grep -qE "/${1//_/[-_]}\\.ko\$" "$moddir/modules.builtin" 2>/dev/null
}

# Post-order walk: every module comes after the modules it needs.
add_module() {
	local n=${1//-/_} d
	[[ -n ${mod_seen[$n]:-} ]] && return 0
	mod_seen[$n]=1
	if [[ -z ${mod_path[$n]:-} ]]; then
		is_builtin "$n" && return 0
		die "module '$n' is neither in $moddir/modules.dep nor built in"
	fi
	for d in ${mod_deps[$n]}; do
		add_module "$(modname "$d")"
	done
	mod_order+=("${mod_path[$n]}")
}
# Loaded at boot, dependencies first.
add_module wireguard
add_module veth
boot_modules=("${mod_order[@]}")
# In the image for the kernel to load on demand (request_module -> /sbin/modprobe, busybox's,
# with a trimmed modules.dep and modules.alias): nftables for wgagent's gateway role (and the
# crc32c that libcrc32c asks the crypto API for), dummy.
# A script can ask for more with a line "# vm-modules: NAME..." (and "# vm-binaries: NAME...").
ondemand_modules=(dummy nfnetlink nf_tables nft_ct nft_chain_nat nft_masq nft_nat nft_reject_inet
	nft_fib_inet crc32c_generic crc32c_intel)
extra_bins=(nft)
for s in "${scripts[@]}"; do
	while read -r _ kind names; do
		case $kind in
		vm-modules:) read -ra more <<<"$names"; ondemand_modules+=("${more[@]}") ;;
		vm-binaries:) read -ra more <<<"$names"; extra_bins+=("${more[@]}") ;;
		esac
	done < <(grep -E '^# vm-(modules|binaries): ' "$s")
done
for m in "${ondemand_modules[@]}"; do
	add_module "$m"
done

# ---------------------------------------------------------------- file list
# entries: "SRC<TAB>DEST" (DEST is the path in the guest), copied with symlinks followed.
entries=()
add_file() {
	entries+=("$1"$'\t'"$2")
}

# Binaries with their libraries and ELF interpreter, at the paths ldd names.
declare -A lib_seen=()
add_binary() {
	local src=$1 dest=$2 out line p
	add_file "$src" "$dest"
	# A script or a static binary has nothing to bring along.
	out=$(LC_ALL=C ldd "$src" 2>&1) || return 0
	while IFS= read -r line; do
		case $line in
		*'=> not found'*) die "'$src' needs ${line%% *}, which ldd cannot find" ;;
		*'=> /'*) p=${line#*=> }; p=${p%% (*} ;;
		[[:space:]]/*) p=${line#"${line%%[![:space:]]*}"}; p=${p%% (*} ;;
		*) continue ;;
		esac
		[[ -n ${lib_seen[$p]:-} ]] && continue
		lib_seen[$p]=1
		add_file "$p" "$p"
	done <<<"$out"
}

need_cmd() {
	command -v "$1" 2>/dev/null || die "'$1' not found (run: make deps)"
}

busybox=$(need_cmd busybox) || exit 2
add_binary "$busybox" /bin/busybox
add_binary "$(need_cmd bash)" /usr/bin/bash
add_binary "$(need_cmd wg)" /usr/bin/wg
add_file "$(need_cmd wg-quick)" /usr/bin/wg-quick
add_binary "$(need_cmd ip)" /usr/sbin/ip
# Optional ones (nft: `make deps` installs nftables): a test that needs one says so when it
# is missing.
for b in "${extra_bins[@]}"; do
	p=$(command -v "$b" 2>/dev/null) || continue
	add_binary "$p" "$p"
done
if [[ -n $agent ]]; then
	add_binary "$agent" /usr/sbin/wgagent
	# wgagent dlopen()s libcurl for IMDS and its report, so ldd does not list it.
	libcurl=$(/sbin/ldconfig -p | awk '$1 == "libcurl.so.4" && /x86-64/ { print $NF; exit }')
	[[ -n $libcurl ]] || die "libcurl.so.4 not found (run: make deps)"
	add_binary "$libcurl" "$libcurl"
fi
for m in "${mod_order[@]}"; do
	add_file "$moddir/$m" "$moddir/${m%.ko*}.ko"
done
add_file "$here/lib.sh" /tests/lib.sh
for f in "$here"/bad-configs/*; do
	[[ -f $f ]] && add_file "$f" "/tests/bad-configs/${f##*/}"
done
declare -A script_seen=()
gens=()
for s in "${scripts[@]}"; do
	b=${s##*/}
	[[ -z ${script_seen[$b]:-} ]] || die "two scripts named '$b'"
	script_seen[$b]=1
	add_file "$s" "/tests/$b"
	g=${s%.sh}.gen
	[[ -f $g ]] && gens+=("$g")
done

# ---------------------------------------------------------------- /init
# busybox sh. Arguments come on the kernel command line: wgtscript=NAME wgtmode=MODE
# wgtaccel=kvm|tcg; the script gets WGT_RESULTS, WGT_MODE and WGT_ACCEL.
init_script() {
	cat <<'EOF'
#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# Generated by tests/vm/run-suite.sh.
/bin/busybox mkdir -p /bb /proc /sys /dev /tmp /run
/bin/busybox --install -s /bb
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/bb HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
# bash's <(...) (wg-quick uses it) needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir -p /run/netns /var/lib /root
mount --make-rshared / 2>/dev/null
ip link set lo up
res=/dev/ttyS1
say() { echo "$*" >"$res"; }
script= mode=test accel=
for arg in $(cat /proc/cmdline); do
	case $arg in
	wgtscript=*) script=${arg#*=} ;;
	wgtmode=*) mode=${arg#*=} ;;
	wgtaccel=*) accel=${arg#*=} ;;
	esac
done
read -r up _ </proc/uptime
say "# booted in $up s"
while read -r m; do
	out=$(insmod "$m" 2>&1) || say "not ok boot: insmod ${m##*/}: $out"
done </etc/wgt-modules
cd /tmp
echo "=== running /tests/$script"
WGT_RESULTS=$res WGT_MODE=$mode WGT_ACCEL=$accel ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	bash /tests/"$script" </dev/null
rc=$?
echo "=== /tests/$script exited with status $rc"
read -r up _ </proc/uptime
say "# uptime $up s"
say "done $rc"
sync
poweroff -f
EOF
}

# ---------------------------------------------------------------- cache key and build
sha() { sha256sum | cut -c1-64; }
manifest() {
	local e
	printf 'kernel %s\n' "$kver"
	printf 'run-suite %s\n' "$(sha <"${BASH_SOURCE[0]}")"
	for e in "${entries[@]}"; do
		printf '%s %s\n' "${e#*$'\t'}" "$(sha <"${e%%$'\t'*}")"
	done
	for e in "${gens[@]}" "$here"/*.py; do
		printf 'gen %s %s\n' "${e#"$root"/}" "$(sha <"$e")"
	done
}
man=$(manifest) || die "cannot read an input file"
key=$(sha <<<"$man" | cut -c1-16)
initrd=$cache/initramfs-$key.cpio.gz

copy_in() {
	local src=$1 dest=$2
	mkdir -p "$stage$(dirname "$dest")" || return 1
	case $src in
	*.ko.xz) xz -dc "$src" >"$stage$dest" ;;
	*.ko.zst) zstd -qdc "$src" >"$stage$dest" ;;
	*.ko.gz) gzip -dc "$src" >"$stage$dest" ;;
	*) cp -L "$src" "$stage$dest" ;;
	esac
}

# modules.dep and alias lines for the modules in the image only, with the names as stored
# (decompressed: .ko).
write_modules_dep() {
	local m d line
	for m in "${mod_order[@]}"; do
		line="${m%.ko*}.ko:"
		for d in ${mod_deps[$(modname "$m")]}; do
			line+=" ${d%.ko*}.ko"
		done
		printf '%s\n' "$line"
	done
}

write_modules_alias() {
	local -A have=()
	local m a pat mod
	for m in "${mod_order[@]}"; do
		have[$(modname "$m")]=1
	done
	while read -r a pat mod; do
		[[ $a == alias && -n ${have[${mod//-/_}]:-} ]] && printf 'alias %s %s\n' "$pat" "$mod"
	done <"$moddir/modules.alias"
}

build_initrd() {
	local d e g t t0=$EPOCHREALTIME
	stage=$(mktemp -d "$cache/stage.XXXXXX") || return 1
	# Mirror the host's /usr merge, so the paths ldd prints work in the guest.
	for d in bin sbin lib lib32 lib64 libx32; do
		if [[ -L /$d ]]; then
			t=$(readlink "/$d")
			mkdir -p "$stage/${t#/}"
			ln -s "$t" "$stage/$d"
		elif [[ -d /$d ]]; then
			mkdir "$stage/$d"
		fi
	done
	mkdir -p "$stage"/{usr/bin,usr/sbin,bin,sbin,etc/modprobe.d,proc,sys,dev,tmp,run,var/lib,root,data,tests}
	ln -s ../run "$stage/var/run"
	for e in "${entries[@]}"; do
		copy_in "${e%%$'\t'*}" "${e#*$'\t'}" || return 1
	done
	[[ -e $stage/bin/sh ]] || ln -s /bin/busybox "$stage/bin/sh"
	[[ -e $stage/bin/bash ]] || ln -s /usr/bin/bash "$stage/bin/bash"
	for m in "${boot_modules[@]}"; do
		printf '%s/%s.ko\n' "$moddir" "${m%.ko*}"
	done >"$stage/etc/wgt-modules"
	# What busybox modprobe needs to load the rest when the kernel asks for it.
	write_modules_dep >"$stage$moddir/modules.dep"
	write_modules_alias >"$stage$moddir/modules.alias"
	cp "$stage$moddir/modules.alias" "$stage/etc/modprobe.d/wgt-aliases.conf"
	[[ -e $stage/sbin/modprobe ]] || ln -s /bin/busybox "$stage/sbin/modprobe"
	: >"$stage/etc/fstab"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
	printf 'root:x:0:\n' >"$stage/etc/group"
	init_script >"$stage/init"
	chmod 0755 "$stage/init"
	for g in "${gens[@]}"; do
		say "generating data: ${g#"$root"/}"
		if ! "$g" "$stage/data" >&2; then
			printf '%s: %s failed\n' "$prog" "$g" >&2
			return 1
		fi
	done
	chmod -R u+rwX,go+rX "$stage/tests" "$stage/data"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible | gzip -n -6) >"$initrd.tmp.$$" || return 1
	mv -f "$initrd.tmp.$$" "$initrd"
	printf '%s\n' "$man" >"$cache/initramfs-$key.manifest"
	say "initramfs: $(du -h "$initrd" | cut -f1), built in $(elapsed "$t0") s"
	rm -rf "$stage"
}

elapsed() {
	local now=$EPOCHREALTIME
	awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

rundir=$(mktemp -d "$cache/run.XXXXXX") || die "cannot create a run folder"
if [[ ! -s $initrd ]]; then
	say "building initramfs (kernel $kver)..."
	if ! build_initrd; then
		rm -rf "${stage:-}" "$initrd.tmp.$$"
		die "building the initramfs failed"
	fi
	# Keep the few most recently used images. A run that is using one has its own hard link
	# (below), so removing it here cannot pull it from under a running suite.
	# shellcheck disable=SC2012 # our own names, no odd characters
	ls -1t "$cache"/initramfs-*.cpio.gz 2>/dev/null | tail -n +5 | while IFS= read -r old; do
		rm -f "$old" "${old%.cpio.gz}.manifest"
	done
else
	touch "$initrd"
fi
ln -f "$initrd" "$rundir/initramfs.cpio.gz" 2>/dev/null || cp "$initrd" "$rundir/initramfs.cpio.gz" ||
	die "cannot copy the initramfs into $rundir"
initrd=$rundir/initramfs.cpio.gz

# Is the process gone (or a zombie waiting for `wait`)?
gone() {
	local st
	[[ -r /proc/$1/stat ]] || return 0
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 0
	[[ $st == Z || $st == X ]]
}

# ---------------------------------------------------------------- accelerator
# KVM when it really works (a probe boot, cached), else TCG. /dev/kvm existing is not enough:
# on some hosts qemu aborts with -cpu host ("failed to set MSR 0x10a") or the guest hangs.
probe_kvm() {
	local dir rc=1 pid i
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	dir=$(mktemp -d "$cache/probe.XXXXXX") || return 1
	mkdir -p "$dir/root/bin" "$dir/root/dev"
	cp -L "$busybox" "$dir/root/bin/busybox"
	cat >"$dir/root/init" <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox mount -t devtmpfs devtmpfs /dev
	echo kvm-probe-ok >/dev/ttyS0
	/bin/busybox poweroff -f
	EOF
	chmod 0755 "$dir/root/init"
	if ! (cd "$dir/root" && find . | cpio --quiet -o -H newc -R 0:0 | gzip -1) >"$dir/initrd"; then
		rm -rf "$dir"
		return 1
	fi
	qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -nographic -nodefaults -no-reboot \
		-nic none -monitor none -kernel "$kernel" -initrd "$dir/initrd" \
		-append "console=ttyS0 panic=-1 quiet" -serial "file:$dir/out" \
		</dev/null >"$dir/qemu.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		gone "$pid" && break
		sleep 0.1
	done
	gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -q kvm-probe-ok "$dir/out" 2>/dev/null && rc=0
	rm -rf "$dir"
	return $rc
}

pick_accel() {
	local id f
	case ${WGBAKE_VM_ACCEL:-} in
	kvm | tcg) echo "$WGBAKE_VM_ACCEL"; return ;;
	'') ;;
	*) die "WGBAKE_VM_ACCEL must be kvm or tcg" ;;
	esac
	id=$({ qemu-system-x86_64 --version | head -n1; echo "$kernel"; grep -m1 '^model name' /proc/cpuinfo
		uname -r; cat /proc/sys/kernel/hostname; } | sha | cut -c1-16)
	f=$cache/accel-$id
	if [[ ! -s $f ]]; then
		say "probing KVM..."
		if probe_kvm; then echo kvm; else echo tcg; fi >"$f.tmp" && mv -f "$f.tmp" "$f"
	fi
	cat "$f"
}
accel=$(pick_accel) || exit 2
if [[ $accel == kvm ]]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel 'tcg,thread=multi' -cpu max)
fi

# ---------------------------------------------------------------- run
# rcupdate.rcu_expedited=1: destroying a WireGuard device waits for one RCU grace period per
# peer (wg_destruct runs after rtnl is dropped, so synchronize_net() is not expedited). That is
# about 17 ms each under TCG: `ip link del` of a 10,000-peer link took 170 s. Expedited grace
# periods bring it to well under a second and change nothing else the tests look at.
kargs="rcupdate.rcu_expedited=1 ${WGBAKE_VM_APPEND:-}"
qpid=
cleanup() {
	if [[ -n $qpid ]]; then
		kill -TERM "$qpid" 2>/dev/null
		sleep 0.5
		kill -KILL "$qpid" 2>/dev/null
	fi
	qpid=
}
trap 'cleanup; exit 130' INT TERM HUP
trap 'cleanup' EXIT

if [[ -n $results ]]; then
	{ mkdir -p "$(dirname "$results")" && : >"$results"; } || die "cannot write '$results'"
fi
out() {
	printf '%s\n' "$*"
	[[ -z $results ]] || printf '%s\n' "$*" >>"$results"
}

passed=0
failed=0
status=0
keep=${WGBAKE_VM_KEEP_LOGS:-0}

console_tail() {
	local line
	out "#   last 40 console lines of $1:"
	# Without the firmware's terminal escapes and other control characters.
	tail -n 40 "$2" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g' |
		tr -d '\000-\010\013-\037' | while IFS= read -r line; do
		out "#   | $line"
	done
	if [[ -s $3 ]]; then
		out "#   qemu said:"
		tail -n 5 "$3" | while IFS= read -r line; do
			out "#   | $line"
		done
	fi
}

run_one() {
	local script=$1 base name t0 deadline rfd buf='' line done_rc='' qrc got_results=0 sfailed=0
	local boot='?' console results_port qlog
	base=${script##*/}
	name=${base%.sh}
	console=$rundir/$name.console.log
	results_port=$rundir/$name.results
	qlog=$rundir/$name.qemu.log
	: >"$results_port"
	say "booting $base ($accel)..."
	t0=$EPOCHREALTIME
	deadline=$((${EPOCHREALTIME%.*} + timeout))
	qemu-system-x86_64 "${accel_args[@]}" -m 2048 -smp "${WGBAKE_VM_SMP:-2}" -nographic \
		-nodefaults -no-reboot -nic none -monitor none -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet $kargs wgtscript=$base wgtmode=$mode wgtaccel=$accel" \
		-serial "file:$console" -serial "file:$results_port" \
		</dev/null >"$qlog" 2>&1 &
	qpid=$!
	exec {rfd}<"$results_port"

	handle() {
		local l=${1%$'\r'}
		case $l in
		'ok '*)
			got_results=1
			[[ $mode == bench ]] && return
			passed=$((passed + 1))
			[[ $mode == demo ]] || out "ok $name/${l#ok }"
			;;
		'not ok '*)
			got_results=1
			[[ $mode == bench ]] || failed=$((failed + 1))
			sfailed=1
			out "not ok $name/${l#not ok }"
			;;
		'# booted in '*)
			boot=${l#\# booted in }
			boot=${boot% s}
			;;
		'# uptime '*) ;;
		'#'*)
			if [[ $mode == test ]]; then out "$l"; else out "${l#\# }"; fi
			;;
		'done') done_rc=0 ;;
		'done '*) done_rc=${l#done } ;;
		'') ;;
		*) out "# (guest) $l" ;;
		esac
	}
	drain() {
		local chunk
		while :; do
			if IFS= read -r -u "$rfd" chunk; then
				handle "$buf$chunk"
				buf=
			else
				buf+=$chunk
				break
			fi
		done
	}

	while :; do
		drain
		if gone "$qpid"; then
			wait "$qpid"
			qrc=$?
			qpid=
			drain
			[[ -z $buf ]] || handle "$buf"
			buf=
			break
		fi
		if ((${EPOCHREALTIME%.*} >= deadline)); then
			cleanup
			wait 2>/dev/null
			drain
			break
		fi
		sleep 0.2
	done
	exec {rfd}<&-

	local took
	took=$(elapsed "$t0")
	if [[ -z $done_rc ]]; then
		if [[ -n ${qrc:-} ]]; then
			out "not ok $base: guest did not finish (qemu exited with status $qrc after $took s)"
		else
			out "not ok $base: guest did not finish within $timeout s"
		fi
		failed=$((failed + 1))
		sfailed=1
		console_tail "$base" "$console" "$qlog"
	elif [[ $done_rc != 0 ]]; then
		out "not ok $base: script exited with status $done_rc"
		failed=$((failed + 1))
		sfailed=1
		console_tail "$base" "$console" "$qlog"
	elif [[ $mode == test && $got_results == 0 ]]; then
		out "not ok $base: reported no results"
		failed=$((failed + 1))
		sfailed=1
	fi
	((sfailed)) && keep=1
	if [[ $mode == test ]]; then
		out "# $base: $took s wall, guest booted in $boot s ($accel)"
	else
		say "$base: $took s wall, guest booted in $boot s ($accel)"
	fi
	if [[ $mode != test && -n $done_rc && $done_rc != 0 ]]; then
		status=$done_rc
	elif [[ -z $done_rc || $done_rc != 0 || $sfailed != 0 ]]; then
		status=1
	fi
}

for s in "${scripts[@]}"; do
	run_one "$s"
done

if [[ $mode == test ]]; then
	out "vm: $passed passed, $failed failed"
	((failed == 0)) || status=1
fi
rm -f "$initrd"
if [[ $keep == 1 ]]; then
	say "logs kept in $rundir"
	[[ $mode == test ]] && out "# logs: ${rundir#"$root"/}"
else
	rm -rf "$rundir"
fi
# Run folders kept from failures pile up, and an interrupted build leaves its stage: drop those
# older than a day.
find "$cache" -maxdepth 1 \( -name 'run.*' -o -name 'stage.*' -o -name 'probe.*' \) -type d \
	-mmin +1440 -exec rm -rf {} + 2>/dev/null
exit $status
