/* test_viewer_evidence.c - the device page and its history views with
 * results in the documented result shape (users and logged_in, browser history
 * per profile with visits, downloads, search terms and totals, services
 * with their marks, the timeline, past runs with files), in the old shape
 * (visits only, services with only a name, users only), and with hostile
 * text in every one of the new fields. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "tests/t.h"
#include "viewer/page.h"
#include "viewer/query.h"
#include "tv.h"

#define NOW_MS 1795831200000LL /* 2026-11-28T02:00:00Z */
#define EVIL "<evil\xe2\x80\xae\"'&>"
#define EVIL_OUT "&lt;evil[U+202E]&quot;&#39;&amp;&gt;"
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct page_ctx ctx = {NOW_MS, "lr", "tok", NULL, NULL, 0};

/* Counts the occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A result hash (values as strings) from a JSON object whose values are
 * JSON: arrays and objects become their text. */
static json_t *
as_hash(json_t *obj)
{
	json_t *h = json_object();
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		if (json_is_string(v))
			json_object_set(h, k, v);
		else {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			json_object_set_new(h, k, json_string(s));
			free(s);
		}
	}
	json_decref(obj);
	return h;
}

/* A new-shape result; every string from the endpoint is s. */
static json_t *
new_shape(const char *s)
{
	json_t *visits = json_array(), *o;

	for (int i = 0; i < 250; i++)
		json_array_append_new(
		    visits, json_pack("{s:s, s:s, s:s, s:s, s:i}", "url",
				i == 7 ? "https://needle.example/" : s, "title",
				i == 7 ? "Needle" : s, "visit_time",
				"2026-11-27T10:00:00Z", "transition", s,
				"visit_count", i));
	o = json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:[s], s:s, s:s}",
	    "device_id", "5", "device_name", s, "status", "done", "started_at",
	    "2026-11-28T01:00:00Z", "users", s, "asmith", "logged_in", s,
	    "services_baseline", "2026-11-20T00:00:00Z", "services_error", s);
	json_object_set_new(o, "browser_history",
	    json_pack("[{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:o, s:i, "
		      "s:[{s:s, s:s, s:[s], s:s, s:s, s:s, s:i, s:i, s:s, "
		      "s:s, s:s}, {s:s, s:s}], s:i, s:[{s:s, s:s, s:s, s:s}], "
		      "s:i, s:s}]",
		"user", s, "browser", s, "profile", s, "path", s, "size",
		123456, "sha256", SHA, "copied", 1, "visits", visits,
		"visits_total", 12345, "downloads", "target_path", s, "url", s,
		"url_chain", s, "referrer", s, "start_time",
		"2026-11-27T10:00:00Z", "end_time", s, "received_bytes", 10,
		"total_bytes", 20, "state", s, "danger_type", "dangerous_file",
		"mime_type", s, "target_path", "safe.txt", "danger_type",
		"not_dangerous", "downloads_total", 2, "search_terms", "term",
		s, "url", s, "title", s, "visit_time", "2026-11-27T10:00:00Z",
		"search_terms_total", 1, "error", s));
	json_object_set_new(o, "services",
	    json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, "
		      "s:b, s:b, s:s, s:s}, {s:s}]",
		"name", s, "key", s, "display_name", s, "image_path", s,
		"start_type", s, "account", s, "type", s, "running", 1, "name",
		"NewSvc", "key", "newsvc", "running", 0, "new", 1, "image_path",
		"c:\\new.exe", "image_path_was", s, "name", "NetStartOnly"));
	json_object_set_new(o, "timeline",
	    json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s, "
		      "s:s}]",
		"time", "2026-11-27T10:00:00Z", "kind", "alert", "what", s,
		"text", s, "time", "2026-11-27T09:59:00Z", "kind", s, "text", s,
		"url", s, "user", s, "browser", s, "profile", s));
	json_object_set_new(o, "timeline_total", json_integer(2));
	json_object_set_new(o, "timeline_window", json_integer(1800));
	return as_hash(o);
}

static char *
render_device(const json_t *fields, const json_t *runs, const char *qs)
{
	struct evbuffer *b = evbuffer_new();
	struct query q;
	char *s;

	query_parse(qs, QUERY_ROWS_PER, QUERY_ROWS_PER_MAX, &q);
	page_device(b, &ctx, 5, fields, runs, &q);
	s = drain(b);
	evbuffer_free(b);
	return s;
}

