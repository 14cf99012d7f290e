# t_browser.sh - a real browser (headless Chromium, driven through
# chromedriver's WebDriver HTTP API with curl and jq) loads the dashboard
# and a device page seeded with hostile data in every field of the result
# contract.  No script from the data runs, no element or attribute from the
# data exists, no request leaves 127.0.0.1 (payloads point at a trap on
# 127.0.0.3, every other host goes to the same trap as a proxy and DNS
# resolves nothing), and the data is there as text.
#
# With LRFLOW_SCREENSHOTS=DIR (make screenshots) it also writes
# DIR/dashboard.png and DIR/device.png.
. "$(dirname "$0")/lib.sh"

CHROME=$(command -v chromium || command -v chromium-browser || true)
DRIVER=$(command -v chromedriver || true)
if [ -z "$CHROME" ] || [ -z "$DRIVER" ]; then
	echo "# SKIP: chromium or chromedriver is not installed, so the browser test DID NOT RUN"
	echo "# SKIP: install them with: make deps-browser (apt-get install chromium chromium-driver)"
	echo "SKIP: t_browser: chromium or chromedriver missing; the browser test did not run" >&2
	echo "ok 1 - # SKIP browser test not run: chromium missing"
	finish
fi

start_redis

# The trap: any request it sees is one the page should never have made.
"$BIN/t-probe" trap 127.0.0.3 0 >"$tmp/trap.out" 2>"$tmp/trap.log" &
pids="$pids $!"
wait_for 10 grep -q '^listening ' "$tmp/trap.out" ||
    { echo "not ok - the trap did not start"; exit 1; }
TRAP=127.0.0.3:$(sed -n 's/^listening //p' "$tmp/trap.out")
MARK=lrmark7q

# --- Hostile data ----------------------------------------------------------
P_SCRIPT="<script>window.pwned=1;document.title='PWNED'</script>"
P_IMG="\"><img src=x onerror=\"window.pwned=2;document.title='PWNED'\">"
P_JSURL="javascript:window.pwned=3;fetch('http://$TRAP/jsurl')//"
P_SVG="'><svg onload=window.pwned=4>"
P_TRAPIMG="<img src=\"http://$TRAP/img-$MARK\">"
P_CSS="<link rel=stylesheet href=\"http://$TRAP/css-$MARK\"><style>@import url(http://$TRAP/import-$MARK);</style>"
P_FRAME="<iframe src=\"http://evil.example/frame-$MARK\"></iframe>"
P_META="<meta http-equiv=refresh content=\"0;url=http://$TRAP/meta-$MARK\"><base href=\"http://$TRAP/base-$MARK/\">"
P_CLOSE="</title></textarea></style></script><script>window.pwned=5</script>"
P_BIDI=$(printf 'invoice\342\200\256gpj.exe')
P_LONG=$(head -c 10240 /dev/zero | tr '\0' A)
P_QUOTE="quotes \" ' \` &amp; &lt; \\ done"
ALL="$P_SCRIPT $P_IMG $P_SVG $P_TRAPIMG $P_CSS $P_FRAME $P_META $P_CLOSE"

dev=31337
now_ms=$(($(date +%s) * 1000))
rcli ZADD lr:devices "$now_ms" $dev "$now_ms" 31338 >/dev/null
# The device name carries the marker, every payload, a right-to-left
# override and bytes that are not UTF-8.
{ printf 'MARKER-%s-DEV %s %s ' "$MARK" "$P_SCRIPT" "$P_BIDI"; printf '\377\376\300'; printf ' %s' "$P_IMG"; } |
    rcli -x HSET lr:result:$dev device_name >/dev/null
