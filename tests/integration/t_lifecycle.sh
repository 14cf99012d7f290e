# t_lifecycle.sh - daemons started before Redis wait for it; SIGTERM lets
# the job in hand finish and close its session; a second SIGTERM hands the
# job back to the queue instead of losing it.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 21212, "checkin_after": 0, "users": ["jdoe"]},
  {"id": 2002, "checkin_after": 3, "users": ["jdoe"]},
  {"id": 2003, "checkin_after": 4, "users": ["jdoe"]}]}
EOF2
start_cbsim "$tmp/scenario.json"

# Poller and worker first, Redis five seconds later.
REDIS_URL="unix://$tmp/redis.sock"
start_worker w1
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 21212 --once \
    >"$tmp/poller.out" 2>"$tmp/poller.log" &
POLLER_PID=$!
sleep 2
ok "worker waits for Redis instead of exiting" kill -0 $w1_PID
ok "poller waits for Redis instead of exiting" kill -0 $POLLER_PID
ok "waiting is logged" grep -q "waiting for Redis" "$tmp/w1.log"
start_redis
wait $POLLER_PID
is "poller queued once Redis came" "$?" 0
ok "the job runs once Redis is up" wait_for 30 status_is 21212 done

# The poller's --cooldown rides with the job: once it is done, alerts for
# the device join its result instead of starting another job.
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 21212 --once --cooldown 300 2>>"$tmp/poller.log"
ok "cooldown set when the job finished" wait_for 30 sh -c \
    "[ \$(redis-cli -s $tmp/redis.sock TTL lr:cooldown:21212) -gt 200 ]"
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 21212 --once 2>>"$tmp/poller.log"
is "within the cooldown no job is queued" "$(rcli LLEN lr:queue)" 0
is "the alert joins the finished result" "$(rcli HGET lr:result:21212 alert_ids | jq length)" 2
is "the result stays done" "$(rcli HGET lr:result:21212 status)" done

# SIGTERM while a job waits for check-in: the job finishes.
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 2002 --once 2>>"$tmp/poller.log"
ok "job 2002 started" wait_for 10 status_is 2002 running
kill -TERM $w1_PID
ok "job in hand finishes after SIGTERM" wait_for 20 status_is 2002 done
stop $w1_PID
is "worker exits 0 after draining" "$rc" 0
is "its session was closed" "$(sim_stat sessions_open)" 0

# Second SIGTERM: the job in hand goes back to the queue, session closed.
start_worker w2
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 2003 --once 2>>"$tmp/poller.log"
ok "job 2003 started" wait_for 10 status_is 2003 running
ok "session for 2003 opened" wait_for 10 sh -c "[ \$(curl -s $CB_URL/_sim/stats | jq .sessions_open) -ge 1 ]"
kill -TERM $w2_PID
sleep 0.5
kill -TERM $w2_PID
stop $w2_PID
is "worker exits 0 after handing back" "$rc" 0
is "job is back in the queue" "$(rcli LLEN lr:queue)" 1
is "result says queued again" "$(rcli HGET lr:result:2003 status)" queued
is "device still in flight (not lost, not duplicated)" "$(rcli ZCARD lr:inflight)" 1
ok "invariants hold" invariants
is "every session closed" "$(sim_stat sessions_open)" 0
ok "hand back is logged" grep -q "handed back the job for device 2003" "$tmp/w2.log"

# Another worker picks it up.
start_worker w3
ok "handed-back job completes elsewhere" wait_for 30 status_is 2003 done
is "attempts counts real runs only" "$(rcli HGET lr:result:2003 attempts)" 1

# SIGKILL mid-job: the job waits in the dead worker's processing list, and
# a worker restarted with the same id hands it back and runs it.
stop $w3_PID
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 2002 --once 2>>"$tmp/poller.log"
start_worker w4
ok "job 2002 running again" wait_for 10 status_is 2002 running
kill -KILL $w4_PID
wait $w4_PID 2>/dev/null
is "job kept in the dead worker's list" "$(rcli LLEN lr:processing:w4)" 1
ok "invariants hold after the crash" invariants
start_worker w4
ok "restarted worker completes the job" wait_for 30 status_is 2002 done
ok "recovery is logged" grep -q "recovered 1 job left by an earlier w4" "$tmp/w4.log"
is "the crashed attempt counts" "$(rcli HGET lr:result:2002 attempts)" 2
is "recovery counted" "$(rcli HGET lr:stats jobs_recovered)" 1
ok "invariants hold after recovery" invariants

# Shutdown while Redis is away: the drain deadline and the abort grace
# hold on the clock alone; the worker exits instead of hanging, and the job
# it could not record is recovered by the next worker with its id.
stop $w4_PID
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 2002 --once 2>>"$tmp/poller.log"
start_worker w5 --drain-timeout 2
ok "job 2002 running once more" wait_for 10 status_is 2002 running
kill -STOP $REDIS_PID
t0=$(date +%s)
kill -TERM $w5_PID
wait $w5_PID
took=$(( $(date +%s) - t0 ))
kill -CONT $REDIS_PID
ok "the worker exited without Redis (drain 2 s + grace 20 s)" [ "$took" -le $((30 * SLOW)) ]
ok "it said it held the result" grep -q "Redis is not answering\|exits with jobs in hand\|could not record the result" "$tmp/w5.log"
start_worker w5
ok "the next w5 finishes the job" wait_for 40 status_is 2002 done
ok "invariants hold after the Redis-less shutdown" invariants
finish
