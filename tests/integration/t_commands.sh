# t_commands.sh - the commands of a collection go to the device at once.
# lr-cbsim's "command_serial" runs a session's commands one after another
# (pending, in progress, complete), as a sensor does.  Against it the
# worker has sent net start, reg.exe, sc.exe, the process list and
# C:\Users before the first of them completed, deletes every file it made
# (a worker stopped in the middle too), and collects exactly what it
# collects from a device that runs every command at once.
. "$(dirname "$0")/lib.sh"

# device ID: users with browsers, one History held open (a copy).
device() {
	cat <<EOD
  {"id": $1, "name": "WIN-CMDS", "checkin_after": 0,
   "users": ["jdoe", "asmith"], "logged_off": ["bob"],
   "profiles": {"jdoe": {"chrome": ["Default", "Profile 1"], "edge": ["Default"]},
                "asmith": {"edge": ["Default"]},
                "bob": {"chrome": ["Default"]}},
   "history": {"jdoe": [{"url": "https://example.com/a", "title": "A",
                         "visit_time": "2026-11-27T10:00:00Z", "visit_count": 2, "typed_count": 1}],
               "asmith": [{"url": "https://example.org/b", "title": "B",
                           "visit_time": "2026-11-27T11:00:00Z", "visit_count": 1, "typed_count": 0}],
               "bob": [{"url": "https://example.net/c", "title": "C",
                        "visit_time": "2026-11-27T12:00:00Z", "visit_count": 1, "typed_count": 0}]},
   "locked": ["jdoe/chrome/Default"]}
EOD
}
printf '{"command_serial": true, "command_ms": 100, "devices": [%s]}\n' "$(device 5101)" >"$tmp/serial.json"
printf '{"command_ms": 100, "devices": [%s]}\n' "$(device 5101)" >"$tmp/atonce.json"
printf '{"command_serial": true, "command_ms": 3000, "devices": [%s]}\n' "$(device 5109)" >"$tmp/slow.json"
printf '{"command_serial": true, "command_ms": 1500, "devices": [%s]}\n' "$(device 5110)" >"$tmp/stop.json"
start_redis

# --- the simulator: one command at a time, in order -------------------
start_cbsim_named slow "$tmp/slow.json"
api="$slow_URL/appservices/v6/orgs/ABCD1234/liveresponse/sessions"
h="X-Auth-Token: $LR_TOKEN"
sid=$(curl -s -X POST -H "$h" -d '{"device_id": 5109}' "$api" | jq -r .id)
like "a session" "$sid" '^[0-9]+:5109$'
for i in 1 2; do
	curl -s -X POST -H "$h" -d '{"name": "process list"}' "$api/$sid/commands" >/dev/null
done
is "the first command runs" "$(curl -s -H "$h" "$api/$sid/commands/0" | jq -r .status)" "in progress"
is "the second waits for it" "$(curl -s -H "$h" "$api/$sid/commands/1" | jq -r .status)" pending
is "the list says the same" "$(curl -s -H "$h" "$api/$sid/commands" | jq -c '[.[].status]')" '["in progress","pending"]'
is "two commands waiting at once" "$(curl -s "$slow_URL/_sim/stats" | jq -c '[.commands_waiting_peak, .command_serial]')" '[2,true]'
curl -s -X DELETE -H "$h" "$api/$sid" >/dev/null

# --- the worker against it ----------------------------------------------
start_cbsim "$tmp/serial.json"
write_v6_creds ABCD1234
ok "queued" poll_once --synthetic 5101
start_worker w1 --verbose
ok "done, one command at a time on the device" wait_for 60 status_is 5101 done
stop $w1_PID
ok "net start, reg.exe, sc.exe, the process list and C:\\Users were all sent before the first completed" \
    [ "$(sim_stat commands_waiting_peak)" -ge 5 ]
is "the first five commands, in that order" \
    "$(grep -o '"name":"[a-z ]*"\(,"path":"[^"]*"\)\?' "$tmp/w1.log" | head -n 5 | sed 's/"name":"\([a-z ]*\)".*/\1/' | tr '\n' ',')" \
    "create process,create process,create process,process list,directory list,"
