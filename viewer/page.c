/* page.c - HTML rendering and escaping for the viewer.
 *
 * Rules: every string from Redis goes through page_escape() (bounded);
 * nothing from Redis ever lands in a tag, an attribute name, a URL or a
 * class; the only links are to our own pages, built from parsed integers;
 * history URLs are shown as text, never as links; no scripts, no remote
 * resources (the Content-Security-Policy set in viewer.c forbids them
 * anyway). */
#include "page.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "util.h"
#include "xmalloc.h"

const char *const page_statuses[] = {
    "queued", "running", "deferred", "done", "failed", NULL};

/* Result-hash fields the device page shows in their own sections. */
static const char *const known_fields[] = {"device_id", "device_name", "os",
    "status", "step", "attempts", "queued_at", "started_at", "finished_at",
    "next_attempt_at", "error", "worker", "session_id", "alert_ids", "alert",
    "services", "users", "browser_history", NULL};

static const char style[] =
    "<style>\n"
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f3f3f3}\n"
    "td.url,td.t{word-break:break-all;max-width:40em}\n"
    "pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:40em}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:.5em}\n"
    ".card{border:1px solid #ccc;padding:.4em .8em;border-radius:4px}\n"
    ".card b{display:block;font-size:1.3em}\n"
    ".s-failed{color:#b00}.s-done{color:#070}.s-deferred{color:#a60}\n"
    ".s-running{color:#06c}.err{color:#b00}.muted{color:#777}\n"
    "</style>\n";

/* Appends a literal or trusted string. */
static void
put(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, s, strlen(s));
}

/* True when s (n bytes left) starts with a Unicode direction control;
 * vis gets its visible form, "[U+202E]". */
static bool
bidi_control(const char *s, size_t n, char *vis, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	if (n >= 2 && u[0] == 0xd8 && u[1] == 0x9c)
		cp = 0x061c;
	else if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
		 (u[2] == 0x8e || u[2] == 0x8f ||
		     (u[2] >= 0xaa && u[2] <= 0xae)))
		cp = 0x2000 + (u[2] - 0x80);
	else if (n >= 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] >= 0xa6 &&
		 u[2] <= 0xa9)
		cp = 0x2040 + (u[2] - 0x80);
	else
		return false;
	snprintf(vis, size, "[U+%04X]", cp);
	return true;
}

void
page_escape(struct evbuffer *out, const char *s, size_t max)
{
	size_t len, i, start;
	bool cut = false;

	if (s == NULL)
		return;
	len = strlen(s);
	if (len > max) {
		len = max;
		/* back up to the start of a UTF-8 character */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		cut = true;
	}
	for (i = start = 0; i < len; i++) {
		const char *ent;
		char vis[16];

		/* Unicode direction controls would reorder a title or URL on
		 * screen (U+202A-202E, U+2066-2069, U+200E/200F, U+061C):
		 * shown as visible escapes, never obeyed. */
		if (bidi_control(s + i, len - i, vis, sizeof(vis))) {
			evbuffer_add(out, s + start, i - start);
			put(out, vis);
			i += (unsigned char)s[i] == 0xd8 ? 1 : 2;
			start = i + 1;
			continue;
		}
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		evbuffer_add(out, s + start, i - start);
		put(out, ent);
		start = i + 1;
	}
	evbuffer_add(out, s + start, len - start);
	if (cut)
		put(out, "\xe2\x80\xa6"); /* … */
}

char *
page_escape_str(const char *s, size_t max)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *r;

	if (b == NULL)
		return xstrdup("");
	page_escape(b, s, max);
	n = evbuffer_get_length(b);
	r = xmalloc(n + 1);
	evbuffer_remove(b, r, n);
	r[n] = '\0';
	evbuffer_free(b);
	return r;
}

/* Appends a JSON scalar as text (escaped); objects and arrays compactly. */
static void
put_value(struct evbuffer *out, const json_t *v)
{
	char *s;

	if (v == NULL) /* a field the data left out */
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		page_escape(out, json_string_value(v), PAGE_MAX_STR);
		break;
	case JSON_INTEGER:
		evbuffer_add_printf(
		    out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		evbuffer_add_printf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		put(out, "true");
		break;
	case JSON_FALSE:
		put(out, "false");
		break;
	case JSON_NULL:
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		page_escape(out, s, PAGE_MAX_STR);
		free(s);
		break;
	}
}

