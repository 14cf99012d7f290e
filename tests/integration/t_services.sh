# t_services.sh - services with registry detail, marked against the
# previous run; run history as summaries; the alert timeline.  A device
# collected twice, with a service added and an ImagePath changed between
# the runs, shows exactly those two; the first run is kept in lr:runs as a
# summary naming its History artifact; an alert-triggered run has a
# timeline within --timeline-window of the alert's times; sc.exe matches
# the running services with an indirect DisplayName to their keys and
# gives every key its state; reg.exe failing falls back to one reg enum
# key per key, and sc.exe failing to DisplayName matching (v3); a Linux
# device has no registry step and no error.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50, "org_key": "ABCD1234",
 "devices": [
  {"id": 21212, "name": "WIN-DEMO01", "checkin_after": 0, "users": ["jdoe"],
   "service_keys_after": {"sessions": 1, "keys": [
     {"key": "EvilSvc", "display_name": "Windows Update Helper",
      "image_path": "c:\\users\\public\\svch0st.exe", "start": 2, "type": 16,
      "account": "LocalSystem"},
     {"key": "Dhcp", "image_path": "c:\\evil.exe"}]}},
  {"id": 31337, "name": "WIN-NOREG02", "checkin_after": 0, "users": ["mjones"],
   "reg_exe": false, "sc_exe": false},
  {"id": 41414, "name": "lnx-03", "os": "LINUX", "checkin_after": 0, "users": ["kbrown"]}]}
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
poll() {
	"$BIN/lr-poller" --redis "$REDIS_URL" --credentials "$tmp/cbc.ini" \
	    --once "$@" >>"$tmp/poller.out" 2>>"$tmp/poller.log"
}
r=lr:result:21212
svc() { rcli HGET $r services; }
# done_after DEVICE TIME: the device's run finished after TIME.
done_after() {
	status_is "$1" done && [ "$(rcli HGET "lr:result:$1" finished_at)" != "$2" ]
}

# --- first run: the baseline -----------------------------------------
ok "first job queued" poll --synthetic 21212
start_worker w1 --credentials "$tmp/cbc.ini" --verbose
ok "first run done" wait_for 30 status_is 21212 done
svc >"$tmp/s1.json"
first=$(rcli HGET $r finished_at)
sha1=$(rcli HGET $r browser_history | jq -r '.[0].sha256')
ok "30 or more services with registry detail" jq -e '[.[] | select(.key)] | length >= 30' "$tmp/s1.json"
is "net start's running services first, in order" \
    "$(jq -r '[.[] | select(.running == true) | .name][0:3] | join("|")' "$tmp/s1.json")" \
    "Application Information|Background Tasks Infrastructure Service|Base Filtering Engine"
is "a running service matched to its key by DisplayName" \
    "$(jq -r '.[] | select(.name == "Print Spooler") | [.key, .start_type, .account, .type, .running] | join(",")' "$tmp/s1.json")" \
    "Spooler,auto,LocalSystem,service,true"
is "an indirect DisplayName: the running service found its key through sc" \
    "$(jq -r '.[] | select(.name == "DHCP Client") | [.key, .running, .image_path] | join(",")' "$tmp/s1.json")" \
    'Dhcp,true,%SystemRoot%\system32\svchost.exe -k LocalServiceNetworkRestricted -p'
is "its display name resolved by sc, the raw one kept" \
    "$(jq -r '.[] | select(.key == "Dhcp") | [.display_name, .display_name_raw, .pid > 0] | join(",")' "$tmp/s1.json")" \
    'DHCP Client,@%SystemRoot%\system32\dhcpcore.dll,-100,true'
is "Dhcp is listed once" "$(jq '[.[] | select(.key == "Dhcp")] | length' "$tmp/s1.json")" 1
is "every running service has its key" \
    "$(jq '[.[] | select(.running == true and (has("key") | not))] | length' "$tmp/s1.json")" 0
is "the twelve running services come first" \
    "$(jq -c '[.[0:12][] | .running] | unique' "$tmp/s1.json")" '[true]'
is "a stopped service with an indirect name: stopped, named as sc names it" \
    "$(jq -r '.[] | select(.key == "TermService") | [.name, .running] | join(",")' "$tmp/s1.json")" \
    'Remote Desktop Services,false'
