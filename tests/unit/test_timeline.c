/* test_timeline.c - the alert's times from v7 alerts and v3
 * notifications, and the timeline: window, order, cap, totals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"
#include "tests/t.h"
#include "worker/timeline.h"

static bool
is(const char *got, const char *want)
{
	return got != NULL && strcmp(got, want) == 0;
}

static const char *
field(const json_t *a, size_t i, const char *name)
{
	return json_string_value(json_object_get(json_array_get(a, i), name));
}

/* Alerts v7 (fixtures): first event, last event, detection. */
static int
test_v7_times(void)
{
	json_t *search = t_fixture("v7_alert_search.json");
	json_t *get = t_fixture("v7_alert_get.json"), *t;

	CHECK(search != NULL && get != NULL);
	t = timeline_alert_times(
	    json_array_get(json_object_get(search, "results"), 0));
	CHECK(json_array_size(t) == 3);
	CHECK(is(field(t, 0, "what"), "first event"));
	CHECK(is(field(t, 0, "time"), "2023-12-01T14:19:44.392Z"));
	CHECK(is(field(t, 0, "kind"), "alert"));
	CHECK(is(field(t, 1, "what"), "last event"));
	CHECK(is(field(t, 2, "what"), "detection"));
	CHECK(is(field(t, 2, "time"), "2023-12-01T14:25:18.539Z"));
	CHECK(field(t, 0, "text") != NULL);
	json_decref(t);
	t = timeline_alert_times(get);
	CHECK(json_array_size(t) == 3);
	CHECK(is(field(t, 2, "time"), "2023-04-14T21:27:14.719Z"));
	json_decref(t);
	/* Without detection_timestamp, backend_timestamp is the alert's. */
	json_object_del(get, "detection_timestamp");
	json_object_set_new(
	    get, "first_event_timestamp", json_string("garbage"));
	t = timeline_alert_times(get);
	CHECK(json_array_size(t) == 2);
	CHECK(is(field(t, 0, "what"), "last event"));
	CHECK(is(field(t, 1, "what"), "alert"));
	CHECK(is(field(t, 1, "time"), "2023-04-14T21:30:40.570Z"));
	json_decref(t);
	json_decref(search);
	json_decref(get);
	return 0;
}

/* Notifications v3 (fixture): eventTime in ms, threatInfo.time the same
 * (once), threatHunterInfo's first activity and time. */
static int
test_v3_times(void)
{
	json_t *list = t_fixture("v3_notification_list.json"), *n, *t;

	CHECK(list != NULL);
	n = json_object_get(list, "notifications");
	t = timeline_alert_times(json_array_get(n, 0));
	CHECK(json_array_size(t) == 1); /* threatInfo.time == eventTime */
	CHECK(is(field(t, 0, "what"), "alert"));
	CHECK(is(field(t, 0, "time"), "2016-04-15T06:54:00.678Z"));
	CHECK(is(field(t, 0, "text"),
	    "A known virus (Sality: Keylogger, Password or Data stealer, Backdoor) was detected running."));
	json_decref(t);
	t = timeline_alert_times(json_array_get(n, 2));
	CHECK(json_array_size(t) == 3);
	CHECK(is(field(t, 0, "what"), "first event"));
	CHECK(is(field(t, 1, "what"), "alert"));
	CHECK(is(field(t, 2, "what"), "detection"));
	CHECK(is(field(t, 2, "time"), "2019-04-07T15:47:30.250Z"));
	json_decref(t);
	/* Nothing to go by: no times at all. */
	t = timeline_alert_times(NULL);
	CHECK(json_array_size(t) == 0);
	json_decref(t);
	n = json_pack("{s:s,s:I}", "type", "x", "eventTime", (json_int_t)5);
	t = timeline_alert_times(n); /* 1970: out of range */
	CHECK(json_array_size(t) == 0);
	json_decref(t);
	json_decref(n);
	json_decref(list);
	return 0;
}

