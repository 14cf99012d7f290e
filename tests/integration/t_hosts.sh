# t_hosts.sh - several hosts, for real: every daemon in a network
# namespace of its own, joined by veth links to one bridge, each with its
# own address in a private /24 and no route out.  Redis (bound to its
# namespace address), the simulated cloud, the poller, two workers, the
# viewer behind Basic auth, and a client that stands for the analyst's
# browser.  Nothing listens on the root namespace, and no namespace has
# a route beyond the /24.  It shows:
# 1. jobs spread over both workers;
# 2. w1's link cut in the middle of its jobs: w2's reaper sees w1's lease
#    run out, closes the Live Response sessions w1 held, and w1's jobs
#    run again on w2, the last of them done within 35 s of the cut;
# 3. the link back: w1's late writes are refused by the fencing (its log
#    says so, the results keep w2's data), and w1, never restarted,
#    takes new jobs and completes them;
# 4. the viewer answers the client over the links: 401 without
#    credentials, every device done with them;
# 5. the queue's invariants hold at the end.
# Needs root and `ip netns` (iproute2); otherwise it says SKIP.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
	echo "# SKIP: not root or no ip(8), so the multi-host test (network namespaces) DID NOT RUN"
	echo "SKIP: t_hosts: needs root and iproute2; the multi-host test did not run" >&2
	echo "ok 1 - # SKIP multi-host test not run: needs root and ip netns"
	finish
fi

# --- network namespaces ------------------------------------------------
# Names carry this run's id, so two runs (or a run left behind) never
# meet; the bridge lives in a namespace of its own, and every host has
# one veth whose far end is a bridge port named b-<host>.

RUN=lrh$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NET=10.77.$(($(od -An -N1 -tu1 /dev/urandom) % 250 + 1))
BR_NS=$RUN-br
HOSTS_MADE=""

# ns NAME: the namespace of host NAME in this run.
ns() {
	echo "$RUN-$1"
}

# ns_teardown: removes every namespace this run made (their veths and
# the bridge go with them).  Daemons are stopped first by lib's cleanup.
ns_teardown() {
	for h in $HOSTS_MADE; do
		ip netns del "$(ns "$h")" 2>/dev/null
	done
	ip netns del "$BR_NS" 2>/dev/null
}

hosts_exit() {
	cleanup
	ns_teardown
}
trap hosts_exit EXIT

# ns_bridge: the namespace holding the bridge.  Fails when namespaces
# cannot be made here (a container without the right to).
ns_bridge() {
	ip netns add "$BR_NS" 2>/dev/null || return 1
	ip -n "$BR_NS" link add br0 type bridge &&
	    ip -n "$BR_NS" link set br0 up &&
	    ip -n "$BR_NS" link set lo up
}

# ns_host NAME N: host NAME's namespace, with loopback up and eth0 at
# $NET.N/24, linked to the bridge; no other route.
ns_host() {
	n=$(ns "$1")
	ip netns add "$n" || return 1
	HOSTS_MADE="$HOSTS_MADE $1"
	ip -n "$n" link set lo up &&
	    ip -n "$BR_NS" link add "b-$1" type veth peer name eth0 netns "$n" &&
	    ip -n "$BR_NS" link set "b-$1" master br0 up &&
	    ip -n "$n" addr add "$NET.$2/24" dev eth0 &&
	    ip -n "$n" link set eth0 up
}

# on NAME CMD...: runs CMD in host NAME's namespace.
on() {
	n=$(ns "$1"); shift
	ip netns exec "$n" "$@"
}

# daemon NAME LOG CMD...: starts CMD in host NAME's namespace in the
# background, stdout to $tmp/LOG.out and stderr to $tmp/LOG.log.
daemon() {
	n=$(ns "$1") log=$2; shift 2
	ip netns exec "$n" "$@" >"$tmp/$log.out" 2>"$tmp/$log.log" &
	pids="$pids $!"
	eval "${log}_PID=$!"
}

# cut NAME / mend NAME: the bridge port of host NAME down (its cable
# pulled: the host sees no carrier, packets to and from it are lost) and
# up again.
cut() {
	ip -n "$BR_NS" link set "b-$1" down
}
mend() {
	ip -n "$BR_NS" link set "b-$1" up
}

if ! ns_bridge; then
	echo "# SKIP: ip netns is not available here, so the multi-host test (network namespaces) DID NOT RUN"
	echo "SKIP: t_hosts: ip netns add failed; the multi-host test did not run" >&2
	echo "ok 1 - # SKIP multi-host test not run: ip netns unavailable"
	finish
fi

