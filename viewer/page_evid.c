/* page_evid.c - the device page's evidence sections: services (new and
 * changed ones marked, running or stopped, with a filter), users (the
 * logged-in ones marked) and the browser profiles (counts, dangerous
 * downloads, the raw file). */
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "query.h"
#include "util.h"

/* Whether service s passes the filter (q->svc, q->q). */
static bool
service_wanted(const json_t *s, const struct query *q)
{
	const char *f = q->svc;

	if (strcmp(f, "running") == 0 &&
	    !json_is_true(json_object_get(s, "running")))
		return false;
	if (strcmp(f, "stopped") == 0 &&
	    !json_is_false(json_object_get(s, "running")))
		return false;
	if (strcmp(f, "new") == 0 && !json_is_true(json_object_get(s, "new")))
		return false;
	if (strcmp(f, "changed") == 0 &&
	    json_object_get(s, "image_path_was") == NULL)
		return false;
	if (q->q[0] == '\0')
		return true;
	return util_stristr(page_str(s, "name") ? page_str(s, "name") : "",
		   q->q) != NULL ||
	       util_stristr(page_str(s, "key") ? page_str(s, "key") : "",
		   q->q) != NULL ||
	       util_stristr(
		   page_str(s, "image_path") ? page_str(s, "image_path") : "",
		   q->q) != NULL;
}

static void
svc_filters(struct evbuffer *out, int64_t id, const struct query *q)
{
	static const char *const opts[] = {
	    "", "running", "stopped", "new", "changed", NULL};

	evbuffer_add_printf(out,
	    "<form class=\"filters\" method=\"get\" action=\"/device/%" PRId64
	    "#services\"><label>filter services<input type=\"search\" "
	    "name=\"q\" maxlength=\"100\" value=\"",
	    id);
	page_escape(out, q->q, QUERY_MAX_TEXT);
	page_put(out, "\"></label><label>show<select name=\"svc\">");
	for (int i = 0; opts[i] != NULL; i++)
		evbuffer_add_printf(out, "<option value=\"%s\"%s>%s</option>",
		    opts[i], strcmp(q->svc, opts[i]) == 0 ? " selected" : "",
		    opts[i][0] ? opts[i] : "all");
	page_put(out, "</select></label><button type=\"submit\">Filter"
		      "</button></form>\n");
}

static void
service_row(struct evbuffer *out, const json_t *s)
{
	const json_t *running = json_object_get(s, "running");
	bool isnew = json_is_true(json_object_get(s, "new"));
	const json_t *was = json_object_get(s, "image_path_was");

	evbuffer_add_printf(out, "<tr%s><td>", isnew ? " class=\"new\"" : "");
	if (json_is_object(s))
		page_field(out, s, "name");
	else
		page_value(out, s);
	if (isnew)
		page_put(out, "<span class=\"tag new\">NEW</span>");
	if (was != NULL)
		page_put(out, "<span class=\"tag changed\">CHANGED</span>");
	page_put(out, "</td><td>");
	page_field(out, s, "key");
	page_put(out, "</td><td>");
	if (json_is_true(running))
		page_put(out, "<span class=\"tag on\">running</span>");
	else if (json_is_false(running))
		page_put(out, "<span class=\"tag off\">stopped</span>");
	page_put(out, "</td><td>");
	page_field(out, s, "start_type");
	page_put(out, "</td><td>");
	page_field(out, s, "account");
	page_put(out, "</td><td class=\"url\">");
	page_field(out, s, "image_path");
	if (was != NULL) {
		page_put(out, "<br><span class=\"err\">was: ");
		page_value(out, was);
		page_put(out, "</span>");
	}
	page_put(out, "</td></tr>\n");
}

