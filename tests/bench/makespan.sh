#!/bin/sh
# makespan.sh - figures 2 and 7 (make bench).
#
# Figure 2, makespan under the budget: JOBS jobs, --session-limit LIMIT
# shared by two worker processes of LIMIT jobs at once each, against
# lr-cbsim (Live Response v6) with 50 ms latency and 400 ms commands.
# The ideal makespan is JOBS / LIMIT waves of one job's time alone,
# measured first in the same run (one job, one worker); the figure is
# ideal / measured (target 0.9): 200 jobs under a limit of 20, 10 waves.
# The 200 are queued by one poller pass over an alerts search of 200
# alerts for 200 devices, before the workers start.
#
# Figure 7, worker CPU per job: user + system CPU of the two worker
# processes (/proc/PID/stat utime + stime) over the jobs they did,
# parsing included; reported, no target.
. "$(dirname "$0")/../integration/lib.sh"

JOBS=200
LIMIT=20
TARGET=0.9

sim_fleet 50 400 7300 $((7300 + JOBS)) >"$tmp/scenario.json"

start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234

hz=$(getconf CLK_TCK)
# cpu_ms PID: user + system CPU milliseconds of a live process.
cpu_ms() { awk -v hz="$hz" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"; }

# run PREFIX N WORKERS: N jobs from device 7300 on, WORKERS processes;
# prints "makespan_ms cpu_ms jobs_done".
run() {
	p=$1 n=$2 nw=$3
	if [ "$n" -eq 1 ]; then
		queue_in "$p" 7300 || return 1
	else
		curl -sf -X POST -d "{\"device_id\": 7300, \"devices\": $n, \"count\": $n, \"spacing_ms\": 1, \"age_s\": 60}" \
		    "$CB_URL/_sim/alerts" >/dev/null || return 1
		poll_once --prefix "$p" --source alerts --alert-lag 0 --lookback 300 || return 1
		[ "$(rcli LLEN "$p:queue")" = "$n" ] || return 1
	fi
	wp=""
	t0=$(now_ms)
	i=1
	while [ $i -le "$nw" ]; do
		"$BIN/lr-worker" --redis "$REDIS_URL" --prefix "$p" \
		    --credentials "$tmp/credentials.psc" --id "$p-w$i" \
		    --concurrency $LIMIT --session-limit $LIMIT \
		    --checkin-timeout 30 >/dev/null 2>>"$tmp/$p.log" &
		wp="$wp $!"
		pids="$pids $!"
		i=$((i + 1))
	done
	k=0
	while [ "$(rcli HGET "$p:stats" jobs_done)" != "$n" ] && [ $k -lt 1800 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	t1=$(now_ms)
	cpu=0
	for w in $wp; do cpu=$((cpu + $(cpu_ms "$w"))); done
	for w in $wp; do kill -TERM "$w" 2>/dev/null; done
	for w in $wp; do wait "$w" 2>/dev/null; done
	echo "$((t1 - t0)) $cpu $(rcli HGET "$p:stats" jobs_done)" >"$tmp/$p.res"
}

echo "makespan benchmark: $JOBS jobs, --session-limit $LIMIT, 2 worker processes x $LIMIT jobs, lr-cbsim v6 with 50 ms latency, 400 ms commands"
run one 1 1 || { echo "  makespan: queueing failed (logs: $tmp)"; T_KEEP=1; exit 1; }
run all $JOBS 2 || { echo "  makespan: queueing failed (logs: $tmp)"; T_KEEP=1; exit 1; }
read -r one_ms one_cpu one_done <"$tmp/one.res"
read -r all_ms all_cpu all_done <"$tmp/all.res"
if [ "$one_done" != 1 ] || [ "$all_done" != $JOBS ]; then
	echo "  makespan: $one_done of 1 and $all_done of $JOBS jobs done (logs: $tmp)"
	T_KEEP=1
	exit 1
fi
echo "$one_ms $all_ms" | awk -v j=$JOBS -v l=$LIMIT -v t=$TARGET '{
	ideal = j / l * $1
	printf "  makespan      ratio %.2f (target >= %.1f)  %d jobs in %.1f s, ideal %.1f s = %d / %d x %.1f s alone\n",
	    ideal / $2, t, j, $2 / 1000, ideal / 1000, j, l, $1 / 1000 }'
echo "$all_cpu $all_done $one_cpu" | awk '{
	printf "  worker CPU/job  reported  %.1f ms (%d ms user+system over %d jobs; %d ms for the job alone)\n",
	    $1 / $2, $1, $2, $3 }'
bench_row 2 "makespan under the budget ($JOBS jobs, --session-limit $LIMIT, 2 processes)" ">= $TARGET" \
    "$(echo "$one_ms $all_ms" | awk -v j=$JOBS -v l=$LIMIT '{ printf "%.2f", j / l * $1 / $2 }')" \
    "$(echo "$one_ms $all_ms" | awk -v j=$JOBS -v l=$LIMIT '{ printf "%.1f s measured, ideal %.1f s = %d / %d x %.1f s alone", $2 / 1000, j / l * $1 / 1000, j, l, $1 / 1000 }')"
bench_row 7 "worker CPU per job (user + system, parsing included)" "reported" \
    "$(echo "$all_cpu $all_done" | awk '{ printf "%.1f ms", $1 / $2 }')" \
    "$all_cpu ms over $all_done jobs, two processes"
exit 0