is "a key sc does not list (no service type) is not running" \
    "$(jq -r '.[] | select(.key == ".NET CLR Data") | .running' "$tmp/s1.json")" false
is "drivers are told apart, with their state" \
    "$(jq -r '.[] | select(.key == "ACPI") | [.type, .start_type, .running] | join(",")' "$tmp/s1.json")" \
    "driver,boot,true"
is "the other keys follow by key name" \
    "$(jq -r '[.[12:][] | .key] | . == (sort_by(ascii_downcase))' "$tmp/s1.json")" true
is "first run: nothing marked" "$(jq '[.[] | select(.new or .image_path_was)] | length' "$tmp/s1.json")" 0
is "first run: no baseline" "$(rcli HEXISTS $r services_baseline)" 0
is "no services_error" "$(rcli HEXISTS $r services_error)" 0
is "no reg enum key; net start, reg.exe and sc.exe once each" \
    "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.commands_by_name["reg enum key"] // 0, .commands_by_name["create process"]]')" \
    "[0,3]"
is "sc.exe ran with its command line" \
    "$(grep -c '"create process".*sc\.exe queryex type= all state= all bufsize= 262144' "$tmp/w1.log")" 1
is "every output file was deleted: net start's, reg.exe's and sc.exe's" \
    "$(curl -s "$CB_URL/_sim/stats" | jq -c '[.commands_by_name["delete file"], .temp_files_left]')" "[3,0]"

# --- second run: one new key, one changed ImagePath --------------------
ok "second job queued" poll --synthetic 21212
ok "second run done" wait_for 30 done_after 21212 "$first"
svc >"$tmp/s2.json"
is "exactly the new and the changed service are marked" \
    "$(jq -c '[.[] | select(.new or .image_path_was) | .key] | sort' "$tmp/s2.json")" \
    '["Dhcp","EvilSvc"]'
is "the new one is new" \
    "$(jq -r '.[] | select(.key == "EvilSvc") | [.new, .name, .image_path, .running] | join(",")' "$tmp/s2.json")" \
    'true,Windows Update Helper,c:\users\public\svch0st.exe,false'
is "the changed one says what its ImagePath was" \
    "$(jq -r '.[] | select(.key == "Dhcp") | [.image_path, .image_path_was, (.new // "old")] | join(",")' "$tmp/s2.json")" \
    'c:\evil.exe,%SystemRoot%\system32\svchost.exe -k LocalServiceNetworkRestricted -p,old'
is "services_baseline is the first run's finished_at" "$(rcli HGET $r services_baseline)" "$first"

# --- the run history ---------------------------------------------------
rcli LINDEX lr:runs:21212 0 >"$tmp/run1.json"
is "the first run is archived" "$(jq -r '[.status, .finished_at] | join(" ")' "$tmp/run1.json")" "done $first"
ok "as a summary of a few KB" [ "$(wc -c <"$tmp/run1.json")" -lt 16384 ]
is "without the parsed History rows" "$(jq 'has("browser_history")' "$tmp/run1.json")" false
is "its artifact named by hash" \
    "$(jq -r '.artifacts[0] | [.user, .browser, .profile, .sha256, .artifact] | join(",")' "$tmp/run1.json")" \
    "jdoe,chrome,Default,$sha1,lr:artifact:$sha1"
ok "with its visit count" jq -e '.artifacts[0].visits_total > 0' "$tmp/run1.json"
ok "and the raw file still in Redis" [ "$(rcli EXISTS "lr:artifact:$sha1")" = 1 ]
is "its services as stored" "$(jq -r '.services' "$tmp/run1.json" | jq -S -c .)" "$(jq -S -c . "$tmp/s1.json")"
ok "its users, worker and session" jq -e '(.users | fromjson) == ["jdoe"] and .worker == "w1" and (.session_id | length > 0)' "$tmp/run1.json"
is "the current run stays in the result hash" "$(rcli HGET $r status)" done
ok "synthetic alert: the timeline has its time" \
    sh -c "redis-cli -s $tmp/redis.sock HGET $r timeline | jq -e '.[0].kind == \"alert\" and .[0].what == \"alert\"'"