REDIS_IP=$NET.2 CLOUD_IP=$NET.3 POLL_IP=$NET.4 W1_IP=$NET.5 W2_IP=$NET.6
VIEW_IP=$NET.7 CLIENT_IP=$NET.8
made=0
for h in redis:2 cloud:3 poll:4 w1:5 w2:6 view:7 client:8; do
	ns_host "${h%:*}" "${h#*:}" && made=$((made + 1))
done
is "seven hosts on one bridge, net $NET.0/24" "$made" 7
# routes_ok: each host has one route, its link to $NET.0/24.
routes_ok() {
	for h in $HOSTS_MADE; do
		r=$(on "$h" ip -4 -o route show)
		case "$r" in
		"$NET.0/24 dev eth0 "*) ;;
		*) echo "$h: $r"; return 1 ;;
		esac
	done
}
ok "no host has a route beyond $NET.0/24" routes_ok

# --- the hosts' daemons ------------------------------------------------

# 24 devices for the first batch, 8 for the one after the link is back;
# commands take 300 ms, so a job takes a few seconds and jobs overlap.
DEVS=$(seq 7001 7024)
MORE=$(seq 7101 7108)
{
	echo '{"command_ms": 300, "org_key": "NETNS001", "devices": ['
	for d in $DEVS $MORE; do
		echo "{\"id\": $d, \"checkin_after\": 0, \"users\": [\"jdoe\"]},"
	done
	echo '{"id": 7999, "checkin_after": 0}], "alerts": ['
	for d in $DEVS; do
		echo "{\"at\": 0, \"device_id\": $d, \"type\": \"CB_ANALYTICS\", \"severity\": 5},"
	done
	echo '{"at": 0, "device_id": 7999, "type": "WATCHLIST", "severity": 1}]}'
} >"$tmp/scenario.json"

# Redis as the recipe runs it: the ACL users of deploy/redis-users.acl
# (default off), one password each, given to each daemon in a file.
ADMIN_PW=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
for u in poller worker viewer; do
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/$u.pw"
	echo >>"$tmp/$u.pw"
	chmod 600 "$tmp/$u.pw"
done
sed -e "s/^user lrflow-admin on /user lrflow-admin on >$ADMIN_PW /" \
    -e "s/^user lrflow-poller on /user lrflow-poller on >$(cat "$tmp/poller.pw") /" \
    -e "s/^user lrflow-worker on /user lrflow-worker on >$(cat "$tmp/worker.pw") /" \
    -e "s/^user lrflow-viewer on /user lrflow-viewer on >$(cat "$tmp/viewer.pw") /" \
    "$TOP/deploy/redis-users.acl" >"$tmp/users.acl"
daemon redis redis redis-server --bind "$REDIS_IP" --port 6379 \
    --protected-mode no --unixsocket '' --dir "$tmp" --save '' --appendonly no \
    --aclfile "$tmp/users.acl"
# url USER: the daemon USER's Redis URL (its password is in a file).
url() {
	echo "redis://lrflow-$1@$REDIS_IP:6379/0"
}
# rcli: redis-cli from the Redis host itself, as the operator.
rcli() {
	on redis env REDISCLI_AUTH="$ADMIN_PW" redis-cli -h "$REDIS_IP" \
	    -p 6379 --user lrflow-admin "$@"
}
ok "redis-server listens on $REDIS_IP" wait_for 10 rcli PING
is "and refuses a client without a user" \
    "$(on redis redis-cli -h "$REDIS_IP" -p 6379 PING 2>&1 | grep -c 'NOAUTH\|WRONGPASS\|NOPERM')" 1

daemon cloud cbsim "$BIN/lr-cbsim" --listen "$CLOUD_IP:8443" \
    --storage-listen "$CLOUD_IP:8444" --scenario "$tmp/scenario.json"
ok "lr-cbsim listens on $CLOUD_IP" wait_for 10 grep -q "^listening on $CLOUD_IP:8443\$" "$tmp/cbsim.out"
CB_URL=http://$CLOUD_IP:8443
# sim_stat FIELD: /_sim/stats, read on the cloud host.
sim_stat() {
	on cloud curl -s "$CB_URL/_sim/stats" | jq -r ".$1"
}
is "its storage host is on the link too" "$(sim_stat storage)" "$CLOUD_IP:8444"
write_v6_creds NETNS001

# The poller reads Alerts v7 every second; 7999's alert (severity 1) is
# filtered out, so the second batch below proves alerts still flow.
daemon poll poller "$BIN/lr-poller" --redis "$(url poller)" \
    --redis-password-file "$tmp/poller.pw" \
    --credentials "$tmp/credentials.psc" --poll 1 --alert-lag 0 \
    --min-severity 3
