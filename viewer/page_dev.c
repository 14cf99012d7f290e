/* page_dev.c - the device page: status, collect now and exports, the
 * alert, the timeline, services, users, the browser profiles, past runs
 * and any other field.  Old results (services with only a name, users
 * without logged_in, history without totals) render too. */
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "query.h"
#include "util.h"

/* Result-hash fields the page shows in their own sections (or hides). */
static const char *const known_fields[] = {"device_id", "device_name", "os",
    "status", "step", "attempts", "stalls", "queued_at", "started_at",
    "finished_at", "next_attempt_at", "error", "worker", "session_id", "source",
    "last_contact_time", "alert_ids", "alert", "services", "services_baseline",
    "services_error", "users", "logged_in", "browser_history", "timeline",
    "timeline_total", "timeline_window", "token", NULL};

/* The tables a device exports as CSV. */
static const char *const csv_tables[] = {
    "visits", "downloads", "search_terms", "services", "timeline", NULL};

/* Appends one "<tr><th>label</th><td>value</td></tr>" for a field. */
static void
summary_row(struct evbuffer *out, const json_t *fields, const char *name,
    const char *label)
{
	const json_t *v = json_object_get(fields, name);

	if (v == NULL || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0))
		return;
	page_put(out, "<tr><th>");
	page_put(out, label);
	page_put(out, "</th><td class=\"wrap\">");
	page_value(out, v);
	page_put(out, "</td></tr>\n");
}

static void
time_row(struct evbuffer *out, const json_t *fields, const char *name,
    const char *label, int64_t now_ms)
{
	const json_t *v = json_object_get(fields, name);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return;
	page_put(out, "<tr><th>");
	page_put(out, label);
	page_put(out, "</th><td>");
	page_when(out, v, now_ms);
	page_put(out, "</td></tr>\n");
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
    const char *const *paths, int64_t now_ms)
{
	const json_t *v = first_of(alert, paths);

	if (v == NULL)
		return;
	page_put(out, "<tr><th>");
	page_put(out, label);
	page_put(out, "</th><td class=\"wrap\">");
	if (now_ms > 0)
		page_when(out, v, now_ms);
	else
		page_value(out, v);
	page_put(out, "</td></tr>\n");
}

/* A bounded, escaped dump of v (indented) in a <pre>. */
static void
raw_json(struct evbuffer *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	page_put(out, "<pre>");
	page_escape(out, s, PAGE_MAX_RAW);
	page_put(out, "</pre>\n");
	free(s);
}

static void
dev_alert(struct evbuffer *out, const json_t *fields, int64_t now_ms)
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
	json_t *alert = page_parse(fields, "alert");
	json_t *ids = page_parse(fields, "alert_ids");
	size_t i;

	page_put(out, "<h2 id=\"alert\">Alert</h2>\n");
	if (json_is_array(ids) && json_array_size(ids) > 0) {
		evbuffer_add_printf(out,
		    "<p>%zu alert id%s: ", json_array_size(ids),
		    json_array_size(ids) == 1 ? "" : "s");
		for (i = 0; i < json_array_size(ids) && i < PAGE_MAX_ROWS;
		     i++) {
			if (i > 0)
				page_put(out, ", ");
			page_put(out, "<code>");
			page_value(out, json_array_get(ids, i));
			page_put(out, "</code>");
		}
		page_put(out, "</p>\n");
	} else if (ids == NULL && json_object_get(fields, "alert_ids")) {
		page_put(out, "<p>Alert ids: ");
		page_field(out, fields, "alert_ids");
		page_put(out, "</p>\n");
	}
	json_decref(ids);
	if (alert == NULL) {
		if (json_object_get(fields, "alert") != NULL) {
			page_put(out,
			    "<p class=\"err\">The stored alert is not valid "
			    "JSON:</p>\n<pre>");
			page_escape(
			    out, page_str(fields, "alert"), PAGE_MAX_RAW);
			page_put(out, "</pre>\n");
		} else
			page_put(out, "<p class=\"muted\">No alert stored "
				      "(a manual collection?).</p>\n");
		return;
	}
	if (json_is_object(alert)) {
		page_put(out, "<table class=\"kv\">\n");
		alert_row(out, alert, "type", p_type, 0);
		alert_row(out, alert, "id", p_id, 0);
		alert_row(out, alert, "time", p_time, now_ms);
		alert_row(out, alert, "score / severity", p_score, 0);
		alert_row(out, alert, "summary", p_summary, 0);
		alert_row(out, alert, "process", p_process, 0);
		page_put(out, "</table>\n");
	}
	page_put(out, "<details><summary>raw alert</summary>\n");
	raw_json(out, alert);
	page_put(out, "</details>\n");
	json_decref(alert);
}