# --- an alert-triggered run: the timeline --------------------------------
# The simulator dates its History visits 48, 95, 142 ... minutes before it
# started; an alert 48 minutes old has its first event a minute before.
second=$(rcli HGET $r finished_at)
curl -s -X POST -d '{"device_id": 21212, "type": "CB_ANALYTICS", "severity": 5, "age_s": 2880}' \
    "$CB_URL/_sim/alerts" >/dev/null
ok "alert polled" poll --source alerts --lookback 7200 --alert-lag 0
ok "alert run done" wait_for 30 done_after 21212 "$second"
rcli HGET $r timeline >"$tmp/tl.json"
rcli HGET $r alert >"$tmp/alert.json"
is "timeline window recorded" "$(rcli HGET $r timeline_window)" 1800
is "the alert's three times" "$(jq -c '[.[] | select(.kind == "alert") | .what] | sort' "$tmp/tl.json")" \
    '["detection","first event","last event"]'
ok "visits near the alert are on it" jq -e '[.[] | select(.kind == "visit")] | length >= 1' "$tmp/tl.json"
ok "newest first" jq -e '[.[].time] == ([.[].time] | sort | reverse)' "$tmp/tl.json"
is "every entry within 1800 s of an alert time" "$(jq -n --slurpfile t "$tmp/tl.json" --slurpfile a "$tmp/alert.json" '
    def s: sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
    [$a[0].first_event_timestamp, $a[0].last_event_timestamp, $a[0].detection_timestamp] | map(s) as $at
    | [$t[0][] | (.time | s) as $x | select([$at[] | ($x - .) | fabs <= 1800] | any | not)] | length')" 0
is "visits farther away are not" "$(rcli HGET $r browser_history | jq --slurpfile t "$tmp/tl.json" \
    '(.[0].visits | length) > ([$t[0][] | select(.kind == "visit")] | length)')" true
is "timeline_total counts the entries" "$(rcli HGET $r timeline_total)" "$(jq length "$tmp/tl.json")"
is "nothing changed since the second run" "$(svc | jq '[.[] | select(.new or .image_path_was)] | length')" 0
is "compared with the second run" "$(rcli HGET $r services_baseline)" "$second"
is "the earlier runs kept, newest first" "$(rcli LRANGE lr:runs:21212 0 -1 | jq -r .finished_at | head -n 2 | tr '\n' ' ')" "$second $first "
stop $w1_PID

# --- reg.exe fails: one reg enum key per key (v3) ------------------------
write_creds
before=$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["reg enum key"] // 0')
ok "v3 job queued" poll --synthetic 31337
start_worker w2 --api v3
ok "v3 run done" wait_for 60 status_is 31337 done
rcli HGET lr:result:31337 services >"$tmp/s3.json"
ok "worker fell back to reading keys one by one" grep -q "reading the service keys one by one" "$tmp/w2.log"
ok "every key read with its values" jq -e '[.[] | select(.key)] | length >= 30 and ([.[] | select(.key == "Spooler")][0].image_path | test("spoolsv"))' "$tmp/s3.json"
ok "sc.exe printed nothing: the worker said so" grep -q "sc.exe failed" "$tmp/w2.log"
is "without sc, a DisplayName still finds its key" \
    "$(jq -r '.[] | select(.name == "Print Spooler") | [.key, .running] | join(",")' "$tmp/s3.json")" "Spooler,true"
is "and an indirect one does not: no key, and the key's state unknown" \
    "$(jq -c '[(.[] | select(.name == "DHCP Client") | has("key")), (.[] | select(.key == "Dhcp") | has("running"))]' "$tmp/s3.json")" \
    '[false,false]'
is "no services_error: every key was read, some running services matched" "$(rcli HEXISTS lr:result:31337 services_error)" 0
ok "one reg enum key per key, plus the list" \
    [ $(( $(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["reg enum key"] // 0') - before )) -ge 31 ]

# --- a Linux device: no registry step, no error --------------------------
before=$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["reg enum key"] // 0')
ok "Linux job queued" poll --synthetic 41414
ok "Linux run done" wait_for 30 status_is 41414 done
is "no services_error on Linux" "$(rcli HEXISTS lr:result:41414 services_error)" 0
is "no reg command sent to it" "$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["reg enum key"] // 0')" "$before"
stop $w2_PID

is "every session closed" "$(sim_stat sessions_closed)" "$(sim_stat sessions_opened)"
ok "invariants hold" invariants
finish