for w in w1 w2; do
	daemon "$w" "$w" "$BIN/lr-worker" --redis "$(url worker)" \
	    --redis-password-file "$tmp/worker.pw" \
	    --credentials "$tmp/credentials.psc" --id "$w" --concurrency 4 \
	    --checkin-timeout 20
done
printf 'analyst:%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp/auth"
chmod 600 "$tmp/auth"
AUTH=$(cat "$tmp/auth")
daemon view viewer "$BIN/lr-viewer" --redis "$(url viewer)" \
    --redis-password-file "$tmp/viewer.pw" \
    --listen "$VIEW_IP:7982" --auth-file "$tmp/auth"
VIEWER_URL=http://$VIEW_IP:7982
ok "lr-viewer listens on $VIEW_IP behind auth" wait_for 10 grep -q "listening on $VIEWER_URL/" "$tmp/viewer.out"

is "the root namespace has no address on the hosts' net" \
    "$(ip -4 -o addr show | grep -c " inet $NET\.")" 0

# --- 1. jobs spread over both workers -----------------------------------

# results DEVICE...: "DEVICE STATUS WORKER SESSION STEP" for each device,
# one a line, "-" for a field not set; one redis-cli for all.
results() {
	for d in "$@"; do
		echo "HMGET lr:result:$d status worker session_id step"
	done | rcli | awk -v devs="$*" '
		BEGIN { split(devs, dev, " ") }
		{ f[(NR - 1) % 4] = $0 == "" ? "-" : $0 }
		NR % 4 == 0 { print dev[NR / 4], f[0], f[1], f[2], f[3] }'
}
# done_by W DEVICE...: how many of the devices W finished.
done_by() {
	w=$1; shift
	results "$@" | awk -v w="$w" '$2 == "done" && $3 == w' | wc -l
}
# held_by W: the devices of W's claims, one a line.
held_by() {
	rcli LRANGE "lr:processing:$1" 0 -1 | jq -r '.job.device_id' | sort -n
}
# with_session W: W's claims whose collection has a Live Response
# session open, one "DEVICE SESSION" a line.
with_session() {
	results $(held_by "$1") |
	    awk -v w="$1" '$3 == w && $4 != "-" && $5 != "closing" { print $1, $4 }'
}
# ripe: w1 has finished two jobs and holds at least two in mid-run.
ripe() {
	[ "$(done_by w1 $DEVS)" -ge 2 ] && [ "$(with_session w1 | wc -l)" -ge 2 ]
}
# stat_ge FIELD N: lr:stats FIELD is N or more.
stat_ge() {
	[ "$(rcli HGET lr:stats "$1")" -ge "$2" ] 2>/dev/null
}
ok "24 alerts queued by the poller" wait_for 15 stat_ge enqueued 24
ok "w1 finished jobs and holds others mid-run" wait_for 40 ripe || finish

# --- 2. w1's link cut in the middle of its jobs ------------------------
cut w1
t_cut=$(date +%s%3N)
sleep 0.2
held=$(held_by w1)
sessions=$(with_session w1)
sids=$(echo "$sessions" | awk '{ printf " %s", $2 }')
sdevs=$(echo "$sessions" | awk '{ print $1 }')
echo "# w1 cut at $(date -u +%T) holding $(echo $held | wc -w) jobs ($(echo $held)), sessions$sids"
ok "w1 held jobs with sessions open when cut" [ -n "$sids" ]
w1_before=$(done_by w1 $DEVS)
w2_before=$(done_by w2 $DEVS)
echo "# before the cut: w1 finished $w1_before jobs, w2 $w2_before"
ok "1. jobs spread over both workers" [ "$w1_before" -ge 1 ] && [ "$w2_before" -ge 1 ]

# rerun_by_w2: every job w1 held is done, by w2.
rerun_by_w2() {
	[ "$(done_by w2 $held)" -eq "$(echo $held | wc -w)" ]
}
ok "2. w1's jobs run again on w2" wait_for 60 rerun_by_w2
t_rerun=$(( $(date +%s%3N) - t_cut ))
echo "# the last of w1's jobs done by w2 $((t_rerun / 1000)).$((t_rerun % 1000 / 100)) s after the cut"
limit=35
[ "$SLOW" -gt 1 ] && limit=50 # sanitizers: slower jobs, same lease
ok "2. within $limit s of the cut" [ "$t_rerun" -le $((limit * 1000)) ]
ok "2. w2's reaper took w1 for dead" grep -q 'worker w1 stopped answering: [0-9]* jobs back in the queue' "$tmp/w2.log"
open=$(on cloud curl -s "$CB_URL/_sim/stats" | jq -r '.open_sessions[]')
still=""
for s in $sids; do
	echo "$open" | grep -qx "$s" && still="$still $s"
