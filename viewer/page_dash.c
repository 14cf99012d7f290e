/* page_dash.c - the dashboard: counts, the pipeline, deferred and dead
 * jobs, and the device table with search, filter, sort and paging (a
 * plain GET form, so it works without the script). */
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "query.h"

/* One count card; name is also the data-count key the script updates. */
static void
card(struct evbuffer *out, const char *label, const char *name, const json_t *v,
    const char *href)
{
	page_put(out, "<div class=\"card\">");
	if (href != NULL)
		evbuffer_add_printf(out, "<a href=\"%s\">", href);
	evbuffer_add_printf(out, "<b data-count=\"%s\">", name);
	if (json_is_integer(v))
		page_value(out, v);
	else
		page_put(out, "0");
	page_put(out, "</b>");
	if (href != NULL)
		page_put(out, "</a>");
	evbuffer_add_printf(out, "<small>%s</small></div>\n", label);
}

static void
dash_counts(struct evbuffer *out, const json_t *overview)
{
	const json_t *counts = json_object_get(overview, "status_counts");
	const json_t *limit = json_object_get(overview, "session_limit");
	char href[64];

	page_put(out, "<div class=\"cards\">\n");
	for (int k = 0; page_statuses[k] != NULL; k++) {
		snprintf(href, sizeof(href), "/?status=%s", page_statuses[k]);
		card(out, page_statuses[k], page_statuses[k],
		    json_object_get(counts, page_statuses[k]), href);
	}
	page_put(out, "</div>\n<h2>Pipeline</h2>\n<div class=\"cards\">\n");
	card(out, "queue depth", "queue_depth",
	    json_object_get(overview, "queue_depth"), NULL);
	card(out, "in flight", "inflight",
	    json_object_get(overview, "inflight"), NULL);
	card(out, "deferred, waiting to retry", "retry_depth",
	    json_object_get(overview, "retry_depth"), NULL);
	card(out, "live workers", "workers_live",
	    json_object_get(overview, "workers_live"), NULL);
	page_put(out, "<div class=\"card\"><b><span data-count=\""
		      "sessions_in_use\">");
	page_value(out, json_object_get(overview, "sessions_in_use"));
	page_put(out, "</span>");
	if (json_is_integer(limit)) {
		page_put(out, " / ");
		page_value(out, limit);
	}
	page_put(out, "</b><small>Live Response sessions in use</small>"
		      "</div>\n");
	card(out, "dead jobs", "dead", json_object_get(overview, "dead"), NULL);
	card(out, "devices", "devices_total",
	    json_object_get(overview, "devices_total"), NULL);
	page_put(out, "</div>\n");
}

/* A device id as a link to its page (ids are integers we parsed). */
static void
device_link(struct evbuffer *out, const json_t *id)
{
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		page_put(out, "?");
		return;
	}
	page_put(out, "<a href=\"/device/");
	page_int(out, json_integer_value(id));
	page_put(out, "\">");
	page_int(out, json_integer_value(id));
	page_put(out, "</a>");
}

/* The next deferred jobs and the latest dead ones. */
static void
dash_waiting(
    struct evbuffer *out, const struct page_ctx *ctx, const json_t *overview)
{
	const json_t *deferred = json_object_get(overview, "deferred");
	const json_t *dead = json_object_get(overview, "dead_recent");
	const json_t *e;
	size_t i;

	if (json_array_size(deferred) > 0) {
		page_put(out, "<h2>Deferred: next attempts</h2>\n<table>\n"
			      "<thead><tr><th>device</th><th>next attempt</th>"
			      "<th class=\"num\">attempts</th><th>source</th>"
			      "</tr></thead>\n<tbody>\n");
		json_array_foreach(deferred, i, e)
		{
			if (i >= PAGE_MAX_DEAD)
				break;
			page_put(out, "<tr><td>");
			device_link(out, json_object_get(e, "device_id"));
			page_put(out, "</td><td>");
			page_when_ms(out,
			    json_integer_value(json_object_get(e, "due_ms")),
			    ctx->now_ms);
			page_put(out, "</td><td class=\"num\">");
			page_field(out, e, "attempts");
			page_put(out, "</td><td>");
			page_field(out, e, "source");
			page_put(out, "</td></tr>\n");
		}
		page_put(out, "</tbody></table>\n");
	}
	if (json_array_size(dead) > 0) {
		page_put(out, "<h2>Dead: latest failed jobs</h2>\n<table>\n"
			      "<thead><tr><th>device</th><th>when</th>"
			      "<th>reason</th></tr></thead>\n<tbody>\n");
		json_array_foreach(dead, i, e)
		{
			if (i >= PAGE_MAX_DEAD)
				break;
			page_put(out, "<tr><td>");
			device_link(out, json_object_get(e, "device_id"));
			page_put(out, "</td><td>");
			page_when(out, json_object_get(e, "at"), ctx->now_ms);
			page_put(out, "</td><td class=\"err wrap\">");
			page_field(out, e, "error");
			page_put(out, "</td></tr>\n");
		}
		page_put(out, "</tbody></table>\n");
	}
}

static void
option(struct evbuffer *out, const char *value, const char *label, bool on)
{
	evbuffer_add_printf(out, "<option value=\"%s\"%s>%s</option>", value,
	    on ? " selected" : "", label);
}

