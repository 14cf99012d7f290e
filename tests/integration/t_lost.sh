# t_lost.sh - answers lost after the cloud acted, and sessions the cloud
# drops (v6): a session create whose answer is lost is found and used, not
# opened twice; a command whose answer is lost is found in the session's
# commands and followed, not run twice; a session dropped in the middle
# of a job is opened again once and the job finishes.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 100,
 "devices": [
  {"id": 1101, "name": "LOST-CREATE", "checkin_after": 0, "users": ["jdoe"]},
  {"id": 1102, "name": "LOST-COMMAND", "checkin_after": 0, "users": ["jdoe"]},
  {"id": 1103, "name": "DROPPED", "checkin_after": 0, "users": ["jdoe", "asmith"]}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234
fault() { curl -s -X POST -d "$1" "$CB_URL/_sim/fault" >/dev/null; }
start_worker w1 --retry-base 1

# The session is created, but the answer is a 502.
fault '{"route": "sessions", "lost": true, "count": 1}'
poll_once --synthetic 1101
ok "lost session create: the job is done" wait_for 30 status_is 1101 done
is "one session opened, not two" "$(sim_stat sessions_opened)" 1
ok "the worker found the session the cloud made" grep -q "took over session" "$tmp/w1.log"
is "and closed it" "$(sim_stat sessions_open)" 0

# net start's create process is queued, but the answer is a 502.
before=$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["create process"] // 0')
fault '{"route": "commands", "lost": true, "count": 1}'
poll_once --synthetic 1102
ok "lost command answer: the job is done" wait_for 30 status_is 1102 done
is "net.exe ran once (and reg.exe and sc.exe once)" \
    "$(curl -s "$CB_URL/_sim/stats" | jq '.commands_by_name["create process"]')" $((before + 3))
ok "the worker followed the queued command" grep -q "create process was queued; following it" "$tmp/w1.log"
is "services collected, running ones with their key" "$(rcli HGET lr:result:1102 services | jq '[.[] | select(.running and .type != "driver" and .key)] | length')" 12

# The cloud drops the session in the middle of the job: a new one, once.
# (Each command is polled every 0.5 s: the job takes a few seconds.)
opened=$(sim_stat sessions_opened)
poll_once --synthetic 1103
ok "job 1103 reached net start" wait_for 20 sh -c \
    "redis-cli -s $tmp/redis.sock HGET lr:result:1103 step | grep -q 'net start'"
is "the cloud drops it" "$(curl -s -X POST -d '{"device_id": 1103}' "$CB_URL/_sim/drop_session" | jq .dropped)" 1
ok "the job still finishes" wait_for 40 status_is 1103 done
is "a second session was opened" "$(( $(sim_stat sessions_opened) - opened ))" 2
is "counted as reopened" "$(rcli HGET lr:stats sessions_reopened)" 1
like "the new session is on record" "$(rcli HGET lr:result:1103 session_id)" '^[0-9]+:1103$'
is "both users' history" "$(rcli HGET lr:result:1103 browser_history | jq length)" 2
is "no session left open" "$(sim_stat sessions_open)" 0
ok "invariants hold" invariants
finish
