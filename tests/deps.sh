#!/bin/sh
# deps.sh - install the Debian packages lrflow needs that are missing.
# Run by `make deps` (and so by `make test` and `make demo`).
set -u
pkgs="build-essential pkg-config libhiredis-dev libcurl4-openssl-dev libjansson-dev libevent-dev libsqlite3-dev redis-server redis-tools curl jq"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
# The package starts a system redis-server; tests never use it.
exit 0