done
is "2. the sessions w1 held are closed (by w2's reaper, through the API)" "$still" ""
ok "2. w2 says it closed them" grep -q 'left open by a dead worker' "$tmp/w2.log"
ok "2. w1 was not restarted" alive "$w1_PID"

# --- 3. the link back: fencing, and w1 carries on ----------------------
ok "all 24 first jobs done while w1 is away" wait_for 60 stat_ge jobs_done 24
mend w1
echo "# w1's link back at $(date -u +%T), $(( ($(date +%s%3N) - t_cut) / 1000 )) s after the cut"
w1_back() {
	[ -n "$(rcli ZSCORE lr:workers w1)" ] && [ "$(rcli EXISTS lr:worker:w1)" = 1 ]
}
ok "3. w1 renews its lease again" wait_for 30 w1_back
refused() {
	grep -Eq 'taken over by another attempt|dropped: a newer attempt owns the job|another attempt owns the job' "$tmp/w1.log"
}
ok "3. w1's late writes are refused (its log says so)" wait_for 60 refused
grep -E 'taken over by another attempt|newer attempt owns|another attempt owns' "$tmp/w1.log" | sed 's/^/#   w1: /' | head -n 8
bad=$(results $held | awk '$2 != "done" || $3 != "w2" { printf " %s:%s:%s", $1, $2, $3 }')
for d in $held; do
	n=$(event_details "$d" done | wc -l)
	[ "$n" -eq 1 ] || bad="$bad $d:$n-done-events"
done
is "3. the results of w1's jobs are w2's, each finished once" "$bad" ""
# Its stale attempts found their sessions closed (by the reaper) and must
# not open new ones on the devices: one session for w1, one for w2.
extra=$(for d in $sdevs; do
	n=$(grep -c "opened on device $d\$" "$tmp/cbsim.log")
	[ "$n" -eq 2 ] || printf ' %s:%s' "$d" "$n"
done)
is "3. w1 opened no new session for the jobs it lost" "$extra" ""
ok "3. w1 still runs" alive "$w1_PID"

# Eight more alerts; w1 takes some of them.
for d in $MORE; do
	on cloud curl -sf -X POST -d "{\"device_id\": $d, \"type\": \"CB_ANALYTICS\", \"severity\": 7}" \
	    "$CB_URL/_sim/alerts" >/dev/null
done
more_done() {
	[ "$(statuses $MORE | awk '$2 == "done"' | wc -l)" -eq 8 ]
}
ok "3. the eight new jobs are done" wait_for 60 more_done
w1_more=$(done_by w1 $MORE)
echo "# of the 8 new jobs w1 did $w1_more, w2 $(done_by w2 $MORE)"
ok "3. w1 carries on without a restart: it completed new jobs" [ "$w1_more" -ge 1 ]

# --- 4. the viewer, from the client host -------------------------------
code() {
	on client curl -s -o /dev/null -w '%{http_code}' "$@"
}
is "4. without credentials: 401" "$(code "$VIEWER_URL/")" 401
is "4. wrong password: 401" "$(code -u analyst:nope "$VIEWER_URL/api/stats")" 401
is "4. with them: 200" "$(code -u "$AUTH" "$VIEWER_URL/")" 200
page=$(on client curl -s -u "$AUTH" "$VIEWER_URL/?per=200")
missing=""
for d in $DEVS $MORE; do
	printf '%s' "$page" | grep -q "/device/$d\"" || missing="$missing $d"
done
is "4. the dashboard lists every device" "$missing" ""
ndone=$(on client curl -s -u "$AUTH" "$VIEWER_URL/api/devices?status=done&per=200" | jq '[.devices[].device_id] | length')
is "4. /api/devices: all 32 done" "$ndone" 32

# --- 5. the end state ----------------------------------------------------
no_session_open() {
	[ "$(sim_stat sessions_open)" = 0 ]
}
ok "every Live Response session closed" wait_for 30 no_session_open
is "nothing in flight" "$(rcli ZCARD lr:inflight)" 0
is "no dead letter" "$(rcli LLEN lr:dead)" 0
is "no session slot held" "$(rcli ZCARD lr:sessions)" 0
is "both workers registered" "$(rcli ZRANGE lr:workers 0 -1 | sort | tr '\n' ' ')" "w1 w2 "
invariants_ok "5. invariants hold at the end"
finish