/* Appends a time: a string as is; a number as ISO-8601, guessing its unit
 * (Chrome's microseconds since 1601, ms or s since 1970). */
static void
put_time(struct evbuffer *out, const json_t *v)
{
	char buf[32];
	json_int_t t;

	if (!json_is_integer(v) && !json_is_real(v)) {
		put_value(out, v);
		return;
	}
	t = json_is_integer(v) ? json_integer_value(v)
			       : (json_int_t)json_real_value(v);
	if (t > 100000000000000000LL || t < 0) {
		put_value(out, v);
		return;
	}
	if (t >= 1000000000000000LL)
		t = t / 1000 - 11644473600000LL; /* webkit us */
	else if (t < 100000000000LL)
		t *= 1000; /* seconds */
	put(out, util_iso8601(t, buf, sizeof(buf)));
}

/* Appends the string field name of obj (escaped), or nothing. */
static void
put_field(struct evbuffer *out, const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	if (v != NULL)
		put_value(out, v);
}

/* A class for a status, chosen from a fixed list (never the value). */
static const char *
status_class(const char *status)
{
	if (status == NULL)
		return "";
	if (strcmp(status, "failed") == 0)
		return "s-failed";
	if (strcmp(status, "done") == 0)
		return "s-done";
	if (strcmp(status, "deferred") == 0)
		return "s-deferred";
	if (strcmp(status, "running") == 0)
		return "s-running";
	return "";
}