void
page_services(struct evbuffer *out, int64_t id, const json_t *fields,
    const struct query *q, int64_t now_ms)
{
	json_t *svc = page_parse(fields, "services");
	const json_t *s;
	size_t i, n = json_array_size(svc), running = 0, isnew = 0, changed = 0,
		  shown = 0, matched = 0;

	page_put(out, "<h2 id=\"services\">Services</h2>\n");
	if (!json_is_array(svc)) {
		if (json_object_get(fields, "services") != NULL) {
			page_put(out, "<pre>");
			page_escape(
			    out, page_str(fields, "services"), PAGE_MAX_RAW);
			page_put(out, "</pre>\n");
		} else
			page_put(
			    out, "<p class=\"muted\">Not collected.</p>\n");
		json_decref(svc);
		return;
	}
	json_array_foreach(svc, i, s)
	{
		running += json_is_true(json_object_get(s, "running")) ||
			   json_object_get(s, "running") == NULL;
		isnew += json_is_true(json_object_get(s, "new"));
		changed += json_object_get(s, "image_path_was") != NULL;
	}
	evbuffer_add_printf(out,
	    "<p>%zu services: %zu running, %zu new, %zu changed", n, running,
	    isnew, changed);
	if (json_object_get(fields, "services_baseline") != NULL) {
		page_put(out, " since the run of ");
		page_when(
		    out, json_object_get(fields, "services_baseline"), now_ms);
	} else
		page_put(out, " (no earlier run to compare with)");
	evbuffer_add_printf(out,
	    ". <a href=\"/device/%" PRId64 "/services.csv\">CSV</a></p>\n", id);
	if (json_object_get(fields, "services_error") != NULL) {
		page_put(out, "<p class=\"err\">");
		page_field(out, fields, "services_error");
		page_put(out, "</p>\n");
	}
	svc_filters(out, id, q);
	page_put(out, "<table>\n<thead><tr><th>name</th><th>key</th>"
		      "<th>state</th><th>start</th><th>account</th>"
		      "<th>image path</th></tr></thead>\n<tbody>\n");
	json_array_foreach(svc, i, s)
	{
		if (!service_wanted(s, q))
			continue;
		matched++;
		if (shown >= PAGE_MAX_ROWS)
			continue;
		shown++;
		service_row(out, s);
	}
	page_put(out, "</tbody></table>\n");
	if (matched < n)
		evbuffer_add_printf(out,
		    "<p class=\"muted\">%zu of %zu services match the filter."
		    "</p>\n",
		    matched, n);
	page_shown_of(out, shown, matched, NULL, "services");
	json_decref(svc);
}

/* True when name is in the array logged (strings). */
static bool
in_list(const json_t *list, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		if (json_is_string(e) && name != NULL &&
		    strcmp(json_string_value(e), name) == 0)
			return true;
	}
	return false;
}

void
page_users(struct evbuffer *out, const json_t *fields)
{
	json_t *users = page_parse(fields, "users");
	json_t *logged = page_parse(fields, "logged_in");
	const json_t *u;
	size_t i;

	page_put(out, "<h2 id=\"users\">Users</h2>\n");
	if (!json_is_array(users)) {
		if (json_object_get(fields, "users") != NULL) {
			page_put(out, "<p>");
			page_field(out, fields, "users");
			page_put(out, "</p>\n");
		} else
			page_put(
			    out, "<p class=\"muted\">Not collected.</p>\n");
		goto out;
	}
	if (json_array_size(users) == 0) {
		page_put(out, "<p class=\"muted\">No users found.</p>\n");
		goto out;
	}
	if (!json_is_array(logged))
		page_put(out, "<p class=\"muted\">This result lists only the "
			      "users that were logged in.</p>\n");
	page_put(out, "<ul>\n");
	json_array_foreach(users, i, u)
	{
		if (i >= PAGE_MAX_ROWS)
			break;
		page_put(out, "<li>");
		page_value(out, u);
		if (!json_is_array(logged) ||
		    in_list(logged, json_string_value(u)))
			page_put(out, "<span class=\"tag login\">logged in"
				      "</span>");
		page_put(out, "</li>\n");
	}
	page_put(out, "</ul>\n");
out:
	json_decref(users);
	json_decref(logged);
}

/* "N" from list_total, else the list's length; "-" without either. */
static void
total_cell(struct evbuffer *out, const json_t *h, const char *list,
    const char *total, int64_t id, size_t idx, const char *view)
{
	const json_t *t = json_object_get(h, total);
	const json_t *l = json_object_get(h, list);

	page_put(out, "<td class=\"num\">");
	if (!json_is_integer(t) && !json_is_array(l)) {
		page_put(out, "\xe2\x80\x94</td>");
		return;
	}
	evbuffer_add_printf(out,
	    "<a href=\"/device/%" PRId64 "/history?profile=%zu&amp;view=%s\">"
	    "%" JSON_INTEGER_FORMAT "</a></td>",
	    id, idx, view,
	    json_is_integer(t) ? json_integer_value(t)
			       : (json_int_t)json_array_size(l));
}

