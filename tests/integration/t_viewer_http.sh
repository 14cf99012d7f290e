# t_viewer_http.sh - the viewer's HTTP layer under attack.  Out of
# descriptors it neither spins nor floods its log and serves again once
# clients leave; a connection cap holds the next client back until one
# closes; a client sending a header line every 4 s is cut at the request
# deadline and idle connections time out; every answer, libevent's own
# error pages included, carries the security headers; other methods get
# 405 with Allow on every route; a HEAD answer has no body.
. "$(dirname "$0")/lib.sh"
PROBE=$BIN/t-probe
start_redis

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# raw FORMAT: sends the printf FORMAT to the viewer on a new connection;
# the answer goes to $tmp/raw.out.
raw() {
	# shellcheck disable=SC2059
	printf "$1" | "$PROBE" send "$port" $((3000 * SLOW)) >"$tmp/raw.out"
}

# status: the status code of the answer in $tmp/raw.out.
status() {
	sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$tmp/raw.out" | tr -d '\r'
}

# sec_headers: every security header is in the answer's header block.
sec_headers() {
	sed '/^\r*$/q' "$tmp/raw.out" >"$tmp/raw.head"
	for h in content-security-policy x-content-type-options \
	    x-frame-options referrer-policy cache-control; do
		grep -qi "^$h: ." "$tmp/raw.head" || return 1
	done
	grep -qi "^content-security-policy: default-src 'none'" "$tmp/raw.head"
}

# --- Out of descriptors: ulimit -n 64 and 200 clients --------------------
old_nofile=$(ulimit -S -n)
ulimit -S -n 64
start_viewer
ulimit -S -n "$old_nofile"
port=${VIEWER_URL##*:}
ok "the connection cap is lowered to fit ulimit -n" \
    grep -q 'max-connections 256 lowered to 32' "$tmp/viewer.log"

"$PROBE" hold "$port" 200 >"$tmp/hold.out" &
hold=$!
wait_for 10 grep -q '^held' "$tmp/hold.out"
sleep 1
t0=$(cpu_ticks "$VIEWER_PID")
s0=$(wc -c <"$tmp/viewer.log")
sleep 3
t1=$(cpu_ticks "$VIEWER_PID")
s1=$(wc -c <"$tmp/viewer.log")
ok "200 clients at ulimit -n 64: CPU stays low ($((t1 - t0)) ticks in 3 s)" \
    [ $((t1 - t0)) -le $((30 * SLOW)) ]
ok "and the log does not flood ($((s1 - s0)) bytes in 3 s)" \
    [ $((s1 - s0)) -le 2048 ]
kill -TERM "$hold"
wait "$hold"
is "once they leave, it serves again" \
    "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$VIEWER_URL/healthz")" 200

# Fewer descriptors than the cap allows: accept() fails (EMFILE), and the
# listener backs off instead of spinning.
if command -v prlimit >/dev/null 2>&1; then
	used=$(ls "/proc/$VIEWER_PID/fd" | wc -l)
	prlimit --pid "$VIEWER_PID" --nofile=$((used + 4)):
	"$PROBE" hold "$port" 100 >"$tmp/hold.out" &
	hold=$!
	wait_for 10 grep -q '^held' "$tmp/hold.out"
	sleep 1
	t0=$(cpu_ticks "$VIEWER_PID")
	l0=$(grep -c 'cannot accept' "$tmp/viewer.log")
	sleep 3
	t1=$(cpu_ticks "$VIEWER_PID")
	l1=$(grep -c 'cannot accept' "$tmp/viewer.log")
	ok "accept fails for want of descriptors, and it is said" [ "$l1" -ge 1 ]
	ok "at most one line a second ($((l1 - l0)) in 3 s)" [ $((l1 - l0)) -le 4 ]
	ok "the loop does not spin ($((t1 - t0)) ticks in 3 s)" \
	    [ $((t1 - t0)) -le $((30 * SLOW)) ]
	kill -TERM "$hold"
	wait "$hold"
	prlimit --pid "$VIEWER_PID" --nofile=64:
	is "descriptors back: it serves again" "$(curl -s -m 10 -o /dev/null \
	    -w '%{http_code}' "$VIEWER_URL/healthz")" 200
else
	echo "# prlimit missing: the accept back-off is not exercised"
fi
stop "$VIEWER_PID"

