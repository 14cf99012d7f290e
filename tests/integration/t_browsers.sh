# t_browsers.sh - every user and every Chromium browser profile: users from
# the directory list of C:\Users (one of them logged off), Chrome's Default
# and Profile 1 and Edge's Default, Brave absent; a History file Chrome
# holds open is copied with cmd.exe, fetched, and the copy deleted; visits
# with transitions, downloads with their URL chains, search terms.  Once
# through Live Response v3, once through v6.  Then a device whose folders
# cannot be listed: the logged-in users are all there is.  Last, a worker
# stopped in the middle of a copy still deletes it.
. "$(dirname "$0")/lib.sh"

# device ID: the same people on every device.
device() {
	cat <<EOD
  {"id": $1, "name": "WIN-BROWSERS-$1", "checkin_after": 0,
   "users": ["jdoe", "asmith"], "logged_off": ["bob"],
   "profiles": {"jdoe": {"chrome": ["Default", "Profile 1"], "edge": ["Default"]},
                "asmith": {"edge": ["Default"]},
                "bob": {"chrome": ["Default"]}},
   "locked": ["jdoe/chrome/Default"]}
EOD
}
cat >"$tmp/scenario.json" <<EOF2
{"command_ms": 50,
 "devices": [
$(device 4301),
$(device 4302),
  {"id": 4303, "name": "WIN-NODIR", "checkin_after": 0, "users": ["jdoe", "asmith"],
   "logged_off": ["bob"], "fail_command": "directory list"}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"

# dirlists: the directory lists the simulator ran so far.
dirlists() {
	curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["directory list"] // 0'
}

# check DEVICE API: the result of a collection of device().
check() {
	r=lr:result:$1
	bh=$tmp/bh-$1.json
	rcli HGET $r browser_history >"$bh"
	is "$2: users are every folder of C:\\Users, sorted" \
	    "$(rcli HGET $r users | jq -c .)" '["asmith","bob","jdoe"]'
	is "$2: logged_in are the owners of explorer.exe (bob is logged off)" \
	    "$(rcli HGET $r logged_in | jq -c .)" '["jdoe","asmith"]'
	is "$2: one entry per user, browser and profile, in the contract's order" \
	    "$(jq -r '[.[] | "\(.user)/\(.browser)/\(.profile)"] | join(" ")' "$bh")" \
	    "asmith/edge/Default bob/chrome/Default jdoe/chrome/Default jdoe/chrome/Profile 1 jdoe/edge/Default"
	is "$2: no entry has an error" "$(jq '[.[] | select(.error)] | length' "$bh")" 0
	is "$2: only the History Chrome holds open was copied" \
	    "$(jq -c '[.[] | select(.copied == true) | .user + "/" + .browser + "/" + .profile]' "$bh")" \
	    '["jdoe/chrome/Default"]'
	is "$2: the copied entry names the real file" \
	    "$(jq -r '.[] | select(.copied) | .path' "$bh")" \
	    'c:\users\jdoe\appdata\local\google\chrome\user data\default\history'
	ok "$2: the copied History was parsed: visits" \
	    jq -e '.[] | select(.copied) | .visits | length > 0' "$bh"
	ok "$2: the copied History is stored as an artifact" sh -c \
	    "redis-cli -s $tmp/redis.sock GET \$(jq -r '.[] | select(.copied) | .artifact' $bh) | head -c 15 | grep -qx 'SQLite format 3'"
	ok "$2: every entry has a sha256 and a size" \
	    jq -e 'all(.[]; (.sha256 | test("^[0-9a-f]{64}$")) and .size > 0)' "$bh"
	ok "$2: the logged-off user's History is there" \
	    jq -e '.[] | select(.user == "bob") | .visits | length > 0' "$bh"
	ok "$2: visits newest first, with transition names and counts" jq -e '
	    all(.[]; [.visits[].visit_time] as $t | $t == ($t | sort | reverse)) and
	    all(.[].visits[]; (.transition | IN("link","typed","auto_bookmark","auto_subframe",
	        "manual_subframe","generated","auto_toplevel","form_submit","reload","keyword",
	        "keyword_generated")) and (.visit_count | type == "number"))' "$bh"
	ok "$2: typed and generated visits are told apart" jq -e \
	    '[.[].visits[].transition] | (index("typed") != null) and (index("generated") != null)' "$bh"
	ok "$2: *_total beside each list, never less than the list" jq -e '
	    all(.[]; .visits_total >= (.visits | length) and
	        .downloads_total == (.downloads | length) and
	        .search_terms_total == (.search_terms | length))' "$bh"
	ok "$2: downloads with their redirect chains, in order" jq -e '
	    [.[].downloads[] | select(.target_path | endswith("flash_update.exe"))][0] |
	    .url_chain == ["http://bit.example/x1", "http://update-flash.example.org/get",
	        "http://update-flash.example.org/flash_update.exe"] and
	    .url == "http://update-flash.example.org/flash_update.exe" and
	    .state == "cancelled" and .danger_type == "dangerous_url"' "$bh"
	is "$2: download states as names" \
	    "$(jq -c '[.[].downloads[].state] | unique' "$bh")" \
	    '["cancelled","complete","in_progress","interrupted"]'
	ok "$2: downloads carry times, bytes and MIME type" jq -e '
	    all(.[].downloads[]; (.start_time | test("^20[0-9-]+T[0-9:.]+Z$")) and
	        (.total_bytes | type == "number") and (.mime_type | length > 0)) and
	    all(.[].downloads[] | select(.state == "in_progress"); has("end_time") | not)' "$bh"
	ok "$2: search terms with their URL and time" jq -e '
	    [.[].search_terms[]] | length > 0 and
	    all(.[]; (.term | length > 0) and (.url | startswith("https://www.google.com/search?q=")) and
	        (.visit_time | test("Z$")))' "$bh"
	is "$2: Guest Profile and System Profile are not profiles" \
	    "$(jq '[.[] | select(.profile | test("Guest|System"))] | length' "$bh")" 0
}

# --- Live Response v3 ------------------------------------------------
ok "queued 4301" poll_once --synthetic 4301
start_worker w1 --verbose
ok "4301 done (v3)" wait_for 60 status_is 4301 done
check 4301 v3
is "v3: one copy made" "$(sim_stat copies)" 1
is "v3: one directory list for C:\\Users and one per user and browser" "$(dirlists)" 10
ok "v3: the copy went to c:\\windows\\temp with cmd.exe copy" grep -q \
    'the Chrome History file of jdoe (Default) is in use; copying it to c:\\windows\\temp\\cblr\.[A-Za-z0-9]\{12\}\.tmp' "$tmp/w1.log"
stop $w1_PID
is "v3: the copy was deleted before the session closed" "$(sim_stat temp_files_left)" 0
is "v3: no file left in C:\\Windows\\Temp of an open session" "$(sim_stat temp_files)" 0

# --- Live Response v6 ------------------------------------------------
write_v6_creds ABCD1234
lists=$(dirlists)
ok "queued 4302" poll_once --synthetic 4302
start_worker w2 --verbose
ok "w2 speaks v6" wait_for 10 grep -q 'Live Response v6' "$tmp/w2.log"
ok "4302 done (v6)" wait_for 60 status_is 4302 done
check 4302 v6
is "v6: one more copy made" "$(sim_stat copies)" 2
is "v6: ten directory lists again" "$(( $(dirlists) - lists ))" 10
ok "v6: the copy was made through the v6 command route" grep -q \
    'sending HTTP POST /appservices/v6/orgs/ABCD1234/liveresponse/sessions/[0-9]*:4302/commands with {"name":"create process","path":"c:\\\\windows\\\\system32\\\\cmd.exe /c copy /y /b' "$tmp/w2.log"
is "v6: every copy deleted" "$(sim_stat temp_files_left)" 0

# --- C:\Users cannot be listed ----------------------------------------
ok "queued 4303" poll_once --synthetic 4303
ok "4303 done all the same" wait_for 60 status_is 4303 done
is "users fall back to the logged-in users" "$(rcli HGET lr:result:4303 users | jq -c .)" '["asmith","jdoe"]'
is "logged_in as always" "$(rcli HGET lr:result:4303 logged_in | jq -c .)" '["jdoe","asmith"]'
is "no History could be found" "$(rcli HGET lr:result:4303 browser_history | jq length)" 0
ok "the fallback is said in a warning" grep -q \
    'device 4303: could not list the user folders (.*Access is denied.*); looking at the logged-in users only' "$tmp/w2.log"
stop $w2_PID

# --- the worker stops while a copy is in flight ------------------------
# Commands take 1.5 s here, so the stop lands in the copy (or its fetch);
# the copy is deleted all the same before the session closes.
cat >"$tmp/slow.json" <<EOF3
{"command_ms": 1500, "devices": [
$(device 4304)]}
EOF3
start_cbsim_named slow "$tmp/slow.json"
ok "queued 4304" poll_once --synthetic 4304
start_worker w3 --credentials "$tmp/slow.psc"
ok "the copy of the locked History has begun" wait_for 60 \
    grep -q 'device 4304: the Chrome History file of jdoe (Default) is in use; copying' "$tmp/w3.log"
kill -TERM $w3_PID
sleep 0.2
kill -TERM $w3_PID
wait $w3_PID
is "w3 exits 0 after two signals" "$?" 0
slow_stat() { curl -s "$slow_URL/_sim/stats" | jq -r ".$1"; }
ok "the copy was deleted although the worker was stopping" \
    grep -q 'session [0-9]*:4304: deleting c:\\windows\\temp\\cblr\.[A-Za-z0-9]\{12\}\.tmp before stopping' "$tmp/w3.log"
is "no file left in C:\\Windows\\Temp of the device" "$(slow_stat temp_files_left)" 0
is "its session closed" "$(slow_stat sessions_closed)" "$(slow_stat sessions_opened)"
is "the job went back to the queue" "$(rcli HGET lr:result:4304 status)" queued

is "every session closed" "$(sim_stat sessions_closed)" "$(sim_stat sessions_opened)"
is "nothing left in C:\\Windows\\Temp" "$(sim_stat temp_files_left)" 0
ok "invariants hold" invariants
finish
