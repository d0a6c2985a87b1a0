#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What tests/bench/b-upload.sh needs beyond packaging/install-deps-azure.sh: Debian's
# azure-cli (2.45 on Debian 12), for `az storage blob upload --type page` as the reference.
# Only the benchmark uses it; `make deps` does not install it. Idempotent.
set -eu

"$(dirname "$0")/install-deps-azure.sh"
if command -v az >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps-bench: azure-cli is missing; run as root (or: sudo apt-get install azure-cli)" >&2
	exit 1
fi
echo "install-deps-bench: installing azure-cli" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends azure-cli