jq -rn --arg a "$P_SCRIPT" --arg b "$P_IMG" --arg c "$P_JSURL" --arg d "$P_SVG" \
    --arg e "$P_TRAPIMG" --arg f "$P_CSS" --arg g "$P_FRAME" --arg h "$P_META" \
    --arg i "$P_CLOSE" --arg bidi "$P_BIDI" --arg long "$P_LONG" --arg q "$P_QUOTE" \
    --arg all "$ALL" --arg m "MARKER-$MARK" --arg trap "http://$TRAP/visit-$MARK" '
  {users: [$a, $b, ($m + "-USER"), $bidi, $long, $q],
   logged_in: [$a, $b],
   alert: {id: $a, type: $b, reason: $all, device_name: $i, process_name: $bidi,
           threat_score: 9, severity: $d, url: $c},
   alert_ids: [$a, $b],
   services: [
     {name: ($m + "-SVC " + $a), key: $b, display_name: $d, image_path: $e,
      start_type: "auto", account: $f, type: "service", running: true,
      new: true, image_path_was: $g},
     {name: $long, running: true}, {name: $bidi, running: false, key: $q}],
   services_baseline: $h, services_error: $i,
   browser_history: [
     {user: $a, browser: "chrome", profile: $i, path: $b, size: 1, sha256: $d,
      artifact: $e,
      visits: [
        {url: $c, title: ($m + "-VISIT " + $a), visit_time: "2026-11-27T10:00:00Z",
         transition: "link", visit_count: 1},
        {url: $trap, title: $e, visit_time: "2026-11-27T09:00:00Z",
         transition: $b, visit_count: 2},
        {url: ("https://example.com/" + $long), title: $bidi,
         visit_time: "2026-11-27T08:00:00Z", transition: "typed", visit_count: 3},
        {url: ("https://evil.example/?q=" + $q), title: $q,
         visit_time: $b, transition: "reload", visit_count: 4}],
      visits_total: 99999,
      downloads: [{target_path: ($m + "-DL " + $b), url: $c, url_chain: [$e, $c],
                   referrer: $f, start_time: "2026-11-27T09:30:00Z",
                   end_time: $a, received_bytes: 10, total_bytes: 10,
                   state: "complete", danger_type: $d, mime_type: $g}],
      downloads_total: 1,
      search_terms: [{term: ($m + "-TERM " + $a), url: $c, title: $h,
                      visit_time: "2026-11-27T09:10:00Z"}],
      search_terms_total: 1,
      error: $i}],
   timeline: [{time: "2026-11-27T10:00:00Z", kind: "alert", what: "detection",
               text: $a, url: $c, user: $b, browser: "chrome", profile: $d},
              {time: "2026-11-27T09:00:00Z", kind: "visit", text: $e, url: $trap,
               user: $bidi, browser: $f, profile: $long}],
   timeline_total: 2, timeline_window: 1800}
  | to_entries[] | "\(.key)\n\(.value | tojson)"' >"$tmp/fields"
while IFS= read -r field && IFS= read -r value; do
	printf '%s' "$value" | rcli -x HSET lr:result:$dev "$field" >/dev/null
done <"$tmp/fields"
rcli HSET lr:result:$dev status done step "$P_SVG" error "$P_IMG" os "$P_CSS" \
    worker "$P_SCRIPT" started_at "$P_FRAME" finished_at 2026-11-27T10:05:00Z \
    >/dev/null
