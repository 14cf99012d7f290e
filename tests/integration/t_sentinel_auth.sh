# t_sentinel_auth.sh - sentinels that want a password (requirepass in
# sentinel.conf): the sync client (the poller queueing a job) and the
# viewer's asynchronous lookup both send AUTH to the sentinel before they
# ask it for the primary; a wrong sentinel password is said in the log and
# the viewer answers 503, never hangs.
. "$(dirname "$0")/lib.sh"

set -- $("$BIN/t-probe" ports 2)
P1=$1 S1=$2
SPW=sentinel-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
REDIS_URL="sentinel://127.0.0.1:$S1/mymaster"

redis-server --port "$P1" --bind 127.0.0.1 --dir "$tmp" --save '' \
    --appendonly no >>"$tmp/redis.log" 2>&1 &
pids="$pids $!"
wait_for 10 redis-cli -p "$P1" PING || { echo "not ok - redis-server did not start"; exit 1; }
cat >"$tmp/sentinel.conf" <<EOC
port $S1
bind 127.0.0.1
dir $tmp
requirepass $SPW
sentinel monitor mymaster 127.0.0.1 $P1 1
EOC
redis-server "$tmp/sentinel.conf" --sentinel >>"$tmp/sentinel.log" 2>&1 &
pids="$pids $!"
ok "the sentinel starts" wait_for 10 sh -c "REDISCLI_AUTH=$SPW redis-cli -p $S1 PING | grep -q PONG"
like "and refuses a client without its password" \
    "$(redis-cli -p "$S1" SENTINEL get-master-addr-by-name mymaster 2>&1)" 'NOAUTH'
rcli() { redis-cli -p "$P1" "$@"; }

printf '%s\n' "$SPW" >"$tmp/sentinel.pw"
printf 'not-%s\n' "$SPW" >"$tmp/wrong.pw"
chmod 600 "$tmp/sentinel.pw" "$tmp/wrong.pw"
start_cbsim

ok "the poller queues a job through the sentinel (AUTH first)" \
    "$BIN/lr-poller" --redis "$REDIS_URL" --sentinel-password-file "$tmp/sentinel.pw" \
    --credentials "$tmp/credentials.psc" --once --synthetic 21212
is "the job is in the primary's queue" "$(rcli LLEN lr:queue)" 1

start_viewer --sentinel-password-file "$tmp/sentinel.pw"
ok "the viewer finds the primary (asynchronous AUTH, then the question)" \
    wait_for 10 curl -sf "$VIEWER_URL/healthz"
is "and shows the queued device" \
    "$(curl -s "$VIEWER_URL/api/devices" | jq -r '[.devices[]?.device_id | tostring] | index("21212") != null')" true
stop "$VIEWER_PID"

start_viewer --sentinel-password-file "$tmp/wrong.pw"
sleep 2
is "with a wrong sentinel password the viewer answers 503" \
    "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$VIEWER_URL/healthz")" 503
ok "and says the sentinel refused the password" \
    grep -q "refused the password" "$tmp/viewer.log"
ok "the password is in no log" sh -c "! grep -rqF '$SPW' $tmp/*.log"
finish
