#!/bin/sh
# intake.sh - figure 6, poller intake (make bench).
#
# 10,000 alerts for 10,000 devices in lr-cbsim (one alert spec with
# "devices"), one `lr-poller --once` over them (Alerts v7, four search
# pages of 2500), timed from start to exit with every device queued:
# alerts per second to the queue, against a raw pipelined LPUSH of the
# same 10,000 job JSONs on the same Redis (intake_redis.c).  Target 0.5.
# Also printed: the enqueue part alone (the same alerts through the
# poller's pipelined enqueue, and one round trip each as it was before),
# and Redis's own time per enqueue script call against one LPUSH: the
# floor the queue's semantics cost, whatever the client does.
. "$(dirname "$0")/../integration/lib.sh"

N=10000
TARGET=0.5
TOOL=${LRFLOW_BUILD:-$BIN/../build}/tests/bench/intake_redis
[ -x "$TOOL" ] || { echo "  intake: $TOOL is not built (make)"; exit 1; }

cat >"$tmp/scenario.json" <<'EOS'
{"org_key": "ABCD1234", "devices": []}
EOS
start_redis
start_cbsim "$tmp/scenario.json"
cat >"$tmp/cbc.ini" <<EOC
[default]
url=$CB_URL
token=$LR_TOKEN
org_key=ABCD1234
EOC
chmod 600 "$tmp/cbc.ini"
echo "poller intake benchmark: $N alerts for $N devices, one lr-poller --once (Alerts v7), Redis on a unix socket"
curl -s -X POST -d "{\"device_id\": 100001, \"devices\": $N, \"count\": $N, \"spacing_ms\": 1, \"age_s\": 60}" \
    "$CB_URL/_sim/alerts" >/dev/null
rcli CONFIG RESETSTAT >/dev/null
t0=$(now_ms)
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/cbc.ini" --once \
    --alert-lag 0 --lookback 300 >"$tmp/poller.out" 2>"$tmp/poller.log"
t1=$(now_ms)
queued=$(rcli LLEN lr:queue)
if [ "$queued" != $N ]; then
	echo "  intake: the poller queued $queued of $N devices (logs: $tmp)"
	T_KEEP=1
	exit 1
fi
poll_ms=$((t1 - t0))
# "... (in T ms, Q of them queueing)": the poll's own split.
split=$(sed -n 's/.* alerts read, .*(in \([0-9]*\) ms, \([0-9]*\) of them queueing)$/\1 \2/p' "$tmp/poller.log" | tail -n 1)
script_us=$(rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p' | tr -d '\r')
if ! redis_side=$("$TOOL" "$REDIS_URL" lr); then
	echo "  intake: intake_redis failed (logs: $tmp)"
	T_KEEP=1
	exit 1
fi
# n= raw_ms= lpush_us= batch_ms= batch_us= one_ms= one_us=
eval "$(echo "$redis_side" | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=\([0-9.]*\)$/r_\1=\2/p')"
[ "$r_raw_ms" -gt 0 ] || r_raw_ms=1
set -- $split
in_poll=${1:-$poll_ms} enq_poll=${2:-0}
summary=$(awk -v n=$N -v poll=$poll_ms -v inpoll=$in_poll -v enq=$enq_poll \
    -v raw=$r_raw_ms -v batch=$r_batch_ms -v one=$r_one_ms -v sus=${script_us:-0} \
    -v bus=$r_batch_us -v lus=$r_lpush_us -v t=$TARGET 'BEGIN {
	rate = n * 1000 / poll; rawr = n * 1000 / raw
	printf "  intake                      ratio %.3f (target >= %.1f)  %.0f alerts/s (%d ms for %d) against raw pipelined LPUSH %.0f jobs/s (%d ms)\n",
	    rate / rawr, t, rate, poll, n, rawr, raw
	printf "    the poll: %d ms, of it %d ms queueing, %d ms fetching and reading 4 pages\n",
	    inpoll, enq, inpoll - enq
	printf "  enqueue alone, pipelined    ratio %.3f  %.0f alerts/s (%d ms); one round trip each %.0f/s (%d ms)\n",
	    n / batch / (n / raw), n * 1000 / batch, batch, n * 1000 / one, one
	printf "  inside Redis: enqueue script %.1f us a call (%.1f in the poll), LPUSH %.2f us: %.0fx\n",
	    bus, sus, lus, (lus > 0 ? bus / lus : 0)
	printf "ROW6 %.3f|%.0f alerts/s (poll %d ms, %d ms of it queueing) against raw pipelined LPUSH %.0f/s (%d ms)\n",
	    rate / rawr, rate, poll, enq, rawr, raw
	printf "ROW6B %.3f|%.0f/s pipelined (%d ms), %.0f/s one round trip each (%d ms), against LPUSH %.0f/s; script %.1f us a call inside Redis, LPUSH %.2f us\n",
	    n / batch / (n / raw), n * 1000 / batch, batch, n * 1000 / one, one, rawr, bus, lus
}')
echo "$summary" | grep -v '^ROW'
row6=$(echo "$summary" | sed -n 's/^ROW6 //p')
row6b=$(echo "$summary" | sed -n 's/^ROW6B //p')
bench_row 6 "poller intake: alerts/s from a 10,000-alert search to the queue, over raw pipelined LPUSH" ">= $TARGET" \
    "${row6%%|*}" "${row6#*|}"
bench_row 6b "enqueue alone (pipelined scripts), over raw pipelined LPUSH" "reported" \
    "${row6b%%|*}" "${row6b#*|}"
exit 0