/* The search form: a GET to "/", so every state is a URL. */
static void
dash_filters(struct evbuffer *out, const struct query *q)
{
	page_put(out, "<form class=\"filters\" method=\"get\" action=\"/\">"
		      "<label>search id, name or user<input type=\"search\" "
		      "name=\"q\" maxlength=\"100\" value=\"");
	page_escape(out, q->q, QUERY_MAX_TEXT);
	page_put(out, "\"></label><label>status<select name=\"status\">");
	option(out, "", "any", q->status[0] == '\0');
	for (int k = 0; page_statuses[k] != NULL; k++)
		option(out, page_statuses[k], page_statuses[k],
		    strcmp(q->status, page_statuses[k]) == 0);
	page_put(out, "</select></label><label>sort<select name=\"sort\">");
	option(out, "updated", "last update", q->sort == QUERY_SORT_UPDATED);
	option(out, "name", "name", q->sort == QUERY_SORT_NAME);
	option(out, "status", "status", q->sort == QUERY_SORT_STATUS);
	page_put(out, "</select></label><label>rows<select name=\"per\">");
	for (int i = 0; i < 4; i++) {
		static const char *const pers[] = {"25", "50", "100", "200"};

		option(out, pers[i], pers[i], q->per == atoi(pers[i]));
	}
	page_put(out, "</select></label><button type=\"submit\">Show</button>"
		      " <a href=\"/\">reset</a></form>\n");
}

static void
dash_devices(struct evbuffer *out, const struct page_ctx *ctx,
    const json_t *list, const struct query *q)
{
	const json_t *devices = json_object_get(list, "devices");
	size_t matched =
		   (size_t)json_integer_value(json_object_get(list, "matched")),
	       scanned =
		   (size_t)json_integer_value(json_object_get(list, "scanned")),
	       total =
		   (size_t)json_integer_value(json_object_get(list, "total"));
	const json_t *d;
	size_t i;

	page_put(out, "<h2 id=\"list\">Devices</h2>\n");
	dash_filters(out, q);
	evbuffer_add_printf(out,
	    "<p class=\"muted\"><span data-matched>%zu</span> of %zu "
	    "devices match.",
	    matched, scanned);
	if (total > scanned)
		evbuffer_add_printf(out,
		    " Only the %zu most recently updated of %zu are searched.",
		    scanned, total);
	page_put(out, "</p>\n<table id=\"devices\">\n<thead><tr><th>device"
		      "</th><th>name</th><th>status</th><th>step</th>"
		      "<th>last update</th><th>error</th></tr></thead>\n"
		      "<tbody>\n");
	json_array_foreach(devices, i, d)
	{
		const char *status = page_str(d, "status");

		if (i >= QUERY_LIST_PER_MAX)
			break;
		page_put(out, "<tr><td>");
		device_link(out, json_object_get(d, "device_id"));
		page_put(out, "</td><td>");
		page_field(out, d, "device_name");
		page_put(out, "</td><td><span class=\"s ");
		page_put(out, page_status_class(status));
		page_put(out, "\">");
		page_escape(out, status, 64);
		page_put(out, "</span></td><td>");
		page_escape(out, page_str(d, "step"), 256);
		page_put(out, "</td><td>");
		page_when_ms(out,
		    json_integer_value(json_object_get(d, "updated_at_ms")),
		    ctx->now_ms);
		page_put(out, "</td><td class=\"err wrap\">");
		page_escape(out, page_str(d, "error"), 300);
		page_put(out, "</td></tr>\n");
	}
	page_put(out, "</tbody>\n</table>\n");
	if (matched == 0)
		page_put(out, scanned == 0
				  ? "<p class=\"muted\">No results yet.</p>\n"
				  : "<p class=\"muted\">No device matches."
				    "</p>\n");
	page_pager(out, "/", q, matched, 0);
}

/* The P:stats counters, folded away. */
static void
dash_counters(struct evbuffer *out, const json_t *stats)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach((json_t *)stats, key, v)
	{
		if (n++ == 0)
			page_put(out, "<details><summary>Counters</summary>\n"
				      "<table class=\"kv\">\n");
		if (n > PAGE_MAX_ROWS)
			break;
		page_put(out, "<tr><th>");
		page_escape(out, key, 128);
		page_put(out, "</th><td class=\"num\">");
		page_value(out, v);
		page_put(out, "</td></tr>\n");
	}
	if (n > 0)
		page_put(out, "</table></details>\n");
}

void
page_dashboard(struct evbuffer *out, const struct page_ctx *ctx,
    const json_t *overview, const json_t *list, const struct query *q)
{
	page_begin(out, ctx, "lrflow \xe2\x80\x94 Live Response results");
	page_put(out, "<h1>Live Response results</h1>\n");
	if (json_is_true(json_object_get(
		json_object_get(overview, "redis_memory"), "full")))
		page_put(out, "<p class=\"err\"><strong>Redis is out of memory "
			      "(maxmemory reached) and refuses writes: no job "
			      "can start or finish until it has room.</strong>"
			      "</p>\n");
	dash_counts(out, overview);
	dash_waiting(out, ctx, overview);
	dash_devices(out, ctx, list, q);
	dash_counters(out, json_object_get(overview, "stats"));
	page_end(out);
}
