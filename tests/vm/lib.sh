# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for guest test scripts (sourced as /tests/lib.sh; see tests/vm/run-suite.sh).
#
#   ok NAME                               a passed check
#   not_ok NAME [DETAIL...]               a failed check
#   check NAME CMD...                     ok iff CMD exits 0 (else its last output lines)
#   check_fails NAME SUBSTRING CMD...     ok iff CMD exits non-zero and its stderr has SUBSTRING
#   check_status NAME STATUS SUBSTR CMD...  ok iff CMD exits with STATUS and stderr has SUBSTR
#   check_same NAME EXPECTED ACTUAL       ok iff the two files are byte for byte equal
#   check_dump[_hidden] NAME IFNAME [NS]  `wgagent show --dump` agrees with `wg show dump`
#   note TEXT | note - <FILE              free text shown on the host (bench tables, demo output)
#   finish                                end the script (exit 0; failures are already counted)
#
# Result lines go to $WGT_RESULTS (the guest's second serial port, set by /init) and, for the
# console log, to stdout. Commands run by check/check_fails fail as well when they print a
# sanitizer report (the agent under test may be an ASan/UBSan build).

WGT_RESULTS=${WGT_RESULTS:-}
WGT_TMP=$(mktemp -d /tmp/wgt.XXXXXX)
wgt_passed=0
wgt_failed=0

_wgt_emit() {
	printf '%s\n' "$1"
	if [[ -n $WGT_RESULTS ]]; then
		printf '%s\n' "$1" >>"$WGT_RESULTS"
	fi
}

