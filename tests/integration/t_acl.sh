# t_acl.sh - Redis with the ACL users of deploy/redis-users.acl (a copy
# with test passwords): the poller, a worker and the viewer each work with
# their own user, end to end (a synthetic job and a collect-now request
# through the viewer), and no daemon is ever refused a command or a key
# (ACL LOG); the viewer user may not write anything but its two streams,
# the poller may not read the raw History files or the audit trail, the
# worker may not queue requests; a wrong password is one clear line and
# retries; a world-readable password file and a password in the URL are
# refused (exit 2) without echoing it; no password reaches a log or ps;
# the worker's password is rotated while jobs run, none lost.
. "$(dirname "$0")/lib.sh"

ADMIN_PW=admin-Secr3t-$$
POLLER_PW=poller-Secr3t-$$
WORKER_PW=worker-Secr3t-$$
WORKER_PW2=worker-N3wSecr3t-$$
VIEWER_PW=viewer-Secr3t-$$
# The test's copy of the ACL file: one password each (a real file holds
# #<sha256> instead, see deploy/README.md).
sed -e "s/^user lrflow-admin on /user lrflow-admin on >$ADMIN_PW /" \
    -e "s/^user lrflow-poller on /user lrflow-poller on >$POLLER_PW /" \
    -e "s/^user lrflow-worker on /user lrflow-worker on >$WORKER_PW /" \
    -e "s/^user lrflow-viewer on /user lrflow-viewer on >$VIEWER_PW /" \
    "$TOP/deploy/redis-users.acl" >"$tmp/users.acl"
for u in poller worker viewer; do
	eval "printf '%s\n' \"\$$(echo "$u" | tr a-z A-Z)_PW\"" >"$tmp/$u.pw"
	chmod 600 "$tmp/$u.pw"
done

# rcli is the operator (lrflow-admin; the password in the environment,
# not argv); as USER PASSWORD CMD...: redis-cli as another user.
rcli() {
	REDISCLI_AUTH=$ADMIN_PW redis-cli -s "$tmp/redis.sock" --user lrflow-admin "$@"
}
as() {
	u=$1 pw=$2; shift 2
	REDISCLI_AUTH=$pw redis-cli -s "$tmp/redis.sock" --user "$u" "$@" 2>&1
}

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 21212, "name": "WIN-ACL01", "checkin_after": 0, "users": ["jdoe"],
   "services": ["DHCP Client"],
   "history": {"jdoe": [{"url": "https://example.com/", "title": "Example", "visit_time": "2026-11-27T10:00:00Z"}]}},
  {"id": 31313, "name": "WIN-ACL02", "checkin_after": 0, "users": ["asmith"], "services": ["DNS Client"]}]}
EOF2
start_redis --aclfile "$tmp/users.acl"
start_cbsim "$tmp/scenario.json"
is "default user is off" "$(redis-cli -s "$tmp/redis.sock" PING 2>&1)" "NOAUTH Authentication required."
S=$tmp/redis.sock

# --- refused at start: exit 2, one line, the password never echoed ----
"$BIN/lr-worker" --redis "unix://lrflow-worker:$WORKER_PW@$S" -n \
    --credentials "$tmp/credentials.psc" >/dev/null 2>"$tmp/url.err"
is "a password in the URL: exit 2" "$?" 2
like "which says where to put it" "$(cat "$tmp/url.err")" "password in the URL is visible .*--redis-password-file"
ok "without echoing it" sh -c "! grep -qF -- '$WORKER_PW' '$tmp/url.err'"
cp "$tmp/worker.pw" "$tmp/open.pw"; chmod 644 "$tmp/open.pw"
"$BIN/lr-viewer" --redis "unix://lrflow-viewer@$S" --redis-password-file "$tmp/open.pw" -n \
    >/dev/null 2>"$tmp/open.err"
is "a world-readable password file: exit 2" "$?" 2
like "which says chmod 600" "$(cat "$tmp/open.err")" "readable by every user \(mode 644\): chmod 600"
"$BIN/lr-poller" --redis "unix://lrflow-poller@$S" -n --synthetic 1 \
    --credentials "$tmp/credentials.psc" >/dev/null 2>"$tmp/nopw.err"
is "a user without a password: exit 2" "$?" 2
like "which says so" "$(cat "$tmp/nopw.err")" "names user 'lrflow-poller' but no password"
LRFLOW_REDIS_PASSWORD=$POLLER_PW "$BIN/lr-poller" --redis "unix://lrflow-poller@$S" -n \
    --synthetic 1 --credentials "$tmp/credentials.psc" >/dev/null 2>&1
is "the password from LRFLOW_REDIS_PASSWORD: configuration OK" "$?" 0

