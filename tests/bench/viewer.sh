#!/bin/sh
# viewer.sh - figure 5, the viewer (make bench).
#
# Figure 5: requests per second of `/api/devices` and `/` with 1000
# devices in Redis (wrk, 2 threads, 8 keep-alive connections), against a
# bare evhttp server (tests/bench/bare_http.c) sending the same bytes
# from memory with TCP_NODELAY, under the same wrk on the same machine.
# The bytes are the viewer's own answer to each path, fetched first with
# curl.  Each server gets three 2 s runs, alternated with the other's, and
# its best counts: on a shared machine a run is as often slowed by others
# as by the server.  Target 0.5.
#
# Figure 5b: the first page's time at 100,000 devices over its time at
# 1000 (the median latency of one connection asking in a loop, wrk
# --latency), for each path.  Target 2 or less: a page's cost must not
# grow with the fleet.
#
# The result hashes have the fields the worker writes, with services and
# browser_history of about 1 KB each (a real one is often bigger; the
# dashboard never reads them, and at this size Redis already keeps each
# hash as a hash table, as it does real ones), the per-status index
# (P:bystatus:<status>, P:status_index) kept by the scripts, and a mix of
# statuses: 70 % done, 10 % failed, 10 % queued, 5 % running, 5 %
# deferred.  They are written with one pipelined redis-cli --pipe.
. "$(dirname "$0")/../integration/lib.sh"

TARGET=0.5
SCALE_TARGET=2
SECS=2   # of each wrk throughput run
ROUNDS=3 # runs of each server, alternated; the best counts
BARE=${LRFLOW_BARE:-$BIN/../build/tests/bench/bare_http}

fail() {
	echo "  viewer: $1 (logs: $tmp)"
	T_KEEP=1
	exit 1
}

command -v wrk >/dev/null 2>&1 || {
	echo "  viewer: *** wrk is not installed: cannot measure figure 5 (apt-get install wrk, or make deps) ***"
	exit 1
}
[ -x "$BARE" ] || fail "no bare server at $BARE (make bench builds it)"

# seed FROM TO: result hashes, P:devices and the status index for the
# devices FROM..TO-1; the higher the id, the newer.
seed() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		svc = "["; sep = ""
		for (k = 0; k < 7; k++) {
			svc = svc sep sprintf("{\"name\":\"Service %02d\",\"key\":\"Svc%02d\",\"image_path\":\"C:\\\\Windows\\\\system32\\\\svchost.exe -k netsvcs\",\"start_type\":\"auto\",\"running\":true}", k, k)
			sep = ","
		}
		svc = svc "]"
		bh = "[{\"user\":\"jdoe\",\"browser\":\"chrome\",\"profile\":\"Default\",\"size\":1048576,\"sha256\":\"" sprintf("%064d", 0) "\",\"visits\":[], \"visits_total\":0,\"downloads\":[],\"downloads_total\":0,\"search_terms\":[],\"search_terms_total\":0,\"path\":\"c:\\\\users\\\\jdoe\\\\appdata\\\\local\\\\google\\\\chrome\\\\user data\\\\default\\\\history\"}"
		while (length(bh) < 1000)
			bh = bh ",{\"user\":\"jdoe\",\"browser\":\"edge\",\"profile\":\"Default\",\"size\":0}"
		bh = bh "]"
		for (i = from; i < to; i++) {
			r = i % 20
			st = r < 14 ? "done" : r < 16 ? "failed" : r < 18 ? "queued" : r < 19 ? "running" : "deferred"
			ms = sprintf("%.0f", 1764000000000 + i * 1000)
			id = i ""
			n = 0
			a[++n] = "HSET"; a[++n] = "lr:result:" id
			a[++n] = "device_id"; a[++n] = id
			a[++n] = "device_name"; a[++n] = sprintf("WKS-%06d", i)
			a[++n] = "status"; a[++n] = st
			a[++n] = "step"; a[++n] = st == "running" ? "browser_history" : st
			a[++n] = "attempts"; a[++n] = "1"
			a[++n] = "source"; a[++n] = "alert"
			a[++n] = "queued_at"; a[++n] = "2026-11-27T10:00:00.000Z"
			a[++n] = "started_at"; a[++n] = "2026-11-27T10:00:01.000Z"
			a[++n] = "finished_at"; a[++n] = "2026-11-27T10:01:13.000Z"
			a[++n] = "worker"; a[++n] = "w1"
			a[++n] = "users"; a[++n] = "[\"jdoe\",\"asmith\",\"svc_backup\"]"
			a[++n] = "logged_in"; a[++n] = "[\"jdoe\"]"
			a[++n] = "services"; a[++n] = svc
			a[++n] = "browser_history"; a[++n] = bh
			if (st == "failed") {
				a[++n] = "error"
				a[++n] = "the device did not check in within 300 s"
			}
			cmd(a, n)
			a[1] = "ZADD"; a[2] = "lr:devices"; a[3] = ms; a[4] = id
			cmd(a, 4)
			a[2] = "lr:bystatus:" st
			cmd(a, 4)
		}
		a[1] = "SET"; a[2] = "lr:status_index"; a[3] = "1"
		cmd(a, 3)
	}
	function cmd(a, n,    s, j) {
		s = "*" n "\r\n"
		for (j = 1; j <= n; j++)
			s = s "$" length(a[j]) "\r\n" a[j] "\r\n"
		printf "%s", s
	}' | rcli --pipe >"$tmp/pipe.out" 2>&1 ||
	    fail "redis-cli --pipe failed: $(tail -n 2 "$tmp/pipe.out")"
}

