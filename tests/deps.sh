#!/bin/sh
# deps.sh - install the Debian packages lrflow needs that are missing.
# Run by `make deps` (and so by `make demo`); `make deps-browser` (and so
# `make test`) runs it with --browser, which adds headless Chromium and
# chromedriver for tests/integration/t_browser.sh: when those cannot be
# installed it says so and goes on, and that test is skipped, loudly.
# stunnel4 and openssl are for the TLS recipe and its test (t_tls.sh);
# wrk is for the viewer's benchmark (tests/bench/viewer.sh).
set -u
browser=""
[ "${1:-}" = "--browser" ] && browser="chromium chromium-driver"
pkgs="build-essential pkg-config libhiredis-dev libcurl4-openssl-dev libjansson-dev libevent-dev libsqlite3-dev redis-server redis-tools curl jq iproute2 stunnel4 openssl wrk"
# missing PKG...: those not installed.
missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "ok installed" || printf ' %s' "$p"
	done
}
missing=$(missing $pkgs)
bmissing=$(missing $browser)
[ -z "$missing" ] && [ -z "$bmissing" ] && exit 0
echo "deps: installing:$missing$bmissing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing$bmissing; run as root: apt-get install$missing$bmissing" >&2
	[ -z "$missing" ] && exit 0	# only the browser: its test is skipped
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
	echo "deps: apt-get update failed" >&2
	[ -z "$missing" ] && exit 0
	exit 1
fi
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
fi
if [ -n "$bmissing" ]; then
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $bmissing >/dev/null ||
		echo "deps: WARNING: apt-get install$bmissing failed: the browser test (t_browser.sh) will be SKIPPED" >&2
fi
# The package starts a system redis-server; tests never use it.
exit 0
