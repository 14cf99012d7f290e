#!/bin/sh
# memory.sh - figure 4, memory (make bench).
#
# Idle RSS of each daemon (VmRSS of /proc/PID/status a few seconds after
# start, nothing to do) against 16 MiB; then the worker's peak RSS
# (VmHWM) while it collects a device whose Chrome History is 64 MiB,
# minus its idle RSS, against 8 MiB: a worker that streams a file to
# disk holds a buffer, not the file.  The simulator pads that History
# with a table of zero blobs (scenario "history_pad_mb").
. "$(dirname "$0")/../integration/lib.sh"

IDLE_TARGET=16384 # KiB
PEAK_TARGET=8192  # KiB
PAD_MB=64

cat >"$tmp/scenario.json" <<EOS
{"latency_ms": 0, "command_ms": 50, "devices": [
 {"id": 7101, "checkin_after": 0, "users": ["u1"], "history_pad_mb": $PAD_MB}]}
EOS
start_redis
start_cbsim "$tmp/scenario.json"

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

echo "memory benchmark: idle RSS of each daemon, worker peak over idle fetching a $PAD_MB MiB History"
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
    --prefix m --poll 30 >/dev/null 2>"$tmp/poller.log" &
POLLER_PID=$!
pids="$pids $POLLER_PID"
start_worker worker --prefix m --concurrency 1 --session-limit 1 \
    --max-file-size $((128 * 1024 * 1024))
start_viewer --prefix m
sleep 3
fail=0
for d in poller worker viewer; do
	case $d in
	poller) p=$POLLER_PID ;;
	worker) p=$worker_PID ;;
	*) p=$VIEWER_PID ;;
	esac
	rss=$(kib "$p" VmRSS)
	[ -n "$rss" ] || { echo "  $d: not running (logs: $tmp)"; fail=1; continue; }
	echo "$d $rss" | awk -v t=$IDLE_TARGET '{
		printf "  idle RSS %-6s  ratio %.2f (target <= 1.0)  %.1f MiB of %.0f MiB\n",
		    $1, $2 / t, $2 / 1024, t / 1024 }'
	bench_row 4a "idle RSS, $d, over 16 MiB" "<= 1.0" \
	    "$(echo "$rss" | awk -v t=$IDLE_TARGET '{ printf "%.2f", $1 / t }')" \
	    "$(echo "$rss" | awk '{ printf "%.1f MiB", $1 / 1024 }')"
done

# One job; the worker sits idle first, so VmHWM is its idle RSS so far.
idle=$(kib "$worker_PID" VmRSS)
hwm0=$(kib "$worker_PID" VmHWM)
io() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/io"; }
rchar0=$(io "$worker_PID" rchar)
poll_once --prefix m --synthetic 7101 || { echo "  poller --once failed"; exit 1; }
k=0
while [ "$(rcli HGET m:stats jobs_done)" != 1 ] && [ $k -lt 600 ]; do
	sleep 0.1
	k=$((k + 1))
done
status=$(rcli HGET m:result:7101 status)
peak=$(kib "$worker_PID" VmHWM)
# Bytes the worker read from sockets and files during the job: proof it
# fetched the big file rather than skipping it.
readmb=$(( ($(io "$worker_PID" rchar) - rchar0) / 1048576 ))
if [ "$(rcli HGET m:stats jobs_done)" != 1 ]; then
	echo "  worker peak: the job did not finish (status '$status', logs: $tmp)"
	T_KEEP=1
	exit 1
fi
echo "$peak $idle $hwm0 $status $readmb" | awk -v t=$PEAK_TARGET -v mb=$PAD_MB '{
	d = $1 - $2
	printf "  worker peak   ratio %.2f (target <= 1.0)  peak %.1f MiB - idle %.1f MiB = %.1f MiB of %.0f MiB (%d MiB History, job %s, %d MiB read; peak before the job %.1f MiB)\n",
	    d / t, $1 / 1024, $2 / 1024, d / 1024, t / 1024, mb, $4, $5, $3 / 1024 }'
bench_row 4b "worker peak RSS fetching a $PAD_MB MiB History, minus idle, over 8 MiB" "<= 1.0" \
    "$(echo "$peak $idle" | awk -v t=$PEAK_TARGET '{ printf "%.2f", ($1 - $2) / t }')" \
    "$(echo "$peak $idle" | awk '{ printf "%.1f - %.1f = %.1f MiB", $1 / 1024, $2 / 1024, ($1 - $2) / 1024 }')"
# A figure that misses its target is printed, not a failure of the run;
# a daemon that did not run is.
[ $fail -eq 0 ] || T_KEEP=1
exit $fail
