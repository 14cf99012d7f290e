# t_redis_restart.sh - Redis dies (kill -9) while a worker is in the middle
# of a job and comes back from its append-only file: the worker reconnects,
# finishes the job, and writes its result; nothing is lost or repeated.
# Then Redis fills up (maxmemory, noeviction) while a job finishes: the
# worker says so loudly, holds the result, and writes it once there is
# room, without spinning.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [{"id": 7001, "checkin_after": 4, "users": ["jdoe"]},
             {"id": 7002, "checkin_after": 3, "users": ["jdoe"]}]}
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

# Redis full while a job finishes.
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 7002 --once 2>>"$tmp/poller.log"
ok "second job started" wait_for 10 status_is 7002 running
rcli CONFIG SET maxmemory-policy noeviction >/dev/null
rcli CONFIG SET maxmemory 1 >/dev/null
ok "the worker says Redis refuses writes" wait_for 20 grep -q "out of memory and refuses writes" "$tmp/w1.log"
ok "said at most every 30 s, not on every try" [ "$(grep -c "out of memory and refuses writes" "$tmp/w1.log")" -le 2 ]
calls=$(rcli INFO commandstats | grep -c evalsha)
sleep 3
n1=$(rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
sleep 3
n2=$(rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\).*/\1/p')
ok "no spinning: under 40 scripts a second while full" [ $(( (n2 - n1) / 3 )) -lt 40 ]
# Redis lets a script that first frees memory go on writing, so the job may
# finish even now; either way it is never lost.
like "the job is held or done, never lost" \
    "$(rcli HGET lr:result:7002 status)/$(rcli LLEN lr:processing:w1)" '^(running/1|done/0)$'
rcli CONFIG SET maxmemory 0 >/dev/null
ok "the held result lands once there is room" wait_for 20 status_is 7002 done
is "nothing left in flight after the outage" "$(rcli ZCARD lr:inflight)" 0
ok "invariants hold after Redis was full" invariants
finish