static const char *
str_field(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

void
page_begin(struct evbuffer *out, const char *title, int refresh_s)
{
	put(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		 "<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width\">\n"
		 "<meta name=\"referrer\" content=\"no-referrer\">\n");
	if (refresh_s > 0)
		evbuffer_add_printf(out,
		    "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    refresh_s);
	put(out, "<title>");
	page_escape(out, title, PAGE_MAX_STR);
	put(out, "</title>\n");
	put(out, style);
	put(out, "</head>\n<body>\n<p class=\"muted\">"
		 "<a href=\"/\">lrflow</a></p>\n");
}

void
page_end(struct evbuffer *out)
{
	put(out, "</body>\n</html>\n");
}

void
page_message(struct evbuffer *out, const char *title, const char *text)
{
	page_begin(out, title, 0);
	put(out, "<h1>");
	page_escape(out, title, PAGE_MAX_STR);
	put(out, "</h1>\n<p>");
	page_escape(out, text, PAGE_MAX_STR);
	put(out, "</p>\n");
	page_end(out);
}

/* ---------------------------------------------------------------- */
/* Dashboard */

static void
card(struct evbuffer *out, const char *label, const json_t *v)
{
	put(out, "<div class=\"card\"><b>");
	if (v != NULL)
		put_value(out, v);
	else
		put(out, "0");
	put(out, "</b>");
	put(out, label);
	put(out, "</div>\n");
}

/* The P:stats counters, as a small table. */
static void
dashboard_counters(struct evbuffer *out, const json_t *stats)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach((json_t *)stats, key, v)
	{
		if (n++ == 0)
			put(out, "<h2>Counters</h2>\n<table>\n");
		if (n > PAGE_MAX_ROWS)
			break;
		put(out, "<tr><th>");
		page_escape(out, key, 128);
		put(out, "</th><td>");
		put_value(out, v);
		put(out, "</td></tr>\n");
	}
	if (n > 0)
		put(out, "</table>\n");
}

void
page_dashboard(
    struct evbuffer *out, const json_t *overview, const json_t *devices)
{
	const json_t *counts = json_object_get(overview, "status_counts");
	size_t i, n;
	int k;

	page_begin(out, "lrflow \xe2\x80\x94 Live Response results", 5);
	put(out, "<h1>lrflow \xe2\x80\x94 Live Response results</h1>\n");
	if (json_is_true(json_object_get(
		json_object_get(overview, "redis_memory"), "full")))
		put(out, "<p class=\"err\"><strong>Redis is out of memory "
			 "(maxmemory reached) and refuses writes: no job can "
			 "start or finish until it has room.</strong></p>\n");
	put(out, "<h2>Status</h2>\n<div class=\"cards\">\n");
	for (k = 0; page_statuses[k] != NULL; k++)
		card(out, page_statuses[k],
		    json_object_get(counts, page_statuses[k]));
	put(out, "</div>\n<h2>Pipeline</h2>\n<div class=\"cards\">\n");
	card(out, "queue depth", json_object_get(overview, "queue_depth"));
	card(out, "in flight", json_object_get(overview, "inflight"));
	card(out, "waiting to retry", json_object_get(overview, "retry_depth"));
	card(out, "live workers", json_object_get(overview, "workers_live"));
	card(out, "sessions in use",
	    json_object_get(overview, "sessions_in_use"));
	card(out, "dead jobs", json_object_get(overview, "dead"));
	card(out, "devices", json_object_get(overview, "devices_total"));
	put(out, "</div>\n");
	dashboard_counters(out, json_object_get(overview, "stats"));

	n = json_array_size(devices);
	put(out, "<h2>Devices</h2>\n");
	if (n == 0) {
		put(out, "<p class=\"muted\">No results yet.</p>\n");
		page_end(out);
		return;
	}
	put(out, "<table>\n<tr><th>device</th><th>name</th><th>status</th>"
		 "<th>step</th><th>last update</th><th>error</th></tr>\n");
	for (i = 0; i < n && i < PAGE_MAX_DEVICES; i++) {
		const json_t *d = json_array_get(devices, i);
		json_int_t id =
		    json_integer_value(json_object_get(d, "device_id"));
		const char *status = str_field(d, "status");

		if (id <= 0)
			continue;
		evbuffer_add_printf(out,
		    "<tr><td><a href=\"/device/%" JSON_INTEGER_FORMAT
		    "\">%" JSON_INTEGER_FORMAT "</a></td><td>",
		    id, id);
		put_field(out, d, "device_name");
		evbuffer_add_printf(
		    out, "</td><td class=\"%s\">", status_class(status));
		page_escape(out, status, 64);
		put(out, "</td><td>");
		page_escape(out, str_field(d, "step"), 256);
		put(out, "</td><td>");
		put_field(out, d, "updated_at");
		put(out, "</td><td class=\"err\">");
		page_escape(out, str_field(d, "error"), 300);
		put(out, "</td></tr>\n");
	}
	put(out, "</table>\n");
	if (n > PAGE_MAX_DEVICES)
		evbuffer_add_printf(out,
		    "<p class=\"muted\">Showing the %d most "
		    "recent devices.</p>\n",
		    PAGE_MAX_DEVICES);
	page_end(out);
}

/* ---------------------------------------------------------------- */
/* Device page */

/* Returns a new value parsed from the string field name, or NULL. */
static json_t *
parse_field(const json_t *fields, const char *name)
{
	const char *s = str_field(fields, name);

	if (s == NULL)
		return NULL;
	return json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

/* Appends one row "<tr><th>label</th><td>value</td></tr>" for a field. */
static void
summary_row(struct evbuffer *out, const json_t *fields, const char *name,
    const char *label)
{
	const json_t *v = json_object_get(fields, name);

	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0))
		return;
	put(out, "<tr><th>");
	put(out, label);
	put(out, "</th><td>");
	put_value(out, v);
	put(out, "</td></tr>\n");
}

/* The first of several paths (a.b) present in obj, or NULL. */
static const json_t *
first_of(const json_t *obj, const char *const *paths)
{
	for (; *paths != NULL; paths++) {
		const char *dot = strchr(*paths, '.');
		const json_t *v;

		if (dot == NULL)
			v = json_object_get(obj, *paths);
		else {
			char head[64];

			snprintf(head, sizeof(head), "%.*s",
			    (int)(dot - *paths), *paths);
			v = json_object_get(
			    json_object_get(obj, head), dot + 1);
		}
		if (v != NULL && !json_is_null(v))
			return v;
	}
	return NULL;
}

