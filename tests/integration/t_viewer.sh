# t_viewer.sh - the viewer shows a collected device, escapes hostile data
# from the endpoint, sends a strict CSP, serves JSON, CSV and the raw
# History file (only one the device names), redirects the seed's routes,
# bounds its input, searches, filters, sorts and pages 1500 devices with a
# bounded first page, asks for credentials when configured, and answers
# 503 (not a crash) while Redis is down.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/scenario.json" <<'EOF2'
{"command_ms": 50,
 "devices": [
  {"id": 21212, "name": "<b>EVIL-HOST</b>", "checkin_after": 0, "users": ["jdoe"],
   "services": ["DHCP Client", "<img src=x onerror=alert(2)>"],
   "history": {"jdoe": [
    {"url": "javascript:alert(3)", "title": "<script>alert(1)</script>", "visit_time": "2026-11-27T10:00:00Z"},
    {"url": "https://example.com/\"><svg onload=alert(4)>", "title": "Quote \" and ' and &amp;", "visit_time": "2026-11-27T09:00:00Z"},
    {"url": "https://example.org/", "title": "=HYPERLINK(\"http://evil/\")", "visit_time": "2026-11-27T08:00:00Z"}]}}]}
EOF2
start_redis
start_cbsim "$tmp/scenario.json"
start_worker w1
"$BIN/lr-poller" --redis "$REDIS_URL" --synthetic 21212 --once 2>>"$tmp/poller.log"
ok "device collected" wait_for 30 status_is 21212 done
start_viewer
ok "viewer prints its URL" [ -n "$VIEWER_URL" ]

