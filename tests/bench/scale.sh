#!/bin/sh
# scale.sh - throughput against the number of worker processes (make bench).
#
# 1, 2, 4 and 8 lr-worker processes, the same --concurrency each, share one
# --session-limit against lr-cbsim with latency.  Each round runs three
# waves of jobs (3 x the sessions it may hold), so every round takes about
# the same time; its throughput is divided by the ideal: one process's,
# times the sessions the round may hold over one process's.  Until the
# budget binds that is linear scaling; past it, the budget is the ceiling.
# The figure is the ratio, measured in this one run (target 0.9).
. "$(dirname "$0")/../integration/lib.sh"

CONC=2     # jobs at once per worker process
BUDGET=8   # --session-limit, shared by all of them
ROUNDS="1 2 4 8"
TARGET=0.9

# Devices 7001..7024, checking in at once.
sim_fleet 50 100 7001 7024 >"$tmp/scenario.json"

start_redis
start_cbsim "$tmp/scenario.json"

# round N: N workers under prefix rN; prints "jobs makespan_ms".
round() {
	n=$1
	slots=$((n * CONC))
	[ $slots -gt $BUDGET ] && slots=$BUDGET
	jobs=$((3 * slots))
	p=r$n
	queue_in $p $(seq 7001 $((7000 + jobs))) || return 1
	wp=""
	t0=$(now_ms)
	i=1
	while [ $i -le "$n" ]; do
		"$BIN/lr-worker" --redis "$REDIS_URL" --prefix $p \
		    --credentials "$tmp/credentials.psc" --id "$p-w$i" \
		    --concurrency $CONC --session-limit $BUDGET \
		    --checkin-timeout 30 >/dev/null 2>>"$tmp/$p.log" &
		wp="$wp $!"
		i=$((i + 1))
	done
	k=0
	while [ "$(rcli HGET $p:stats jobs_done)" != "$jobs" ] && [ $k -lt 1800 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	t1=$(now_ms)
	done_n=$(rcli HGET $p:stats jobs_done)
	for w in $wp; do kill -TERM "$w" 2>/dev/null; done
	for w in $wp; do wait "$w" 2>/dev/null; done
	[ "$done_n" = "$jobs" ] || { echo "# round $n: $done_n of $jobs jobs done" >&2; return 1; }
	echo "$jobs $((t1 - t0))"
}

echo "scaling benchmark: worker processes x $CONC jobs each, --session-limit $BUDGET, lr-cbsim with 50 ms latency"
base=""
worst=""
fail=0
for n in $ROUNDS; do
	r=$(round "$n") || { fail=1; break; }
	jobs=${r% *} ms=${r#* }
	slots=$((n * CONC))
	[ $slots -gt $BUDGET ] && slots=$BUDGET
	[ -z "$base" ] && base=$(echo "$jobs $ms $slots" | awk '{print $1 * 1000 / $2 / $3}')
	echo "$n $jobs $ms $slots $base" | awk -v target=$TARGET '{
		thr = $2 * 1000 / $3; ideal = $5 * $4
		printf "  %d process%s  %2d jobs in %6.1f s  %5.2f jobs/s  ideal %5.2f  ratio %.2f (target >= %.1f)%s\n",
		    $1, ($1 == 1 ? "  " : "es"), $2, $3 / 1000, thr, ideal, thr / ideal, target,
		    ($4 < $1 * 2 ? "  [budget binds]" : "")
	}'
	ratio=$(echo "$jobs $ms $slots $base" | awk '{print ($1 * 1000 / $2) / ($4 * $3)}')
	if [ -z "$worst" ] || awk -v a="$ratio" -v b="$worst" 'BEGIN{exit !(a < b)}'; then
		worst=$ratio
	fi
done
[ $fail -eq 0 ] || { echo "  scaling: a round did not finish (logs: $tmp)"; T_KEEP=1; exit 1; }
printf '  scale: worst ratio to linear %.2f (target >= %.1f)\n' "$worst" $TARGET
bench_row "2b" "throughput against $ROUNDS worker processes, over linear up to the budget (worst)" ">= $TARGET" \
    "$(printf '%.2f' "$worst")" "--session-limit $BUDGET, $CONC jobs a process"
# A figure that misses its target is printed, not a failure of the run.
exit 0
