#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Starts or stops Azurite's blob service on a free loopback port, for the tests.
#
#   tests/azure/azurite.sh start DIR    data, log, pid and port go into DIR; prints the port
#   tests/azure/azurite.sh stop DIR
#
# Azurite comes from packaging/install-deps-azure.sh ($WGBAKE_AZURITE_DIR, default
# .cache/azurite). Account devstoreaccount1 with its published well-known key; the blob
# endpoint is http://127.0.0.1:PORT/devstoreaccount1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
azdir=${WGBAKE_AZURITE_DIR:-$root/.cache/azurite}

die() {
	printf 'azurite: %s\n' "$*" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
	local dir=$1 bin=$azdir/node_modules/.bin/azurite-blob port pid
	[[ -x $bin ]] || die "azurite-blob is not installed in '$azdir': run packaging/install-deps-azure.sh"
	mkdir -p "$dir/data"
	for _ in 1 2 3; do
		port=$(free_port)
		"$bin" --blobHost 127.0.0.1 --blobPort "$port" -l "$dir/data" \
			--skipApiVersionCheck --loose --disableTelemetry \
			>"$dir/azurite.log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$dir/azurite.pid"
		for _ in $(seq 1 100); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if grep -q 'successfully listens' "$dir/azurite.log" 2>/dev/null; then
				echo "$port" >"$dir/azurite.port"
				echo "$port"
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	tail -20 "$dir/azurite.log" >&2 || true
	die "Azurite did not start"
}

stop() {
	local dir=$1 pid
	[[ -f $dir/azurite.pid ]] || return 0
	pid=$(cat "$dir/azurite.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/azurite.pid"
}

case ${1-} in
start) [[ $# -eq 2 ]] || die "usage: azurite.sh start DIR"; start "$2" ;;
stop) [[ $# -eq 2 ]] || die "usage: azurite.sh stop DIR"; stop "$2" ;;
*) die "usage: azurite.sh start|stop DIR" ;;
esac
