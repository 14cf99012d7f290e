# lib.sh - helpers for integration tests: a throwaway redis-server and
# lr-cbsim per test file, the real daemons, checks that print TAP lines.
# Source it, call the helpers, end with `finish`.
set -u
BIN=${LRFLOW_BIN:-$(pwd)/bin}
TOP=${LRFLOW_TOP:-$(pwd)}
FIX=$TOP/tests/fixtures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lrflow-it.XXXXXX")
pids=""
t_n=0
t_failed=0
# Sanitizer builds run slower: stretch every wait.
SLOW=1
[ -n "${LRFLOW_SANITIZED:-}" ] && SLOW=3

cleanup() {
	# Daemons first, Redis and the simulator (started first) last.
	rev=""
	for p in $pids; do rev="$p $rev"; done
	for p in $rev; do
		kill -TERM "$p" 2>/dev/null
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1; i=$((i + 1))
		done
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$t_failed" -ne 0 ] || [ -n "${T_KEEP:-}" ]; then
		echo "# logs kept in $tmp"
		for f in "$tmp"/*.log; do
			[ -f "$f" ] || continue
			echo "# --- $(basename "$f") (last 15 lines)"
			tail -n 15 "$f" | sed 's/^/#   /'
		done
		[ -n "${T_KEEP:-}" ] || rm -rf "$tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok DESC CMD...: one check.
ok() {
	desc=$1; shift
	t_n=$((t_n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $t_n - $desc"
	else
		echo "not ok $t_n - $desc"
		t_failed=$((t_failed + 1))
	fi
}

# is DESC GOT WANT: equality check that shows both sides on failure.
is() {
	t_n=$((t_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $t_n - $1"
	else
		echo "not ok $t_n - $1"
		echo "#   got:  '$2'"
		echo "#   want: '$3'"
		t_failed=$((t_failed + 1))
	fi
}

# like DESC TEXT PATTERN: grep -E check.
like() {
	t_n=$((t_n + 1))
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		echo "ok $t_n - $1"
	else
		echo "not ok $t_n - $1"
		echo "#   '$(printf '%s' "$2" | head -c 400)'"
		echo "#   does not match /$3/"
		t_failed=$((t_failed + 1))
	fi
}

finish() {
	echo "1..$t_n"
	echo "$((t_n - t_failed)) passed, $t_failed failed"
	[ "$t_failed" -eq 0 ]
	exit $?
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	limit=$(($1 * SLOW * 10)); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# start_redis [REDIS-SERVER ARGS...]: later arguments win (--appendonly yes).
start_redis() {
	redis-server --port 0 --unixsocket "$tmp/redis.sock" --dir "$tmp" \
	    --save '' --appendonly no "$@" >>"$tmp/redis.log" 2>&1 &
	REDIS_PID=$!
	pids="$pids $REDIS_PID"
	wait_for 10 test -S "$tmp/redis.sock" || { echo "not ok - redis-server did not start"; exit 1; }
	REDIS_URL="unix://$tmp/redis.sock"
	wait_for 5 rcli PING
}

rcli() {
	redis-cli -s "$tmp/redis.sock" "$@"
}

# start_cbsim [SCENARIO]: sets CB_URL, CB_PORT.
start_cbsim() {
	set -- ${1:+--scenario "$1"}
	: >"$tmp/cbsim.out"
	"$BIN/lr-cbsim" --listen 127.0.0.1:0 "$@" >"$tmp/cbsim.out" 2>"$tmp/cbsim.log" &
	CBSIM_PID=$!
	pids="$pids $CBSIM_PID"
	wait_for 10 grep -q '^listening on ' "$tmp/cbsim.out" ||
	    { echo "not ok - lr-cbsim did not start"; cat "$tmp/cbsim.log"; exit 1; }
	CB_PORT=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/cbsim.out")
	CB_URL="http://127.0.0.1:$CB_PORT"
	write_creds
}

LR_TOKEN=SIMSECRETLRKEY000000000/SIMLRID001
SIEM_TOKEN=SIMSECRETSIEMKEY0000000/SIMSIEMID01

write_creds() {
	cat >"$tmp/credentials.psc" <<EOC
[default]
url=$CB_URL
token=$LR_TOKEN

[siem]
url=$CB_URL
token=$SIEM_TOKEN
EOC
	chmod 600 "$tmp/credentials.psc"
}

# write_v6_creds ORG_KEY: the credentials file with an org key, so the
# daemons use Live Response v6 and Alerts v7.
write_v6_creds() {
	cat >"$tmp/credentials.psc" <<EOC
[default]
url=$CB_URL
token=$LR_TOKEN
org_key=$1

[siem]
url=$CB_URL
token=$SIEM_TOKEN
org_key=$1
EOC
	chmod 600 "$tmp/credentials.psc"
}

# sim_stat FIELD: a number from the simulator's /_sim/stats.
sim_stat() {
	curl -s "$CB_URL/_sim/stats" | jq -r ".$1"
}

# start_worker NAME [ARGS...]: a worker logging to $tmp/NAME.log.
start_worker() {
	name=$1; shift
	"$BIN/lr-worker" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
	    --id "$name" --checkin-timeout 5 "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	eval "${name}_PID=$!"
	pids="$pids $!"
}

# poll_once [ARGS...]: one poller pass, logging to $tmp/poller.log.
poll_once() {
	"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
	    --once "$@" >>"$tmp/poller.out" 2>>"$tmp/poller.log"
}

# start_viewer [ARGS...]: sets VIEWER_URL.
start_viewer() {
	# Empty the file here: the child truncates it only once it runs, and a
	# grep before that would read the previous viewer's line.
	: >"$tmp/viewer.out"
	"$BIN/lr-viewer" --redis "$REDIS_URL" --listen 127.0.0.1:0 "$@" \
	    >"$tmp/viewer.out" 2>"$tmp/viewer.log" &
	VIEWER_PID=$!
	pids="$pids $VIEWER_PID"
	wait_for 10 grep -q 'listening on http.*/$' "$tmp/viewer.out" ||
	    { echo "not ok - lr-viewer did not start"; cat "$tmp/viewer.log"; exit 1; }
	VIEWER_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$tmp/viewer.out" | head -n 1)
	VIEWER_URL=${VIEWER_URL%/}
	echo "# viewer at $VIEWER_URL (pid $VIEWER_PID)"
}