/* A browser_history entry with visits every minute from t0 (ms) back,
 * n of them, and a download and a search term. */
static json_t *
entry(const char *user, int64_t t0, int n)
{
	json_t *v = json_array();
	char iso[40];

	for (int i = 0; i < n; i++) {
		util_iso8601(t0 - (int64_t)i * 60000, iso, sizeof(iso));
		json_array_append_new(v,
		    json_pack("{s:s,s:s,s:s}", "url", "https://example.com/",
			"title", i == 0 ? "" : "Example", "visit_time", iso));
	}
	util_iso8601(t0 - 30 * 60000, iso, sizeof(iso));
	return json_pack(
	    "{s:s,s:s,s:s,s:o,s:[{s:s,s:s,s:s}],s:[{s:s,s:s,s:s}]}", "user",
	    user, "browser", "chrome", "profile", "Default", "visits", v,
	    "downloads", "target_path", "C:\\Users\\x\\Downloads\\a.exe", "url",
	    "https://example.com/a.exe", "start_time", iso, "search_terms",
	    "term", "lrflow", "url", "https://www.google.com/search?q=lrflow",
	    "visit_time", iso);
}

static json_t *
v7_alert(const char *first, const char *last, const char *det)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "reason", "bad thing",
	    "first_event_timestamp", first, "last_event_timestamp", last,
	    "detection_timestamp", det);
}

static int
test_window_and_order(void)
{
	int64_t t0;
	json_t *r = json_object(), *h = json_array(), *alert, *tl;
	size_t i;

	CHECK(util_parse_iso8601("2026-11-27T10:00:00Z", &t0) == 0);
	/* 120 visits, one a minute from 10:00 back to 08:01. */
	json_array_append_new(h, entry("jdoe", t0, 120));
	json_array_append_new(
	    h, json_pack("{s:s,s:s}", "user", "asmith", "error", "no History"));
	json_object_set_new(r, "browser_history", h);
	/* Alert times 09:00 and 09:02 (and 09:01): a window of 10 min takes
	 * 08:50 .. 09:12, 23 visits; the download and the search at 09:30
	 * are out. */
	alert = v7_alert("2026-11-27T09:00:00Z", "2026-11-27T09:02:00.000Z",
	    "2026-11-27T09:01:00Z");
	timeline_add(r, alert, 600);
	tl = json_object_get(r, "timeline");
	CHECK(json_integer_value(json_object_get(r, "timeline_window")) == 600);
	CHECK(
	    json_integer_value(json_object_get(r, "timeline_total")) == 3 + 23);
	CHECK(json_array_size(tl) == 26);
	CHECK(is(field(tl, 0, "time"), "2026-11-27T09:12:00.000Z"));
	CHECK(is(field(tl, 0, "kind"), "visit"));
	CHECK(is(field(tl, 0, "text"), "Example"));
	CHECK(is(field(tl, 0, "url"), "https://example.com/"));
	CHECK(is(field(tl, 0, "user"), "jdoe"));
	CHECK(is(field(tl, 0, "browser"), "chrome"));
	CHECK(is(field(tl, 0, "profile"), "Default"));
	CHECK(is(field(tl, 25, "time"), "2026-11-27T08:50:00.000Z"));
	/* Newest first throughout; at 09:02 the alert comes before the
	 * visit of the same minute. */
	for (i = 1; i < json_array_size(tl); i++)
		CHECK(strcmp(field(tl, i - 1, "time"), field(tl, i, "time")) >=
		      0);
	CHECK(is(field(tl, 10, "time"), "2026-11-27T09:02:00.000Z"));
	CHECK(is(field(tl, 10, "kind"), "alert"));
	CHECK(is(field(tl, 10, "what"), "last event"));
	CHECK(is(field(tl, 10, "text"), "bad thing"));
	CHECK(is(field(tl, 11, "kind"), "visit"));

	/* A wider window takes the download and the search at 09:30, and
	 * the visit at 10:00 without a title shows its URL. */
	timeline_add(r, alert, 3600);
	tl = json_object_get(r, "timeline");
	CHECK(json_integer_value(json_object_get(r, "timeline_total")) ==
	      3 + 120 + 2);
	CHECK(is(field(tl, 0, "time"), "2026-11-27T10:00:00.000Z"));
	CHECK(is(field(tl, 0, "text"), "https://example.com/"));
	{
		bool dl = false, st = false;

		for (i = 0; i < json_array_size(tl); i++) {
			if (is(field(tl, i, "kind"), "download"))
				dl = is(field(tl, i, "text"),
				    "C:\\Users\\x\\Downloads\\a.exe");
			if (is(field(tl, i, "kind"), "search"))
				st =
				    is(field(tl, i, "text"), "lrflow") &&
				    is(field(tl, i, "url"),
					"https://www.google.com/search?q=lrflow");
		}
		CHECK(dl && st);
	}

	/* Window 0: the alert's own times only. */
	timeline_add(r, alert, 0);
	tl = json_object_get(r, "timeline");
	CHECK(json_array_size(tl) == 3);
	CHECK(json_integer_value(json_object_get(r, "timeline_total")) == 3);
	CHECK(is(field(tl, 0, "what"), "last event"));
	CHECK(is(field(tl, 2, "what"), "first event"));
	json_decref(alert);
	json_decref(r);
	return 0;
}

