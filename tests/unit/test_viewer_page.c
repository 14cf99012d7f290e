/* test_viewer_page.c - the viewer's escaping, pages and JSON, with hostile
 * data: everything in a result hash is attacker-controlled. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "tests/t.h"
#include "viewer/api.h"
#include "viewer/page.h"
#include "viewer/query.h"
#include "viewer/store.h"
#include "viewer/viewer.h"
#include "tv.h"

/* 2026-11-28T02:00:00Z: what "now" is for relative times. */
#define NOW_MS 1795831200000LL

static const struct page_ctx ctx = {
    NOW_MS, "lr<org>", "0123tok", "ok", "<why>", 0};

/* The query of a page without parameters. */
static struct query
noquery(void)
{
	struct query q;

	query_parse(NULL, QUERY_ROWS_PER, QUERY_ROWS_PER_MAX, &q);
	return q;
}

/* Every href in html points to our own pages or an anchor. */
static bool
hrefs_are_local(const char *html)
{
	const char *p = html;

	while ((p = strstr(p, "href=")) != NULL) {
		p += 5;
		if (strncmp(p, "\"/", 2) != 0 && strncmp(p, "\"#", 2) != 0)
			return false;
		if (strncmp(p, "\"//", 3) == 0)
			return false;
	}
	return true;
}

/* Every <script in html is our own script file, never inline. */
static bool
scripts_are_ours(const char *html)
{
	const char *p = html;

	while ((p = strstr(p, "<script")) != NULL) {
		if (strncmp(p, "<script src=\"/static/app.js?v=", 30) != 0)
			return false;
		p += 7;
	}
	return strcasestr(html, "<SCRIPT") == strstr(html, "<script");
}

static int
test_escape_all_five(void)
{
	char *s = page_escape_str("a&b<c>d\"e'f", PAGE_MAX_STR);
	int ok = strcmp(s, "a&amp;b&lt;c&gt;d&quot;e&#39;f") == 0;

	free(s);
	CHECK(ok);
	return 0;
}

static int
test_escape_script_title(void)
{
	char *s = page_escape_str("<script>alert(1)</script>", PAGE_MAX_STR);
	int ok = strcmp(s, "&lt;script&gt;alert(1)&lt;/script&gt;") == 0;

	free(s);
	CHECK(ok);
	return 0;
}

static int
test_escape_utf8_passthrough(void)
{
	const char *in = "Ünïcödé ✓ 日本語 😀";
	char *s = page_escape_str(in, PAGE_MAX_STR);
	int ok = strcmp(s, in) == 0;

	free(s);
	CHECK(ok);
	return 0;
}

static int
test_escape_null_and_empty(void)
{
	char *a = page_escape_str(NULL, 10), *b = page_escape_str("", 10);
	int ok = a[0] == '\0' && b[0] == '\0';

	free(a);
	free(b);
	CHECK(ok);
	return 0;
}

static int
test_escape_truncates(void)
{
	char *big = malloc(10001), *s;
	size_t n;

	memset(big, 'A', 10000);
	big[10000] = '\0';
	s = page_escape_str(big, PAGE_MAX_STR);
	n = strlen(s);
	free(big);
	/* 2048 bytes then "…" (3 bytes) */
	CHECK(n == PAGE_MAX_STR + 3);
	CHECK(strcmp(s + PAGE_MAX_STR, "\xe2\x80\xa6") == 0);
	free(s);
	return 0;
}

static int
test_escape_truncates_at_char_boundary(void)
{
	/* "é" is 2 bytes: cutting at 3 bytes must not split the second one */
	char *s = page_escape_str("\xc3\xa9\xc3\xa9\xc3\xa9", 3);
	int ok = strcmp(s, "\xc3\xa9\xe2\x80\xa6") == 0;

	free(s);
	CHECK(ok);
	return 0;
}

