# t_deferred.sh - design §2.5, §2.6: (a) a device that does not check in
# is deferred, not failed: it waits in lr:retry, still in flight, and a
# new alert joins it instead of queueing a second job; once the device is
# online the job ends done.  (b) the global session budget holds across
# workers: --session-limit 3 with twenty job threads never has more than
# three sessions open at the cloud.  (c) bad queue entries (not JSON, a
# device id that is not a number, a device deleted in the cloud) end in
# lr:dead with a reason, and the job queued after them still runs.
. "$(dirname "$0")/lib.sh"

OFFLINE=8101
BUDGET=$(seq 8201 8215)
DELETED=8301
NORMAL=8302
{
	echo '{"command_ms": 100, "devices": ['
	echo "{\"id\": $OFFLINE, \"checkin_after\": -1, \"users\": [\"jdoe\"]},"
	for d in $BUDGET $DELETED $NORMAL; do
		echo "{\"id\": $d, \"checkin_after\": 1, \"users\": [\"jdoe\"]},"
	done | sed '$ s/,$//'
	echo ']}'
} >"$tmp/scenario.json"
start_redis
start_cbsim "$tmp/scenario.json"

sessions_open() {
	[ "$(sim_stat sessions_open)" -eq "$1" ]
}

# --- (a) an offline device is deferred, then done -----------------------
ok "(a) job queued for the offline device" queue_synthetic $OFFLINE
start_worker wa --concurrency 1 --checkin-timeout 3 --retry-base 4
ok "(a) the offline device is deferred" wait_for 20 status_is $OFFLINE deferred
r=lr:result:$OFFLINE
like "(a) next_attempt_at set" "$(rcli HGET $r next_attempt_at)" \
    '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:.]+Z$'
like "(a) the reason is said" "$(rcli HGET $r error)" \
    "device $OFFLINE did not check in within 3 s"
is "(a) it waits in lr:retry" "$(rcli ZRANGE lr:retry 0 -1 | jq -r .device_id)" $OFFLINE
ok "(a) it stays in flight" [ -n "$(rcli ZSCORE lr:inflight $OFFLINE)" ]
is "(a) one alert so far" "$(rcli HGET $r alert_ids | jq length)" 1
ok "(a) a new alert for it" queue_synthetic $OFFLINE
is "(a) it joins the deferred job" "$(rcli HGET $r alert_ids | jq length)" 2
is "(a) counted as coalesced" "$(rcli HGET lr:stats coalesced)" 1
is "(a) the queue does not grow" "$(rcli LLEN lr:queue)" 0
is "(a) still one job for it, deferred" \
    "$(rcli ZRANGE lr:retry 0 -1 | jq -r .device_id)/$(rcli HGET $r status)" "$OFFLINE/deferred"
invariants_ok "(a) invariants hold while it is deferred"
ok "(a) the device comes online" sim_device \
    "{\"id\": $OFFLINE, \"checkin_after\": 0, \"users\": [\"jdoe\"]}"
ok "(a) the deferred job ends done" wait_for 30 status_is $OFFLINE done
ok "(a) after more than one attempt" [ "$(rcli HGET $r attempts)" -ge 2 ]
is "(a) both alerts are on the result" "$(rcli HGET $r alert_ids | jq length)" 2
is "(a) services collected" "$(rcli HGET $r services | jq '[.[] | select(.running and .type != "driver")] | length')" 12
is "(a) no error left" "$(rcli HGET $r error)" ""
is "(a) no next_attempt_at left" "$(rcli HGET $r next_attempt_at)" ""
ok "(a) deferrals counted" [ "$(rcli HGET lr:stats jobs_deferred)" -ge 1 ]
is "(a) nothing in flight" "$(rcli ZCARD lr:inflight)" 0
is "(a) retry set empty" "$(rcli ZCARD lr:retry)" 0
ok "(a) every session closed (one per attempt)" wait_for 10 sessions_open 0
is "(a) one session per attempt" "$(sim_stat sessions_opened)" "$(rcli HGET $r attempts)"
stop $wa_PID
is "(a) worker exits 0" "$rc" 0
invariants_ok "(a) invariants hold"

