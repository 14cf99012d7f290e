/* page_hist.c - one browser profile's visits, downloads or search terms:
 * a tab each, filtered by a text (q) and paged on the server, so a
 * profile with 12345 visits never makes a 12345-row page. */
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "query.h"
#include "util.h"

/* What one tab shows. */
struct tab {
	const char *view;         /* query value, and the list's field name */
	const char *label;        /* "visits" */
	const char *total;        /* the *_total field */
	const char *const *match; /* fields the text filter looks at */
};

static const char *const m_visits[] = {"url", "title", NULL};
static const char *const m_downloads[] = {
    "target_path", "url", "referrer", "mime_type", "danger_type", NULL};
static const char *const m_terms[] = {"term", "url", "title", NULL};

static const struct tab tabs[] = {
    {"visits", "visits", "visits_total", m_visits},
    {"downloads", "downloads", "downloads_total", m_downloads},
    {"search_terms", "search terms", "search_terms_total", m_terms},
};

bool
page_dangerous(const char *t)
{
	return t != NULL && *t != '\0' && strcmp(t, "not_dangerous") != 0 &&
	       strcmp(t, "allowlisted_by_policy") != 0 &&
	       strcmp(t, "unknown") != 0;
}

static bool
row_matches(const json_t *row, const struct tab *t, const char *q)
{
	if (q[0] == '\0')
		return true;
	for (int i = 0; t->match[i] != NULL; i++) {
		const char *s = page_str(row, t->match[i]);

		if (s != NULL && util_stristr(s, q) != NULL)
			return true;
	}
	return false;
}

static void
visit_row(struct evbuffer *out, const json_t *v, int64_t now_ms)
{
	page_put(out, "<tr><td>");
	page_when(out, json_object_get(v, "visit_time"), now_ms);
	page_put(out, "</td><td class=\"t\">");
	page_field(out, v, "title");
	page_put(out, "</td><td class=\"url\">");
	page_field(out, v, "url"); /* text, never a link */
	page_put(out, "</td><td>");
	page_field(out, v, "transition");
	page_put(out, "</td><td class=\"num\">");
	page_field(out, v, "visit_count");
	page_put(out, "</td></tr>\n");
}

static void
download_row(struct evbuffer *out, const json_t *d, int64_t now_ms)
{
	const char *danger = page_str(d, "danger_type");
	bool bad = page_dangerous(danger);

	evbuffer_add_printf(out, "<tr%s><td>", bad ? " class=\"danger\"" : "");
	page_when(out, json_object_get(d, "start_time"), now_ms);
	page_put(out, "</td><td class=\"url\">");
	page_field(out, d, "target_path");
	page_put(out, "</td><td class=\"url\">");
	page_field(out, d, "url");
	page_put(out, "</td><td>");
	page_field(out, d, "state");
	page_put(out, "</td><td>");
	if (bad)
		page_put(out, "<span class=\"tag danger\">");
	page_escape(out, danger, 64);
	if (bad)
		page_put(out, "</span>");
	page_put(out, "</td><td class=\"num\">");
	page_field(out, d, "received_bytes");
	page_put(out, " / ");
	page_field(out, d, "total_bytes");
	page_put(out, "</td><td>");
	page_field(out, d, "mime_type");
	page_put(out, "</td></tr>\n");
}

static void
term_row(struct evbuffer *out, const json_t *s, int64_t now_ms)
{
	page_put(out, "<tr><td>");
	page_when(out, json_object_get(s, "visit_time"), now_ms);
	page_put(out, "</td><td class=\"t\">");
	page_field(out, s, "term");
	page_put(out, "</td><td class=\"t\">");
	page_field(out, s, "title");
	page_put(out, "</td><td class=\"url\">");
	page_field(out, s, "url");
	page_put(out, "</td></tr>\n");
}

static void
hist_head(struct evbuffer *out, const struct tab *t)
{
	page_put(out, "<table>\n<thead><tr>");
	if (t == &tabs[0])
		page_put(out,
		    "<th>time</th><th>title</th><th>URL</th>"
		    "<th>transition</th><th class=\"num\">count</th>");
	else if (t == &tabs[1])
		page_put(out, "<th>started</th><th>saved as</th><th>URL</th>"
			      "<th>state</th><th>danger</th><th class=\"num\">"
			      "bytes</th><th>type</th>");
	else
		page_put(out, "<th>time</th><th>term</th><th>title</th>"
			      "<th>URL</th>");
	page_put(out, "</tr></thead>\n<tbody>\n");
}

/* The profile chooser and the tabs, as links that keep the filter. */
static void
hist_nav(
    struct evbuffer *out, int64_t id, const json_t *hist, const struct query *q)
{
	const json_t *h;
	struct query l = *q;
	size_t i;
	char base[64];

	snprintf(base, sizeof(base), "/device/%" PRId64 "/history", id);
	page_put(out, "<nav class=\"tabs\">profiles: ");
	json_array_foreach(hist, i, h)
	{
		if (i >= PAGE_MAX_PROFILES)
			break;
		l.profile = (int)i;
		evbuffer_add_printf(out, "<a%s href=\"%s",
		    (int)i == q->profile ? " class=\"on\"" : "", base);
		query_link(out, &l, 0);
		page_put(out, "\">");
		page_field(out, h, "user");
		page_put(out, " / ");
		page_field(out, h, "browser");
		page_put(out, " / ");
		page_field(out, h, "profile");
		page_put(out, "</a>");
	}
	page_put(out, "</nav>\n<nav class=\"tabs\">");
	l = *q;
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		const json_t *p = json_array_get(hist, (size_t)q->profile);
		const json_t *tot = json_object_get(p, tabs[i].total);

