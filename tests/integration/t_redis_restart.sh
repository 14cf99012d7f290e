# t_redis_restart.sh - Redis dies (kill -9) while a worker is in the middle
# of a job and comes back from its append-only file: the worker reconnects,
# finishes the job, and writes its result; nothing is lost or repeated.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [{"id": 7001, "checkin_after": 4, "users": ["jdoe"]}]}
EOF2
start_redis --appendonly yes --appendfsync always
start_cbsim "$tmp/scenario.json"
start_worker w1
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 7001 --once 2>>"$tmp/poller.log"
ok "job started" wait_for 10 status_is 7001 running
kill -KILL $REDIS_PID
wait $REDIS_PID 2>/dev/null
rm -f "$tmp/redis.sock"
sleep 1
start_redis --appendonly yes --appendfsync always
ok "the job still finishes" wait_for 40 status_is 7001 done
is "one job ran" "$(rcli HGET lr:stats jobs_done)" 1
is "nothing left in flight" "$(rcli ZCARD lr:inflight)" 0
is "processing list empty" "$(rcli LLEN lr:processing:w1)" 0
is "one session, closed" "$(sim_stat sessions_opened)/$(sim_stat sessions_closed)" 1/1
ok "the worker said Redis went away" grep -q "Redis .* on unix" "$tmp/w1.log"
ok "invariants hold" invariants
finish
