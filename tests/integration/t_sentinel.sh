# t_sentinel.sh - Redis Sentinel for real: a primary, a replica and three
# sentinels on loopback; the poller (alerts), two workers and the viewer
# all reach Redis through sentinel://.  In the middle of 120 jobs the
# sentinels are told to fail over (SENTINEL FAILOVER), and later the new
# primary is killed (kill -9), so the old one takes over again.  Shows:
# every daemon is on the new primary within 5 s of +switch-master; every
# job ends done, with nothing left in flight and the invariants holding;
# the viewer answers throughout (the dashboard never slower than 1 s,
# /healthz 503 only around the switches).
. "$(dirname "$0")/lib.sh"

NDEV=120
set -- $("$BIN/t-probe" ports 5)
P1=$1 P2=$2 S1=$3 S2=$4 S3=$5
SURL="sentinel://127.0.0.1:$S1,127.0.0.1:$S2,127.0.0.1:$S3/mymaster"
REDIS_URL=$SURL

# rp PORT ARGS...: redis-cli against one server.
rp() { p=$1; shift; redis-cli -p "$p" "$@" 2>/dev/null; }
# rcli: lib.sh's checks read the current primary.
rcli() { redis-cli -p "$(primary_port)" "$@"; }
primary_port() {
	rp "$S1" SENTINEL get-master-addr-by-name mymaster | sed -n 2p
}

start_server() {	# PORT [ARGS...]
	port=$1; shift
	redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" \
	    --dbfilename "dump-$port.rdb" --save '' --appendonly no \
	    --repl-diskless-sync yes --repl-diskless-sync-delay 0 "$@" \
	    >>"$tmp/redis-$port.log" 2>&1 &
	eval "R${port}_PID=$!"
	pids="$pids $!"
	wait_for 10 rp "$port" PING || { echo "not ok - redis-server $port did not start"; exit 1; }
}
start_sentinel() {	# PORT
	cat >"$tmp/sentinel-$1.conf" <<EOC
port $1
bind 127.0.0.1
dir $tmp
sentinel monitor mymaster 127.0.0.1 $P1 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 4000
sentinel parallel-syncs mymaster 2
EOC
	redis-server "$tmp/sentinel-$1.conf" --sentinel >>"$tmp/sentinel-$1.log" 2>&1 &
	pids="$pids $!"
	wait_for 10 rp "$1" PING || { echo "not ok - sentinel $1 did not start"; exit 1; }
}

