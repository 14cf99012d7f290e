# t_failures.sh - what goes wrong on a device: a command that fails, a
# device that never checks in, an unknown device, a corrupt History file,
# a user without Chrome, a profile without its History file.  Each ends
# with a clear result and every session the worker opened is closed.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 1001, "name": "CMD-FAILS", "checkin_after": 0, "users": ["jdoe"], "fail_command": "create process"},
  {"id": 1002, "name": "NEVER-THERE", "checkin_after": -1, "users": ["jdoe"]},
  {"id": 1003, "name": "BAD-HISTORY", "checkin_after": 0, "users": ["jdoe"],
   "corrupt_history": ["asmith"], "no_chrome": ["bob"],
   "profiles": {"bob": {"edge": ["Default"]}}, "missing_history": ["bob/edge/Default"]},
  {"id": 1004, "name": "PS-FAILS", "checkin_after": 0, "users": ["jdoe"], "fail_command": "process list"}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
for d in 1001 1002 1003 1004 99999; do
	"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic $d --once 2>>"$tmp/poller.log"
done
is "five jobs queued" "$(rcli LLEN lr:queue)" 5
start=$(date +%s)
# --retry-base 600: the offline device is deferred for 5 to 10 minutes.
start_worker w1 --checkin-timeout 3 --retry-base 600

ok "failing command ends failed" wait_for 30 status_is 1001 failed
like "error names the command and the device's reason" \
    "$(rcli HGET lr:result:1001 error)" 'net.exe start.*Access is denied \(0x80070005\)'

ok "unknown device ends failed" wait_for 30 status_is 99999 failed
like "unknown device said plainly" "$(rcli HGET lr:result:99999 error)" 'device 99999 not found'

ok "offline device is deferred" wait_for 30 status_is 1002 deferred
like "offline device: bounded wait, reason given" "$(rcli HGET lr:result:1002 error)" \
    'did not check in within 3 s'
ok "the wait was bounded (under 20 s)" [ $(( $(date +%s) - start )) -lt $((20 * SLOW)) ]
is "it waits in lr:retry" "$(rcli ZRANGE lr:retry 0 -1 | jq -r .device_id)" 1002
like "next attempt in 5 to 10 minutes" "$(rcli HGET lr:result:1002 next_attempt_at)" '^20[0-9-]+T[0-9:.]+Z$'
ok "next attempt at least 290 s away" sh -c \
    "[ \$(( \$(redis-cli -s $tmp/redis.sock ZRANGE lr:retry 0 0 WITHSCORES | tail -n 1) / 1000 - \$(date +%s) )) -ge 290 ]"

ok "process list failure ends failed" wait_for 30 status_is 1004 failed
like "process list failure explained" "$(rcli HGET lr:result:1004 error)" 'process list.*Access is denied'
is "services collected before the failure are kept" "$(rcli HGET lr:result:1004 services | jq '[.[] | select(.running and .type != "driver")] | length')" 12

ok "bad History does not fail the job" wait_for 30 status_is 1003 done
bh=$(rcli HGET lr:result:1003 browser_history)
printf %s "$bh" >"$tmp/bh.json"
is "an entry per History file, none for the browser bob lacks" \
    "$(jq -r '[.[] | "\(.user)/\(.browser)"] | join(" ")' "$tmp/bh.json")" \
    "asmith/chrome bob/edge jdoe/chrome"
is "good user has visits" "$(jq -r '.[] | select(.user=="jdoe") | .visits | length > 0' "$tmp/bh.json")" true
like "corrupt file explained" "$(jq -r '.[] | select(.user=="asmith") | .error' "$tmp/bh.json")" \
    'not a valid SQLite database'
like "missing file explained" "$(jq -r '.[] | select(.user=="bob") | .error' "$tmp/bh.json")" \
    '(not found|File not found)'
ok "corrupt raw file still kept as an artifact" sh -c \
    "redis-cli -s $tmp/redis.sock EXISTS lr:artifact:\$(jq -r '.[] | select(.user==\"asmith\") | .sha256' $tmp/bh.json) | grep -qx 1"

is "permanent failures recorded in lr:dead" "$(rcli LLEN lr:dead)" 3
like "dead entry carries the error" "$(rcli LINDEX lr:dead 0 | jq -r .error)" '.+'
is "only the deferred device left in flight" "$(rcli ZRANGE lr:inflight 0 -1)" 1002
ok "invariants hold" invariants
opened=$(sim_stat sessions_opened)
is "four sessions opened (none for the unknown device)" "$opened" 4
is "every session closed, failures included" "$(sim_stat sessions_closed)" "$opened"

# A refused Live Response key fails the job with a plain reason.
sed -i 's#^token=SIMSECRETLRKEY.*#token=WRONGSECRETWRONG/WRONGID#' "$tmp/credentials.psc"
stop $w1_PID
start_worker w2
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 1003 --once 2>>"$tmp/poller.log"
ok "refused key ends failed" wait_for 30 status_is 1003 failed
like "refused key explained" "$(rcli HGET lr:result:1003 error)" '(401|refused|denied|Unauthorized)'
ok "the wrong token is never logged" sh -c "! grep -q WRONGSECRETWRONG $tmp/w2.log"
finish
