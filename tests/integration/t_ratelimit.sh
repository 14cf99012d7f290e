# t_ratelimit.sh - the cloud is shared: a 429 pauses every process that
# talks to it (two workers and the poller) until Retry-After, through
# lr:ratelimit:until; nothing is sent inside the pause and the jobs finish
# instead of failing.  A pause longer than a request may wait defers the
# job, never sooner than Retry-After.
. "$(dirname "$0")/lib.sh"

devices=""
for i in $(seq 1 8); do
	devices="$devices${devices:+,}{\"id\": $((2200 + i)), \"checkin_after\": 0, \"users\": [\"jdoe\"]}"
done
cat >"$tmp/scenario.json" <<EOF2
{"command_ms": 300, "devices": [$devices]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234
start_worker w1 --concurrency 4
start_worker w2 --concurrency 4
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
    --poll 1 --alert-lag 0 >"$tmp/poller.out" 2>"$tmp/poller.log" &
pids="$pids $!"
for i in $(seq 1 8); do poll_once --synthetic $((2200 + i)); done
ok "jobs are running" wait_for 20 sh -c "[ \$(curl -s $CB_URL/_sim/stats | jq .sessions_open) -ge 4 ]"
ok "the poller is polling" wait_for 10 sh -c "[ \$(curl -s $CB_URL/_sim/stats | jq .alert_searches) -ge 1 ]"

# One 429 with Retry-After: 3 on whatever request comes next.
curl -s -X POST -d '{"route": "any", "status": 429, "count": 1, "retry_after": 3}' "$CB_URL/_sim/fault" >/dev/null
ok "the cloud answered one 429" wait_for 10 sh -c "[ \$(curl -s $CB_URL/_sim/stats | jq .rate_limited) -eq 1 ]"
ok "the pause is shared in Redis" wait_for 2 sh -c "[ \$(redis-cli -s $tmp/redis.sock PTTL lr:ratelimit:until) -gt 0 ]"
ok "every job still finishes" wait_for 60 sh -c \
    "[ \$(redis-cli -s $tmp/redis.sock HGET lr:stats jobs_done) -eq 8 ]"
is "nothing was sent inside the pause" "$(sim_stat requests_in_pause)" 0
is "no job failed" "$(rcli HGET lr:stats jobs_failed)" ""
ok "the pause was logged" sh -c "grep -q 'asked us to pause' $tmp/w1.log $tmp/w2.log $tmp/poller.log"
is "no session left open" "$(sim_stat sessions_open)" 0

# A pause longer than a request waits (60 s): the job is deferred, to be
# tried again no sooner than the cloud asked.
curl -s -X POST -d '{"route": "sessions", "status": 429, "count": 1, "retry_after": 120}' "$CB_URL/_sim/fault" >/dev/null
poll_once --synthetic 2201
ok "a long 429 defers the job" wait_for 20 status_is 2201 deferred
like "the reason is the rate limit" "$(rcli HGET lr:result:2201 error)" '429'
ok "not before Retry-After" sh -c \
    "[ \$(( \$(redis-cli -s $tmp/redis.sock ZRANGE lr:retry 0 0 WITHSCORES | tail -n 1) / 1000 - \$(date +%s) )) -ge 100 ]"
is "still nothing sent inside a pause" "$(sim_stat requests_in_pause)" 0
ok "invariants hold" invariants
finish