# status_is DEVICE STATUS: the result hash says so.
status_is() {
	[ "$(rcli HGET "lr:result:$1" status)" = "$2" ]
}

# stop PID: SIGTERM and wait; sets $rc to the exit status.
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	rc=$?
}

# event_details DEVICE KIND: the detail of each KIND event of DEVICE in
# lr:events, one a line, oldest first.
event_details() {
	rcli XRANGE lr:events - + | awk -v dev="$1" -v kind="$2" '
		want == "event" { k = $0 } want == "device" { d = $0 }
		want == "detail" { if (k == kind && d == dev) print }
		{ want = ($0 == "event" || $0 == "device" || $0 == "detail") ? $0 : "" }'
}

# invariants: design §2.8 on the live keys; prints the first violation.
# Every job in the queue, the retry set or a processing list (claims are
# envelopes {"claim", "worker", "at", "job"}) has its device in flight;
# every device in flight has exactly one job; no processing list belongs
# to a worker missing from lr:workers.
invariants() {
	invariants_in lr
}

# --- helpers for t_recovery.sh, t_outage.sh, t_deferred.sh ----------

# queue_synthetic DEVICE...: one synthetic job per device through the
# poller.
queue_synthetic() {
	for d in "$@"; do
		poll_once --synthetic "$d" || return 1
	done
}

# sim_fleet LATENCY_MS COMMAND_MS FIRST LAST: a scenario (stdout) of the
# devices FIRST..LAST, each checking in at once with one user.
sim_fleet() {
	seq "$3" "$4" | awk -v lat="$1" -v cmd="$2" '
		BEGIN { printf "{\"latency_ms\": %d, \"command_ms\": %d, \"devices\": [", lat, cmd }
		{ printf "%s{\"id\": %d, \"checkin_after\": 0, \"users\": [\"u%d\"]}", (NR > 1 ? "," : ""), $1, $1 }
		END { print "]}" }'
}

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# queue_in PREFIX DEVICE...: queue_synthetic for daemons run with --prefix.
queue_in() {
	qp=$1; shift
	for d in "$@"; do
		poll_once --prefix "$qp" --synthetic "$d" || return 1
	done
}

# bench_row N FIGURE TARGET VALUE RAW: one row of the table make bench
# prints at the end (tests/bench.sh), appended to $LRFLOW_BENCH_TABLE when
# it is set.  VALUE is the ratio (or the reported figure), RAW the numbers
# behind it.  Fields must not hold '|'.
bench_row() {
	[ -n "${LRFLOW_BENCH_TABLE:-}" ] || return 0
	printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" >>"$LRFLOW_BENCH_TABLE"
}

