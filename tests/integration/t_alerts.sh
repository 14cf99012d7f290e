# t_alerts.sh - the Alerts v7 intake: alerts become jobs, alerts for a
# device in flight are coalesced into its job, filters count and skip,
# the cursor in Redis survives a killed poller (no alert lost, none
# repeated) across more than 10000 alerts, and bad answers are said
# plainly without moving the cursor; a page's alerts are queued in order.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50, "org_key": "ABCD1234",
 "devices": [
  {"id": 21212, "name": "WIN-DEMO01", "checkin_after": 0, "users": ["jdoe"]},
  {"id": 31337, "name": "WIN-FIN02", "checkin_after": 0, "users": ["mjones"]},
  {"id": 40404, "name": "WIN-OTHER", "checkin_after": 0, "users": ["kbrown"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
cat >"$tmp/cbc.ini" <<EOC
[default]
url=$CB_URL
token=$LR_TOKEN
org_key=ABCD1234
EOC
chmod 600 "$tmp/cbc.ini"

alert() {	# JSON body for /_sim/alerts
	curl -s -X POST -d "$1" "$CB_URL/_sim/alerts" >/dev/null
}
poll() {
	"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/cbc.ini" \
	    --once "$@" >>"$tmp/poller.out" 2>>"$tmp/poller.log"
}
stat() { rcli HGET lr:stats "$1"; }

alert '{"device_id": 21212, "type": "CB_ANALYTICS", "severity": 5, "age_s": 120}'
alert '{"device_id": 21212, "type": "WATCHLIST", "severity": 2, "age_s": 119}'
alert '{"device_id": 31337, "type": "CB_ANALYTICS", "severity": 7, "age_s": 118}'
alert '{"device_id": 31337, "type": "CB_ANALYTICS", "severity": 7, "age_s": 10}'
alert '{"raw": {"id": "no-device-1", "type": "CB_ANALYTICS", "severity": 9, "backend_timestamp": "'"$(date -u -d '-100 sec' +%Y-%m-%dT%H:%M:%S.000Z)"'"}}'

ok "poll exits 0" poll
ok "an org key selects the alerts source" grep -q "polling Alerts v7" "$tmp/poller.log"
is "two jobs: one per device" "$(rcli LLEN lr:queue)" 2
is "21212 queued from its alert" "$(rcli HGET lr:result:21212 source)" alerts
is "second alert for 21212 coalesced into its job" "$(rcli HGET lr:result:21212 alert_ids | jq length)" 2
is "the alert is kept with the result" "$(rcli HGET lr:result:21212 alert | jq -r .type)" CB_ANALYTICS
is "device name from the alert" "$(rcli HGET lr:result:31337 device_name)" WIN-FIN02
is "alert without a device counted" "$(stat alerts_malformed)" 1
ok "alert without a device logged" grep -q "no-device-1 has no device id" "$tmp/poller.log"
is "the alert 10 s old waits for the lag" "$(rcli HGET lr:result:31337 alert_ids | jq length)" 1
cursor=$(rcli GET lr:poller:cursor)
like "cursor kept in Redis as ISO-8601" "$cursor" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'

# Again with no lag: the new alert joins its device's job, nothing twice.
ok "second poll exits 0" poll --alert-lag 0
is "still two jobs" "$(rcli LLEN lr:queue)" 2
is "the late alert coalesced" "$(rcli HGET lr:result:31337 alert_ids | jq length)" 2
ok "the cursor moved on" [ "$(rcli GET lr:poller:cursor)" \> "$cursor" ]
before=$(( $(stat enqueued) + $(stat coalesced) ))
ok "third poll exits 0" poll --alert-lag 0
is "a poll over the same time takes nothing twice" "$(( $(stat enqueued) + $(stat coalesced) ))" "$before"

# Filters: counted, not queued.
alert '{"device_id": 40404, "type": "WATCHLIST", "severity": 9, "age_s": 5}'
alert '{"device_id": 40404, "type": "CB_ANALYTICS", "severity": 1, "age_s": 5}'
alert '{"device_id": 40404, "type": "CB_ANALYTICS", "severity": 9, "age_s": 5, "policy": "Servers"}'
ok "filtered poll exits 0" poll --alert-lag 0 --alert-types CB_ANALYTICS --min-severity 3 --policy Standard
is "nothing queued for 40404" "$(rcli EXISTS lr:result:40404)" 0
alert '{"device_id": 40404, "type": "CB_ANALYTICS", "severity": 9, "age_s": 1}'
ok "deny-list poll exits 0" poll --alert-lag 0 --exclude-devices 40404,5
is "denied device not queued" "$(rcli EXISTS lr:result:40404)" 0

# More than 10000 alerts in one window, and a poller killed halfway: when
# it comes back every alert is taken exactly once.
# (A fresh cursor and a lookback over everything so far: the alerts seen
# before come back too, and must not count again.)
base_e=$(stat enqueued) base_c=$(stat coalesced)
alert '{"device_id": 21212, "type": "CB_ANALYTICS", "severity": 5, "count": 12500, "spacing_ms": 1, "age_s": 20}'
rcli DEL lr:poller:cursor >/dev/null
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/cbc.ini" --poll 1 \
    --alert-lag 0 --lookback 300 >>"$tmp/poller.out" 2>>"$tmp/poller.log" &
p=$!
sleep 1
kill -KILL $p
wait $p 2>/dev/null
ok "poll after the crash exits 0" poll --alert-lag 0 --lookback 300
taken=$(( $(stat enqueued) - base_e + $(stat coalesced) - base_c ))
# 12500 new ones, plus the four 40404 alerts that the earlier polls'
# filters left out and this unfiltered poll takes.
is "all 12500 alerts taken exactly once" "$taken" 12504
ok "the earlier alerts were dropped as already handled" [ "$(stat alerts_duplicate)" -ge 4 ]
is "each alert id remembered" "$(rcli --scan --pattern "lr:alert:*" | wc -l)" 12508
ok "searches paged past 10000 results" [ "$(sim_stat alert_searches)" -ge 6 ]

# A 429 on the search is waited out within the poll (Retry-After: 2),
# shared through Redis, and counts nothing twice; an alert the cloud
# indexed late (behind the cursor) is still taken, once.
received=$(stat alerts_received) coalesced=$(stat coalesced)
alert '{"device_id": 21212, "type": "CB_ANALYTICS", "severity": 5, "age_s": 120}'
curl -s -X POST -d '{"route": "alerts", "status": 429, "count": 1, "retry_after": 2}' "$CB_URL/_sim/fault" >/dev/null
ok "a poll through a 429 exits 0" poll --alert-lag 0
is "one 429" "$(sim_stat rate_limited)" 1
is "nothing sent inside the pause" "$(sim_stat requests_in_pause)" 0
ok "the pause is logged with its length" grep -q "asked us to pause for 2 s" "$tmp/poller.log"
is "the late alert read once" "$(stat alerts_received)" $((received + 1))
is "the late alert joined 21212's job" "$(stat coalesced)" $((coalesced + 1))
ok "the late alert is logged" grep -q "indexed late" "$tmp/poller.log"

# A refused search: said plainly, cursor unchanged, --once exits 1.
cursor=$(rcli GET lr:poller:cursor)
curl -s -X POST -d '{"route": "alerts", "status": 400, "count": 1}' "$CB_URL/_sim/fault" >/dev/null
poll --alert-lag 0
is "a 400 makes --once exit 1" "$?" 1
is "cursor unchanged by a failed search" "$(rcli GET lr:poller:cursor)" "$cursor"
ok "the 400 is logged" grep -q "alert search: HTTP 400" "$tmp/poller.log"
curl -s -X POST -d '{"route": "alerts", "malformed": true, "count": 1}' "$CB_URL/_sim/fault" >/dev/null
poll --alert-lag 0
is "a malformed answer makes --once exit 1" "$?" 1
is "cursor unchanged by a malformed answer" "$(rcli GET lr:poller:cursor)" "$cursor"
sed 's/org_key=ABCD1234/org_key=WRONG123/' "$tmp/cbc.ini" >"$tmp/wrong.ini"
chmod 600 "$tmp/wrong.ini"
"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/wrong.ini" --once \
    --alert-lag 0 2>>"$tmp/poller.log"
is "a wrong org key makes --once exit 1" "$?" 1
ok "a wrong org key is explained" grep -q "org key is wrong" "$tmp/poller.log"
ok "invariants hold" invariants

# End to end: the queued devices are collected over Live Response v6, and
# the viewer shows each alert beside its evidence.
"$BIN/lr-worker" --redis "$REDIS_URL" --credentials "$tmp/cbc.ini" --id w1 \
    >"$tmp/w1.out" 2>"$tmp/w1.log" &
pids="$pids $!"
ok "21212 collected" wait_for 40 status_is 21212 done
ok "31337 collected" wait_for 40 status_is 31337 done
ok "collected over Live Response v6" grep -q "Live Response v6" "$tmp/w1.log"
start_viewer
page=$(curl -s "$VIEWER_URL/device/31337")
like "viewer shows the alert type" "$page" "CB_ANALYTICS"
like "viewer shows the alert id" "$page" "$(rcli HGET lr:result:31337 alert | jq -r .id)"
like "viewer shows the services beside it" "$page" "DHCP Client"
is "every v6 session closed" "$(sim_stat v6_sessions_closed)" "$(sim_stat v6_sessions_opened)"
is "the storage host never saw the token" "$(sim_stat token_leaks)" 0
ok "token never logged" sh -c "! grep -q SIMSECRET $tmp/poller.log $tmp/w1.log"

# A page's alerts go to Redis in pipelines (256 enqueue scripts each):
# 1200 alerts over 600 devices, each device twice, give 600 jobs in the
# order of the alerts and 600 coalesced, as one at a time would (prefix
# a2 and a type of their own keep the alerts above out).
alert '{"device_id": 60001, "devices": 600, "type": "DEVICE_CONTROL", "severity": 5, "count": 1200, "spacing_ms": 2, "age_s": 30}'
ok "a poll of 1200 alerts exits 0" poll --prefix a2 --alert-lag 0 --alert-types DEVICE_CONTROL
is "1200 read" "$(rcli HGET a2:stats alerts_received)" 1200
is "600 jobs" "$(rcli LLEN a2:queue)" 600
is "600 coalesced" "$(rcli HGET a2:stats coalesced)" 600
is "jobs in the order of the alerts (the oldest at the tail)" \
    "$(rcli LRANGE a2:queue 0 -1 | jq -s -c '[.[].device_id] == [range(60600; 60000; -1)]')" true
is "each device's two alerts on its job" "$(rcli HGET a2:result:60001 alert_ids | jq length)" 2
ok "the poll says how long queueing took" grep -q "1200 alerts read, 600 jobs queued, 600 added to jobs in flight (in [0-9]* ms, [0-9]* of them queueing)" "$tmp/poller.log"
finish