static void
dev_timeline(
    struct evbuffer *out, int64_t id, const json_t *fields, int64_t now_ms)
{
	json_t *tl = page_parse(fields, "timeline");
	json_t *total = page_parse(fields, "timeline_total");
	json_t *window = page_parse(fields, "timeline_window");
	const json_t *e;
	size_t i, n = json_array_size(tl);

	page_put(out, "<h2 id=\"timeline\">Timeline</h2>\n");
	if (!json_is_array(tl)) {
		page_put(out, "<p class=\"muted\">No timeline in this result."
			      "</p>\n");
		goto out;
	}
	page_put(out, "<p class=\"muted\">The alert times, with the visits, "
		      "downloads and searches near them");
	if (json_is_integer(window))
		evbuffer_add_printf(out, " (within %" JSON_INTEGER_FORMAT " s)",
		    json_integer_value(window));
	evbuffer_add_printf(out,
	    ", newest first. <a href=\"/device/%" PRId64
	    "/timeline.csv\">CSV</a></p>\n",
	    id);
	page_put(out, "<table>\n<thead><tr><th>time</th><th>kind</th>"
		      "<th>detail</th><th>user / browser / profile</th></tr>"
		      "</thead>\n<tbody>\n");
	json_array_foreach(tl, i, e)
	{
		const char *kind = page_str(e, "kind");

		if (i >= PAGE_MAX_TIMELINE)
			break;
		page_put(out, kind != NULL && strcmp(kind, "alert") == 0
				  ? "<tr class=\"alert\"><td>"
				  : "<tr><td>");
		page_when(out, json_object_get(e, "time"), now_ms);
		page_put(out, "</td><td>");
		page_field(out, e, "kind");
		if (json_object_get(e, "what") != NULL) {
			page_put(out, " <span class=\"muted\">");
			page_field(out, e, "what");
			page_put(out, "</span>");
		}
		page_put(out, "</td><td class=\"t\">");
		page_field(out, e, "text");
		if (json_object_get(e, "url") != NULL &&
		    !json_equal(json_object_get(e, "url"),
			json_object_get(e, "text"))) {
			page_put(out, "<br><span class=\"muted mono\">");
			page_field(out, e, "url"); /* text, never a link */
			page_put(out, "</span>");
		}
		page_put(out, "</td><td>");
		page_field(out, e, "user");
		if (json_object_get(e, "browser") != NULL) {
			page_put(out, " / ");
			page_field(out, e, "browser");
			page_put(out, " / ");
			page_field(out, e, "profile");
		}
		page_put(out, "</td></tr>\n");
	}
	page_put(out, "</tbody></table>\n");
	page_shown_of(out, i, n, total, "entries");
out:
	json_decref(tl);
	json_decref(total);
	json_decref(window);
}

