# t_notifications.sh - the v3 Notifications path with the SIEM profile:
# read-once notifications become jobs, a device notified again while in
# flight is coalesced into one job, many at once keep their order, malformed notifications are logged and
# counted, type filters work, a refused SIEM key is said plainly.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 21212, "name": "WIN-DEMO01", "checkin_after": 0, "users": ["jdoe"]},
  {"id": 31337, "name": "WIN-FIN02", "checkin_after": 0, "users": ["mjones"]},
  {"id": 40404, "name": "WIN-OTHER", "checkin_after": 0, "users": ["kbrown"]}],
 "notifications": [
  {"at": 0, "device_id": 21212, "type": "THREAT"},
  {"at": 0, "device_id": 31337, "type": "THREAT"},
  {"raw": {"type": "THREAT", "eventId": "nodevice"}},
  {"raw": {"type": "THREAT", "eventId": "baddevice", "deviceInfo": {"deviceId": "21a"}}},
  {"raw": "not an object"}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"

ok "poller --once exits 0" poll_once
is "two jobs queued" "$(rcli LLEN lr:queue)" 2
is "21212 queued" "$(rcli HGET lr:result:21212 status)" queued
is "31337 queued" "$(rcli HGET lr:result:31337 status)" queued
is "device name from the notification" "$(rcli HGET lr:result:21212 device_name)" WIN-DEMO01
is "notification kept as the alert" "$(rcli HGET lr:result:21212 alert | jq -r .deviceInfo.deviceId)" 21212
is "malformed notifications counted" "$(rcli HGET lr:stats notifications_malformed)" 3
ok "no deviceInfo is logged" grep -q "nodevice has no deviceInfo" "$tmp/poller.log"
ok "bad device id is logged" grep -q "baddevice: deviceInfo.deviceId is not a device id" "$tmp/poller.log"
is "notifications read with the SIEM key" "$(sim_stat unauthorized)" 0
is "the queue is read once" "$(sim_stat notifications_served)" 5

# The same device notified twice more while in flight: one job.
curl -s -X POST -d '{"device_id": 21212}' "$CB_URL/_sim/notify" >/dev/null
curl -s -X POST -d '{"device_id": 21212}' "$CB_URL/_sim/notify" >/dev/null
ok "second poll exits 0" poll_once
is "still two jobs" "$(rcli LLEN lr:queue)" 2
is "coalesced alerts counted" "$(rcli HGET lr:stats coalesced)" 2
is "coalesced alert ids kept with the device" "$(rcli HGET lr:result:21212 alert_ids | jq length)" 3
is "log says already inflight" "$(grep -c 'Device ID 21212 already inflight' "$tmp/poller.log")" 2

# Type filter: a POLICY_ACTION is counted, not queued.
curl -s -X POST -d '{"device_id": 40404, "type": "POLICY_ACTION"}' "$CB_URL/_sim/notify" >/dev/null
ok "filtered poll exits 0" poll_once --alert-types THREAT,THREAT_HUNTER
is "filtered notification not queued" "$(rcli EXISTS lr:result:40404)" 0
is "filtered notification counted" "$(rcli HGET lr:stats notifications_filtered)" 1
ok "invariants hold with queued jobs" invariants

# Many notifications in one answer go to Redis in pipelines (256 enqueue
# scripts each): 300 for 150 devices, each device twice, give 150 jobs in
# the order read and 150 coalesced, as one at a time would (prefix n2,
# which no worker drains).
i=0
while [ $i -lt 300 ]; do
	curl -s -X POST -d "{\"device_id\": $((50001 + i % 150))}" "$CB_URL/_sim/notify" >/dev/null
	i=$((i + 1))
done
ok "a poll of 300 notifications exits 0" poll_once --prefix n2
is "300 read at once" "$(rcli HGET n2:stats notifications_received)" 300
is "150 jobs" "$(rcli LLEN n2:queue)" 150
is "150 coalesced" "$(rcli HGET n2:stats coalesced)" 150
is "jobs in the order read (the oldest at the tail)" \
    "$(rcli LRANGE n2:queue 0 -1 | jq -s -c '[.[].device_id] == [range(50150; 50000; -1)]')" true
is "each device's two alerts on its job" "$(rcli HGET n2:result:50150 alert_ids | jq length)" 2

# A worker drains both jobs.
start_worker w1
ok "21212 done" wait_for 30 status_is 21212 done
ok "31337 done" wait_for 30 status_is 31337 done
is "one session per device" "$(sim_stat sessions_opened)" 2
is "all sessions closed" "$(sim_stat sessions_closed)" 2
ok "invariants hold when drained" invariants

# A refused SIEM key: a clear line and exit 1 with --once.
sed -i 's#^token=SIMSECRETSIEM.*#token=WRONGSECRETWRONG/WRONGID#' "$tmp/credentials.psc"
poll_once
is "--once exits 1 when the poll fails" "$?" 1
ok "refused key said plainly" grep -q "SIEM key was refused; check the token of profile \[siem\]" "$tmp/poller.log"
ok "the wrong token is not logged" sh -c "! grep -q WRONGSECRETWRONG $tmp/poller.log"

# Missing profile key: exit 2 with one line.
printf '[default]\nurl=%s\n' "$CB_URL" >"$tmp/bad.psc"
chmod 600 "$tmp/bad.psc"
out=$("$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/bad.psc" --once 2>&1)
is "missing token exits 2" "$?" 2
like "missing token is named" "$out" "missing 'token'"
finish