static int
test_escape_counts_bytes_before_escaping(void)
{
	/* the bound is on input bytes: 4 '<' become 4 entities, nothing cut */
	char *s = page_escape_str("<<<<", 4);
	int ok = strcmp(s, "&lt;&lt;&lt;&lt;") == 0;

	free(s);
	CHECK(ok);
	return 0;
}

/* A result hash as HGETALL gives it: every value a string. */
static json_t *
hostile_fields(void)
{
	json_t *history = json_pack(
	    "[{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}, {s:s, s:s, s:s, s:s, s:[]}]",
	    "user", "alice<img src=x onerror=alert(1)>", "browser", "chrome",
	    "profile", "Default", "path", "c:\\users\\alice\\History", "size",
	    12345, "sha256", "deadbeef", "artifact", "lr:artifact:deadbeef",
	    "visits", "url", "javascript:alert(1)\"><script>alert(2)</script>",
	    "title", "<script>alert(1)</script>", "visit_time",
	    "2026-11-27T10:00:00Z", "url", "https://example.com/?a=1&b=2",
	    "title", "Ünïcödé ✓", "visit_time", "2026-11-27T10:01:00Z", "user",
	    "bob", "browser", "chrome", "profile", "Profile 1", "error",
	    "History locked <b>by</b> chrome", "visits");
	char *hist = json_dumps(history, JSON_COMPACT);
	json_t *fields = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "device_id", "21212", "device_name",
	    "<script>document.title='pwned'</script>", "status",
	    "done\" onmouseover=\"alert(1)", "step", "finished", "error", "",
	    "alert",
	    "{\"type\":\"THREAT\",\"eventTime\":1544646521656,\"threatInfo\":{\"score\":7,\"summary\":\"<script>alert('s')</script>\"}}",
	    "alert_ids", "[\"A1\",\"<b>A2</b>\"]", "services",
	    "[{\"name\":\"Spooler\"},{\"name\":\"<svc>\"}]", "users",
	    "[\"alice\",\"bob\"]", "browser_history", hist, "mystery",
	    "<iframe src=//evil>", "<b>key</b>", "value");

	free(hist);
	json_decref(history);
	return fields;
}

static int
test_device_page_escapes_everything(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *fields = hostile_fields();
	json_t *runs =
	    json_pack("[s]", "{\"status\":\"<script>\",\"worker\":\"w1\"}");
	struct query q = noquery();
	char *html;

	page_device(b, &ctx, 21212, fields, runs, &q);
	html = drain(b);
	evbuffer_free(b);
	json_decref(fields);
	json_decref(runs);

	CHECK(
	    strstr(html,
		"&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;") !=
	    NULL);
	CHECK(strstr(html, "alice&lt;img src=x onerror=alert(1)&gt;") != NULL);
	CHECK(strstr(html, "History locked &lt;b&gt;by&lt;/b&gt; chrome") !=
	      NULL);
	CHECK(strstr(html, "&lt;iframe src=//evil&gt;") != NULL);
	CHECK(strstr(html, "&lt;b&gt;key&lt;/b&gt;") != NULL);
	CHECK(strstr(html, "deadbeef") != NULL);
	CHECK(strstr(html, "lr&lt;org&gt;") != NULL);
	CHECK(strstr(html, "value=\"0123tok\"") != NULL);
	CHECK(strstr(html, "12345") != NULL);
	CHECK(strstr(html, "id=\"history\"") != NULL);
	CHECK(strstr(html, "Spooler") != NULL);
	CHECK(strstr(html, "&lt;svc&gt;") != NULL);
	CHECK(strstr(html, "THREAT") != NULL);
	CHECK(strstr(html, "datetime=\"2018-12-12T20:28:41.656Z\"") != NULL);
	/* nothing hostile survives as markup */
	CHECK(scripts_are_ours(html));
	CHECK(strstr(html, "<img") == NULL);
	CHECK(strstr(html, "<iframe") == NULL);
	CHECK(strstr(html, "<svc>") == NULL);
	CHECK(strstr(html, "onmouseover=\"") == NULL);
	/* history URLs are text, never links */
	CHECK(strstr(html, "href=\"javascript") == NULL);
	CHECK(strstr(html, "href=\"https://example.com") == NULL);
	CHECK(hrefs_are_local(html));
	free(html);
	return 0;
}