# --- (b) a session budget of 3 across two workers of 10 threads ----------
ok "(b) 15 jobs queued" queue_synthetic $BUDGET
start_worker wb1 --concurrency 10 --session-limit 3
start_worker wb2 --concurrency 10 --session-limit 3
all_done() {
	for d in $BUDGET; do
		status_is "$d" done || return 1
	done
}
ok "(b) every job ends done" wait_for 60 all_done
if ! all_done; then
	statuses $BUDGET | awk '$2 != "done"' | while read -r d st; do
		echo "#   $d: $st ($(rcli HGET lr:result:$d step)): $(rcli HGET lr:result:$d error)"
	done
fi
peak=$(sim_stat sessions_open_peak)
echo "# at most $peak sessions open at once"
ok "(b) never more than 3 sessions open at the cloud" [ "$peak" -le 3 ]
ok "(b) the budget was used up (jobs waited for a slot)" grep -q \
    'all 3 Live Response sessions in use, waiting' "$tmp/wb1.log" "$tmp/wb2.log"
ok "(b) both workers ran jobs" sh -c \
    "grep -q 'collected' $tmp/wb1.log && grep -q 'collected' $tmp/wb2.log"
ok "(b) every session closed" wait_for 10 sessions_open 0
is "(b) every session closed by a worker" "$(sim_stat sessions_closed)" "$(sim_stat sessions_opened)"
is "(b) no session slot held" "$(rcli ZCARD lr:sessions)" 0
is "(b) nothing in flight" "$(rcli ZCARD lr:inflight)" 0
for n in wb1 wb2; do
	eval "p=\$${n}_PID"
	stop "$p"
	is "(b) worker $n exits 0" "$rc" 0
done
invariants_ok "(b) invariants hold"

# --- (c) bad input --------------------------------------------------------
is "(c) nothing dead so far" "$(rcli LLEN lr:dead)" 0
ok "(c) job queued for a device" queue_synthetic $DELETED
is "(c) the cloud deletes the device" \
    "$(curl -s -X DELETE "$CB_URL/_sim/device/$DELETED")" '{"deleted":1}'
rcli LPUSH lr:queue 'this is not JSON {' >/dev/null
ABC='{"id":"bad-abc","device_id":"abc","alert_ids":[],"source":"manual","enqueued_at":"2026-11-27T10:00:00Z","attempts":0}'
rcli LPUSH lr:queue "$ABC" >/dev/null
ok "(c) a normal job queued after them" queue_synthetic $NORMAL
is "(c) four entries queued" "$(rcli LLEN lr:queue)" 4
start_worker wc --concurrency 1
ok "(c) the queue keeps moving: the normal job ends done" wait_for 30 status_is $NORMAL done
ok "(c) the deleted device's job ends failed" wait_for 10 status_is $DELETED failed
is "(c) it says the device was not found" "$(rcli HGET lr:result:$DELETED error)" \
    "device $DELETED not found in Carbon Black Cloud"
is "(c) not retried" "$(rcli HGET lr:result:$DELETED attempts)" 1
is "(c) it is in the dead letters with that reason" "$(dead_errors $DELETED)" \
    "device $DELETED not found in Carbon Black Cloud"
like "(c) the non-JSON entry is in the dead letters with a reason" \
    "$(rcli LRANGE lr:dead 0 -1 | jq -r 'select(.job == "this is not JSON {") | .error')" \
    'not a job: .*not JSON'
like "(c) the job with device_id \"abc\" is in the dead letters with a reason" \
    "$(rcli LRANGE lr:dead 0 -1 | jq -r --arg j "$ABC" 'select(.job == $j) | .error')" \
    'not a job: .*numeric device_id'
is "(c) three dead letters" "$(rcli LLEN lr:dead)" 3
is "(c) two malformed entries counted" "$(rcli HGET lr:stats jobs_malformed)" 2
ok "(c) the worker still runs" alive $wc_PID
is "(c) queue empty" "$(rcli LLEN lr:queue)" 0
is "(c) nothing in flight" "$(rcli ZCARD lr:inflight)" 0
is "(c) no session for the deleted device" "$(rcli HGET lr:result:$DELETED session_id)" ""
ok "(c) every session closed" wait_for 10 sessions_open 0
stop $wc_PID
is "(c) worker exits 0" "$rc" 0
invariants_ok "invariants hold at the end"
finish