static char *
render_history(const json_t *fields, const char *qs)
{
	struct evbuffer *b = evbuffer_new();
	struct query q;
	char *s;

	query_parse(qs, QUERY_ROWS_PER, QUERY_ROWS_PER_MAX, &q);
	page_history(b, &ctx, 5, fields, &q);
	s = drain(b);
	evbuffer_free(b);
	return s;
}

/* Hostile text in every new field: escaped everywhere, never markup. */
static int
test_every_new_field_escaped(void)
{
	json_t *f = new_shape(EVIL);
	json_t *runs = json_pack("[s]",
	    "{\"status\":\"done\",\"source\":\"" EVIL "x\",\"artifacts\":["
	    "{\"user\":\"<r>\",\"sha256\":\"" SHA "\"}]}");
	char *html = render_device(f, runs, NULL);

	CHECK(count(html, "<evil") == 0 && count(html, "\xe2\x80\xae") == 0);
	CHECK(count(html, EVIL_OUT) >= 15);
	CHECK(strstr(html, "&lt;r&gt;") != NULL);
	free(html);
	html = render_history(f, NULL);
	CHECK(count(html, "<evil") == 0 && count(html, "\xe2\x80\xae") == 0);
	CHECK(count(html, EVIL_OUT) >= 100 * 3);
	free(html);
	html = render_history(f, "view=downloads");
	CHECK(count(html, "<evil") == 0);
	CHECK(count(html, EVIL_OUT) >= 7);
	free(html);
	html = render_history(f, "view=search_terms");
	CHECK(count(html, "<evil") == 0);
	CHECK(count(html, EVIL_OUT) >= 3);
	free(html);
	json_decref(f);
	json_decref(runs);
	return 0;
}

/* The marks an analyst looks for. */
static int
test_new_shape_marks(void)
{
	json_t *f = new_shape("x");
	char *html = render_device(f, NULL, NULL);

	CHECK(strstr(html, "NewSvc<span class=\"tag new\">NEW</span><span "
			   "class=\"tag changed\">CHANGED</span>") != NULL);
	CHECK(strstr(html, "<tr class=\"new\"><td>NewSvc") != NULL);
	CHECK(count(html, "<span class=\"tag on\">running</span>") == 1);
	CHECK(count(html, "<span class=\"tag off\">stopped</span>") == 1);
	CHECK(strstr(html, "3 services: 2 running, 1 new, 1 changed") != NULL);
	CHECK(strstr(html, "<li>x<span class=\"tag login\">logged in</span>"
			   "</li>") != NULL);
	CHECK(strstr(html, "<li>asmith</li>") != NULL);
	CHECK(strstr(html, "1 dangerous download</span>") != NULL);
	CHECK(strstr(html, "<tr class=\"danger\">") != NULL);
	CHECK(strstr(html, "copied while locked") != NULL);
	CHECK(strstr(html, "history?profile=0&amp;view=visits\">12345</a>") !=
	      NULL);
	CHECK(strstr(html, "<a href=\"/device/5/artifact/" SHA "\">") != NULL);
	CHECK(strstr(html, "<tr class=\"alert\">") != NULL);
	CHECK(strstr(html, "action=\"/api/devices/5/collect\"") != NULL);
	CHECK(strstr(html, "name=\"token\" value=\"tok\"") != NULL);
	CHECK(strstr(html, "href=\"/device/5/visits.csv\"") != NULL);
	CHECK(strstr(html, "href=\"/api/devices/5?download=1\"") != NULL);
	/* the relative time, with the exact one as its title */
	CHECK(strstr(html,
		  "title=\"2026-11-28T01:00:00.000Z\">60 min ago</time>") !=
	      NULL);
	free(html);
	/* the services filter */
	html = render_device(f, NULL, "svc=new");
	CHECK(strstr(html, "NewSvc<span") != NULL);
	CHECK(strstr(html, "NetStartOnly") == NULL);
	CHECK(strstr(html, "1 of 3 services match the filter") != NULL);
	free(html);
	html = render_device(f, NULL, "q=netstart");
	CHECK(strstr(html, "NetStartOnly") != NULL);
	CHECK(strstr(html, "NewSvc<span") == NULL);
	free(html);
	json_decref(f);
	return 0;
}