run=$(jq -cn --arg a "$P_SCRIPT" --arg b "$P_IMG" --arg c "$P_JSURL" '
  {status: "done", attempts: 1, alert_ids: [$a], source: $b, queued_at: $a,
   started_at: "2026-11-27T10:00:00Z", finished_at: "2026-11-27T10:05:00Z",
   worker: $a, error: $b, session_id: $c, services: "[]", users: [$a],
   artifacts: [{user: $a, browser: "chrome", profile: $b, sha256: $c,
                artifact: $c, size: 1, visits_total: 1, downloads_total: 1,
                search_terms_total: 1}]}')
rcli LPUSH lr:runs:$dev "$run" >/dev/null
# A second device whose hash is broken JSON and bytes that are not UTF-8.
printf '[\377"%s' "$P_SCRIPT" | rcli -x HSET lr:result:31338 services >/dev/null
printf 'MARKER-%s-TWO\377 %s' "$MARK" "$P_IMG" | rcli -x HSET lr:result:31338 device_name >/dev/null
rcli HSET lr:result:31338 status failed error "$P_SCRIPT" users '{"not": "a list"' >/dev/null

start_viewer

# --- The browser -----------------------------------------------------------
DPORT=$(( (($$ % 20000) + 20000) ))
# Chromium's profile and scratch directories go into $tmp, removed at the end.
mkdir -p "$tmp/chrome"
# The browser is chromedriver's child: ending the session ends it, but a
# session that cannot be ended (a failed check, a slow machine) must not
# leave a browser behind, so whatever runs from our profile goes too.
trap 'pkill -f -- "$tmp/chrome/" 2>/dev/null; cleanup' EXIT
TMPDIR=$tmp/chrome "$DRIVER" --port="$DPORT" >"$tmp/chromedriver.log" 2>&1 &
pids="$pids $!"
WD=http://127.0.0.1:$DPORT
ok "chromedriver is ready" wait_for 20 sh -c "curl -sf $WD/status | jq -e .value.ready"

# wd METHOD PATH [JSON]: one WebDriver call; prints the answer's value.
wd() {
	if [ $# -ge 3 ]; then
		curl -s -m 60 -X "$1" -H 'Content-Type: application/json' \
		    --data-binary "$3" "$WD$2"
	else
		curl -s -m 60 -X "$1" "$WD$2"
	fi | jq -c '.value'
}

caps=$(jq -cn --arg bin "$CHROME" --arg proxy "$TRAP" '
  {capabilities: {alwaysMatch: {browserName: "chrome",
    "goog:chromeOptions": {binary: $bin, args: [
      "--headless=new", "--no-sandbox", "--disable-gpu",
      "--disable-dev-shm-usage", "--window-size=1280,1600",
      "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-extensions",
      "--disable-default-apps", "--no-pings", "--disable-domain-reliability",
      ("--proxy-server=http://" + $proxy),
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.3"]}}}}')
sid=$(wd POST /session "$caps" | jq -r '.sessionId // empty')
ok "a browser session starts" [ -n "$sid" ]
[ -n "$sid" ] || { cat "$tmp/chromedriver.log" | tail -n 20 | sed 's/^/# /'; finish; }

# The checks, run in the page: what the data could have done to it.
probe='return {
  pwned: typeof window.pwned,
  title: document.title,
  scripts: Array.prototype.filter.call(document.querySelectorAll("script"), function (e) {
    return !/^\/static\/app\.js(\?v=[0-9a-f]+)?$/.test(e.getAttribute("src") || "") || e.text !== "";
  }).length,
  handlers: document.querySelectorAll("[onerror],[onload],[onclick],[onmouseover],[onfocus]").length,
  foreign: (function () {
    var n = [];
    function bad(e) { n.push(e.outerHTML.slice(0, 120)); }
    document.querySelectorAll("iframe,frame,embed,object,base,meta[content*=\"url\" i]").forEach(bad);
    document.querySelectorAll("[src],[href],[action],[data],[poster],[srcset]").forEach(function (e) {
      ["src", "href", "action", "data", "poster", "srcset"].forEach(function (a) {
        var v = e.getAttribute(a);
        if (v === null) return;
        try { if (new URL(v, location.href).origin !== location.origin) bad(e); } catch (x) { bad(e); }
      });
    });
    return n;
  })(),
  jslinks: document.querySelectorAll("a[href^=\"javascript\" i]").length,
  text: document.body ? document.body.innerText : ""
}'

# visit NAME URL: loads URL, waits a moment for anything the data might
# have started, and saves the probe's answer to $tmp/NAME.json.
visit() {
	wd POST "/session/$sid/url" "$(jq -cn --arg u "$2" '{url: $u}')" >/dev/null
	sleep 1
	wd POST "/session/$sid/execute/sync" \
	    "$(jq -cn --arg s "$probe" '{script: $s, args: []}')" >"$tmp/$1.json"
	if [ -n "${LRFLOW_SCREENSHOTS:-}" ]; then
		mkdir -p "$LRFLOW_SCREENSHOTS"
		wd GET "/session/$sid/screenshot" | jq -r . | base64 -d \
		    >"$LRFLOW_SCREENSHOTS/$1.png"
		echo "# wrote $LRFLOW_SCREENSHOTS/$1.png"
	fi
}

# page_checks NAME WHAT MARKER...: the probe's answer for page NAME.
page_checks() {
	n=$1 what=$2; shift 2
	j=$tmp/$n.json
	is "$what: no script from the data ran" "$(jq -r .pwned "$j")" undefined
	is "$what: no script element" "$(jq -r .scripts "$j")" 0
	is "$what: no event handler attribute" "$(jq -r .handlers "$j")" 0
	is "$what: no element that loads from elsewhere" "$(jq -c .foreign "$j")" '[]'
	is "$what: no javascript: link" "$(jq -r .jslinks "$j")" 0
	for m in "$@"; do
		like "$what: $m is shown as text" "$(jq -r .text "$j")" "$m"
	done
	like "$what: markup from the data is shown as text" "$(jq -r .text "$j")" \
	    'window\.pwned=1'
}

visit dashboard "$VIEWER_URL/"
page_checks dashboard "dashboard" "MARKER-$MARK-DEV" "MARKER-$MARK-TWO"
visit device "$VIEWER_URL/device/$dev"
page_checks device "device page" "MARKER-$MARK-DEV" "MARKER-$MARK-SVC" \
    "MARKER-$MARK-USER"
visit history "$VIEWER_URL/device/$dev/history?profile=0&view=visits"
page_checks history "history page" "MARKER-$MARK-VISIT"
ok "device page: a right-to-left override is not obeyed" \
    sh -c "! jq -r .text '$tmp/device.json' | grep -q '$(printf '\342\200\256')'"
visit device2 "$VIEWER_URL/device/31338"
is "broken device: no script from the data ran" "$(jq -r .pwned "$tmp/device2.json")" undefined
is "broken device: no script element" "$(jq -r .scripts "$tmp/device2.json")" 0

sleep 0.5
hits=$(grep -c "$MARK\|evil\.example\|jsurl" "$tmp/trap.out")
is "no request from the data left 127.0.0.1 (trap hits)" "$hits" 0
grep '^hit' "$tmp/trap.out" | head -n 10 | sed 's/^/# trap: /'
# The trap is in the way: a page of ours on 127.0.0.3 and one on another
# host (through the proxy) reach it.
wd POST "/session/$sid/url" "{\"url\": \"http://$TRAP/selfcheck-a\"}" >/dev/null
wd POST "/session/$sid/url" '{"url": "http://evil.example/selfcheck-b"}' >/dev/null
sleep 0.5
ok "the trap sees a request to 127.0.0.3" grep -q 'selfcheck-a' "$tmp/trap.out"
ok "and one to any other host, through the proxy" grep -q 'evil.example.*selfcheck-b' "$tmp/trap.out"
wd DELETE "/session/$sid" >/dev/null
ok "the viewer still runs" kill -0 "$VIEWER_PID"
finish
