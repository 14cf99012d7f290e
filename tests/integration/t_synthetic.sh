# t_synthetic.sh - the seed's path: --synthetic DEVICE_ID -> a collected
# result with the simulator's services, users and Chrome history; the
# keys of design §2-3 as redis-cli sees them; every session closed.
. "$(dirname "$0")/lib.sh"

start_redis
start_cbsim
start_worker w1
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 21212 --poll 1 \
    >"$tmp/poller.out" 2>"$tmp/poller.log" &
POLLER_PID=$!
pids="$pids $POLLER_PID"

ok "result for 21212 is done within 30 s" wait_for 30 status_is 21212 done
stop $POLLER_PID
is "poller exits 0 on SIGTERM" "$rc" 0

r=lr:result:21212
is "device_id field" "$(rcli HGET $r device_id)" 21212
is "device name from the device API" "$(rcli HGET $r device_name)" WIN-DEMO01
like "os from the device API" "$(rcli HGET $r os)" "WINDOWS"
is "services in net start order" "$(rcli HGET $r services | jq -r '.[0].name')" \
    'Application Information'
is "12 services" "$(rcli HGET $r services | jq '[.[] | select(.running and .type != "driver")] | length')" 12
is "users are the folders under C:\\Users, sorted" "$(rcli HGET $r users | jq -c .)" '["asmith","jdoe","kwhite"]'
is "logged_in are the owners of explorer.exe" "$(rcli HGET $r logged_in | jq -c .)" '["jdoe","asmith"]'
bh=$(rcli HGET $r browser_history)
printf %s "$bh" >"$tmp/bh.json"
is "one history entry per user, browser and profile, in order" \
    "$(jq -r '[.[] | "\(.user)/\(.browser)/\(.profile)"] | join(" ")' "$tmp/bh.json")" \
    "asmith/chrome/Default asmith/edge/Default jdoe/chrome/Default jdoe/chrome/Profile 1 jdoe/edge/Default kwhite/edge/Default"
is "history entry names its user" "$(printf %s "$bh" | jq -r '.[0].user')" asmith
is "the History Chrome holds open was copied" \
    "$(jq -c '[.[] | select(.copied) | .user + "/" + .profile]' "$tmp/bh.json")" '["jdoe/Default"]'
is "no entry has an error" "$(jq '[.[] | select(.error)] | length' "$tmp/bh.json")" 0
ok "history has visits with url, title, ISO time" jq -e '.[0].visits[0] | (.url|startswith("http")) and (.title|type=="string") and (.visit_time|test("^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z$"))' "$tmp/bh.json"
ok "visits are newest first" jq -e \
    '.[0].visits | [.[].visit_time] as $t | $t == ($t|sort|reverse)' "$tmp/bh.json"
sha=$(printf %s "$bh" | jq -r '.[0].sha256')
like "history entry has a sha256" "$sha" '^[0-9a-f]{64}$'
is "artifact key holds the raw file" "$(rcli GET "lr:artifact:$sha" | head -c 15)" "SQLite format 3"
is "artifact size matches" "$(rcli STRLEN "lr:artifact:$sha")" "$(printf %s "$bh" | jq -r '.[0].size')"
ok "artifact has a TTL" sh -c "[ \$(redis-cli -s $tmp/redis.sock TTL lr:artifact:$sha) -gt 0 ]"
like "alert is the synthetic THREAT notification" "$(rcli HGET $r alert | jq -r .type)" '^THREAT$'
like "alert_ids lists the notification" "$(rcli HGET $r alert_ids)" '^\["[0-9a-f]{32}"'
for f in queued_at started_at finished_at; do
	like "$f is ISO-8601 UTC" "$(rcli HGET $r $f)" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:.]+Z$'
done
is "worker recorded" "$(rcli HGET $r worker)" w1
like "session id recorded" "$(rcli HGET $r session_id)" '^[0-9]+:21212$'
ok "no error field on success" sh -c "[ -z \"\$(redis-cli -s $tmp/redis.sock HGET $r error)\" ]"
is "device left the in-flight set" "$(rcli ZSCORE lr:inflight 21212)" ""
ok "device listed in lr:devices" sh -c "[ -n \"\$(redis-cli -s $tmp/redis.sock ZSCORE lr:devices 21212)\" ]"
is "processing list empty" "$(rcli LLEN lr:processing:w1)" 0
ok "worker registered in lr:workers" sh -c "[ -n \"\$(redis-cli -s $tmp/redis.sock ZSCORE lr:workers w1)\" ]"
ok "worker lease has a TTL" sh -c "[ \$(redis-cli -s $tmp/redis.sock PTTL lr:worker:w1) -gt 0 ]"
ok "lr:stats counts the finished job" sh -c "[ \$(redis-cli -s $tmp/redis.sock HGET lr:stats jobs_done) -ge 1 ]"
ok "lr:events records the lifecycle" sh -c "redis-cli -s $tmp/redis.sock XRANGE lr:events - + | grep -q started"
is "HGETALL is readable text: field then value" \
    "$(rcli HGETALL $r | grep -x -A1 status | tail -n 1)" done
ok "keys invariants hold" invariants
ok "seed log line: already inflight" grep -q "Device ID 21212 already inflight" "$tmp/poller.log"
ok "seed log line: enqueuing" grep -q "Received THREAT notification for device_id 21212, enqueuing" "$tmp/poller.log"

# The worker finished: every session it opened is closed.
stop $w1_PID
is "worker exits 0 on SIGTERM" "$rc" 0
ok "worker unregistered on exit" sh -c "[ -z \"\$(redis-cli -s $tmp/redis.sock ZSCORE lr:workers w1)\" ]"
opened=$(sim_stat sessions_opened)
ok "sessions were opened" [ "$opened" -ge 1 ]
is "every session opened was closed" "$(sim_stat sessions_closed)" "$opened"
is "no session left open" "$(sim_stat sessions_open)" 0
is "no temporary file left on the device" "$(sim_stat temp_files_left)" 0
ok "token never logged" sh -c "! grep -h 'SIMSECRET' $tmp/*.log"
finish