# rps URL: wrk's requests per second (2 threads, 8 connections).
rps() {
	wrk -t2 -c8 -d${SECS}s "$1" >"$tmp/wrk.out" 2>&1 || return 1
	! grep -q 'Non-2xx' "$tmp/wrk.out" || return 1
	awk '$1 == "Requests/sec:" { print $2 }' "$tmp/wrk.out"
}

# median_ms URL: the median latency of one connection in a loop, in ms.
median_ms() {
	wrk -t1 -c1 -d2s --latency "$1" >"$tmp/wrk.out" 2>&1 || return 1
	! grep -q 'Non-2xx' "$tmp/wrk.out" || return 1
	awk '$1 == "50%" {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v) + 0
	}' "$tmp/wrk.out"
}

start_redis
seed 99001 100001
[ "$(rcli ZCARD lr:devices)" = 1000 ] || fail "seeding 1000 devices failed"
start_viewer
echo "viewer benchmark: 1000 devices, wrk 2 threads, 8 keep-alive connections, best of $ROUNDS runs of ${SECS} s"

# The viewer's own bytes for each path.
curl -sf -o "$tmp/api.body" "$VIEWER_URL/api/devices" || fail "GET /api/devices failed"
curl -sf -o "$tmp/dash.body" "$VIEWER_URL/" || fail "GET / failed"
[ "$(jq '.devices | length' "$tmp/api.body")" = 50 ] || fail "/api/devices did not list 50 devices"
"$BARE" /api/devices="$tmp/api.body" /="$tmp/dash.body" >"$tmp/bare.out" 2>"$tmp/bare.log" &
BARE_PID=$!
pids="$pids $BARE_PID"
wait_for 10 grep -q '^listening on ' "$tmp/bare.out" || fail "the bare server did not start"
BARE_URL="http://127.0.0.1:$(sed -n 's/^listening on //p' "$tmp/bare.out")"
curl -sf -o "$tmp/check" "$BARE_URL/api/devices" && cmp -s "$tmp/api.body" "$tmp/check" ||
    fail "the bare server does not send the viewer's bytes"

# best URL: the best of ROUNDS runs; the viewer's and the bare server's
# runs alternate, so load from outside the bench hits both alike.
for path in /api/devices /; do
	case $path in /) body=dash.body ;; *) body=api.body ;; esac
	v=0 b=0 r=0
	while [ $r -lt $ROUNDS ]; do
		x=$(rps "$VIEWER_URL$path") || fail "wrk against the viewer $path failed: $(tail -n 3 "$tmp/wrk.out")"
		v=$(echo "$v $x" | awk '{ print ($2 > $1) ? $2 : $1 }')
		x=$(rps "$BARE_URL$path") || fail "wrk against the bare server $path failed"
		b=$(echo "$b $x" | awk '{ print ($2 > $1) ? $2 : $1 }')
		r=$((r + 1))
	done
	bytes=$(wc -c <"$tmp/$body")
	echo "$path $v $b $bytes" | awk -v t=$TARGET '{
		printf "  viewer %-13s ratio %.2f (target >= %.1f)  %.0f rps against %.0f rps bare, %d-byte body\n",
		    $1, $2 / $3, t, $2, $3, $4 }'
	bench_row 5 "viewer $path, 1000 devices, rps over bare evhttp" ">= $TARGET" \
	    "$(echo "$v $b" | awk '{ printf "%.2f", $1 / $2 }')" \
	    "$(echo "$v $b $bytes" | awk '{ printf "%.0f rps against %.0f rps bare (best of %d runs of %d s each), %d bytes", $1, $2, r, s, $3 }' r=$ROUNDS s=$SECS)"
done
stop "$BARE_PID"

# 5b: the first page at 1000 devices, then at 100,000 (the 99,000 more are
# older: the first page shows the same devices).
for path in /api/devices /; do
	t=$(median_ms "$VIEWER_URL$path") || fail "wrk --latency $path failed"
	eval "t1k_$(echo "$path" | tr -c 'a-z\n' _)=$t"
done
t0=$(now_ms)
seed 1 99001
[ "$(rcli ZCARD lr:devices)" = 100000 ] || fail "seeding 100,000 devices failed"
echo "  (99,000 more devices written in $(($(now_ms) - t0)) ms)"
for path in /api/devices /; do
	t=$(median_ms "$VIEWER_URL$path") || fail "wrk --latency $path at 100,000 failed"
	eval "a=\$t1k_$(echo "$path" | tr -c 'a-z\n' _)"
	echo "$path $t $a" | awk -v t=$SCALE_TARGET '{
		printf "  first page %-8s ratio %.2f (target <= %.0f)  %.2f ms at 100,000 devices, %.2f ms at 1000\n",
		    $1, $2 / $3, t, $2, $3 }'
	bench_row 5b "viewer $path first page, 100,000 devices over 1000" "<= $SCALE_TARGET" \
	    "$(echo "$t $a" | awk '{ printf "%.2f", $1 / $2 }')" \
	    "$(echo "$t $a" | awk '{ printf "%.2f ms against %.2f ms (median)", $1, $2 }')"
done
exit 0