static int
test_device_page_bounds_strings(void)
{
	struct evbuffer *b = evbuffer_new();
	char *big = malloc(100001), *html, *run;
	struct query q = noquery();
	json_t *fields;

	memset(big, 'Z', 100000);
	big[100000] = '\0';
	fields = json_pack("{s:s, s:s}", "device_name", "x", "mystery", big);
	page_device(b, &ctx, 5, fields, NULL, &q);
	html = drain(b);
	evbuffer_free(b);
	run = malloc(PAGE_MAX_STR + 2);
	memset(run, 'Z', PAGE_MAX_STR + 1);
	run[PAGE_MAX_STR + 1] = '\0';
	CHECK(strstr(html, run) == NULL);
	CHECK(strstr(html, "ZZZ\xe2\x80\xa6") != NULL);
	free(run);
	free(html);
	free(big);
	json_decref(fields);
	return 0;
}

static int
test_device_page_bad_json_fields(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *fields = json_pack("{s:s, s:s, s:s}", "alert", "{not json <x>",
	    "services", "nope", "browser_history", "[[[");
	struct query q = noquery();
	char *html;

	page_device(b, &ctx, 7, fields, NULL, &q);
	html = drain(b);
	evbuffer_free(b);
	json_decref(fields);
	CHECK(strstr(html, "{not json &lt;x&gt;") != NULL);
	CHECK(strstr(html, "<x>") == NULL);
	free(html);
	return 0;
}

/* A visit without visit_time, a visit that is not an object, a history
 * entry that is a number: shown as far as they go, never a crash. */
static int
test_device_page_survives_odd_history(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *fields = json_pack("{s:s}", "browser_history",
	    "[{\"user\":\"jdoe\",\"browser\":\"chrome\",\"profile\":\"Default\","
	    "\"visits\":[{\"url\":\"https://a.test/\"},7,null,\"x\","
	    "{\"visit_time\":null,\"title\":\"t\"}]},42,null]");
	struct query q = noquery();
	char *html;

	page_device(b, &ctx, 8, fields, NULL, &q);
	html = drain(b);
	CHECK(strstr(html, "jdoe") != NULL);
	CHECK(strstr(html, "</html>") != NULL);
	free(html);
	page_history(b, &ctx, 8, fields, &q);
	html = drain(b);
	evbuffer_free(b);
	json_decref(fields);
	CHECK(strstr(html, "https://a.test/") != NULL);
	CHECK(strstr(html, "</html>") != NULL);
	free(html);
	return 0;
}

/* Direction overrides are shown, not obeyed: "txt.exe" stays readable. */
static int
test_escape_bidi_controls_visible(void)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	page_escape(b,
	    "invoice\xe2\x80\xae"
	    "exe.pdf \xe2\x81\xa6x\xe2\x81\xa9 "
	    "\xd8\x9c \xe2\x80\x8f \xe2\x80\x94",
	    1000);
	s = drain(b);
	evbuffer_free(b);
	CHECK(strcmp(s, "invoice[U+202E]exe.pdf [U+2066]x[U+2069] [U+061C] "
			"[U+200F] \xe2\x80\x94") == 0);
	free(s);
	return 0;
}

