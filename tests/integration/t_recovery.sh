# t_recovery.sh - design §2.7: workers die and the others recover their
# jobs.  Five parts; every wait here is a lease running out, so they run
# side by side, each in its own key prefix (--prefix), on one Redis:
# (a) lr: two of three busy workers are killed -9 at random moments and
#     replaced under new ids, so only the survivors' reapers can give their
#     jobs back: every job ends done, none lost or left in flight, within
#     35 s of the kill, every Live Response session closed.
# (c) lr: meanwhile a second process takes the id of a live worker: it
#     refuses and exits 1 without touching that worker's jobs.
# (d) lrd: a job that crashes every worker claiming it ends in the dead
#     letters after --max-stalls, while the job queued beside it completes.
# (e) lre: a worker killed while its session create is on the wire (a slow
#     cloud: a second simulator): the session the cloud opened for it is
#     taken over by the next attempt, and closed.
# (b) lrb: a worker stopped (SIGSTOP) past its lease loses its job to
#     another worker; woken up, its late result is dropped.
. "$(dirname "$0")/lib.sh"

A_DEVS=$(seq 5001 5032)
CRASH=6001
BESIDE=6002
STOPPED=9001
SLOWDEV=4242

# 32 busy devices for (a), two for (d), one that does not check in for (b).
{
	echo '{"command_ms": 400, "devices": ['
	for d in $A_DEVS $CRASH $BESIDE; do
		echo "{\"id\": $d, \"checkin_after\": 1, \"users\": [\"jdoe\"]},"
	done
	echo "{\"id\": $STOPPED, \"checkin_after\": -1, \"users\": [\"jdoe\"]}]}"
} >"$tmp/scenario.json"
# The slow cloud of (e) answers every API call 1.5 s late.
cat >"$tmp/slow.json" <<EOF2
{"command_ms": 100, "latency_ms": 1500,
 "devices": [{"id": $SLOWDEV, "checkin_after": 0, "users": ["jdoe"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
start_cbsim_named slow "$tmp/slow.json"

# rnd LOW HIGH: a random number of seconds, one decimal.
rnd() {
	awk -v lo="$1" -v hi="$2" 'BEGIN { srand(); printf "%.1f\n", lo + rand() * (hi - lo) }'
}
# held WORKER [PREFIX]: how many claims the worker's processing list holds.
held() {
	rcli LLEN "${2:-lr}:processing:$1"
}
holds_jobs() {
	[ "$(held "$1")" -ge 1 ]
}
gone() {
	[ "$(rcli EXISTS "$1")" = 0 ]
}
count_status() {
	want=$1; shift
	statuses "$@" | awk -v s="$want" '$2 == s' | wc -l
}
all_done() {
	[ "$(count_status done $A_DEVS)" -eq 32 ]
}
sessions_open() {
	[ "$(sim_stat sessions_open)" -eq "$1" ]
}
slow_stat() {
	curl -s "$slow_URL/_sim/stats" | jq -r ".$1"
}

# --- (d) set-up: a job that crashes its worker -------------------------
# Three workers with their own ids, one job thread each, all with the
# crash hook: the first to claim $CRASH dies, another one gets $BESIDE,
# the reaper hands $CRASH to the third, which dies too (second stall >
# --max-stalls 1), and the last one alive buries it.
ok "(d) two jobs queued" queue_in lrd $CRASH $BESIDE
is "(d) in the queue" "$(rcli LLEN lrd:queue)" 2
LRFLOW_TEST_CRASH_DEVICE=$CRASH
export LRFLOW_TEST_CRASH_DEVICE
for n in d1 d2 d3; do
	start_worker $n --prefix lrd --concurrency 1 --max-stalls 1
done
unset LRFLOW_TEST_CRASH_DEVICE

# --- (e) set-up: killed while the session create is on the wire --------
# e1 is killed after the cloud opened the session but before the answer
# (the session id) reached it; e2 must reap e1 and close that session.
create_on_the_wire() {
	[ "$(slow_stat sessions_opened)" -ge 1 ] &&
	    [ -z "$(rcli HGET lre:result:$SLOWDEV session_id)" ]
}
ok "(e) job queued" queue_in lre $SLOWDEV
start_worker e1 --prefix lre --concurrency 1 --credentials "$tmp/slow.psc"
ok "(e) e1 sent the session create" wait_for 15 create_on_the_wire
kill -KILL $e1_PID
wait $e1_PID 2>/dev/null
leaked=$(slow_stat 'open_sessions[0]')
like "(e) the cloud had opened a session for e1" "$leaked" "^[0-9]+:$SLOWDEV\$"
is "(e) e1 died before it learnt the session id" "$(rcli HGET lre:result:$SLOWDEV session_id)" ""
start_worker e2 --prefix lre --concurrency 1 --credentials "$tmp/slow.psc"

# --- (b) set-up: a worker stopped while it holds a job -----------------
# b1 waits for a device that does not check in; it is stopped; the device
# comes online (b1's session would be ACTIVE now); b2 gets the job once
# b1's lease has run out.
waiting() {
	[ "$(rcli HGET lrb:result:$STOPPED step)" = "waiting for check-in" ] &&
	    [ -n "$(rcli HGET lrb:result:$STOPPED session_id)" ]
}
ok "(b) job queued" queue_in lrb $STOPPED
start_worker b1 --prefix lrb --checkin-timeout 120
ok "(b) b1 waits for the device to check in" wait_for 15 waiting
sid1=$(rcli HGET lrb:result:$STOPPED session_id)
kill -STOP $b1_PID
stopped_at=$(date +%s)
start_worker b2 --prefix lrb --checkin-timeout 60
ok "(b) the device comes online" sim_device \
    "{\"id\": $STOPPED, \"checkin_after\": 0, \"users\": [\"jdoe\"]}"

# --- (a) kill -9 two of three busy workers ---------------------------
ok "(a) 32 jobs queued" queue_synthetic $A_DEVS
is "(a) queue holds 32 jobs" "$(rcli LLEN lr:queue)" 32
start_worker w1 --concurrency 4
start_worker w2 --concurrency 4
start_worker w3 --concurrency 4

ok "(a) w1 is running jobs" wait_for 15 holds_jobs w1
s=$(rnd 1 3)
echo "# killing w1 in $s s"
sleep "$s"
ok "(a) w1 still holds jobs when killed" holds_jobs w1
kill -KILL $w1_PID
wait $w1_PID 2>/dev/null
t1=$(date +%s)
n1=$(held w1)
start_worker r1 --concurrency 4

s=$(rnd 0.5 2.5)
echo "# killing w2 in $s s"
sleep "$s"
ok "(a) w2 still holds jobs when killed" holds_jobs w2
kill -KILL $w2_PID
wait $w2_PID 2>/dev/null
t2=$(date +%s)
n2=$(held w2)
start_worker r2 --concurrency 4
echo "# w1 died holding $n1 jobs, w2 holding $n2"

# --- (c) a second process with the id of the live w3 -----------------
w3_lease=$(rcli GET lr:worker:w3)
"$BIN/lr-worker" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
    --id w3 --checkin-timeout 5 --concurrency 4 >"$tmp/w3dup.out" 2>"$tmp/w3dup.log" &
DUP_PID=$!
pids="$pids $DUP_PID"

# Recovery: the time from each kill until the dead worker's processing
# list is gone (handed back by a survivor's reaper).
rec1="" rec2=""
i=0
while [ $i -lt $((45 * SLOW * 4)) ]; do
	now=$(date +%s)
	[ -z "$rec1" ] && gone lr:processing:w1 && rec1=$((now - t1))
	[ -z "$rec2" ] && gone lr:processing:w2 && rec2=$((now - t2))
	[ -n "$rec1" ] && [ -n "$rec2" ] && break
	sleep 0.25
	i=$((i + 1))
done
echo "# w1's jobs handed back ${rec1:-never} s after the kill, w2's ${rec2:-never} s"
within35() { [ -n "$1" ] && [ "$1" -le 35 ]; }
ok "(a) w1's jobs handed back within 35 s of the kill" within35 "$rec1"
ok "(a) w2's jobs handed back within 35 s of the kill" within35 "$rec2"

wait $DUP_PID
is "(c) a second live worker with the id w3 exits 1" "$?" 1
like "(c) and says why" "$(cat "$tmp/w3dup.log")" \
    'another live worker \(.*\) uses the id w3: give each worker its own --id'
ok "(c) the first w3 still runs" alive $w3_PID
is "(c) the first w3 keeps its lease" "$(rcli GET lr:worker:w3)" "$w3_lease"

# --- (a) results ----------------------------------------------------------
ok "(a) every job ends done" wait_for 60 all_done
if ! all_done; then
	statuses $A_DEVS | awk '$2 != "done"' | while read -r d st; do
		echo "#   $d: $st: $(rcli HGET lr:result:$d error)"
	done
fi
is "(a) nothing in flight" "$(rcli ZCARD lr:inflight)" 0
is "(a) queue empty" "$(rcli LLEN lr:queue)" 0
is "(a) retry set empty" "$(rcli ZCARD lr:retry)" 0
is "(a) no processing list left" "$(rcli --scan --pattern 'lr:processing:*')" ""
is "(a) no dead letter" "$(rcli LLEN lr:dead)" 0
is "(a) jobs_done counts each job once" "$(rcli HGET lr:stats jobs_done)" 32
is "(a) every job the dead held was recovered (jobs_recovered)" \
    "$(rcli HGET lr:stats jobs_recovered)" $((n1 + n2))
is "(a) both dead workers reaped, no live one (workers_reaped)" \
    "$(rcli HGET lr:stats workers_reaped)" 2
is "(a) registered workers: the live ones" \
    "$(rcli ZRANGE lr:workers 0 -1 | sort | tr '\n' ' ')" "r1 r2 w3 "
stalled=$(for d in $A_DEVS; do
	[ "$(rcli HGET lr:result:$d stalls)" = 1 ] && echo "$d"
done)
is "(a) one stall recorded per recovered job" "$(echo "$stalled" | grep -c .)" $((n1 + n2))
bad=$(for d in $stalled; do
	a=$(rcli HGET lr:result:$d attempts)
	w=$(rcli HGET lr:result:$d worker)
	[ "$a" = 2 ] && [ "$w" != w1 ] && [ "$w" != w2 ] || echo "$d:$a:$w"
done | tr '\n' ' ')
is "(a) each recovered job ran a second time, on a live worker" "$bad" ""
ok "(a) the reaper said so" grep -q 'worker w[12] stopped answering: [0-9]* jobs back in the queue' \
    "$tmp/w3.log" "$tmp/r1.log" "$tmp/r2.log"
is "(a) no session slot held" "$(rcli ZCARD lr:sessions)" 0
invariants_ok "(a) invariants hold after the recovery"

# --- (d) results ----------------------------------------------------------
ok "(d) the crashing job ends failed" wait_for 60 status_is_in lrd $CRASH failed
like "(d) its error says it stalled" "$(rcli HGET lrd:result:$CRASH error)" \
    '^gave up: the job stalled 2 times \(its worker d[123] stopped answering each time'
like "(d) it is in the dead letters with that error" "$(dead_errors $CRASH lrd)" 'stalled 2 times'
is "(d) counted as stalled dead" "$(rcli HGET lrd:stats jobs_stalled_dead)" 1
is "(d) it crashed exactly two workers" \
    "$(grep -l "LRFLOW_TEST_CRASH_DEVICE: crashing on device $CRASH" "$tmp"/d[123].log | wc -l)" 2
ok "(d) the job beside it completes" wait_for 30 status_is_in lrd $BESIDE done
is "(d) nothing in flight" "$(rcli ZCARD lrd:inflight)" 0
is "(d) no processing list left" "$(rcli --scan --pattern 'lrd:processing:*')" ""
invariants_ok "(d) invariants hold" lrd

# --- (e) results ----------------------------------------------------------
ok "(e) e1's job handed back" wait_for 35 gone lre:processing:e1
slow_closed() {
	curl -s "$slow_URL/_sim/stats" | jq -e --arg s "$leaked" '.open_sessions | index($s) == null'
}
# e1 never learnt the id, so the reaper cannot name the session; the next
# attempt finds the device's open session and works in it, and closes it.
ok "(e) e2 completes the job" wait_for 60 status_is_in lre $SLOWDEV done
is "(e) e2 worked in the session e1 left" "$(rcli HGET lre:result:$SLOWDEV session_id)" "$leaked"
is "(e) no second session was opened" "$(slow_stat sessions_opened)" 1
ok "(e) the session e1 opened is closed" slow_closed
is "(e) every session at the slow cloud closed" "$(slow_stat sessions_open)" 0
invariants_ok "(e) invariants hold" lre

# --- (b) results ----------------------------------------------------------
ok "(b) another worker finishes the job" wait_for 45 status_is_in lrb $STOPPED done
echo "# done $(($(date +%s) - stopped_at)) s after b1 was stopped"
is "(b) b2 did it" "$(rcli HGET lrb:result:$STOPPED worker)" b2
ok "(b) the reaper closed b1's session" grep -q \
    "closed Live Response session $sid1 of device $STOPPED left open by a dead worker" "$tmp/b2.log"
kill -CONT $b1_PID
ok "(b) b1, woken, drops its late result" wait_for 20 grep -Eq \
    "(result for device $STOPPED dropped: a newer attempt owns the job|job for device $STOPPED was taken over by another attempt|device $STOPPED: another attempt owns the job)" \
    "$tmp/b1.log"
sleep 2
r=lrb:result:$STOPPED
is "(b) the result stays done" "$(rcli HGET $r status)" done
is "(b) by b2" "$(rcli HGET $r worker)" b2
ok "(b) with b2's own session" sh -c "s=\$(redis-cli -s $tmp/redis.sock HGET $r session_id); [ -n \"\$s\" ] && [ \"\$s\" != '$sid1' ]"
is "(b) no error on it" "$(rcli HGET $r error)" ""
is "(b) the second attempt" "$(rcli HGET $r attempts)" 2
is "(b) one stall" "$(rcli HGET $r stalls)" 1
is "(b) claimed by b1, then by b2" "$(event_details_in lrb $STOPPED started | tr '\n' ' ')" "b1 b2 "
is "(b) recovered from b1" "$(event_details_in lrb $STOPPED recovered)" b1
is "(b) completed once" "$(rcli HGET lrb:stats jobs_done)" 1
is "(b) not in the dead letters" "$(rcli LLEN lrb:dead)" 0
is "(b) nothing in flight" "$(rcli ZCARD lrb:inflight)" 0
is "(b) b1 holds no claim" "$(held b1 lrb)" 0
invariants_ok "(b) invariants hold" lrb

# --- the end ----------------------------------------------------------------
ok "every simulator session closed" wait_for 10 sessions_open 0
is "every session closed by a worker, none dropped by the cloud" \
    "$(sim_stat sessions_closed)/$(sim_stat sessions_dropped)" "$(sim_stat sessions_opened)/0"
for n in w3 r1 r2 d1 d2 d3 e2 b1 b2; do
	eval "p=\$${n}_PID"
	alive "$p" || continue
	stop "$p"
	is "worker $n exits 0" "$rc" 0
done
for p in lr lrb lrd lre; do
	invariants_ok "invariants hold at the end ($p)" $p
done
finish