/* The artifacts of a run, as download links. */
static void
run_artifacts(struct evbuffer *out, int64_t id, const json_t *run)
{
	const json_t *list = json_object_get(run, "artifacts"), *a;
	size_t i;

	json_array_foreach(list, i, a)
	{
		if (i >= PAGE_MAX_PROFILES)
			break;
		page_put(out, i > 0 ? "<br>" : "");
		page_field(out, a, "user");
		page_put(out, " ");
		page_field(out, a, "browser");
		page_put(out, " ");
		page_field(out, a, "profile");
		page_put(out, ": ");
		page_artifact_link(out, id, a);
	}
}

static void
dev_runs(struct evbuffer *out, int64_t id, const json_t *runs, int64_t now_ms)
{
	size_t i;

	page_put(out, "<h2 id=\"runs\">Past runs</h2>\n");
	if (json_array_size(runs) == 0) {
		page_put(out, "<p class=\"muted\">None: this is the first."
			      "</p>\n");
		return;
	}
	page_put(out, "<table>\n<thead><tr><th>status</th><th>source</th>"
		      "<th>queued</th><th>started</th><th>finished</th>"
		      "<th>worker</th><th>error</th><th>files</th></tr>"
		      "</thead>\n<tbody>\n");
	for (i = 0; i < json_array_size(runs) && i < PAGE_MAX_ROWS; i++) {
		const json_t *r = json_array_get(runs, i);
		json_t *o = NULL;
		const char *st;

		if (json_is_string(r))
			o = json_loads(json_string_value(r), 0, NULL);
		else if (json_is_object(r))
			o = json_incref((json_t *)r);
		if (!json_is_object(o)) {
			page_put(out, "<tr><td colspan=\"8\">");
			page_value(out, r);
			page_put(out, "</td></tr>\n");
			json_decref(o);
			continue;
		}
		st = page_str(o, "status");
		evbuffer_add_printf(out, "<tr><td><span class=\"s %s\">",
		    page_status_class(st));
		page_escape(out, st, 64);
		page_put(out, "</span></td><td>");
		page_field(out, o, "source");
		page_put(out, "</td><td>");
		page_when(out, json_object_get(o, "queued_at"), now_ms);
		page_put(out, "</td><td>");
		page_when(out, json_object_get(o, "started_at"), now_ms);
		page_put(out, "</td><td>");
		page_when(out, json_object_get(o, "finished_at"), now_ms);
		page_put(out, "</td><td>");
		page_field(out, o, "worker");
		page_put(out, "</td><td class=\"err wrap\">");
		page_field(out, o, "error");
		page_put(out, "</td><td>");
		run_artifacts(out, id, o);
		page_put(out, "</td></tr>\n");
		json_decref(o);
	}
	page_put(out, "</tbody></table>\n");
}

static bool
is_known_field(const char *name)
{
	for (int i = 0; known_fields[i] != NULL; i++)
		if (strcmp(known_fields[i], name) == 0)
			return true;
	return false;
}

/* Fields the page has no section for, shown as text. */
static void
dev_other(struct evbuffer *out, const json_t *fields)
{
	const char *key;
	const json_t *v;
	int n = 0;

	json_object_foreach((json_t *)fields, key, v)
	{
		if (is_known_field(key))
			continue;
		if (n++ == 0)
			page_put(out, "<h2 id=\"other\">Other fields</h2>\n"
				      "<table class=\"kv\">\n");
		if (n > PAGE_MAX_ROWS)
			break;
		page_put(out, "<tr><th>");
		page_escape(out, key, 256);
		page_put(out, "</th><td class=\"wrap\">");
		page_value(out, v);
		page_put(out, "</td></tr>\n");
	}
	if (n > 0)
		page_put(out, "</table>\n");
}

