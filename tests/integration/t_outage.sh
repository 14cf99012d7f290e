# t_outage.sh - Redis is gone for 30 s (kill -9, then back from its
# append-only file) while four workers are in the middle of eight
# collections.  The workers finish the Live Response work without Redis,
# close every session, hold the results until Redis is back and write
# them then: every job done once, none run again, nothing left in flight.
# Eight jobs still queued when Redis died run after it came back.  The
# workers are alive all along, so none may take another's jobs when Redis
# is back, although every lease ran out while Redis was away.
. "$(dirname "$0")/lib.sh"

RUNNING=$(seq 7001 7008)
WAITING=$(seq 7011 7018)
{
	echo '{"command_ms": 1500, "devices": ['
	for d in $RUNNING $WAITING; do
		echo "{\"id\": $d, \"checkin_after\": 1, \"users\": [\"jdoe\"]},"
	done | sed '$ s/,$//'
	echo ']}'
} >"$tmp/scenario.json"
start_redis --appendonly yes --appendfsync always
start_cbsim "$tmp/scenario.json"

in_session() {
	for d in $RUNNING; do
		case "$(rcli HGET lr:result:$d step)" in
		"net start" | "process list" | history*) ;;
		*) return 1 ;;
		esac
	done
}
sessions_open() {
	[ "$(sim_stat sessions_open)" -eq "$1" ]
}
all_done() {
	for d in $RUNNING $WAITING; do
		status_is "$d" done || return 1
	done
}

ok "sixteen jobs queued" queue_synthetic $RUNNING $WAITING
W="w1 w2 w3 w4"
for n in $W; do
	start_worker $n --concurrency 2
done
ok "eight collections under way" wait_for 20 in_session
is "eight sessions open" "$(sim_stat sessions_open)" 8
is "eight jobs still queued" "$(rcli LLEN lr:queue)" 8

kill -KILL $REDIS_PID
wait $REDIS_PID 2>/dev/null
rm -f "$tmp/redis.sock"
gone=$(date +%s)
echo "# Redis killed"
# The Live Response work goes on without Redis: each session is closed
# when its collection is over.
ok "the collections finish while Redis is away" wait_for 25 sessions_open 0
is "no new session while Redis is away" "$(sim_stat sessions_opened)" 8
left=$((30 - ($(date +%s) - gone)))
[ "$left" -gt 0 ] && sleep "$left"
ok "the workers wait for Redis, not exit" sh -c "kill -0 $w1_PID && kill -0 $w2_PID && kill -0 $w3_PID && kill -0 $w4_PID"
echo "# Redis back after $(($(date +%s) - gone)) s"
start_redis --appendonly yes --appendfsync always

ok "every job ends done" wait_for 45 all_done
if ! all_done; then
	statuses $RUNNING $WAITING | awk '$2 != "done"' | while read -r d st; do
		echo "#   $d: $st ($(rcli HGET lr:result:$d step)): $(rcli HGET lr:result:$d error)"
	done
fi
logs=$(for n in $W; do echo "$tmp/$n.log"; done)
held=$(cat $logs |
    sed -n 's/.*Redis is not answering: holding the result for device \([0-9]*\) until it is back.*/\1/p' |
    sort -u | tr '\n' ' ')
is "the workers said they held the eight results" "$held" "$(echo $RUNNING | tr ' ' '\n' | sort | tr '\n' ' ')"
bad=$(for d in $RUNNING; do
	[ "$(rcli HGET lr:result:$d services | jq '[.[] | select(.running and .type != "driver")] | length')" = 12 ] || echo "$d"
done | tr '\n' ' ')
is "the held results were written (12 services each)" "$bad" ""
is "no held result dropped" "$(cat $logs |
    sed -n 's/.*result for device \([0-9]*\) dropped: a newer attempt.*/\1/p' | tr '\n' ' ')" ""
bad=$(for d in $RUNNING $WAITING; do
	a=$(rcli HGET lr:result:$d attempts)
	[ "$a" = 1 ] || echo "$d:$a"
done | tr '\n' ' ')
is "no job ran twice (attempts 1 each)" "$bad" ""
is "one session per job" "$(sim_stat sessions_opened)" 16
is "jobs_done" "$(rcli HGET lr:stats jobs_done)" 16
is "no job recovered from a live worker" "$(rcli HGET lr:stats jobs_recovered)" ""
is "no live worker reaped" "$(rcli HGET lr:stats workers_reaped)" ""
is "no reaper said a worker stopped answering" \
    "$(grep -h 'stopped answering' $logs | sed 's/^[^ ]* //' | head -n 1)" ""
is "every worker still registered" "$(rcli ZRANGE lr:workers 0 -1 | sort | tr '\n' ' ')" "w1 w2 w3 w4 "
is "nothing in flight" "$(rcli ZCARD lr:inflight)" 0
is "queue empty" "$(rcli LLEN lr:queue)" 0
is "retry set empty" "$(rcli ZCARD lr:retry)" 0
is "processing lists empty" "$(rcli --scan --pattern 'lr:processing:*')" ""
ok "every session closed" wait_for 10 sessions_open 0
is "every session closed by a worker" "$(sim_stat sessions_closed)" "$(sim_stat sessions_opened)"
invariants_ok "invariants hold"
for n in $W; do
	eval "p=\$${n}_PID"
	stop "$p"
	is "worker $n exits 0" "$rc" 0
done
is "no worker left registered" "$(rcli ZCARD lr:workers)" 0
invariants_ok "invariants hold at the end"
finish