# A name is one line, and ": " would end it ("not ok NAME: DETAIL").
_wgt_name() {
	local n=${1//$'\n'/ }
	n=${n//: / - }
	printf '%s' "${n:-unnamed}"
}

_wgt_oneline() {
	local s=$1
	s=${s//$'\r'/}
	s=${s//$'\n'/ | }
	printf '%s' "$s"
}

ok() {
	wgt_passed=$((wgt_passed + 1))
	_wgt_emit "ok $(_wgt_name "$1")"
}

not_ok() {
	local name detail
	name=$(_wgt_name "$1")
	shift
	detail=$(_wgt_oneline "$*")
	wgt_failed=$((wgt_failed + 1))
	_wgt_emit "not ok $name: ${detail:-failed}"
}

note() {
	local line
	if [[ $# -eq 1 && $1 == - ]]; then
		while IFS= read -r line || [[ -n $line ]]; do
			_wgt_emit "# $line"
		done
		return 0
	fi
	while IFS= read -r line || [[ -n $line ]]; do
		_wgt_emit "# $line"
	done <<<"$*"
}

# Prints the sanitizer report lines in FILE, if there are any.
_wgt_sanitizer() {
	grep -E -m3 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$1"
}

# The last lines of FILE, joined, for a failure detail.
_wgt_last() {
	local n=${2:-4}
	tail -n "$n" "$1" | tr -d '\r' | sed 's/^[[:space:]]*//' | paste -s -d'|' - | sed 's/|/ | /g' |
		cut -c1-400
}

_wgt_show() {
	printf '+ %s\n' "$*"
}

check() {
	local name=$1 rc san t0=$EPOCHREALTIME
	shift
	_wgt_show "$@"
	"$@" >"$WGT_TMP/out" 2>&1 </dev/null
	rc=$?
	head -c 20000 "$WGT_TMP/out"
	printf '(exit %d, %d ms)\n' "$rc" "$(ms_since "$t0")"
	san=$(_wgt_sanitizer "$WGT_TMP/out")
	if [[ -n $san ]]; then
		not_ok "$name" "sanitizer report (exit $rc): $(_wgt_oneline "$san")"
		return 1
	fi
	if ((rc == 0)); then
		ok "$name"
		return 0
	fi
	not_ok "$name" "exit $rc from '$*': $(_wgt_last "$WGT_TMP/out")"
	return "$rc"
}

check_fails() {
	local name=$1 want=$2 rc san t0=$EPOCHREALTIME
	shift 2
	_wgt_show "$@"
	"$@" >"$WGT_TMP/stdout" 2>"$WGT_TMP/stderr" </dev/null
	rc=$?
	head -c 20000 "$WGT_TMP/stdout"
	head -c 20000 "$WGT_TMP/stderr"
	printf '(exit %d, %d ms)\n' "$rc" "$(ms_since "$t0")"
	san=$(_wgt_sanitizer "$WGT_TMP/stderr")
	if [[ -n $san ]]; then
		not_ok "$name" "sanitizer report (exit $rc): $(_wgt_oneline "$san")"
		return 1
	fi
	if ((rc == 0)); then
		not_ok "$name" "'$*' succeeded, expected a failure mentioning '$want'"
		return 1
	fi
	if ! grep -qF -- "$want" "$WGT_TMP/stderr"; then
		not_ok "$name" "exit $rc, but stderr lacks '$want': $(_wgt_last "$WGT_TMP/stderr" 3)"
		return 1
	fi
	ok "$name"
}

# check_status NAME STATUS SUBSTRING CMD...: ok iff CMD exits with STATUS exactly and its stderr
# contains SUBSTRING (which may be empty).
check_status() {
	local name=$1 want_rc=$2 want=$3 rc san t0=$EPOCHREALTIME
	shift 3
	_wgt_show "$@"
	"$@" >"$WGT_TMP/stdout" 2>"$WGT_TMP/stderr" </dev/null
	rc=$?
	head -c 20000 "$WGT_TMP/stdout"
	head -c 20000 "$WGT_TMP/stderr"
	printf '(exit %d, %d ms)\n' "$rc" "$(ms_since "$t0")"
	san=$(_wgt_sanitizer "$WGT_TMP/stderr")
	if [[ -n $san ]]; then
		not_ok "$name" "sanitizer report (exit $rc): $(_wgt_oneline "$san")"
		return 1
	fi
	if ((rc != want_rc)); then
		not_ok "$name" "exit status $rc, expected $want_rc: $(_wgt_last "$WGT_TMP/stderr" 3)"
		return 1
	fi
	if ! grep -qF -- "$want" "$WGT_TMP/stderr"; then
		not_ok "$name" "stderr lacks '$want': $(_wgt_last "$WGT_TMP/stderr" 3)"
		return 1
	fi
	ok "$name"
}

check_same() {
	local name=$1 want=$2 got=$3
	if cmp -s "$want" "$got"; then
		ok "$name"
		return 0
	fi
	diff -u "$want" "$got" >"$WGT_TMP/diff" 2>&1
	head -n 60 "$WGT_TMP/diff"
	not_ok "$name" "$want and $got differ ($(wc -l <"$want") vs $(wc -l <"$got") lines): $(
		grep -E '^[-+][^-+]' "$WGT_TMP/diff" | head -n 4 | cut -c1-120 | paste -s -d'|' - |
			sed 's/|/ | /g')"
	return 1
}

# check_dump NAME IFNAME [NETNS]: `wgagent show IFNAME --dump --show-keys` equals
# `wg show IFNAME dump` byte for byte. Traffic (a keepalive) may change the counters between
# two reads, so the agent's dump is taken between two of wg's, and compared only when those agree.
# check_dump_hidden NAME IFNAME [NETNS]: the same for `wgagent show IFNAME --dump`, which prints
# "(hidden)" for the private key and for every preshared key that is set ("(none)" stays).
_wgt_dump_cmp() {
	local name=$1 ifname=$2 ns=${3:-} hide=$4 try pre=()
	[[ -z $ns ]] || pre=(ip netns exec "$ns")
	for ((try = 0; try < 5; try++)); do
		"${pre[@]}" wg show "$ifname" dump >"$WGT_TMP/wg1" 2>&1 || {
			not_ok "$name" "wg show $ifname dump failed: $(_wgt_last "$WGT_TMP/wg1" 2)"
			return 1
		}
		if ((hide)); then
			"${pre[@]}" wgagent show "$ifname" --dump >"$WGT_TMP/agent" 2>"$WGT_TMP/agent.err"
		else
			"${pre[@]}" wgagent show "$ifname" --dump --show-keys >"$WGT_TMP/agent" \
				2>"$WGT_TMP/agent.err"
		fi || {
			not_ok "$name" "wgagent show $ifname --dump failed: $(_wgt_last "$WGT_TMP/agent.err" 3)"
			return 1
		}
		"${pre[@]}" wg show "$ifname" dump >"$WGT_TMP/wg2" 2>&1
		cmp -s "$WGT_TMP/wg1" "$WGT_TMP/wg2" && break
		sleep 1
	done
	if [[ -s $WGT_TMP/agent.err ]]; then
		not_ok "$name" "wgagent show wrote to stderr: $(_wgt_last "$WGT_TMP/agent.err" 3)"
		return 1
	fi
	if ((hide)); then
		awk -F'\t' -v OFS='\t' 'NR == 1 && $1 != "(none)" { $1 = "(hidden)" }
			NR > 1 && $2 != "(none)" { $2 = "(hidden)" } { print }' \
			"$WGT_TMP/wg1" >"$WGT_TMP/want"
	else
		cp "$WGT_TMP/wg1" "$WGT_TMP/want"
	fi
	check_same "$name" "$WGT_TMP/want" "$WGT_TMP/agent"
}

check_dump() {
	_wgt_dump_cmp "$1" "$2" "${3:-}" 0
}

check_dump_hidden() {
	_wgt_dump_cmp "$1" "$2" "${3:-}" 1
}

finish() {
	printf '=== %s: %d passed, %d failed\n' "${0##*/}" "$wgt_passed" "$wgt_failed"
	rm -rf "$WGT_TMP"
	exit 0
}

# Milliseconds since the epoch-relative start of "$1" (an $EPOCHREALTIME value).
ms_since() {
	local a=${1/./} b=${EPOCHREALTIME/./}
	printf '%d' $(((10#$b - 10#$a) / 1000))
}