static int
test_dashboard_escapes_and_links_by_id(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *overview =
	    json_pack("{s:{s:i, s:i}, s:i, s:i, s:i, s:i, s:i, s:i, s:{s:i}}",
		"status_counts", "done", 3, "failed", 1, "queue_depth", 4,
		"inflight", 2, "workers_live", 1, "sessions_in_use", 2, "dead",
		0, "devices_total", 1, "stats", "<jobs>", 9);
	json_t *devices = json_pack(
	    "{s:[{s:I, s:s, s:s, s:s, s:s, s:I}], s:i, s:i, s:i}", "devices",
	    "device_id", (json_int_t)21212, "device_name", "<b>evil</b>",
	    "status", "failed", "step", "x", "error", "<script>e</script>",
	    "updated_at_ms", (json_int_t)(NOW_MS - 180000), "matched", 1,
	    "scanned", 1, "total", 1);
	struct query q;
	char *html;

	query_parse("q=%3Cx%22%3E&status=failed", QUERY_LIST_PER,
	    QUERY_LIST_PER_MAX, &q);
	page_dashboard(b, &ctx, overview, devices, &q);
	html = drain(b);
	evbuffer_free(b);
	json_decref(overview);
	json_decref(devices);
	CHECK(strstr(html,
		  "<title>lrflow \xe2\x80\x94 Live Response results</title>") !=
	      NULL);
	CHECK(strstr(html, "<a href=\"/device/21212\">21212</a>") != NULL);
	CHECK(strstr(html, "&lt;b&gt;evil&lt;/b&gt;") != NULL);
	CHECK(strstr(html, "&lt;script&gt;e&lt;/script&gt;") != NULL);
	CHECK(strstr(html, "&lt;jobs&gt;") != NULL);
	CHECK(scripts_are_ours(html));
	/* the search box keeps the text, escaped */
	CHECK(strstr(html, "value=\"&lt;x&quot;&gt;\"") != NULL);
	CHECK(strstr(html, "<option value=\"failed\" selected>") != NULL);
	/* a relative time, with the exact one in its title */
	CHECK(strstr(html, "title=\"2026-11-28T01:57:00.000Z\">3 min ago<") !=
	      NULL);
	CHECK(strstr(html, "class=\"health h-ok\" title=\"&lt;why&gt;\"") !=
	      NULL);
	CHECK(strstr(html, "<table id=\"devices\">") != NULL);
	CHECK(hrefs_are_local(html));
	free(html);
	return 0;
}

static int
test_api_device_embeds_json(void)
{
	json_t *fields = hostile_fields(), *obj;
	const json_t *v;

	json_object_set_new(fields, "users", json_string("[not json"));
	obj = api_device(fields);
	json_decref(fields);

	CHECK(json_is_object(json_object_get(obj, "alert")));
	CHECK(json_integer_value(json_object_get(
		  json_object_get(json_object_get(obj, "alert"), "threatInfo"),
		  "score")) == 7);
	CHECK(json_is_array(json_object_get(obj, "alert_ids")));
	v = json_object_get(obj, "services");
	CHECK(json_is_array(v) && json_array_size(v) == 2);
	CHECK(strcmp(json_string_value(
			 json_object_get(json_array_get(v, 1), "name")),
		  "<svc>") == 0);
	v = json_object_get(obj, "browser_history");
	CHECK(json_is_array(v) && json_array_size(v) == 2);
	CHECK(json_array_size(
		  json_object_get(json_array_get(v, 0), "visits")) == 2);
	/* a field that does not parse stays a string */
	CHECK(strcmp(json_string_value(json_object_get(obj, "users")),
		  "[not json") == 0);
	/* other fields stay strings, even when they look like JSON */
	CHECK(json_is_string(json_object_get(obj, "device_id")));
	CHECK(strcmp(json_string_value(json_object_get(obj, "device_name")),
		  "<script>document.title='pwned'</script>") == 0);
	json_decref(obj);
	return 0;
}