get() { curl -s -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' "$@"; }

is "dashboard answers 200" "$(get "$VIEWER_URL/")" 200
ok "dashboard lists the device" grep -q "/device/21212" "$tmp/body"
ok "dashboard escapes the device name" grep -q "&lt;b&gt;EVIL-HOST&lt;/b&gt;" "$tmp/body"
ok "dashboard has no raw markup from the cloud" sh -c "! grep -q '<b>EVIL' $tmp/body"
like "strict CSP" "$(grep -i '^content-security-policy:' "$tmp/head")" "default-src 'none'"
like "nosniff" "$(grep -i '^x-content-type-options:' "$tmp/head")" nosniff
like "HTML content type" "$(grep -i '^content-type:' "$tmp/head")" 'text/html; charset=utf-8'

# no_foreign_script FILE: the only script element is our own file
no_foreign_script() {
	! grep -i '<script' "$1" | grep -vq '^<script src="/static/app.js?v=[0-9a-f]*" defer></script>$'
}

is "device page answers 200" "$(get "$VIEWER_URL/device/21212")" 200
ok "no script element from the data" no_foreign_script "$tmp/body"
ok "hostile service escaped" grep -q "&lt;img src=x onerror=alert(2)&gt;" "$tmp/body"
ok "no img element from the data" sh -c "! grep -qi '<img' $tmp/body"
ok "nothing loaded from other hosts" sh -c "! grep -Eqi '(src|href)=\"(https?:)?//' $tmp/body"
ok "services listed" grep -q "DHCP Client" "$tmp/body"
ok "users listed" grep -q "jdoe" "$tmp/body"
ok "a collect-now form with its token" grep -q 'name="token" value="[0-9a-f]\{64\}"' "$tmp/body"
is "history view answers 200" "$(get "$VIEWER_URL/device/21212/history")" 200
ok "hostile title shown as text" grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" "$tmp/body"
ok "no script element from the data (history)" no_foreign_script "$tmp/body"
ok "history URL shown as text" grep -q "javascript:alert(3)" "$tmp/body"
ok "history URL is not a link" sh -c "! grep -qi 'href=\"javascript' $tmp/body"
ok "quotes in URLs escaped" sh -c "! grep -q '\"><svg' $tmp/body"
ok "nothing loaded from other hosts (history)" sh -c "! grep -Eqi '(src|href)=\"(https?:)?//' $tmp/body"
is "the stylesheet is a file" "$(get "$VIEWER_URL/static/app.css")" 200
like "served as CSS" "$(grep -i '^content-type:' "$tmp/head")" 'text/css'
like "with an ETag" "$(grep -i '^etag:' "$tmp/head")" '"[0-9a-f]{12}"'
like "the CSP allows our own script and style only" \
    "$(grep -i '^content-security-policy:' "$tmp/head")" "script-src 'self'; style-src 'self'"

# The raw History file: the bytes Redis keeps, as an attachment, and only
# for a sha256 this device names.
sha=$(rcli HGET lr:result:21212 browser_history | jq -r '[.[] | select(.sha256)][0].sha256')
ok "the worker stored a History file ($sha)" [ -n "$sha" ] && [ "$sha" != null ]
is "artifact answers 200" "$(get "$VIEWER_URL/device/21212/artifact/$sha")" 200
is "byte for byte what was collected" "$(sha256sum <"$tmp/body" | cut -c1-64)" "$sha"
like "as a download" "$(grep -i '^content-disposition:' "$tmp/head")" 'attachment; filename="History-jdoe-chrome-Default.sqlite"'
like "of octets" "$(grep -i '^content-type:' "$tmp/head")" 'application/octet-stream'
like "not sniffed" "$(grep -i '^x-content-type-options:' "$tmp/head")" nosniff
rcli SET lr:artifact:0000000000000000000000000000000000000000000000000000000000000000 x >/dev/null
is "a sha256 the device does not name: 404" \
    "$(get "$VIEWER_URL/device/21212/artifact/0000000000000000000000000000000000000000000000000000000000000000")" 404
is "another device's file: 404" "$(get "$VIEWER_URL/device/99999/artifact/$sha")" 404
is "CSV export answers 200" "$(get "$VIEWER_URL/device/21212/visits.csv")" 200
like "as CSV" "$(grep -i '^content-type:' "$tmp/head")" 'text/csv'
is "with a header row" "$(head -n 1 "$tmp/body" | tr -d '\r')" "user,browser,profile,visit_time,title,url,transition,visit_count"
ok "a formula-looking cell is defused" grep -q "'=HYPERLINK" "$tmp/body"
ok "and the URL with a quote is quoted" grep -q '"https://example.com/""><svg onload=alert(4)>"' "$tmp/body"

is "JSON list answers 200" "$(get "$VIEWER_URL/api/devices")" 200
like "JSON content type" "$(grep -i '^content-type:' "$tmp/head")" application/json
is "JSON list has the device" "$(jq -r '.devices[0].device_id' "$tmp/body")" 21212
is "JSON device answers 200" "$(get "$VIEWER_URL/api/devices/21212")" 200
is "JSON services are real JSON" "$(jq -r '.services[0].name' "$tmp/body")" "DHCP Client"
is "JSON history keeps the raw title" "$(jq -r '.browser_history[0].visits[0].title' "$tmp/body")" "<script>alert(1)</script>"
is "stats answer 200" "$(get "$VIEWER_URL/api/stats")" 200
is "stats count done devices" "$(jq -r '.status_counts.done' "$tmp/body")" 1
is "healthz 200 with Redis up" "$(get "$VIEWER_URL/healthz")" 200
is "metrics answer 200" "$(get "$VIEWER_URL/metrics")" 200
ok "metrics in Prometheus text" grep -q "^lrflow_queue_depth " "$tmp/body"

is "seed route redirects" "$(get "$VIEWER_URL/sensor_result/21212")" 302
like "to the device page" "$(grep -i '^location:' "$tmp/head")" "/device/21212"
is "seed history route redirects" "$(get "$VIEWER_URL/browser_history/21212")" 302
is "unknown device 404" "$(get "$VIEWER_URL/device/99999")" 404
is "non-numeric device 400" "$(get "$VIEWER_URL/device/abc")" 400
is "unknown JSON device 404" "$(get "$VIEWER_URL/api/devices/99999")" 404
is "unknown route 404" "$(get "$VIEWER_URL/nope")" 404
# Scores written by someone else: "inf" and "nan" are not times.
rcli ZADD lr:devices inf 424242 >/dev/null
is "a device with an infinite score: the list still answers" "$(get "$VIEWER_URL/api/devices")" 200
is "and its time is unknown (0), not a wrapped integer" \
    "$(jq -r '.devices[] | select(.device_id == 424242) | .updated_at_ms' "$tmp/body")" 0
rcli ZREM lr:devices 424242 >/dev/null
is "POST refused with 405" "$(get -X POST -d 'x=1' "$VIEWER_URL/")" 405
like "which says what is allowed" "$(grep -i '^allow:' "$tmp/head")" 'GET, HEAD'
like "with the security headers" "$(grep -i '^content-security-policy:' "$tmp/head")" "default-src 'none'"
is "DELETE refused with 405" "$(get -X DELETE "$VIEWER_URL/api/devices/21212")" 405
code=$(get -H "X-Big: $(head -c 12000 /dev/zero | tr '\0' a)" "$VIEWER_URL/")
ok "oversized header refused ($code)" sh -c "[ $code -ge 400 ] && [ $code -lt 500 ] || [ $code = 000 ]"
ok "viewer survived the bad requests" kill -0 $VIEWER_PID

# 1500 devices: search, filter, sort and page them; the first page stays
# small (one HMGET of a few fields per device, one page of rows).
awk 'BEGIN {
	for (i = 0; i < 1500; i++) {
		id = 700000 + i; name = sprintf("host-%04d", i)
		st = (i % 3 == 0) ? "failed" : "done"
		users = sprintf("[\"user%d\"]", i)
		printf "*12\r\n$4\r\nHSET\r\n$%d\r\nlr:result:%d\r\n", length("lr:result:" id), id
		printf "$9\r\ndevice_id\r\n$%d\r\n%d\r\n", length(id ""), id
		printf "$11\r\ndevice_name\r\n$%d\r\n%s\r\n", length(name), name
		printf "$6\r\nstatus\r\n$%d\r\n%s\r\n", length(st), st
		printf "$5\r\nusers\r\n$%d\r\n%s\r\n", length(users), users
		printf "$5\r\nerror\r\n$%d\r\n%s\r\n", 3000, sprintf("%03000d", 0)
		ms = sprintf("17000000%05d", i)	# a string: awk has no 64-bit ints
		printf "*4\r\n$4\r\nZADD\r\n$10\r\nlr:devices\r\n$%d\r\n%s\r\n$%d\r\n%d\r\n", length(ms), ms, length(id ""), id
	}
}' | rcli --pipe >/dev/null
is "1500 devices seeded" "$(rcli ZCARD lr:devices)" 1501
start=$(date +%s%N)
is "dashboard answers 200" "$(get "$VIEWER_URL/")" 200
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# dashboard with 1501 devices: ${ms} ms, $(wc -c <"$tmp/body") bytes"
ok "first page within 150 KB ($(wc -c <"$tmp/body") bytes)" [ "$(wc -c <"$tmp/body")" -lt 153600 ]
is "first page: 50 rows" "$(grep -c '<tr><td><a href="/device/' "$tmp/body")" 50
ok "first page within 2 s (${ms} ms)" [ "$ms" -lt $((2000 * SLOW)) ]
get "$VIEWER_URL/api/devices" >/dev/null
is "JSON: 50 of 1501" "$(jq -c '[.count, .matched, .total]' "$tmp/body")" "[50,1501,1501]"
is "newest first" "$(jq -c '[.devices[0,1,2].device_id]' "$tmp/body")" "[21212,701499,701498]"
get "$VIEWER_URL/api/devices?q=HOST-1234" >/dev/null
is "search by name, without case" "$(jq -c '[.matched, .devices[0].device_id]' "$tmp/body")" "[1,701234]"
get "$VIEWER_URL/api/devices?q=user777" >/dev/null
is "search by user" "$(jq -c '[.devices[].device_id]' "$tmp/body")" "[700777]"
get "$VIEWER_URL/api/devices?q=70042" >/dev/null
is "search by id" "$(jq -r '.matched' "$tmp/body")" 10
get "$VIEWER_URL/api/devices?status=failed&sort=name&page=2&per=50" >/dev/null
is "filter, sort and page" "$(jq -c '[.matched, .devices[0].device_name, (.devices | length)]' "$tmp/body")" '[500,"host-0150",50]'
get "$VIEWER_URL/api/devices?page=-1&per=1000000000" >/dev/null
is "hostile paging: page 1 of 200" "$(jq -c '[.page, .per, .count]' "$tmp/body")" "[1,200,200]"
is "hostile search answers 200" "$(get "$VIEWER_URL/?q=%3Cscript%3E%22&status=%00&sort=../../x")" 200
ok "and shows the text escaped" grep -q 'value="&lt;script&gt;&quot;"' "$tmp/body"
is "filtered page keeps its state in the pager" "$(get "$VIEWER_URL/?status=failed&sort=name")" 200
ok "next page link keeps the filter" grep -q 'href="/?status=failed&amp;sort=name&amp;per=50&amp;page=2"' "$tmp/body"

