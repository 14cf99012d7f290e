#!/bin/sh
# demo.sh - everything up on this machine: a throwaway Redis, the bundled
# Carbon Black Cloud simulator, the poller, two workers and the viewer.
# Prints the viewer's URL; Ctrl-C stops everything and removes the state.
set -u
BIN=$(cd "${1:-bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lrflow-demo.XXXXXX")
pids=""

stop_all() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	rev=""
	for p in $pids; do rev="$p $rev"; done
	for p in $rev; do kill -TERM "$p" 2>/dev/null; sleep 0.2; done
	wait 2>/dev/null
	rm -rf "$tmp"
	exit 0
}
trap stop_all EXIT INT TERM

die() {
	echo "demo: $*" >&2
	for f in "$tmp"/*.log; do [ -f "$f" ] && tail -n 5 "$f" >&2; done
	exit 1
}

wait_line() {	# FILE PATTERN
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

redis-server --port 0 --unixsocket "$tmp/redis.sock" --dir "$tmp" --save '' \
    --appendonly no >"$tmp/redis.log" 2>&1 &
pids="$pids $!"
REDIS="unix://$tmp/redis.sock"

"$BIN/lr-cbsim" --listen 127.0.0.1:0 --scenario "$top/tests/demo-scenario.json" \
    >"$tmp/cbsim.out" 2>"$tmp/cbsim.log" &
pids="$pids $!"
wait_line "$tmp/cbsim.out" '^listening on' || die "the simulator did not start"
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/cbsim.out")
cat >"$tmp/credentials.psc" <<EOC
[default]
url=http://127.0.0.1:$port
token=SIMSECRETLRKEY000000000/SIMLRID001
org_key=ABCD1234

[siem]
url=http://127.0.0.1:$port
token=SIMSECRETSIEMKEY0000000/SIMSIEMID01
EOC
chmod 600 "$tmp/credentials.psc"

for i in 1 2; do
	"$BIN/lr-worker" --redis "$REDIS" --credentials "$tmp/credentials.psc" \
	    --id "demo-worker-$i" --concurrency 3 --checkin-timeout 20 \
	    2>"$tmp/worker$i.log" &
	pids="$pids $!"
done
# The org key selects Alerts v7 and Live Response v6, as for a current
# org; a short lag keeps the demo quick (the default is 60 s).
"$BIN/lr-poller" --redis "$REDIS" --credentials "$tmp/credentials.psc" --poll 2 \
    --alert-lag 1 \
    2>"$tmp/poller.log" &
pids="$pids $!"

listen=127.0.0.1:7982
if command -v ss >/dev/null 2>&1 && ss -ltn | grep -q '127.0.0.1:7982 '; then
	listen=127.0.0.1:0	# 7982 is taken: any free port
fi
: >"$tmp/viewer.out"
"$BIN/lr-viewer" --redis "$REDIS" --listen "$listen" >"$tmp/viewer.out" 2>"$tmp/viewer.log" &
pids="$pids $!"
wait_line "$tmp/viewer.out" 'listening on' || {
	: >"$tmp/viewer.out"
	"$BIN/lr-viewer" --redis "$REDIS" --listen 127.0.0.1:0 >"$tmp/viewer.out" 2>"$tmp/viewer.log" &
	pids="$pids $!"
	wait_line "$tmp/viewer.out" 'listening on' || die "the viewer did not start"
}
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$tmp/viewer.out" | head -n 1)

cat <<MSG

  lrflow demo is running.

    viewer:     $url
    JSON:       ${url}api/devices
    simulator:  http://127.0.0.1:$port/_sim/stats
    Redis:      redis-cli -s $tmp/redis.sock HGETALL lr:result:21212
    logs:       $tmp/*.log

  The simulated cloud (Alerts v7, Live Response v6) raises alerts for
  devices 21212, 31337, 40404 and 50505 over the next ten seconds; results
  appear in the viewer within about 15 s.  40404 never checks in and fails
  after 20 s; 50505 was last seen ten days ago and fails at once, without a
  session.  Ctrl-C stops.

MSG
tail -n 0 -f "$tmp/poller.log" "$tmp/worker1.log" "$tmp/worker2.log" &
pids="$pids $!"
while :; do sleep 1; done
