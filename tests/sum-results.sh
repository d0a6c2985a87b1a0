#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/sum-results.sh LOG...
#
# Adds up every suite summary line ("unit: 3 passed, 0 failed", "vm: 128 passed, 1 failed", ...)
# in the logs and prints one final line "N passed, N failed". A log that is missing or has no
# summary line (its suite died, or produced nothing) counts as one failure: it must not look
# green. Exit status 1 when anything failed or when no summary line was found at all.

set -uo pipefail

if (($# == 0)); then
	echo "usage: tests/sum-results.sh LOG..." >&2
	exit 2
fi

passed=0
failed=0
found=0
status=0
for log in "$@"; do
	if [[ ! -r $log ]]; then
		echo "sum-results: '$log': no such log" >&2
		failed=$((failed + 1))
		continue
	fi
	n=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ ^[a-z-]+:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
			passed=$((passed + 10#${BASH_REMATCH[1]}))
			failed=$((failed + 10#${BASH_REMATCH[2]}))
			n=$((n + 1))
		fi
	done <"$log"
	if ((n == 0)); then
		echo "sum-results: '$log': no summary line" >&2
		failed=$((failed + 1))
	fi
	found=$((found + n))
done

((found > 0)) || status=1
((failed == 0)) || status=1
echo "$passed passed, $failed failed"
exit $status
