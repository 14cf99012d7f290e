# t_collect_now.sh - "collect now": the viewer refuses a request without
# the token or from another origin (403), takes the right one (202, or 303
# for the page's form) into lr:requests, and the poller, between its
# synthetic polls, turns it into a manual job that a worker completes; a
# device in flight is not queued twice; a request the poller read but
# never acked (it died in between) is queued by the next poller; every
# audited action lands in lr:audit.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 21212, "name": "WIN-NOW", "checkin_after": 0, "users": ["jdoe"],
   "services": ["DHCP Client"],
   "history": {"jdoe": [{"url": "https://example.com/", "title": "Example", "visit_time": "2026-11-27T10:00:00Z"}]}},
  {"id": 31313, "name": "WIN-SLOW", "checkin_after": 4, "users": ["asmith"], "services": ["DNS Client"]},
  {"id": 41414, "name": "WIN-LATER", "checkin_after": 0, "users": ["bob"], "services": ["Spooler"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
start_worker w1
start_viewer
# The poller in synthetic mode, polling rarely: requests are taken between
# polls, not at the next one.
start_poller() {
	"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" \
	    --synthetic 99999 --poll 300 >>"$tmp/poller.out" 2>>"$tmp/poller.log" &
	POLLER_PID=$!
	pids="$pids $POLLER_PID"
}
start_poller

post() { curl -s -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' -X POST "$@"; }
host=${VIEWER_URL#http://}
token=$(curl -s "$VIEWER_URL/api/token" | jq -r .token)
ok "a token for this viewer" [ "${#token}" -eq 64 ]

is "no token: 403" "$(post "$VIEWER_URL/api/devices/21212/collect")" 403
is "wrong token: 403" "$(post -H "X-LRFlow-Token: $(echo "$token" | tr 0-9a-f a-f0-9)" "$VIEWER_URL/api/devices/21212/collect")" 403
is "foreign Origin: 403" "$(post -H "X-LRFlow-Token: $token" -H "Origin: http://evil.example" "$VIEWER_URL/api/devices/21212/collect")" 403
is "foreign Referer: 403" "$(post -H "Referer: http://evil.example/x" -d "token=$token" "$VIEWER_URL/api/devices/21212/collect")" 403
is "form without its origin: 403" "$(post -d "token=$token" "$VIEWER_URL/api/devices/21212/collect")" 403
is "nothing recorded" "$(rcli XLEN lr:requests)" 0
is "a bad device id: 400" "$(post -H "X-LRFlow-Token: $token" "$VIEWER_URL/api/devices/12ab/collect")" 400
is "GET is not a request: 405" "$(curl -s -o /dev/null -w '%{http_code}' "$VIEWER_URL/api/devices/21212/collect")" 405

is "right token: 202" "$(post -H "X-LRFlow-Token: $token" -H "Origin: $VIEWER_URL" "$VIEWER_URL/api/devices/21212/collect")" 202
is "which says so" "$(jq -r '.requested, .device_id' "$tmp/body" | tr '\n' ' ')" "true 21212 "
ok "the poller queues a manual job" wait_for 10 sh -c "[ \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:21212 source)\" = manual ]"
ok "which a worker completes" wait_for 30 status_is 21212 done
is "with the device's evidence" "$(rcli HGET lr:result:21212 services | jq -r '.[0].name')" "DHCP Client"
is "acked: nothing pending" "$(rcli XPENDING lr:requests lrflow-poller | head -n 1)" 0
like "the poller said who asked" "$(cat "$tmp/poller.log")" "Collect request by - for device_id 21212, enqueuing"

# The page's form: Origin of our host, the token as a field, 303 back.
is "form with the token: 303" "$(post -H "Origin: http://$host" -d "token=$token" "$VIEWER_URL/api/devices/41414/collect")" 303
like "back to the device page" "$(grep -i '^location:' "$tmp/head")" "/device/41414\?collect=requested"
ok "queued and completed too" wait_for 30 status_is 41414 done
is "as a manual job" "$(rcli HGET lr:result:41414 source)" manual

# A device in flight is not queued twice: WIN-SLOW checks in after 4 s.
enq=$(rcli HGET lr:stats enqueued)
is "first request: 202" "$(post -H "X-LRFlow-Token: $token" "$VIEWER_URL/api/devices/31313/collect")" 202
ok "queued" wait_for 10 sh -c "[ -n \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:31313 status)\" ]"
is "second request while in flight: 202" "$(post -H "X-LRFlow-Token: $token" "$VIEWER_URL/api/devices/31313/collect")" 202
ok "taken by the poller" wait_for 10 sh -c "[ \"\$(redis-cli -s $tmp/redis.sock XPENDING lr:requests lrflow-poller | head -n 1)\" = 0 ] && grep -q 'device ID 31313 already inflight' $tmp/poller.log"
is "one job, not two" "$(( $(rcli HGET lr:stats enqueued) - enq ))" 1
ok "completed" wait_for 30 status_is 31313 done
is "one run: nothing archived yet" "$(rcli LLEN lr:runs:31313)" 0
invariants_ok "queue invariants hold"

# A poller that read a request and died before its XACK.  The state it
# leaves is an entry in its pending list; redis-cli reads one the same way
# (same group, same consumer) while no poller runs.
stop $POLLER_PID
rcli XADD lr:requests MAXLEN '~' 10000 '*' device_id 41414 who crash at 2026-11-28T00:00:00Z source manual >/dev/null
rcli XREADGROUP GROUP lrflow-poller lr-poller COUNT 10 STREAMS lr:requests '>' >/dev/null
is "read, not acked" "$(rcli XPENDING lr:requests lrflow-poller | head -n 1)" 1
runs=$(rcli LLEN lr:runs:41414)
start_poller
ok "the next poller reads it again" wait_for 10 sh -c "grep -q 'Collect request by crash for device_id 41414, enqueuing' $tmp/poller.log"
is "and acks it" "$(rcli XPENDING lr:requests lrflow-poller | head -n 1)" 0
ok "a new run for the device" wait_for 30 sh -c "[ \$(redis-cli -s $tmp/redis.sock LLEN lr:runs:41414) -gt $runs ] && [ \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:41414 status)\" = done ]"

# The stream is capped.
rcli XINFO STREAM lr:requests >/dev/null
ok "requests carry who and when" sh -c "redis-cli -s $tmp/redis.sock XRANGE lr:requests - + | grep -qx crash"

# --once takes requests too.
stop $POLLER_PID
rcli XADD lr:requests '*' device_id 21212 who once at x source manual >/dev/null
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 99999 --once >>"$tmp/poller.out" 2>>"$tmp/poller.log"
ok "--once queues a waiting request" grep -q 'Collect request by once for device_id 21212' "$tmp/poller.log"
ok "and it runs" wait_for 30 sh -c "[ \$(redis-cli -s $tmp/redis.sock LLEN lr:runs:21212) -ge 1 ] && [ \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:21212 status)\" = done ]"

# The audit trail: a page, its history, an export, the raw file, a collect.
curl -s -o /dev/null "$VIEWER_URL/device/21212"
curl -s -o /dev/null "$VIEWER_URL/device/21212/history"
curl -s -o /dev/null "$VIEWER_URL/device/21212/services.csv"
sha=$(rcli HGET lr:result:21212 browser_history | jq -r '[.[] | select(.sha256)][0].sha256')
is "the raw file downloads" "$(curl -s -o "$tmp/h.sqlite" -w '%{http_code}' "$VIEWER_URL/device/21212/artifact/$sha")" 200
sleep 0.3
audit=$(rcli XRANGE lr:audit - + | tr '\n' ' ')
for a in view_device view_history export artifact collect; do
	like "audited: $a" "$audit" "action $a device_id 21212 who - addr 127.0.0.1 at 20"
done
# A worker adds its counts at its next heartbeat (5 s).
ok "API answers counted by status for /metrics" wait_for 15 sh -c "curl -s $VIEWER_URL/metrics | grep -Eq '^lrflow_api_responses_total\{code=\"200\"\} [1-9]'"
ok "collection durations in /metrics" sh -c "curl -s $VIEWER_URL/metrics | grep -Eq '^lrflow_collection_duration_seconds_count [1-9]'"
finish