# --- a wrong password: one clear line, the daemon keeps retrying -------
printf 'not-the-password\n' >"$tmp/wrong.pw"; chmod 600 "$tmp/wrong.pw"
start_worker wrong --redis "unix://lrflow-worker@$S" --redis-password-file "$tmp/wrong.pw"
ok "the worker says Redis refused the password" wait_for 10 grep -q "refused the password for user lrflow-worker: WRONGPASS" "$tmp/wrong.log"
sleep 3
ok "and keeps retrying" alive "$wrong_PID"
is "said once, not once per attempt" "$(grep -c 'refused the password' "$tmp/wrong.log")" 1
stop "$wrong_PID"
start_viewer --redis "unix://lrflow-viewer@$S" --redis-password-file "$tmp/wrong.pw"
ok "the viewer says so too" wait_for 10 grep -q "refused the password for user lrflow-viewer: WRONGPASS" "$tmp/viewer.log"
is "and is not healthy" "$(curl -s -o /dev/null -w '%{http_code}' "$VIEWER_URL/healthz")" 503
stop "$VIEWER_PID"
rcli ACL LOG RESET >/dev/null

# --- each daemon with its own user, end to end --------------------------
start_worker w1 --redis "unix://lrflow-worker@$S" --redis-password-file "$tmp/worker.pw"
"$BIN/lr-poller" --redis "unix://lrflow-poller@$S" --redis-password-file "$tmp/poller.pw" \
    --credentials "$tmp/credentials.psc" --synthetic 21212 --poll 300 \
    >"$tmp/poller.out" 2>"$tmp/poller.log" &
POLLER_PID=$!
pids="$pids $POLLER_PID"
LRFLOW_REDIS_PASSWORD=$VIEWER_PW start_viewer --redis "unix://lrflow-viewer@$S"
ok "the synthetic job completes" wait_for 30 status_is 21212 done
is "with its evidence" "$(rcli HGET lr:result:21212 services | jq -r '.[0].name')" "DHCP Client"
ok "the viewer shows it" sh -c "curl -sf '$VIEWER_URL/device/21212' | grep -q WIN-ACL01"
ok "and serves the raw History file" sh -c "
	sha=\$(curl -sf '$VIEWER_URL/api/devices/21212' | jq -r '.browser_history[0].sha256')
	curl -sf '$VIEWER_URL/device/21212/artifact/'\$sha | head -c 16 | grep -q 'SQLite format 3'"
token=$(curl -s "$VIEWER_URL/api/token" | jq -r .token)
is "collect now through the viewer: 202" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H "X-LRFlow-Token: $token" "$VIEWER_URL/api/devices/31313/collect")" 202
ok "the poller queues it, the worker completes it" wait_for 30 status_is 31313 done
is "as a manual job" "$(rcli HGET lr:result:31313 source)" manual
ok "the viewer's audit entries are written" wait_for 5 sh -c "[ \$(REDISCLI_AUTH=$ADMIN_PW redis-cli -s $S --user lrflow-admin XLEN lr:audit) -ge 2 ]"
ok "healthz: ok" sh -c "curl -sf '$VIEWER_URL/healthz' | grep -qx ok"
ok "the worker marks the index by status whole" wait_for 15 sh -c "[ \"\$(REDISCLI_AUTH=$ADMIN_PW redis-cli -s $S --user lrflow-admin GET lr:status_index)\" = 1 ]"
is "which counts both devices done" "$(rcli ZCARD lr:bystatus:done)" 2
is "no daemon was refused a command or a key (ACL LOG)" "$(rcli ACL LOG 100 | grep -cx 'command\|key')" 0
is "the clients are who they should be" "$(rcli CLIENT LIST | grep -o 'user=lrflow-[a-z]*' | grep -v admin | sort -u | tr '\n' ' ')" \
    "user=lrflow-poller user=lrflow-viewer user=lrflow-worker "