# Basic auth when configured.
stop $VIEWER_PID
LRFLOW_VIEWER_AUTH=analyst:correct-horse start_viewer
is "no credentials: 401" "$(get "$VIEWER_URL/")" 401
like "asks for basic auth" "$(grep -i '^www-authenticate:' "$tmp/head")" 'Basic realm="lrflow"'
is "wrong password: 401" "$(get -u analyst:wrong "$VIEWER_URL/")" 401
is "right password: 200" "$(get -u analyst:correct-horse "$VIEWER_URL/")" 200
is "JSON needs credentials too" "$(get "$VIEWER_URL/api/devices")" 401
ok "password never logged" sh -c "! grep -q correct-horse $tmp/viewer.log"

out=$("$BIN/lr-viewer" --redis "$REDIS_URL" --listen 0.0.0.0:0 2>&1)
is "open listen without auth exits 2" "$?" 2
like "and says why" "$out" "not a loopback address"

# Redis full (maxmemory reached, noeviction): said on /healthz, /metrics
# and the dashboard.
stop $VIEWER_PID
start_viewer
rcli CONFIG SET maxmemory 1 >/dev/null
is "healthz 503 when Redis refuses writes" "$(get "$VIEWER_URL/healthz")" 503
like "and says why" "$(cat "$tmp/body")" 'out of memory'
get "$VIEWER_URL/metrics" >/dev/null
ok "metrics say writes are refused" grep -qx 'lrflow_redis_writes_refused 1' "$tmp/body"
get "$VIEWER_URL/" >/dev/null
ok "dashboard says so" grep -q 'Redis is out of memory' "$tmp/body"
rcli CONFIG SET maxmemory 0 >/dev/null
is "healthz 200 once it has room" "$(get "$VIEWER_URL/healthz")" 200
get "$VIEWER_URL/metrics" >/dev/null
ok "metrics: writes accepted" grep -qx 'lrflow_redis_writes_refused 0' "$tmp/body"
ok "metrics: Redis memory in bytes" grep -Eq '^lrflow_redis_used_memory_bytes [1-9][0-9]+$' "$tmp/body"

# Redis down: 503, not a crash; back when Redis is.
rcli SHUTDOWN NOSAVE >/dev/null 2>&1
wait $REDIS_PID 2>/dev/null
ok "healthz 503 with Redis down" wait_for 10 sh -c \
    "[ \$(curl -s -o /dev/null -w '%{http_code}' $VIEWER_URL/healthz) = 503 ]"
is "pages 503 with Redis down" "$(get "$VIEWER_URL/")" 503
ok "viewer still running" kill -0 $VIEWER_PID
start_redis
ok "healthz recovers when Redis is back" wait_for 15 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $VIEWER_URL/healthz) = 200 ]"
stop $VIEWER_PID
is "viewer exits 0 on SIGTERM" "$rc" 0
finish
