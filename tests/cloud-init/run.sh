#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make check-cloud-init: every template in cloud-init/ must pass `cloud-init schema`, and every
# wgagent config it writes (write_files under /etc/wgagent/) must pass `wgagent check`.
# A broken template must be caught, too: a copy with a misspelt key is expected to fail.
#
# Usage: tests/cloud-init/run.sh --agent BIN [--results LOG]
# The log ends with "cloud-init: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
agent= results=
while [[ $# -gt 0 ]]; do
	case $1 in
	--agent) agent=$(readlink -f "$2"); shift 2 ;;
	--results) results=$2; shift 2 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -x $agent ]] || { echo "run.sh: need --agent" >&2; exit 2; }
results=${results:-$top/build/results/cloud-init.log}
mkdir -p "$(dirname "$results")"
: >"$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
emit() { printf '%s\n' "$1" | tee -a "$results"; }
ok() { passed=$((passed + 1)); emit "ok $1"; }
not_ok() { failed=$((failed + 1)); emit "not ok $1: $2"; }

# Debian's cloud-init runs on the system python (with PyYAML), not on any other python3 in PATH.
py=/usr/bin/python3

templates=("$top"/cloud-init/*.yaml)
[[ -e ${templates[0]} ]] || not_ok "cloud-init/ has templates" "none found"
for t in "${templates[@]}"; do
	name=cloud-init/${t##*/}
	if out=$(cloud-init schema --config-file "$t" 2>&1); then
		ok "$name passes cloud-init schema"
	else
		not_ok "$name passes cloud-init schema" "$(tail -n 2 <<<"$out" | tr '\n' ' ')"
	fi
	# The wgagent configs it writes, each into its own file named as on the VM.
	n=0
	while IFS= read -r -d '' path; do
		IFS= read -r -d '' content
		n=$((n + 1))
		mkdir -p "$tmp/$n"
		printf '%s' "$content" >"$tmp/$n/${path##*/}"
		if out=$("$agent" check "$tmp/$n/${path##*/}" 2>&1); then
			ok "$name: $path passes wgagent check"
		else
			not_ok "$name: $path passes wgagent check" "$out"
		fi
	done < <("$py" - "$t" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for f in doc.get("write_files", []):
    if f.get("path", "").startswith("/etc/wgagent/"):
        sys.stdout.write(f["path"] + "\0" + f.get("content", "") + "\0")
PY
	)
	# The oracle must be able to say no: the same template with a misspelt write_files key.
	awk '{ print } /^  - path: / && !done { print "    permisions: \"0600\""; done = 1 }' "$t" \
		>"$tmp/broken.yaml"
	if cloud-init schema --config-file "$tmp/broken.yaml" >/dev/null 2>&1; then
		not_ok "$name with a misspelt key fails cloud-init schema" "it passed"
	else
		ok "$name with a misspelt key fails cloud-init schema"
	fi
done
emit "cloud-init: $passed passed, $failed failed"
((failed == 0))