is "every file made was deleted: three outputs, one copy" \
    "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.commands_by_name["create process"], .commands_by_name["delete file"], .temp_files_left, .temp_files]')" \
    "[4,4,0,0]"
is "one directory list for C:\\Users and one per user and browser" \
    "$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["directory list"]')" 10
is "session closed" "$(sim_stat sessions_open)" 0
for f in services users logged_in browser_history; do
	rcli HGET lr:result:5101 $f >"$tmp/serial.$f"
done

# --- the same device running every command at once ----------------------
start_cbsim_named atonce "$tmp/atonce.json"
printf '[default]\nurl=%s\ntoken=%s\norg_key=ABCD1234\n' "$atonce_URL" "$LR_TOKEN" >"$tmp/atonce.psc"
chmod 600 "$tmp/atonce.psc"
first=$(rcli HGET lr:result:5101 finished_at)
ok "queued again" poll_once --synthetic 5101
start_worker w2 --verbose --credentials "$tmp/atonce.psc"
ok "done, every command at once on the device" wait_for 60 sh -c \
    "[ \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:5101 status)\" = done ] && [ \"\$(redis-cli -s $tmp/redis.sock HGET lr:result:5101 finished_at)\" != '$first' ]"
stop $w2_PID
is "no file left" "$(curl -s "$atonce_URL/_sim/stats" | jq -c '[.temp_files_left, .temp_files]')" "[0,0]"
# What does not depend on when the History was made: the simulator dates
# its visits from its own start.
strip() {
	jq -c 'if type != "array" then . else [.[] | if type != "object" then .
	    elif has("browser") then {user, browser, profile, path, copied, size, error,
	        visits: [.visits[] | {url, title, transition, visit_count}],
	        visits_total, downloads_total, search_terms_total}
	    else del(.new, .image_path_was) end] end' "$1"
}
for f in services users logged_in browser_history; do
	rcli HGET lr:result:5101 $f >"$tmp/atonce.$f"
	is "the same $f either way" "$(strip "$tmp/atonce.$f")" "$(strip "$tmp/serial.$f")"
done
is "History of every profile, the locked one copied" \
    "$(jq -c '[.[] | "\(.user)/\(.browser)/\(.profile)\(if .copied then "*" else "" end)"]' "$tmp/serial.browser_history")" \
    '["asmith/edge/Default","bob/chrome/Default","jdoe/chrome/Default*","jdoe/chrome/Profile 1","jdoe/edge/Default"]'

# --- the worker stops with the first commands on the device -------------
# Commands take 1.5 s: the stop lands while net start, reg.exe and sc.exe
# are queued or being fetched; every output file is deleted all the same.
start_cbsim_named stop "$tmp/stop.json"
printf '[default]\nurl=%s\ntoken=%s\norg_key=ABCD1234\n' "$stop_URL" "$LR_TOKEN" >"$tmp/stop.psc"
chmod 600 "$tmp/stop.psc"
ok "queued 5110" poll_once --synthetic 5110
start_worker w3 --credentials "$tmp/stop.psc"
ok "the first commands are on the device" wait_for 30 sh -c \
    "[ \"\$(curl -s $stop_URL/_sim/stats | jq '.commands_by_name[\"create process\"] // 0')\" = 3 ]"
sleep 1
kill -TERM $w3_PID
sleep 0.2
kill -TERM $w3_PID
wait $w3_PID
is "w3 exits 0 after two signals" "$?" 0
stop_stat() { curl -s "$stop_URL/_sim/stats" | jq -r ".$1"; }
is "no output file left on the device" "$(stop_stat temp_files_left)" 0
is "one delete per output file" "$(curl -s "$stop_URL/_sim/stats" | jq '.commands_by_name["delete file"]')" 3
is "its session closed" "$(stop_stat sessions_closed)" 1
is "the job went back to the queue" "$(rcli HGET lr:result:5110 status)" queued
ok "invariants hold" invariants
finish