/* The number of dangerous downloads of profile h. */
static size_t
dangerous(const json_t *h)
{
	const json_t *d;
	size_t i, n = 0;

	json_array_foreach(json_object_get(h, "downloads"), i, d)
	{
		n += page_dangerous(page_str(d, "danger_type"));
	}
	return n;
}

void
page_artifact_link(struct evbuffer *out, int64_t id, const json_t *h)
{
	const char *sha = page_str(h, "sha256");

	if (sha == NULL || strlen(sha) != 64 ||
	    strspn(sha, "0123456789abcdef") != 64)
		return;
	evbuffer_add_printf(out,
	    "<a href=\"/device/%" PRId64 "/artifact/%s\">download</a>", id,
	    sha);
}

void
page_profiles(struct evbuffer *out, int64_t id, const json_t *fields)
{
	json_t *hist = page_parse(fields, "browser_history");
	const json_t *h;
	size_t i;

	page_put(out, "<h2 id=\"history\">Browser history</h2>\n");
	if (!json_is_array(hist)) {
		page_put(out, json_object_get(fields, "browser_history")
				  ? "<p class=\"err\">The stored history is "
				    "not valid JSON.</p>\n"
				  : "<p class=\"muted\">Not collected.</p>\n");
		json_decref(hist);
		return;
	}
	if (json_array_size(hist) == 0) {
		page_put(out, "<p class=\"muted\">No browser profiles found."
			      "</p>\n");
		json_decref(hist);
		return;
	}
	evbuffer_add_printf(out,
	    "<p class=\"muted\">Open a count for the rows (paged, with a "
	    "filter). CSV of every profile: <a href=\"/device/%" PRId64
	    "/visits.csv\">visits</a>, <a href=\"/device/%" PRId64
	    "/downloads.csv\">downloads</a>, <a href=\"/device/%" PRId64
	    "/search_terms.csv\">search terms</a>.</p>\n",
	    id, id, id);
	page_put(out, "<table>\n<thead><tr><th>user</th><th>browser</th>"
		      "<th>profile</th><th class=\"num\">visits</th>"
		      "<th class=\"num\">downloads</th><th class=\"num\">"
		      "searches</th><th class=\"num\">size</th><th>file</th>"
		      "<th>note</th></tr></thead>\n<tbody>\n");
	json_array_foreach(hist, i, h)
	{
		size_t bad;

		if (i >= PAGE_MAX_PROFILES)
			break;
		if (!json_is_object(h))
			continue;
		bad = dangerous(h);
		evbuffer_add_printf(
		    out, "<tr%s><td>", bad ? " class=\"danger\"" : "");
		page_field(out, h, "user");
		page_put(out, "</td><td>");
		page_field(out, h, "browser");
		page_put(out, "</td><td>");
		page_field(out, h, "profile");
		page_put(out, "</td>");
		total_cell(out, h, "visits", "visits_total", id, i, "visits");
		total_cell(
		    out, h, "downloads", "downloads_total", id, i, "downloads");
		total_cell(out, h, "search_terms", "search_terms_total", id, i,
		    "search_terms");
		page_put(out, "<td class=\"num\">");
		page_field(out, h, "size");
		page_put(out, "</td><td>");
		if (page_str(h, "sha256") != NULL) {
			page_put(out, "<code class=\"hash\">");
			page_escape(out, page_str(h, "sha256"), 12);
			page_put(out, "</code> ");
		}
		page_artifact_link(out, id, h);
		page_put(out, "</td><td class=\"wrap\">");
		if (bad)
			evbuffer_add_printf(out,
			    "<span class=\"tag danger\">%zu dangerous "
			    "download%s</span> ",
			    bad, bad == 1 ? "" : "s");
		if (json_is_true(json_object_get(h, "copied")))
			page_put(out, "<span class=\"tag off\">copied while "
				      "locked</span> ");
		if (json_object_get(h, "error") != NULL) {
			page_put(out, "<span class=\"err\">");
			page_field(out, h, "error");
			page_put(out, "</span>");
		}
		page_put(out, "</td></tr>\n");
	}
	page_put(out, "</tbody></table>\n");
	json_decref(hist);
}