		snprintf(l.view, sizeof(l.view), "%s", tabs[i].view);
		evbuffer_add_printf(out, "<a%s href=\"%s",
		    strcmp(q->view, tabs[i].view) == 0 ? " class=\"on\"" : "",
		    base);
		query_link(out, &l, 0);
		evbuffer_add_printf(out, "\">%s (%" JSON_INTEGER_FORMAT ")</a>",
		    tabs[i].label,
		    json_is_integer(tot)
			? json_integer_value(tot)
			: (json_int_t)json_array_size(
			      json_object_get(p, tabs[i].view)));
	}
	page_put(out, "</nav>\n");
	evbuffer_add_printf(out,
	    "<form class=\"filters\" method=\"get\" action=\"%s\">"
	    "<input type=\"hidden\" name=\"profile\" value=\"%d\">"
	    "<input type=\"hidden\" name=\"view\" value=\"%s\">"
	    "<label>filter<input type=\"search\" name=\"q\" maxlength=\"100\" "
	    "value=\"",
	    base, q->profile, q->view);
	page_escape(out, q->q, QUERY_MAX_TEXT);
	evbuffer_add_printf(out,
	    "\"></label><input type=\"hidden\" name=\"per\" value=\"%d\">"
	    "<button type=\"submit\">Filter</button></form>\n",
	    q->per);
}

static void
hist_rows(struct evbuffer *out, int64_t id, const json_t *p,
    const struct tab *t, const struct query *q, int64_t now_ms)
{
	const json_t *list = json_object_get(p, t->view), *r;
	size_t i, matched = 0, first = query_offset(q, SIZE_MAX), n = 0;
	const json_t *total = json_object_get(p, t->total);
	char base[64];

	hist_head(out, t);
	json_array_foreach(list, i, r)
	{
		if (!json_is_object(r) || !row_matches(r, t, q->q))
			continue;
		if (matched++ < first || n >= (size_t)q->per)
			continue;
		n++;
		if (t == &tabs[0])
			visit_row(out, r, now_ms);
		else if (t == &tabs[1])
			download_row(out, r, now_ms);
		else
			term_row(out, r, now_ms);
	}
	page_put(out, "</tbody></table>\n");
	snprintf(base, sizeof(base), "/device/%" PRId64 "/history", id);
	page_pager(out, base, q, matched, json_array_size(list));
	if (json_is_integer(total) &&
	    (size_t)json_integer_value(total) > json_array_size(list))
		evbuffer_add_printf(out,
		    "<p class=\"muted\">The collector kept the newest %zu of "
		    "%" JSON_INTEGER_FORMAT " %s; the raw file has them all."
		    "</p>\n",
		    json_array_size(list), json_integer_value(total), t->label);
}

void
page_history(struct evbuffer *out, const struct page_ctx *ctx, int64_t id,
    const json_t *fields, const struct query *q)
{
	json_t *hist = page_parse(fields, "browser_history");
	const json_t *p = json_array_get(hist, (size_t)q->profile);
	const struct tab *t = &tabs[0];
	char title[80];

	for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
		if (strcmp(q->view, tabs[i].view) == 0)
			t = &tabs[i];
	snprintf(
	    title, sizeof(title), "Device %" PRId64 ": browser history", id);
	page_begin(out, ctx, title);
	evbuffer_add_printf(out,
	    "<h1><a href=\"/device/%" PRId64 "\">Device %" PRId64 "</a>", id,
	    id);
	if (page_str(fields, "device_name") != NULL) {
		page_put(out, " \xe2\x80\x94 ");
		page_escape(out, page_str(fields, "device_name"), 256);
	}
	page_put(out, ": browser history</h1>\n");
	if (!json_is_object(p)) {
		page_put(out, json_array_size(hist) == 0
				  ? "<p class=\"muted\">No browser history in "
				    "this result.</p>\n"
				  : "<p class=\"err\">No such profile.</p>\n");
		if (json_array_size(hist) > 0)
			hist_nav(out, id, hist, q);
		goto out;
	}
	hist_nav(out, id, hist, q);
	page_put(out, "<h2>");
	page_field(out, p, "user");
	page_put(out, " \xe2\x80\x94 ");
	page_field(out, p, "browser");
	page_put(out, " / ");
	page_field(out, p, "profile");
	evbuffer_add_printf(out, ": %s</h2>\n", t->label);
	if (json_object_get(p, "path") != NULL) {
		page_put(out, "<p class=\"muted mono\">");
		page_field(out, p, "path");
		page_put(out, " ");
		page_artifact_link(out, id, p);
		page_put(out, "</p>\n");
	}
	if (json_object_get(p, "error") != NULL) {
		page_put(out, "<p class=\"err\">");
		page_field(out, p, "error");
		page_put(out, "</p>\n");
	}
	hist_rows(out, id, p, t, q, ctx->now_ms);
out:
	json_decref(hist);
	page_end(out);
}