/* 5013 entries in the window: the newest 2000 kept (to 03:23: eight at
 * 10:00, fifteen at 09:30, five a minute otherwise), and the total says
 * how many there were. */
static int
test_cap(void)
{
	int64_t t0;
	json_t *r = json_object(), *h = json_array(), *alert, *tl;

	CHECK(util_parse_iso8601("2026-11-27T10:00:00Z", &t0) == 0);
	for (int u = 0; u < 5; u++)
		json_array_append_new(h, entry("u", t0, 1000));
	json_object_set_new(r, "browser_history", h);
	alert = v7_alert("2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z",
	    "2026-11-27T10:00:00Z");
	timeline_add(r, alert, TIMELINE_WINDOW_MAX);
	tl = json_object_get(r, "timeline");
	CHECK(json_array_size(tl) == TIMELINE_MAX);
	CHECK(json_integer_value(json_object_get(r, "timeline_total")) ==
	      3 + 5 * 1000 + 5 * 2);
	CHECK(is(field(tl, 0, "kind"), "alert"));
	CHECK(is(
	    field(tl, TIMELINE_MAX - 1, "time"), "2026-11-27T03:23:00.000Z"));
	json_decref(alert);
	json_decref(r);
	return 0;
}

/* No alert time (a job queued by hand): no timeline fields at all, and
 * no error. */
static int
test_no_alert(void)
{
	int64_t t0;
	json_t *r = json_object(), *h = json_array();

	CHECK(util_parse_iso8601("2026-11-27T10:00:00Z", &t0) == 0);
	json_array_append_new(h, entry("jdoe", t0, 3));
	json_object_set_new(r, "browser_history", h);
	timeline_add(r, NULL, 1800);
	CHECK(json_object_get(r, "timeline") == NULL);
	CHECK(json_object_get(r, "timeline_total") == NULL);
	CHECK(json_object_get(r, "timeline_window") == NULL);
	CHECK(json_object_get(r, "error") == NULL);
	timeline_add(r, json_object_get(r, "browser_history"), 1800);
	CHECK(json_object_get(r, "timeline") == NULL);
	json_decref(r);
	return 0;
}

int
main(void)
{
	RUN(test_v7_times);
	RUN(test_v3_times);
	RUN(test_window_and_order);
	RUN(test_cap);
	RUN(test_no_alert);
	return t_done();
}
