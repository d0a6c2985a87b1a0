#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Host-side self-test of run-suite.sh's failure paths. Not part of `make check`: on purpose it
# makes guests hang and crash, and it spends about a minute doing so. Run it by hand after
# changing run-suite.sh:
#
#   tests/vm/selftest-hang.sh [--agent PATH]
#
# It checks that
#   - a guest that never says "done" is killed after --timeout, counted as ONE failure
#     "<script>: guest did not finish", with the last console lines shown, and results it
#     reported before hanging still count;
#   - a script that exits non-zero, or a guest that powers off without "done", is a failure;
#   - a good script passes with exit status 0, and --results gets the same lines as stdout;
#   - --demo prints notes without the "# " and takes its exit status from the script.
# Ends with "selftest-hang: N passed, N failed".

set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() {
	printf 'ok %s\n' "$1"
	passed=$((passed + 1))
}
fail() {
	printf 'not ok %s\n' "$1"
	failed=$((failed + 1))
}
expect() {
	local name=$1 pattern=$2 file=$3
	if grep -qE -- "$pattern" "$file"; then pass "$name"; else fail "$name (no /$pattern/ in output)"; fi
}
expect_status() {
	if (($2 == $3)); then pass "$1"; else fail "$1 (exit status $2, expected $3)"; fi
}

run() {
	local out=$1
	shift
	CI=true "$here/run-suite.sh" "$@" >"$out" 2>"$out.err"
	local rc=$?
	sed 's/^/    | /' "$out" "$out.err"
	return $rc
}

mkdir -p "$tmp/s"
cat >"$tmp/s/hang.sh" <<'EOF'
. /tests/lib.sh
ok "before the hang"
echo "console: about to hang"
sleep 100000
EOF
cat >"$tmp/s/crash.sh" <<'EOF'
. /tests/lib.sh
ok "before the crash"
exit 3
EOF
cat >"$tmp/s/poweroff.sh" <<'EOF'
. /tests/lib.sh
ok "before the poweroff"
poweroff -f
sleep 100
EOF
cat >"$tmp/s/good.sh" <<'EOF'
. /tests/lib.sh
note "a note"
ok "passes"
check "true passes" true
check_fails "false fails as expected" "expected" bash -c 'echo expected >&2; exit 1'
finish
EOF
cat >"$tmp/s/demo.sh" <<'EOF'
. /tests/lib.sh
note "demo line one"
note "demo line two"
exit 4
EOF

echo "hang (about 40 s):"
run "$tmp/hang.out" --timeout 30 "$@" "$tmp/s/hang.sh"
expect_status "hang: exit status 1" $? 1
expect "hang: reported as not finishing" '^not ok hang\.sh: guest did not finish within 30 s$' "$tmp/hang.out"
expect "hang: console tail shown" '^#   \| console: about to hang' "$tmp/hang.out"
expect "hang: counted once, earlier result kept" '^vm: 1 passed, 1 failed$' "$tmp/hang.out"

echo "crash:"
run "$tmp/crash.out" "$@" "$tmp/s/crash.sh"
expect_status "crash: exit status 1" $? 1
expect "crash: reported" '^not ok crash\.sh: script exited with status 3$' "$tmp/crash.out"
expect "crash: counted once" '^vm: 1 passed, 1 failed$' "$tmp/crash.out"

echo "poweroff without done:"
run "$tmp/poweroff.out" "$@" "$tmp/s/poweroff.sh"
expect_status "poweroff: exit status 1" $? 1
expect "poweroff: reported" '^not ok poweroff\.sh: guest did not finish \(qemu exited' "$tmp/poweroff.out"

echo "duplicate script names:"
cp "$tmp/s/good.sh" "$tmp/good.sh"
run "$tmp/dup.out" "$@" "$tmp/s/good.sh" "$tmp/good.sh"
expect_status "duplicate names: usage error" $? 2
expect "duplicate names: said so" 'two scripts named' "$tmp/dup.out.err"

echo "good:"
run "$tmp/good.out" --results "$tmp/good.results" "$@" "$tmp/s/good.sh"
expect_status "good: exit status 0" $? 0
expect "good: summary" '^vm: 3 passed, 0 failed$' "$tmp/good.out"
if cmp -s "$tmp/good.out" "$tmp/good.results"; then pass "good: --results equals stdout"
else fail "good: --results differs from stdout"; fi
if "$here/../sum-results.sh" "$tmp/good.results" >/dev/null; then pass "good: sum-results is green"
else fail "good: sum-results is not green"; fi
if ! "$here/../sum-results.sh" "$tmp/hang.out" >/dev/null; then pass "hang: sum-results is red"
else fail "hang: sum-results is green"; fi

echo "demo:"
run "$tmp/demo.out" --demo "$@" "$tmp/s/demo.sh"
expect_status "demo: exit status from the script" $? 4
expect "demo: notes without '# '" '^demo line two$' "$tmp/demo.out"

echo "selftest-hang: $passed passed, $failed failed"
((failed == 0))