static void
alert_row(struct evbuffer *out, const json_t *alert, const char *label,
    const char *const *paths, bool is_time)
{
	const json_t *v = first_of(alert, paths);

	if (v == NULL)
		return;
	put(out, "<tr><th>");
	put(out, label);
	put(out, "</th><td>");
	if (is_time)
		put_time(out, v);
	else
		put_value(out, v);
	put(out, "</td></tr>\n");
}

/* Appends a bounded, escaped dump of v (pretty-printed) in a <pre>. */
static void
put_raw_json(struct evbuffer *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	put(out, "<pre>");
	page_escape(out, s, PAGE_MAX_RAW);
	put(out, "</pre>\n");
	free(s);
}

static void
device_alert(struct evbuffer *out, const json_t *fields)
{
	static const char *const p_type[] = {"type", NULL};
	static const char *const p_id[] = {"id", "threatInfo.incidentId", NULL};
	static const char *const p_time[] = {"backend_timestamp", "eventTime",
	    "create_time", "threatInfo.time", NULL};
	static const char *const p_score[] = {
	    "severity", "threatInfo.score", NULL};
	static const char *const p_summary[] = {
	    "reason", "threatInfo.summary", "eventDescription", NULL};
	static const char *const p_process[] = {"process_name", NULL};
	json_t *alert = parse_field(fields, "alert");
	const json_t *ids = json_object_get(fields, "alert_ids");

	put(out, "<h2 id=\"alert\">Alert</h2>\n");
	if (ids != NULL) {
		json_t *parsed = parse_field(fields, "alert_ids");

		put(out, "<p>Alert ids: ");
		if (json_is_array(parsed)) {
			size_t i;

			for (i = 0;
			     i < json_array_size(parsed) && i < PAGE_MAX_ROWS;
			     i++) {
				if (i > 0)
					put(out, ", ");
				put_value(out, json_array_get(parsed, i));
			}
		} else
			put_value(out, ids);
		put(out, "</p>\n");
		json_decref(parsed);
	}
	if (alert == NULL) {
		if (json_object_get(fields, "alert") != NULL) {
			put(out,
			    "<p class=\"err\">The stored alert is not valid "
			    "JSON:</p>\n<pre>");
			page_escape(
			    out, str_field(fields, "alert"), PAGE_MAX_RAW);
			put(out, "</pre>\n");
		} else
			put(out, "<p class=\"muted\">No alert stored.</p>\n");
		return;
	}
	if (json_is_object(alert)) {
		put(out, "<table>\n");
		alert_row(out, alert, "type", p_type, false);
		alert_row(out, alert, "id", p_id, false);
		alert_row(out, alert, "time", p_time, true);
		alert_row(out, alert, "score / severity", p_score, false);
		alert_row(out, alert, "summary", p_summary, false);
		alert_row(out, alert, "process", p_process, false);
		put(out, "</table>\n");
	}
	put(out, "<details><summary>raw alert</summary>\n");
	put_raw_json(out, alert);
	put(out, "</details>\n");
	json_decref(alert);
}

static void
device_services(struct evbuffer *out, const json_t *fields)
{
	json_t *svc = parse_field(fields, "services");
	size_t i, n = json_array_size(svc);

	put(out, "<h2 id=\"services\">Services</h2>\n");
	if (!json_is_array(svc)) {
		if (json_object_get(fields, "services") != NULL) {
			put(out, "<pre>");
			page_escape(
			    out, str_field(fields, "services"), PAGE_MAX_RAW);
			put(out, "</pre>\n");
		} else
			put(out, "<p class=\"muted\">Not collected.</p>\n");
		json_decref(svc);
		return;
	}
	evbuffer_add_printf(out, "<p>%zu running services.</p>\n<ol>\n", n);
	for (i = 0; i < n && i < PAGE_MAX_ROWS; i++) {
		const json_t *s = json_array_get(svc, i);

		put(out, "<li>");
		if (json_is_object(s))
			put_field(out, s, "name");
		else
			put_value(out, s);
		put(out, "</li>\n");
	}
	put(out, "</ol>\n");
	if (n > PAGE_MAX_ROWS)
		evbuffer_add_printf(out,
		    "<p class=\"muted\">Showing %d of %zu."
		    "</p>\n",
		    PAGE_MAX_ROWS, n);
	json_decref(svc);
}

