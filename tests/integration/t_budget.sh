# t_budget.sh - the global Live Response session budget (--session-limit)
# holds across threads and workers: never more sessions open than allowed,
# and every job still completes.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 100,
 "devices": [
  {"id": 3001, "checkin_after": 1, "users": ["a"]},
  {"id": 3002, "checkin_after": 1, "users": ["b"]},
  {"id": 3003, "checkin_after": 1, "users": ["c"]},
  {"id": 3004, "checkin_after": 1, "users": ["d"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
for d in 3001 3002 3003 3004; do
	"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic $d --once 2>>"$tmp/poller.log"
done
start_worker w1 --concurrency 3 --session-limit 2
start_worker w2 --concurrency 3 --session-limit 2

max=0
i=0
while [ $i -lt $((300 * SLOW)) ]; do
	n=$(sim_stat sessions_open)
	[ "$n" -gt "$max" ] && max=$n
	b=$(rcli ZCARD lr:sessions)
	[ "$b" -gt "$max" ] && max=$b
	[ "$(rcli HGET lr:stats jobs_done)" = 4 ] && break
	sleep 0.1
	i=$((i + 1))
done
is "all four jobs done" "$(rcli HGET lr:stats jobs_done)" 4
ok "never more than 2 sessions at once (saw $max)" [ "$max" -le 2 ]
ok "the budget was used" [ "$max" -ge 1 ]
is "budget released at the end" "$(rcli ZCARD lr:sessions)" 0
ok "waiting for a slot is logged" grep -q "Live Response sessions in use, waiting" "$tmp/w1.log" "$tmp/w2.log"
is "every session closed" "$(sim_stat sessions_closed)" 4
finish