static int
test_api_metrics(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *overview =
	    json_pack("{s:{s:i}, s:i, s:i, s:i, s:i, s:i, s:{s:i, s:i, s:s}}",
		"status_counts", "done", 3, "queue_depth", 4, "inflight", 2,
		"workers_live", 1, "sessions_in_use", 2, "dead", 5, "stats",
		"jobs_done", 7, "bad name\n", 1, "note", "x");
	char *txt;

	api_metrics(b, overview);
	txt = drain(b);
	evbuffer_free(b);
	json_decref(overview);
	CHECK(strstr(txt, "\nlrflow_queue_depth 4\n") != NULL);
	CHECK(strstr(txt, "\nlrflow_workers_live 1\n") != NULL);
	CHECK(strstr(txt, "lrflow_devices{status=\"done\"} 3\n") != NULL);
	CHECK(strstr(txt, "lrflow_devices{status=\"queued\"} 0\n") != NULL);
	CHECK(strstr(txt, "\nlrflow_jobs_done_total 7\n") != NULL);
	CHECK(strstr(txt, "bad name") == NULL);
	CHECK(strstr(txt, "note") == NULL);
	free(txt);
	return 0;
}

static int
test_store_string_cleans_utf8(void)
{
	json_t *j = store_string("a\xff"
				 "b\0c\xc3\xa9\xe2\x82",
	    9);
	const char *s = json_string_value(j);

	CHECK(s != NULL);
	CHECK(strcmp(s, "a\xef\xbf\xbd"
			"b\xef\xbf\xbd"
			"c\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd") == 0);
	json_decref(j);
	return 0;
}

static int
test_store_pairs(void)
{
	json_t *arr = json_pack(
	    "[s, s, i, s, s, s, s]", "a", "1", 5, "x", "b", "2", "dangling");
	json_t *obj = store_pairs(arr);

	CHECK(json_object_size(obj) == 2);
	CHECK(strcmp(json_string_value(json_object_get(obj, "b")), "2") == 0);
	json_decref(obj);
	json_decref(arr);
	obj = store_pairs(NULL);
	CHECK(json_object_size(obj) == 0);
	json_decref(obj);
	return 0;
}

static int
test_basic_auth(void)
{
	char *b64 = viewer_base64("ana:s3cret");

	CHECK(strcmp(b64, "YW5hOnMzY3JldA==") == 0);
	CHECK(viewer_auth_ok(b64, "Basic YW5hOnMzY3JldA=="));
	CHECK(viewer_auth_ok(b64, "basic YW5hOnMzY3JldA=="));
	CHECK(!viewer_auth_ok(b64, "Basic YW5hOnMzY3JldA="));
	CHECK(!viewer_auth_ok(b64, "Basic YW5hOnMzY3JldA==x"));
	CHECK(!viewer_auth_ok(b64, "Bearer YW5hOnMzY3JldA=="));
	CHECK(!viewer_auth_ok(b64, ""));
	CHECK(!viewer_auth_ok(b64, NULL));
	CHECK(viewer_auth_ok(NULL, NULL)); /* no auth configured */
	free(b64);
	b64 = viewer_base64("a");
	CHECK(strcmp(b64, "YQ==") == 0);
	free(b64);
	b64 = viewer_base64("ab");
	CHECK(strcmp(b64, "YWI=") == 0);
	free(b64);
	return 0;
}

int
main(void)
{
	RUN(test_escape_all_five);
	RUN(test_escape_script_title);
	RUN(test_escape_utf8_passthrough);
	RUN(test_escape_null_and_empty);
	RUN(test_escape_truncates);
	RUN(test_escape_truncates_at_char_boundary);
	RUN(test_escape_counts_bytes_before_escaping);
	RUN(test_device_page_escapes_everything);
	RUN(test_device_page_bounds_strings);
	RUN(test_device_page_bad_json_fields);
	RUN(test_device_page_survives_odd_history);
	RUN(test_escape_bidi_controls_visible);
	RUN(test_dashboard_escapes_and_links_by_id);
	RUN(test_api_device_embeds_json);
	RUN(test_api_metrics);
	RUN(test_store_string_cleans_utf8);
	RUN(test_store_pairs);
	RUN(test_basic_auth);
	return t_done();
}