/* Collect now (a POST with the token) and the exports. */
static void
dev_actions(struct evbuffer *out, const struct page_ctx *ctx, int64_t id,
    const json_t *fields, const struct query *q)
{
	const char *st = page_str(fields, "status");
	bool busy = st != NULL &&
		    (strcmp(st, "queued") == 0 || strcmp(st, "running") == 0 ||
			strcmp(st, "deferred") == 0);

	if (q->collected)
		page_put(out, "<p class=\"notice\">Collection requested: the "
			      "poller queues it within a few seconds (a device "
			      "already in flight is not queued twice).</p>\n");
	page_put(out, "<div class=\"actions\">");
	if (ctx->token != NULL) {
		evbuffer_add_printf(out,
		    "<form method=\"post\" action=\"/api/devices/%" PRId64
		    "/collect\"><input type=\"hidden\" name=\"token\" "
		    "value=\"%s\"><button class=\"primary\" type=\"submit\"%s>"
		    "Collect now</button></form>",
		    id, ctx->token,
		    busy ? " title=\"A job is already in flight: a request "
			   "joins it\""
			 : "");
	}
	evbuffer_add_printf(out,
	    "<span>Export: <a href=\"/api/devices/%" PRId64
	    "?download=1\">JSON</a>",
	    id);
	for (int i = 0; csv_tables[i] != NULL; i++)
		evbuffer_add_printf(out,
		    " \xc2\xb7 <a href=\"/device/%" PRId64
		    "/%s.csv\">%s.csv</a>",
		    id, csv_tables[i], csv_tables[i]);
	page_put(out, "</span></div>\n");
}

static void
dev_summary(struct evbuffer *out, const json_t *fields, int64_t now_ms)
{
	const char *status = page_str(fields, "status");

	page_put(out, "<table class=\"kv\">\n");
	if (status != NULL) {
		evbuffer_add_printf(out,
		    "<tr><th>status</th><td><span class=\"s %s\">",
		    page_status_class(status));
		page_escape(out, status, 64);
		page_put(out, "</span></td></tr>\n");
	}
	summary_row(out, fields, "step", "step");
	if (page_str(fields, "error") != NULL &&
	    page_str(fields, "error")[0] != '\0') {
		page_put(out, "<tr><th>error</th><td class=\"err wrap\">");
		page_field(out, fields, "error");
		page_put(out, "</td></tr>\n");
	}
	summary_row(out, fields, "os", "OS");
	summary_row(out, fields, "source", "source");
	summary_row(out, fields, "attempts", "attempts");
	time_row(out, fields, "queued_at", "queued", now_ms);
	time_row(out, fields, "started_at", "started", now_ms);
	time_row(out, fields, "finished_at", "finished", now_ms);
	time_row(out, fields, "next_attempt_at", "next attempt", now_ms);
	time_row(out, fields, "last_contact_time", "last contact", now_ms);
	summary_row(out, fields, "worker", "worker");
	summary_row(out, fields, "session_id", "session");
	page_put(out, "</table>\n");
}

void
page_device(struct evbuffer *out, const struct page_ctx *ctx, int64_t id,
    const json_t *fields, const json_t *runs, const struct query *q)
{
	const char *name = page_str(fields, "device_name");
	char title[64];

	snprintf(title, sizeof(title), "Device %" PRId64, id);
	page_begin(out, ctx, title);
	evbuffer_add_printf(out, "<h1>Device %" PRId64, id);
	if (name != NULL) {
		page_put(out, " \xe2\x80\x94 ");
		page_escape(out, name, 256);
	}
	page_put(out, "</h1>\n<nav class=\"tabs\"><a href=\"#alert\">alert</a>"
		      "<a href=\"#timeline\">timeline</a><a href=\"#services\">"
		      "services</a><a href=\"#users\">users</a><a href=\""
		      "#history\">browser history</a><a href=\"#runs\">past "
		      "runs</a></nav>\n");
	dev_actions(out, ctx, id, fields, q);
	dev_summary(out, fields, ctx->now_ms);
	dev_alert(out, fields, ctx->now_ms);
	dev_timeline(out, id, fields, ctx->now_ms);
	page_services(out, id, fields, q, ctx->now_ms);
	page_users(out, fields);
	page_profiles(out, id, fields);
	dev_runs(out, id, runs, ctx->now_ms);
	dev_other(out, fields);
	page_end(out);
}