static void
device_users(struct evbuffer *out, const json_t *fields)
{
	json_t *users = parse_field(fields, "users");
	size_t i;

	put(out, "<h2 id=\"users\">Users</h2>\n");
	if (!json_is_array(users)) {
		if (json_object_get(fields, "users") != NULL) {
			put(out, "<p>");
			put_field(out, fields, "users");
			put(out, "</p>\n");
		} else
			put(out, "<p class=\"muted\">Not collected.</p>\n");
		json_decref(users);
		return;
	}
	if (json_array_size(users) == 0)
		put(out, "<p class=\"muted\">No logged-in users found.</p>\n");
	else
		put(out, "<ul>\n");
	for (i = 0; i < json_array_size(users) && i < PAGE_MAX_ROWS; i++) {
		put(out, "<li>");
		put_value(out, json_array_get(users, i));
		put(out, "</li>\n");
	}
	if (json_array_size(users) > 0)
		put(out, "</ul>\n");
	json_decref(users);
}

/* One user/browser/profile: its file, its error, its visits. */
static void
history_profile(struct evbuffer *out, const json_t *h, size_t *budget)
{
	const json_t *visits = json_object_get(h, "visits");
	const json_t *err = json_object_get(h, "error");
	size_t i, n = json_array_size(visits);

	put(out, "<h3>");
	put_field(out, h, "user");
	put(out, " \xe2\x80\x94 ");
	put_field(out, h, "browser");
	put(out, " / ");
	put_field(out, h, "profile");
	put(out, "</h3>\n");
	if (json_object_get(h, "path") || json_object_get(h, "sha256")) {
		put(out, "<table>\n");
		summary_row(out, h, "path", "file");
		summary_row(out, h, "size", "size (bytes)");
		summary_row(out, h, "sha256", "sha256");
		summary_row(out, h, "artifact", "artifact");
		put(out, "</table>\n");
	}
	if (err != NULL && !json_is_null(err)) {
		put(out, "<p class=\"err\">Error: ");
		put_value(out, err);
		put(out, "</p>\n");
	}
	if (n == 0) {
		put(out, "<p class=\"muted\">No visits.</p>\n");
		return;
	}
	put(out, "<table>\n<tr><th>visit time</th><th>title</th>"
		 "<th>URL</th></tr>\n");
	for (i = 0; i < n && i<PAGE_MAX_ROWS && * budget> 0; i++) {
		const json_t *v = json_array_get(visits, i);

		(*budget)--;
		put(out, "<tr><td>");
		put_time(out, json_object_get(v, "visit_time"));
		put(out, "</td><td class=\"t\">");
		put_field(out, v, "title");
		put(out, "</td><td class=\"url\">");
		put_field(out, v, "url"); /* text, never a link */
		put(out, "</td></tr>\n");
	}
	put(out, "</table>\n");
	if (i < n)
		evbuffer_add_printf(out,
		    "<p class=\"muted\">Showing %zu of %zu "
		    "visits.</p>\n",
		    i, n);
}

static void
device_history(struct evbuffer *out, const json_t *fields)
{
	json_t *hist = parse_field(fields, "browser_history");
	size_t budget = PAGE_MAX_VISITS, i;

	put(out, "<h2 id=\"history\">Browser history</h2>\n");
	if (!json_is_array(hist)) {
		if (json_object_get(fields, "browser_history") != NULL) {
			put(out, "<p class=\"err\">The stored history is not "
				 "valid JSON.</p>\n");
		} else
			put(out, "<p class=\"muted\">Not collected.</p>\n");
		json_decref(hist);
		return;
	}
	if (json_array_size(hist) == 0)
		put(out, "<p class=\"muted\">No browser profiles found.</p>\n");
	for (i = 0; i < json_array_size(hist) && i < PAGE_MAX_PROFILES; i++) {
		const json_t *h = json_array_get(hist, i);

		if (json_is_object(h))
			history_profile(out, h, &budget);
	}
	json_decref(hist);
}

