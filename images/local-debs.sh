#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Downloads, from the machine's configured Debian mirror (`apt-get download`), the .debs
# the local specs install offline: wireguard-tools, plus the packages holding every library
# the wgagent binary links (found with ldd and dpkg -S), with their dependency closure.
# wgbake skips the ones a guest already has at the same version. Files go to
# $WGBAKE_CACHE/debs (default .cache/debs); a second run with the same list does nothing.
#
# Usage: images/local-debs.sh [AGENT]   (default agent/wgagent); prints the folder.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
agent=${1:-$top/agent/wgagent}
dir=${WGBAKE_CACHE:-$top/.cache}/debs
say() { printf 'local-debs: %s\n' "$*" >&2; }

[[ -x $agent ]] || { say "'$agent' not found: run make first"; exit 1; }

# The packages that own the agent's libraries.
roots="wireguard-tools"
while read -r lib; do
	pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
		dpkg -S "*/$(basename "$lib")" 2>/dev/null) || { say "no package owns '$lib'"; exit 1; }
	roots="$roots ${pkg%%:*}"
done < <(ldd "$agent" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
roots=$(tr ' ' '\n' <<<"$roots" | sort -u | tr '\n' ' ')

# Their dependency closure (Depends and PreDepends only), real packages only.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $roots 2>/dev/null |
	awk '/^[a-z0-9]/ { print $1 }' | sort -u)
key=$(sha256sum <<<"$closure" | cut -c1-16)
if [[ -s $dir/.list-$key ]]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.dl.XXXXXX")
# shellcheck disable=SC2086 # the list is split on purpose
(cd "$tmp" && apt-get download -q $closure >/dev/null 2>"$tmp/.err") || {
	cat "$tmp/.err" >&2
	rm -rf "$tmp"
	say "apt-get download failed (try 'apt-get update')"
	exit 1
}
rm -f "$dir"/*.deb "$dir"/.list-*
mv "$tmp"/*.deb "$dir/"
rm -rf "$tmp"
echo "$closure" >"$dir/.list-$key"
say "$(wc -w <<<"$closure") packages for: $roots"
echo "$dir"