start_server "$P1"
start_server "$P2" --replicaof 127.0.0.1 "$P1"
start_sentinel "$S1"
start_sentinel "$S2"
start_sentinel "$S3"
ok "the replica is in sync" wait_for 10 sh -c "redis-cli -p $P2 INFO replication | grep -q 'master_link_status:up'"
ok "the sentinels know each other and the replica" wait_for 20 sh -c \
    "[ \"\$(redis-cli -p $S1 SENTINEL master mymaster | sed -n '/^num-other-sentinels\$/{n;p}')\" = 2 ] &&
     [ \"\$(redis-cli -p $S1 SENTINEL master mymaster | sed -n '/^num-slaves\$/{n;p}')\" = 1 ]"

# 120 devices, each job a few seconds of Live Response commands.
{
	printf '{"command_ms": 300, "org_key": "ABCD1234", "devices": ['
	i=0
	while [ $i -lt $NDEV ]; do
		[ $i -gt 0 ] && printf ','
		printf '{"id": %d, "checkin_after": 1, "users": ["u%d"]}' $((50000 + i)) $i
		i=$((i + 1))
	done
	printf ']}\n'
} >"$tmp/scenario.json"
start_cbsim "$tmp/scenario.json"
write_v6_creds ABCD1234

# The viewer's lookup never blocks its event loop: with a sentinel that
# accepts and never answers, /healthz answers (503) at once, every time.
"$BIN/t-probe" mute 0 >"$tmp/mute.out" 2>"$tmp/mute.log" &
MUTE_PID=$!
pids="$pids $MUTE_PID"
wait_for 5 grep -q '^listening ' "$tmp/mute.out"
MUTE=$(sed -n 's/^listening //p' "$tmp/mute.out")
REDIS_URL="sentinel://127.0.0.1:$MUTE/mymaster"
start_viewer
slowest=0 codes=""
for i in $(seq 30); do
	r=$(curl -s -o /dev/null -m 2 -w '%{http_code} %{time_total}' "$VIEWER_URL/healthz")
	codes="$codes ${r% *}"
	ms=$(echo "${r#* }" | awk '{printf "%d", $1 * 1000}')
	[ "$ms" -gt "$slowest" ] && slowest=$ms
	sleep 0.05
done
echo "# /healthz with a mute sentinel: slowest of 30 answers ${slowest} ms"
ok "a mute sentinel: /healthz answers within 100 ms every time" [ "$slowest" -lt $((100 * SLOW)) ]
like "and says 503" "$codes" '^( 503)+$'
stop "$VIEWER_PID"
# A mute sentinel first, a real one second: the lookup moves on.
REDIS_URL="sentinel://127.0.0.1:$MUTE,127.0.0.1:$S1/mymaster"
start_viewer
ok "a mute sentinel first: the next one's answer is used" wait_for 5 sh -c "curl -sf $VIEWER_URL/healthz"
stop "$VIEWER_PID"
REDIS_URL=$SURL

start_viewer
# The viewer's probe: /healthz and the dashboard every 100 ms, each line
# "MS_SINCE_EPOCH HEALTH_CODE HEALTH_S DASH_CODE DASH_S".
(
	while [ ! -f "$tmp/stop-probe" ]; do
		h=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$VIEWER_URL/healthz")
		d=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$VIEWER_URL/")
		echo "$(date +%s%3N) $h $d"
		sleep 0.1
	done
) >"$tmp/probe.txt" 2>/dev/null &
PROBE_PID=$!
pids="$pids $PROBE_PID"

start_worker w1 --concurrency 6
start_worker w2 --concurrency 6
"$BIN/lr-poller" --redis "$SURL" --credentials "$tmp/credentials.psc" \
    --poll 1 >"$tmp/poller.out" 2>"$tmp/poller.log" &
pids="$pids $!"

# The alerts, one per device.
i=0
while [ $i -lt $NDEV ]; do
	curl -s -X POST -d "{\"device_id\": $((50000 + i)), \"type\": \"CB_ANALYTICS\", \"severity\": 5, \"age_s\": 90}" \
	    "$CB_URL/_sim/alerts" >/dev/null
	i=$((i + 1))
done

ok "jobs start" wait_for 30 sh -c "[ \"\$(redis-cli -p $P1 HGET lr:stats jobs_done)\" -ge 15 ] 2>/dev/null"
echo "# before the failover: $(rp $P1 HGET lr:stats jobs_done) done, $(rp $P1 ZCARD lr:inflight) in flight"

want_names="lrflow-poller lrflow-viewer lrflow-worker:w1 lrflow-worker:w2"
# all_on PORT: every daemon has a connection to PORT that has run a command.
all_on() {
	got=$(rp "$1" CLIENT LIST | awk '{
		n = ""; c = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^name=/) n = substr($i, 6)
			if ($i ~ /^cmd=/) c = substr($i, 5)
		}
		if (n ~ /^lrflow/ && c !~ /^(NULL|client.*|role|select)$/) { sub(/:[0-9]+$/, "", n); sub(/\/.*$/, "", n); print n }
	}' | sort -u | tr '\n' ' ')
	for n in $want_names; do
		case " $got " in *" $n "*) ;; *) return 1 ;; esac
	done
}
ok "every daemon names its connections on the primary" all_on "$P1"

rp "$S1" SENTINEL FAILOVER mymaster >/dev/null
fo_start=$(date +%s%3N)
ok "the sentinels fail over to the replica" wait_for 20 sh -c "[ \"\$(redis-cli -p $S1 SENTINEL get-master-addr-by-name mymaster | sed -n 2p)\" = $P2 ]"
t_sw1=$(date +%s%3N)
ok "every daemon follows the new primary within 5 s" wait_for 5 all_on "$P2"
echo "# first failover: switch seen after $((t_sw1 - fo_start)) ms, daemons followed in $(( $(date +%s%3N) - t_sw1 )) ms"
ok "the old primary is a replica now" wait_for 20 sh -c "redis-cli -p $P1 ROLE | head -n 1 | grep -qx slave"
ok "and in sync" wait_for 20 sh -c "redis-cli -p $P1 INFO replication | grep -q 'master_link_status:up'"

