#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs what the builder's Azure tests need: libcurl's headers, Node.js with npm (from
# Debian when node is missing) and Azurite, pinned, into a project-local folder that git
# ignores. Idempotent: when everything is present it only checks, without network.
#
#   packaging/install-deps-azure.sh [--print-dir]
#
# Azurite 3.35.0 is the last release that runs on Node 18 (Debian 12's nodejs); 3.36 and
# later need Node 21 or newer. The folder is $WGBAKE_AZURITE_DIR, default .cache/azurite in
# the repository; tests/azure/azurite.sh looks in the same place.
set -eu

AZURITE_VERSION=3.35.0
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${WGBAKE_AZURITE_DIR:-$root/.cache/azurite}

if [ "${1-}" = --print-dir ]; then
	echo "$dir"
	exit 0
fi

missing=""
for p in libcurl4-openssl-dev qemu-utils python3; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if ! command -v node >/dev/null 2>&1; then
	missing="$missing nodejs"
fi
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps-azure: missing packages:$missing" >&2
		echo "install-deps-azure: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "install-deps-azure: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086 # word splitting of the list is intended
	apt-get install -y -q --no-install-recommends $missing
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	echo "install-deps-azure: Node $(node --version) is too old; Azurite $AZURITE_VERSION needs 18 or newer" >&2
	exit 1
fi

have=$(node -p "try { require('$dir/node_modules/azurite/package.json').version } catch (e) { '' }" 2>/dev/null || true)
if [ "$have" = "$AZURITE_VERSION" ] && [ -x "$dir/node_modules/.bin/azurite-blob" ]; then
	exit 0
fi

echo "install-deps-azure: installing azurite@$AZURITE_VERSION into $dir" >&2
mkdir -p "$dir"
if [ ! -f "$dir/package.json" ]; then
	printf '{ "name": "wgbake-test-deps", "private": true }\n' >"$dir/package.json"
fi
# --no-save keeps package.json as written; engine-strict off because npm's own checks are
# stricter than what Azurite actually needs on Node 18.
(cd "$dir" && npm install --no-audit --no-fund --no-save --no-update-notifier \
	--loglevel=error "azurite@$AZURITE_VERSION")
[ -x "$dir/node_modules/.bin/azurite-blob" ] || {
	echo "install-deps-azure: azurite-blob missing after npm install" >&2
	exit 1
}
