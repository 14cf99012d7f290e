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
# Redis's own time per enqueue script call against one LPUSH (the floor
# the queue's semantics cost, whatever the client does), and the same
# pass over 10,000 v3 notifications (one GET) against the same LPUSH.
. "$(dirname "$0")/../integration/lib.sh"

N=10000
TARGET=0.5
TOOL=${LRFLOW_BUILD:-$BIN/../build}/tests/bench/intake_redis
[ -x "$TOOL" ] || { echo "  intake: $TOOL is not built (make)"; exit 1; }

# fail WHAT: the bench could not measure.
fail() {
	echo "  intake: $1 (logs: $tmp)"
	T_KEEP=1
	exit 1
}

# The v3 notifications are in the scenario, due at start; the alerts
# come through /_sim/alerts.
awk -v n=$N 'BEGIN {
	printf "{\"org_key\": \"ABCD1234\", \"devices\": [], \"notifications\": ["
	for (i = 0; i < n; i++)
		printf "%s{\"at\": 0, \"device_id\": %d}", (i ? "," : ""), 300001 + i
	print "]}" }' >"$tmp/scenario.json"
start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234
echo "poller intake benchmark: $N alerts for $N devices, one lr-poller --once, Redis on a unix socket"
curl -s -X POST -d "{\"device_id\": 100001, \"devices\": $N, \"count\": $N, \"spacing_ms\": 1, \"age_s\": 60}" \
    "$CB_URL/_sim/alerts" >/dev/null
rcli CONFIG RESETSTAT >/dev/null
t0=$(now_ms)
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" --once \
    --alert-lag 0 --lookback 300 >"$tmp/poller.out" 2>"$tmp/poller.log"
t1=$(now_ms)
queued=$(rcli LLEN lr:queue)
[ "$queued" = $N ] || fail "the poller queued $queued of $N devices from alerts"
poll_ms=$((t1 - t0))
# "... (in T ms, Q of them queueing)": the poll's own split.
split=$(sed -n 's/.* alerts read, .*(in \([0-9]*\) ms, \([0-9]*\) of them queueing)$/\1 \2/p' "$tmp/poller.log" | tail -n 1)
script_us=$(rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p' | tr -d '\r')

# v3: the same pass over the notifications (their own prefix).
t0=$(now_ms)
poll_once --source notifications --prefix v3 || fail "the v3 poll failed"
t1=$(now_ms)
queued=$(rcli LLEN v3:queue)
[ "$queued" = $N ] || fail "the poller queued $queued of $N devices from notifications"
v3_ms=$((t1 - t0))

redis_side=$("$TOOL" "$REDIS_URL" lr) || fail "intake_redis failed"
# n= raw_us= lpush_us= batch_ms= batch_us= one_ms= one_us=
eval "$(echo "$redis_side" | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=\([0-9.]*\)$/r_\1=\2/p')"
[ "${r_raw_us:-0}" -gt 0 ] || fail "intake_redis measured nothing: $redis_side"
set -- $split
in_poll=${1:-$poll_ms} enq_poll=${2:-0}
summary=$(awk -v n=$N -v poll=$poll_ms -v inpoll=$in_poll -v enq=$enq_poll \
    -v v3=$v3_ms -v rawus=$r_raw_us -v batch=$r_batch_ms -v one=$r_one_ms \
    -v sus=${script_us:-0} -v bus=$r_batch_us -v lus=$r_lpush_us -v t=$TARGET 'BEGIN {
	rate = n * 1000 / poll; rawr = n * 1000000 / rawus
	v3r = n * 1000 / v3; br = n * 1000 / batch; orr = n * 1000 / one
	printf "  intake (alerts v7)          ratio %.3f (target >= %.1f)  %.0f alerts/s (%d ms for %d) against raw pipelined LPUSH %.0f jobs/s (%.1f ms)\n",
	    rate / rawr, t, rate, poll, n, rawr, rawus / 1000
	printf "    the poll: %d ms, of it %d ms queueing, %d ms fetching and reading 4 pages\n",
	    inpoll, enq, inpoll - enq
	printf "  intake (notifications v3)   ratio %.3f  %.0f alerts/s (%d ms, one GET)\n",
	    v3r / rawr, v3r, v3
	printf "  enqueue alone, pipelined    ratio %.3f  %.0f alerts/s (%d ms); one round trip each %.0f/s (%d ms)\n",
	    br / rawr, br, batch, orr, one
	printf "  inside Redis: enqueue script %.1f us a call (%.1f in the poll), LPUSH %.2f us: %.0fx\n",
	    bus, sus, lus, (lus > 0 ? bus / lus : 0)
	printf "ROW6 %.3f|%.0f alerts/s (poll %d ms, %d ms of it queueing) against raw pipelined LPUSH %.0f/s (%.1f ms)\n",
	    rate / rawr, rate, poll, enq, rawr, rawus / 1000
	printf "ROW6V3 %.3f|%.0f/s (%d ms for %d, one GET) against the same LPUSH\n",
	    v3r / rawr, v3r, v3, n
	printf "ROW6B %.3f|%.0f/s pipelined (%d ms), %.0f/s one round trip each (%d ms); script %.1f us a call inside Redis, LPUSH %.2f us\n",
	    br / rawr, br, batch, orr, one, bus, lus
}')
echo "$summary" | grep -v '^ROW'
row() { echo "$summary" | sed -n "s/^$1 //p"; }
r=$(row ROW6)
bench_row 6 "poller intake, alerts v7: alerts/s from a 10,000-alert search to the queue, over raw pipelined LPUSH" \
    ">= $TARGET" "${r%%|*}" "${r#*|}"
r=$(row ROW6V3)
bench_row 6 "poller intake, notifications v3: the same from 10,000 notifications" ">= $TARGET" "${r%%|*}" "${r#*|}"
r=$(row ROW6B)
bench_row 6b "enqueue alone (pipelined scripts), over raw pipelined LPUSH" "reported" "${r%%|*}" "${r#*|}"
exit 0