static void
device_runs(struct evbuffer *out, const json_t *runs)
{
	size_t i;

	if (json_array_size(runs) == 0)
		return;
	put(out, "<h2 id=\"runs\">Run history</h2>\n<table>\n<tr><th>status"
		 "</th><th>started</th><th>finished</th><th>worker</th>"
		 "<th>error</th></tr>\n");
	for (i = 0; i < json_array_size(runs) && i < PAGE_MAX_ROWS; i++) {
		const json_t *r = json_array_get(runs, i);
		json_t *o = NULL;

		if (json_is_string(r))
			o = json_loads(json_string_value(r), 0, NULL);
		if (!json_is_object(o)) {
			put(out, "<tr><td colspan=\"5\">");
			put_value(out, r);
			put(out, "</td></tr>\n");
			json_decref(o);
			continue;
		}
		put(out, "<tr><td>");
		put_field(out, o, "status");
		put(out, "</td><td>");
		put_field(out, o, "started_at");
		put(out, "</td><td>");
		put_field(out, o, "finished_at");
		put(out, "</td><td>");
		put_field(out, o, "worker");
		put(out, "</td><td class=\"err\">");
		put_field(out, o, "error");
		put(out, "</td></tr>\n");
		json_decref(o);
	}
	put(out, "</table>\n");
}

static bool
is_known_field(const char *name)
{
	int i;

	for (i = 0; known_fields[i] != NULL; i++)
		if (strcmp(known_fields[i], name) == 0)
			return true;
	return false;
}

/* Fields the page has no section for, shown as text. */
static void
device_other(struct evbuffer *out, const json_t *fields)
{
	const char *key;
	const json_t *v;
	int n = 0;

	json_object_foreach((json_t *)fields, key, v)
	{
		if (is_known_field(key))
			continue;
		if (n++ == 0)
			put(out,
			    "<h2 id=\"other\">Other fields</h2>\n<table>\n");
		if (n > PAGE_MAX_ROWS)
			break;
		put(out, "<tr><th>");
		page_escape(out, key, 256);
		put(out, "</th><td>");
		put_value(out, v);
		put(out, "</td></tr>\n");
	}
	if (n > 0)
		put(out, "</table>\n");
}

void
page_device(
    struct evbuffer *out, int64_t id, const json_t *fields, const json_t *runs)
{
	const char *name = str_field(fields, "device_name");
	const char *status = str_field(fields, "status");
	char title[64];

	snprintf(title, sizeof(title), "Device %" PRId64, id);
	page_begin(out, title, 0);
	evbuffer_add_printf(out, "<h1>Device %" PRId64, id);
	if (name != NULL) {
		put(out, " \xe2\x80\x94 ");
		page_escape(out, name, 256);
	}
	put(out, "</h1>\n");
	evbuffer_add_printf(out,
	    "<p class=\"muted\"><a href=\"#alert\">alert"
	    "</a> \xc2\xb7 <a href=\"#services\">services</a> \xc2\xb7 "
	    "<a href=\"#users\">users</a> \xc2\xb7 <a href=\"#history\">"
	    "browser history</a> \xc2\xb7 <a href=\"/api/devices/%" PRId64
	    "\">JSON</a></p>\n",
	    id);

	put(out, "<h2 id=\"summary\">Status</h2>\n<table>\n");
	if (status != NULL) {
		evbuffer_add_printf(out, "<tr><th>status</th><td class=\"%s\">",
		    status_class(status));
		page_escape(out, status, 64);
		put(out, "</td></tr>\n");
	}
	summary_row(out, fields, "step", "step");
	summary_row(out, fields, "error", "error");
	summary_row(out, fields, "os", "OS");
	summary_row(out, fields, "attempts", "attempts");
	summary_row(out, fields, "queued_at", "queued");
	summary_row(out, fields, "started_at", "started");
	summary_row(out, fields, "finished_at", "finished");
	summary_row(out, fields, "next_attempt_at", "next attempt");
	summary_row(out, fields, "worker", "worker");
	summary_row(out, fields, "session_id", "session");
	put(out, "</table>\n");

	device_alert(out, fields);
	device_services(out, fields);
	device_users(out, fields);
	device_history(out, fields);
	device_runs(out, runs);
	device_other(out, fields);
	page_end(out);
}
