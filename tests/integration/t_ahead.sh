# t_ahead.sh - failures while a collection's commands are on their way at
# once to a device that runs them in order (lr-cbsim "command_serial"):
# answers lost after the cloud queued net start, reg.exe and sc.exe are
# followed, not sent again; a 429 in the middle of the first phase pauses
# and the job finishes; a session the cloud drops while History files are
# being fetched is opened again once and the job finishes.  Every output
# file is deleted each time.
. "$(dirname "$0")/lib.sh"

# device ID USERS: each user has Chrome with a Default and a Profile 1.
device() {
	profiles="" history=""
	for u in $2; do
		profiles="$profiles${profiles:+,}\"$u\": {\"chrome\": [\"Default\", \"Profile 1\"]}"
		history="$history${history:+,}\"$u\": [{\"url\": \"https://example.com/$u\", \"title\": \"$u\", \"visit_time\": \"2026-11-27T10:00:00Z\", \"visit_count\": 1, \"typed_count\": 0}]"
	done
	printf '{"id": %d, "checkin_after": 0, "users": [%s], "profiles": {%s}, "history": {%s}}' \
	    "$1" "$(printf '"%s",' $2 | sed 's/,$//')" "$profiles" "$history"
}
printf '{"command_serial": true, "command_ms": 150, "devices": [%s, %s, %s]}\n' \
    "$(device 5301 jdoe)" "$(device 5302 jdoe)" "$(device 5303 "jdoe asmith bob")" >"$tmp/scenario.json"
start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234
fault() { curl -s -X POST -d "$1" "$CB_URL/_sim/fault" >/dev/null; }
by_name() { curl -s "$CB_URL/_sim/stats" | jq ".commands_by_name[\"$1\"] // 0"; }
start_worker w1 --retry-base 1

# --- the answers to the first three submits are lost -------------------
fault '{"route": "commands", "lost": true, "count": 3}'
poll_once --synthetic 5301
ok "lost answers in the first phase: the job is done" wait_for 60 status_is 5301 done
is "net.exe, reg.exe and sc.exe each ran once" "$(by_name "create process")" 3
is "their outputs fetched once each and deleted" "$(by_name "delete file")" 3
is "the worker followed the three queued commands" \
    "$(grep -c 'create process was queued; following it' "$tmp/w1.log")" 3
is "no file left, no session open" "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.temp_files_left, .sessions_open]')" "[0,0]"
is "both profiles' History" "$(rcli HGET lr:result:5301 browser_history | jq length)" 2
is "services collected" "$(rcli HGET lr:result:5301 services | jq 'length > 0')" true

# --- a 429 on a submit in the middle of the first phase ----------------
creates=$(by_name "create process")
fault '{"route": "commands", "status": 429, "count": 1, "retry_after": 2}'
poll_once --synthetic 5302
ok "429 in the first phase: the job is done" wait_for 60 status_is 5302 done
is "the cloud answered the 429" "$(sim_stat rate_limited)" 1
is "nothing was sent inside the pause" "$(sim_stat requests_in_pause)" 0
is "one attempt" "$(rcli HGET lr:result:5302 attempts)" 1
is "three command lines ran, once each" "$(( $(by_name "create process") - creates ))" 3
is "no file left, no session open" "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.temp_files_left, .sessions_open]')" "[0,0]"

# --- the session is dropped while History files are fetched ------------
opened=$(sim_stat sessions_opened)
gets=$(by_name "get file")
poll_once --synthetic 5303
# The three outputs' gets come first; then the History files'.
ok "History files are being fetched" wait_for 60 sh -c \
    "[ \$(curl -s $CB_URL/_sim/stats | jq '.commands_by_name[\"get file\"] // 0') -ge $((gets + 4)) ]"
is "the cloud drops the session" "$(curl -s -X POST -d '{"device_id": 5303}' "$CB_URL/_sim/drop_session" | jq .dropped)" 1
ok "the job still finishes" wait_for 60 status_is 5303 done
is "one more session was opened" "$(( $(sim_stat sessions_opened) - opened ))" 2
is "every profile of the three users" "$(rcli HGET lr:result:5303 browser_history | jq '[.[] | select(.error == null)] | length')" 6
is "no file left, no session open" "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.temp_files_left, .sessions_open]')" "[0,0]"
ok "invariants hold" invariants
finish