# --- The cap: with --max-connections 10 the 11th waits ---------------------
start_viewer --max-connections 10
port=${VIEWER_URL##*:}
"$PROBE" hold "$port" 10 >"$tmp/hold.out" &
hold=$!
wait_for 10 grep -q '^held 10' "$tmp/hold.out"
sleep 0.5
printf 'GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
    "$PROBE" send "$port" $((8000 * SLOW)) >"$tmp/eleventh.out" &
eleventh=$!
sleep 1.5
is "the 11th connection is not served while 10 are open" \
    "$(wc -c <"$tmp/eleventh.out" | tr -d ' ')" 0
kill -USR1 "$hold"
wait "$eleventh"
like "it is once one of them closes" "$(head -n 1 "$tmp/eleventh.out")" \
    '^HTTP/1.1 200'
kill -TERM "$hold"
wait "$hold"
stop "$VIEWER_PID"

# --- Deadlines ------------------------------------------------------------
start_viewer
port=${VIEWER_URL##*:}
"$PROBE" slow "$port" 4000 30 >"$tmp/slow.out" &
slow=$!
"$PROBE" hold "$port" 3 >"$tmp/idle.out" &
idle=$!
start=$(date +%s)
printf 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n' |
    "$PROBE" send "$port" 30000 >"$tmp/keepalive.out"
ka_rc=$? ka_secs=$(($(date +%s) - start))
wait "$slow"
cut=$(cat "$tmp/slow.out")
like "a header line every 4 s is cut at the 10 s deadline (after $cut s)" \
    "$cut" '^(9|10|11|12|13)\.'
like "the keep-alive connection answered" "$(head -n 1 "$tmp/keepalive.out")" \
    '^HTTP/1.1 200'
ok "and was closed idle after the deadline ($ka_secs s)" \
    sh -c "[ $ka_rc -eq 0 ] && [ $ka_secs -le 15 ]"
sleep 1
kill -TERM "$idle"
wait "$idle"
is "connections that never send are closed too" "$(cat "$tmp/idle.out" |
    sed -n 's/^peer-closed //p')" 3

# --- Malformed requests: libevent's own answers carry our headers ---------
raw 'GARBAGE\r\n\r\n'
is "bad request line: 400" "$(status)" 400
ok "with the security headers" sec_headers
raw 'GET / HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n'
is "bad header line: 400" "$(status)" 400
ok "with the security headers" sec_headers
big=$(head -c 9000 /dev/zero | tr '\0' a)
raw "GET / HTTP/1.1\r\nHost: t\r\nX-Big: $big\r\n\r\n"
like "oversized header refused" "$(status)" '^(400|413|431)$'
ok "with the security headers" sec_headers
raw 'POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n'
is "oversized body: 413" "$(status)" 413
ok "with the security headers" sec_headers
raw 'GET / HTTP/1.1\r\nHost: t\r\nExpect: tea\r\nContent-Length: 1\r\n\r\nx'
is "unknown expectation: 417" "$(status)" 417
ok "with the security headers" sec_headers
raw 'BREW / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
is "unknown method: 405" "$(status)" 405
ok "with Allow" grep -qi '^allow: GET, HEAD' "$tmp/raw.out"
ok "and the security headers" sec_headers

# --- Every route refuses other methods with 405 and Allow -----------------
bad=""
for path in / /device/1 /api/devices /api/devices/1 /api/stats /metrics \
    /sensor_result/1 /browser_history/1 /healthz /favicon.ico /nope; do
	for m in POST PUT DELETE OPTIONS PATCH TRACE PROPFIND; do
		raw "$m $path HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
		if [ "$(status)" != 405 ] ||
		    ! grep -qi '^allow: GET, HEAD' "$tmp/raw.out" || ! sec_headers; then
			bad="$bad $m:$path($(status))"
		fi
	done
done
is "every route, every other method: 405, Allow and headers" "$bad" ""

# --- HEAD: the length, no body; the next answer on the connection is whole -
raw 'HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
is "HEAD says the length" "$(sed -n '/^[Cc]ontent-[Ll]ength:/{s/.*: *//p;q}' "$tmp/raw.out" | tr -d '\r')" 3
is "and sends no body: the next status line follows its header block" \
    "$(awk '/^\r?$/ { getline; print; exit }' "$tmp/raw.out" | tr -d '\r')" \
    "HTTP/1.1 200 OK"
is "which answers in full" "$(tail -n 1 "$tmp/raw.out")" ok
raw 'HEAD /device/abc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'
is "HEAD of an error page: the status" "$(status)" 400
ok "and no body" sh -c "! grep -q '<' '$tmp/raw.out'"

ok "viewer survived it all" kill -0 "$VIEWER_PID"
stop "$VIEWER_PID"
is "and exits 0 on SIGTERM" "$rc" 0
finish