# --- least privilege ------------------------------------------------------
V="lrflow-viewer $VIEWER_PW"
like "viewer: HSET lr:result:1 refused" "$(as $V HSET lr:result:1 x y)" "^NOPERM"
like "viewer: LPUSH lr:queue refused" "$(as $V LPUSH lr:queue x)" "^NOPERM"
like "viewer: DEL lr:stats refused" "$(as $V DEL lr:stats)" "^NOPERM"
like "viewer: EVAL of a write refused" "$(as $V EVAL "return redis.call('SET', KEYS[1], 'x')" 1 lr:x)" "^NOPERM"
like "viewer: FLUSHALL refused" "$(as $V FLUSHALL)" "^NOPERM"
like "viewer: XADD to a stream not its own refused" "$(as $V XADD lr:events '*' event x)" "^NOPERM"
like "viewer: keys outside the prefix unreadable" "$(as $V GET other:key)" "^NOPERM"
like "viewer: reads results" "$(as $V HGET lr:result:21212 status)" "^done$"
P="lrflow-poller $POLLER_PW"
sha=$(rcli HGET lr:result:21212 browser_history | jq -r '.[0].sha256')
like "poller: the raw History files unreadable" "$(as $P GET "lr:artifact:$sha")" "^NOPERM"
like "poller: the audit trail unreadable" "$(as $P XRANGE lr:audit - +)" "^NOPERM"
like "poller: a worker's claims untouchable" "$(as $P LRANGE lr:processing:w1 0 -1)" "^NOPERM"
like "poller: FLUSHALL refused" "$(as $P FLUSHALL)" "^NOPERM"
W="lrflow-worker $WORKER_PW"
like "worker: cannot queue collect requests" "$(as $W XADD lr:requests '*' device_id 1)" "^NOPERM"
like "worker: the audit trail unreadable" "$(as $W XRANGE lr:audit - +)" "^NOPERM"
like "worker: CONFIG refused" "$(as $W CONFIG GET requirepass)" "^NOPERM"

# --- rotate the worker's password while jobs run --------------------------
rcli ACL LOG RESET >/dev/null
for d in 51001 51002 51003 51004 51005 51006; do
	sim_device "{\"id\": $d, \"name\": \"WIN-R$d\", \"checkin_after\": 2, \"users\": [\"u$d\"]}"
	"$BIN/lr-poller" --redis "unix://lrflow-poller@$S" --redis-password-file "$tmp/poller.pw" \
	    --credentials "$tmp/credentials.psc" --synthetic "$d" --once >>"$tmp/poller.out" 2>>"$tmp/poller.log"
done
ok "jobs running" wait_for 10 sh -c "[ \$(REDISCLI_AUTH=$ADMIN_PW redis-cli -s $S --user lrflow-admin LLEN lr:processing:w1) -ge 1 ]"
# 1. the new password beside the old one
rcli ACL SETUSER lrflow-worker ">$WORKER_PW2" >/dev/null
# 2. the new password file (replaced whole), the worker restarted with it
printf '%s\n' "$WORKER_PW2" >"$tmp/worker.pw.new"; chmod 600 "$tmp/worker.pw.new"
mv "$tmp/worker.pw.new" "$tmp/worker.pw"
stop "$w1_PID"
is "the old worker stopped cleanly" "$rc" 0
mv "$tmp/w1.log" "$tmp/w1-old.log"
start_worker w1 --redis "unix://lrflow-worker@$S" --redis-password-file "$tmp/worker.pw"
# 3. the old password removed
rcli ACL SETUSER lrflow-worker "<$WORKER_PW" >/dev/null
ok "every job completes" wait_for 60 sh -c "for d in 51001 51002 51003 51004 51005 51006; do
	[ \"\$(REDISCLI_AUTH=$ADMIN_PW redis-cli -s $S --user lrflow-admin HGET lr:result:\$d status)\" = done ] || exit 1; done"
is "none failed, none dead" "$(rcli HGET lr:stats jobs_failed):$(rcli LLEN lr:dead)" ":0"
invariants_ok "queue invariants hold"
is "no error line from either worker" "$(cat "$tmp/w1-old.log" "$tmp/w1.log" | grep -c ': error: ')" 0
is "no refusal after the rotation (ACL LOG)" "$(rcli ACL LOG 100 | grep -cx 'auth\|command\|key')" 0
like "the old password no longer works" "$(as $W PING)" "WRONGPASS"
is "the new one does" "$(as lrflow-worker "$WORKER_PW2" PING)" PONG

# --- no password in any log or in ps --------------------------------------
leaks=""
for pw in $ADMIN_PW $POLLER_PW $WORKER_PW $WORKER_PW2 $VIEWER_PW; do
	grep -lF -- "$pw" "$tmp"/*.log "$tmp"/*.out "$tmp"/*.err 2>/dev/null && leaks="$leaks $pw"
done
is "no password in any log" "$leaks" ""
cmdlines=""
for p in $POLLER_PID $w1_PID $VIEWER_PID; do
	cmdlines="$cmdlines $(tr '\0' ' ' <"/proc/$p/cmdline")"
done
like "the daemons' command lines name the users" "$cmdlines" "lrflow-poller@.*lrflow-worker@.*lrflow-viewer@"
ok "and hold no password" sh -c "! printf '%s' '$cmdlines' | grep -qF -e '$POLLER_PW' -e '$WORKER_PW' -e '$WORKER_PW2' -e '$VIEWER_PW'"
ok "nor does ps" sh -c "! ps -eo args | grep -F -e '$POLLER_PW' -e '$WORKER_PW' -e '$VIEWER_PW' | grep -v grep"
finish