# More jobs done on the new primary, then kill it.
n0=$(rp "$P2" HGET lr:stats jobs_done)
ok "jobs go on after the failover" wait_for 30 sh -c "[ \"\$(redis-cli -p $P2 HGET lr:stats jobs_done)\" -ge $((n0 + 10)) ]"
echo "# before the kill: $(rp $P2 HGET lr:stats jobs_done) done, $(rp $P2 ZCARD lr:inflight) in flight"
kill -KILL "$(eval echo "\$R${P2}_PID")"
k_start=$(date +%s%3N)
ok "the sentinels promote the old primary again" wait_for 30 sh -c "[ \"\$(redis-cli -p $S1 SENTINEL get-master-addr-by-name mymaster | sed -n 2p)\" = $P1 ]"
t_sw2=$(date +%s%3N)
ok "every daemon follows it within 5 s" wait_for 5 all_on "$P1"
echo "# after kill -9: switch seen after $((t_sw2 - k_start)) ms, daemons followed in $(( $(date +%s%3N) - t_sw2 )) ms"

# Every job ends done: the lost writes of the switches are repaired by the
# reaper's reconcile and audit (a minute or two at most).
all_done() {
	[ "$(rp "$P1" ZCARD lr:inflight)" = 0 ] || return 1
	n=0
	for k in $(rp "$P1" --scan --pattern 'lr:result:*'); do
		[ "$(rp "$P1" HGET "$k" status)" = done ] && n=$((n + 1))
	done
	[ $n -eq $NDEV ]
}
ok "every job ends done" wait_for 200 all_done
# What the switches lost, as the design repairs it: a run more than one
# per device (a claim or a result written to a primary in its last
# moments), the audit's repairs, the hand-backs of the reconcile.
extra=$(( $(rp $P1 HGET lr:stats jobs_done) - NDEV ))
echo "# done: $NDEV devices, $extra runs more than one each; stats: $(rp $P1 HGETALL lr:stats | paste - - | grep -E 'repair|reap|stall' | tr '\t\n' '= ')"
echo "# hand-backs: $(rp $P1 XRANGE lr:events - + | grep -c 'handed back')"
for d in $(seq 50000 $((50000 + NDEV - 1))); do
	s=$(rp "$P1" HGET "lr:result:$d" status)
	[ "$s" = done ] || echo "#   device $d: ${s:-no result}"
done | head -n 10
invariants_ok "invariants hold"
is "nothing queued" "$(rp $P1 LLEN lr:queue)/$(rp $P1 ZCARD lr:retry)" 0/0
is "no dead letters" "$(rp $P1 LLEN lr:dead)" 0

: >"$tmp/stop-probe"
wait "$PROBE_PID" 2>/dev/null
slow=$(awk '$5 + 0 > 1 || $3 + 0 > 1' "$tmp/probe.txt" | head -n 3)
is "no viewer request took more than 1 s" "$slow" ""
# While no primary is known the dashboard says so (503) at once.
is "the dashboard answered every time, 200 or 503" "$(awk '$4 != 200 && $4 != 503' "$tmp/probe.txt")" ""
n503=$(awk '$2 == 503' "$tmp/probe.txt" | wc -l)
d503=$(awk '$4 == 503' "$tmp/probe.txt" | wc -l)
echo "# dashboard 503 in $d503 rounds"
nall=$(wc -l <"$tmp/probe.txt")
echo "# viewer probe: $nall rounds, /healthz 503 in $n503"
ok "/healthz 503 only around the switches (under 10 s of 100 ms rounds)" [ "$n503" -lt 100 ]
ok "/healthz 200 at the end" sh -c "curl -sf $VIEWER_URL/healthz"
finish