# alive PID: the process runs (not gone, not a zombie nobody waited for).
alive() {
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$s" in "" | Z*) return 1 ;; esac
	return 0
}

# sim_device JSON: add or replace one simulator device (POST /_sim/device).
sim_device() {
	curl -sf -X POST -d "$1" "$CB_URL/_sim/device" >/dev/null
}

# invariants_in PREFIX: `invariants` for daemons run with --prefix PREFIX.
invariants_in() {
	p=$1
	inflight=$(rcli ZRANGE "$p:inflight" 0 -1 | sort)
	jobs=$( (rcli LRANGE "$p:queue" 0 -1
		rcli ZRANGE "$p:retry" 0 -1
		for k in $(rcli --scan --pattern "$p:processing:*"); do
			rcli LRANGE "$k" 0 -1
		done) | jq -r '(.job // .).device_id' | sort)
	for d in $jobs; do
		echo "$inflight" | grep -qx "$d" || { echo "job for $d not in flight"; return 1; }
	done
	for d in $inflight; do
		n=$(echo "$jobs" | grep -cx "$d")
		[ "$n" -eq 1 ] || { echo "device $d in flight with $n jobs"; return 1; }
	done
	for k in $(rcli --scan --pattern "$p:processing:*"); do
		[ -n "$(rcli ZSCORE "$p:workers" "${k#"$p":processing:}")" ] ||
		    { echo "$k belongs to no registered worker"; return 1; }
	done
	return 0
}

# invariants_ok DESC [PREFIX]: one check of invariants_in PREFIX (default
# lr) that shows the violation when it fails.
invariants_ok() {
	t_n=$((t_n + 1))
	if why=$(invariants_in "${2:-lr}" 2>&1); then
		echo "ok $t_n - $1"
	else
		echo "not ok $t_n - $1"
		echo "#   $why"
		t_failed=$((t_failed + 1))
	fi
}

# dead_errors DEVICE [PREFIX]: the error of each dead-letter entry whose
# job is for DEVICE, one a line.
dead_errors() {
	rcli LRANGE "${2:-lr}:dead" 0 -1 |
	    jq -r --arg d "$1" 'select((.job | fromjson? | .device_id | tostring) == $d) | .error'
}

# statuses [PREFIX] DEVICE...: "DEVICE STATUS" for each device, one a line.
statuses() {
	p=lr
	case "${1:-}" in *[!0-9]*) p=$1; shift ;; esac
	for d in "$@"; do
		echo "$d $(rcli HGET "$p:result:$d" status)"
	done
}

# status_is_in PREFIX DEVICE STATUS: status_is for daemons run with --prefix.
status_is_in() {
	[ "$(rcli HGET "$1:result:$2" status)" = "$3" ]
}

# start_cbsim_named NAME SCENARIO: a second simulator beside the first,
# logging to $tmp/NAME.log; sets NAME_URL and NAME_PID and writes v3
# credentials for it to $tmp/NAME.psc (give a worker --credentials
# $tmp/NAME.psc: the last --credentials wins).
start_cbsim_named() {
	n=$1
	: >"$tmp/$n.out"
	"$BIN/lr-cbsim" --listen 127.0.0.1:0 --scenario "$2" >"$tmp/$n.out" 2>"$tmp/$n.log" &
	eval "${n}_PID=$!"
	pids="$pids $!"
	wait_for 10 grep -q '^listening on ' "$tmp/$n.out" ||
	    { echo "not ok - lr-cbsim $n did not start"; cat "$tmp/$n.log"; exit 1; }
	u="http://127.0.0.1:$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$n.out")"
	eval "${n}_URL=\$u"
	printf '[default]\nurl=%s\ntoken=%s\n' "$u" "$LR_TOKEN" >"$tmp/$n.psc"
	chmod 600 "$tmp/$n.psc"
}

# event_details_in PREFIX DEVICE KIND: event_details for daemons run with
# --prefix PREFIX.
event_details_in() {
	rcli XRANGE "$1:events" - + | awk -v dev="$2" -v kind="$3" '
		want == "event" { k = $0 } want == "device" { d = $0 }
		want == "detail" { if (k == kind && d == dev) print }
		{ want = ($0 == "event" || $0 == "device" || $0 == "detail") ? $0 : "" }'
}
