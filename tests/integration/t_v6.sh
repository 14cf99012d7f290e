# t_v6.sh - Live Response v6 and Devices v6 end to end: a collection
# through /appservices/v6/orgs/{org_key} with lower-case statuses, command
# id 0 and file content behind a 302 to a storage host that must never see
# the API key; devices refused before any session (Live Response off,
# offline, unknown); a wrong org key; server errors; every v6 session
# closed.
. "$(dirname "$0")/lib.sh"

# queue DEVICE...: one synthetic job per device.
queue() {
	for d in "$@"; do
		poll_once --synthetic "$d" || return 1
	done
}

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50, "lowercase_session_status": true,
 "devices": [
  {"id": 21212, "name": "WIN-DEMO01", "os": "WINDOWS", "os_version": "Windows 10 x64",
   "checkin_after": 1, "users": ["jdoe", "asmith"]},
  {"id": 31337, "name": "WIN-FINANCE02", "checkin_after": 0, "users": ["mjones"]},
  {"id": 50505, "name": "WIN-NOLR05", "checkin_after": 0, "users": ["jdoe"], "lr_enabled": false},
  {"id": 60606, "name": "WIN-AWAY06", "checkin_after": 0, "users": ["jdoe"], "last_contact_ago": 864000},
  {"id": 70707, "name": "WIN-FLAKY07", "checkin_after": 0, "users": ["jdoe"]},
  {"id": 80808, "name": "WIN-WRONGORG08", "checkin_after": 0, "users": ["jdoe"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234

# --- configuration ---------------------------------------------------
"$BIN/lr-worker" --redis "$REDIS_URL" --credentials "$tmp/credentials.psc" -n \
    >"$tmp/check.out" 2>"$tmp/check.log"
is "v6 credentials pass the configuration check" "$?" 0
"$BIN/lr-worker" --redis "$REDIS_URL" --cburl "$CB_URL" --apitoken "$LR_TOKEN" \
    --api v6 -n >"$tmp/nokey.out" 2>"$tmp/nokey.log"
is "--api v6 without an org key exits 2" "$?" 2
like "and says where the org key goes" "$(cat "$tmp/nokey.log")" \
    'Live Response v6 needs an org key \(org_key in the credentials file, CBC_ORG_KEY or --org-key\)'

# --- the full flow ---------------------------------------------------
ok "jobs queued" queue 21212 50505 60606 99999
is "four jobs queued" "$(rcli LLEN lr:queue)" 4
start_worker w1 --verbose --retry-base 1 --offline-ttl 3
ok "worker says it uses v6" wait_for 10 grep -q 'Live Response v6' "$tmp/w1.log"

ok "21212 is done within 30 s" wait_for 30 status_is 21212 done
r=lr:result:21212
is "device name from Devices v6" "$(rcli HGET $r device_name)" WIN-DEMO01
is "os is os + os_version" "$(rcli HGET $r os)" "WINDOWS Windows 10 x64"
like "last_contact_time recorded, ISO-8601" "$(rcli HGET $r last_contact_time)" \
    '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:.]+(Z|[+-][0-9:]+)$'
is "sensor_states recorded as a JSON array" \
    "$(rcli HGET $r sensor_states | jq -r 'type')" array
ok "sensor_states include LIVE_RESPONSE_ENABLED" sh -c \
    "redis-cli -s $tmp/redis.sock HGET $r sensor_states | jq -e 'index(\"LIVE_RESPONSE_ENABLED\") != null'"
is "12 services through get file and the 302" "$(rcli HGET $r services | jq '[.[] | select(.running and .type != "driver")] | length')" 12
is "logged_in from process_path / process_username" "$(rcli HGET $r logged_in | jq -c .)" '["jdoe","asmith"]'
is "users from the directory list of C:\\Users, sorted" "$(rcli HGET $r users | jq -c .)" '["asmith","jdoe"]'
bh=$(rcli HGET $r browser_history)
printf %s "$bh" >"$tmp/bh.json"
is "one history entry per user" "$(jq length "$tmp/bh.json")" 2
ok "history has visits" jq -e '.[0].visits | length > 0' "$tmp/bh.json"
ok "no history entry has an error" jq -e '[.[] | select(.error)] | length == 0' "$tmp/bh.json"
like "v6 session id recorded" "$(rcli HGET $r session_id)" '^[0-9]+:21212$'
ok "no error field on success" sh -c "[ -z \"\$(redis-cli -s $tmp/redis.sock HGET $r error)\" ]"
ok "command id 0 was used" grep -q 'session [0-9]*:21212: create process is command 0$' "$tmp/w1.log"
ok "fetched files removed from the cloud (204)" \
    grep -q 'HTTP DELETE /appservices/v6/orgs/ABCD1234/liveresponse/sessions/[0-9]*:21212/files/[0-9a-f-]* took .*response 204' "$tmp/w1.log"
ok "session closed with DELETE (204)" \
    grep -q 'HTTP DELETE /appservices/v6/orgs/ABCD1234/liveresponse/sessions/[0-9]*:21212 took .*response 204' "$tmp/w1.log"
ok "content came from the storage host" [ "$(sim_stat files_served)" -ge 3 ]

ok "device without Live Response ends failed" wait_for 30 status_is 50505 failed
like "Live Response off said plainly, with the sensor states" \
    "$(rcli HGET lr:result:50505 error)" \
    '^Live Response is not enabled on device 50505 \(sensor states: .*\)$'
is "no session for it" "$(rcli HGET lr:result:50505 session_id)" ""

# Offline: deferred and tried again until --offline-ttl (3 s here), then
# failed with that said in words.
has_event() { [ -n "$(event_details "$1" "$2")" ]; }
ok "offline device is deferred, not failed" wait_for 30 has_event 60606 deferred
ok "offline device ends failed after --offline-ttl" wait_for 30 status_is 60606 failed
like "offline said plainly, with when it was last seen" \
    "$(rcli HGET lr:result:60606 error)" \
    '^gave up: the device stayed offline for longer than --offline-ttl \(3 s\) after the alert; last: device 60606 is offline: last seen 20[0-9-]+T[0-9:.]+.* \(10 days ago\)$'
ok "it was tried more than once" [ "$(rcli HGET lr:result:60606 attempts)" -ge 2 ]
is "no session for it" "$(rcli HGET lr:result:60606 session_id)" ""

ok "unknown device ends failed" wait_for 30 status_is 99999 failed
is "unknown device is not retried" "$(rcli HGET lr:result:99999 attempts)" 1
is "unknown device said plainly" "$(rcli HGET lr:result:99999 error)" \
    "device 99999 not found in Carbon Black Cloud"

is "one v6 session opened (none for the refused devices)" "$(sim_stat v6_sessions_opened)" 1
is "every v6 session closed" "$(sim_stat v6_sessions_closed)" "$(sim_stat v6_sessions_opened)"
is "the storage host never got the API key" "$(sim_stat token_leaks)" 0
ok "every device was looked up" [ "$(sim_stat device_lookups)" -ge 4 ]

# --- server errors ---------------------------------------------------
# One 500 on the content: retried, the job still succeeds.
curl -s -X POST -d '{"route":"content","status":500,"count":1}' "$CB_URL/_sim/fault" >/dev/null
ok "queued 31337" queue 31337
ok "a 500 on file content is retried: done" wait_for 30 status_is 31337 done
is "its services arrived" "$(rcli HGET lr:result:31337 services | jq '[.[] | select(.running and .type != "driver")] | length')" 12
# The session create keeps failing: a transient failure, deferred with
# the reason said plainly, then done once the cloud recovers.
curl -s -X POST -d '{"route":"sessions","status":500,"count":4}' "$CB_URL/_sim/fault" >/dev/null
ok "queued 70707" queue 70707
ok "sessions failing with 500: deferred, then done" wait_for 60 status_is 70707 done
like "server error explained when it was deferred" \
    "$(event_details 70707 deferred | head -n 1)" \
    'could not open a Live Response session on device 70707: Carbon Black Cloud had a server error \(HTTP 500\)'
is "no error left on the result once done" "$(rcli HGET lr:result:70707 error)" ""
stop $w1_PID
is "worker exits 0 on SIGTERM" "$rc" 0

# --- a wrong org key -------------------------------------------------
write_v6_creds WRONG123
opened=$(sim_stat v6_sessions_opened)
ok "queued 80808" queue 80808
start_worker w2
ok "wrong org key ends failed" wait_for 30 status_is 80808 failed
like "wrong org key explained" "$(rcli HGET lr:result:80808 error)" \
    'HTTP 403.*org key WRONG123 must be the key.s own organization'
is "no session opened with the wrong org key" "$(sim_stat v6_sessions_opened)" "$opened"
stop $w2_PID

is "every v6 session closed at the end" "$(sim_stat v6_sessions_closed)" "$(sim_stat v6_sessions_opened)"
is "no token leak at the end" "$(sim_stat token_leaks)" 0
ok "token never logged" sh -c "! grep -h 'SIMSECRET' $tmp/*.log"
ok "invariants hold" invariants
finish