/* 250 visits: paged on the server, filtered, bounded. */
static int
test_history_paging_and_filter(void)
{
	json_t *f = new_shape("row");
	char *html = render_history(f, NULL);

	CHECK(count(html, "<td class=\"url\">row</td>") == 99); /* + needle */
	CHECK(strstr(html, "Showing 1\xe2\x80\x93"
			   "100 of 250") != NULL);
	CHECK(strstr(html,
		  "The collector kept the newest 250 of 12345 visits") != NULL);
	free(html);
	html = render_history(f, "page=3");
	CHECK(count(html, "<td class=\"url\">row</td>") == 50);
	CHECK(strstr(html, "rel=\"next\"") == NULL);
	free(html);
	html = render_history(f, "per=1000000000");
	CHECK(count(html, "<td class=\"url\">row</td>") == 249);
	free(html);
	html = render_history(f, "page=-1&per=5");
	CHECK(count(html, "<td class=\"url\">row</td>") == 5);
	free(html);
	html = render_history(f, "q=NEEDLE");
	CHECK(strstr(html, "https://needle.example/") != NULL);
	CHECK(count(html, "<td class=\"url\">") == 1);
	CHECK(strstr(html, "(250 in all)") != NULL);
	/* a history URL is text, never a link */
	CHECK(strstr(html, "href=\"https://needle") == NULL);
	free(html);
	html = render_history(f, "view=downloads");
	CHECK(strstr(html,
		  "<span class=\"tag danger\">dangerous_file</span>") != NULL);
	CHECK(count(html, "<tr class=\"danger\">") == 1);
	free(html);
	html = render_history(f, "profile=9");
	CHECK(strstr(html, "No such profile") != NULL);
	free(html);
	json_decref(f);
	return 0;
}

/* A result of the old shape renders without errors. */
static int
test_old_shape(void)
{
	json_t *f = as_hash(json_pack(
	    "{s:s, s:s, s:[{s:s}, {s:s}], s:[s], s:[{s:s, s:s, s:s, s:s, s:s, "
	    "s:[{s:s, s:s, s:s}]}]}",
	    "device_id", "5", "status", "done", "services", "name", "Spooler",
	    "name", "DHCP Client", "users", "jdoe", "browser_history", "user",
	    "jdoe", "browser", "chrome", "profile", "Default", "sha256", "ab",
	    "path", "p", "visits", "url", "https://old.example/", "title",
	    "Old", "visit_time", "2026-11-27T10:00:00Z"));
	char *html = render_device(f, NULL, NULL);

	CHECK(strstr(html, "<td>Spooler</td>") != NULL);
	CHECK(strstr(html, "2 services: 2 running, 0 new, 0 changed") != NULL);
	CHECK(strstr(html, "only the users that were logged in") != NULL);
	CHECK(strstr(html, "<li>jdoe<span class=\"tag login\">") != NULL);
	CHECK(strstr(html, "No timeline in this result") != NULL);
	CHECK(strstr(html, "view=visits\">1</a>") != NULL);
	CHECK(strstr(html, "/artifact/") == NULL); /* "ab" is no sha256 */
	CHECK(strstr(html, "</html>") != NULL);
	free(html);
	html = render_history(f, NULL);
	CHECK(strstr(html, "https://old.example/") != NULL);
	CHECK(strstr(html, "search terms (0)") != NULL);
	CHECK(strstr(html, "</html>") != NULL);
	free(html);
	html = render_history(f, "view=downloads");
	CHECK(strstr(html, "Nothing to show") != NULL);
	free(html);
	json_decref(f);
	return 0;
}

static int
test_relative_times(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *v;
	char *s;

	page_ago(b, NOW_MS - 10000, NOW_MS);
	page_put(b, "|");
	page_ago(b, NOW_MS - 3 * 60000, NOW_MS);
	page_put(b, "|");
	page_ago(b, NOW_MS - 5 * 3600000LL, NOW_MS);
	page_put(b, "|");
	page_ago(b, NOW_MS - 3 * 86400000LL, NOW_MS);
	page_put(b, "|");
	page_ago(b, NOW_MS + 120000, NOW_MS);
	page_put(b, "|");
	v = json_string("<not a time>");
	page_when(b, v, NOW_MS);
	json_decref(v);
	s = drain(b);
	CHECK(strcmp(s, "just now|3 min ago|5 h ago|3 days ago|in 2 min|"
			"&lt;not a time&gt;") == 0);
	free(s);
	v = json_integer(13170000000000000LL); /* Chrome's microseconds */
	CHECK(page_time_ms(v) > 0);
	json_decref(v);
	evbuffer_free(b);
	return 0;
}

int
main(void)
{
	RUN(test_every_new_field_escaped);
	RUN(test_new_shape_marks);
	RUN(test_history_paging_and_filter);
	RUN(test_old_shape);
	RUN(test_relative_times);
	return t_done();
}
