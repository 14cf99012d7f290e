/* timeline.c - the alert's times merged with the browser activity
 * around them.
 *
 * Every row is checked against every alert time (an alert has at most
 * four), so the cost is linear in the rows; the rows kept are sorted
 * once. */
#include "timeline.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xmalloc.h"

#define TIMELINE_MIN_MS 631152000000LL  /* 1990-01-01 */
#define TIMELINE_MAX_MS 7258118400000LL /* 2200-01-01 */
#define TIMELINE_ALERT_TIMES 8

/* One entry, with what it is sorted by. */
struct timeline_row {
	int64_t ms;
	size_t seq;   /* order of arrival: ties keep it */
	bool alert;   /* alert entries first among equal times */
	json_t *json; /* owned */
};

struct timeline {
	struct timeline_row *v;
	size_t n, cap;
	int64_t alerts[TIMELINE_ALERT_TIMES]; /* alert times, ms */
	size_t nalerts;
	int64_t window_ms;
};

/* A copy of s (valid UTF-8: jansson's) cut at a character boundary. */
static json_t *
timeline_text(const char *s)
{
	size_t n = strlen(s);
	json_t *v;
	char *c;

	if (n <= TIMELINE_TEXT_MAX)
		return json_string(s);
	n = TIMELINE_TEXT_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	c = xstrndup(s, n);
	v = json_string(c);
	free(c);
	return v;
}

/* The time of v, an ISO-8601 string or (numbers: v3) ms since the
 * epoch, into *ms.  False when it is neither or out of range. */
static bool
timeline_ms(const json_t *v, int64_t *ms)
{
	if (json_is_string(v)) {
		if (util_parse_iso8601(json_string_value(v), ms) == -1)
			return false;
	} else if (json_is_integer(v))
		*ms = (int64_t)json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) > 0 &&
		 json_real_value(v) < (double)TIMELINE_MAX_MS)
		*ms = (int64_t)json_real_value(v);
	else
		return false;
	return *ms >= TIMELINE_MIN_MS && *ms < TIMELINE_MAX_MS;
}

/* Appends an alert time entry to out, unless v is no time, or (unique)
 * the same time is there already: a v3 notification repeats eventTime
 * as threatInfo.time. */
static void
timeline_alert_add(json_t *out, const json_t *v, const char *what,
    const char *text, bool unique)
{
	char iso[40];
	int64_t ms;
	size_t i;
	json_t *e;

	if (!timeline_ms(v, &ms))
		return;
	util_iso8601(ms, iso, sizeof(iso));
	json_array_foreach(unique ? out : NULL, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "time")),
			iso) == 0)
			return;
	}
	e = json_pack(
	    "{s:s,s:s,s:s}", "time", iso, "kind", "alert", "what", what);
	if (text != NULL && *text != '\0')
		json_object_set_new(e, "text", timeline_text(text));
	json_array_append_new(out, e);
}

json_t *
timeline_alert_times(const json_t *alert)
{
	json_t *out = json_array(), *info;
	const char *text;

	if (!json_is_object(alert))
		return out;
	if (json_object_get(alert, "eventTime") != NULL) {
		/* v3 notification */
		info = json_object_get(alert, "threatInfo");
		if (info == NULL)
			info = json_object_get(alert, "threatHunterInfo");
		text = json_string_value(json_object_get(info, "summary"));
		if (text == NULL)
			text = json_string_value(
			    json_object_get(alert, "eventDescription"));
		timeline_alert_add(out,
		    json_object_get(info, "firstActivityTime"), "first event",
		    text, false);
		timeline_alert_add(out, json_object_get(alert, "eventTime"),
		    "alert", text, false);
		timeline_alert_add(out, json_object_get(info, "time"),
		    "detection", text, true);
		return out;
	}
	/* v7 alert */
	text = json_string_value(json_object_get(alert, "reason"));
	if (text == NULL)
		text = json_string_value(json_object_get(alert, "type"));
	timeline_alert_add(out, json_object_get(alert, "first_event_timestamp"),
	    "first event", text, false);
	timeline_alert_add(out, json_object_get(alert, "last_event_timestamp"),
	    "last event", text, false);
	if (json_object_get(alert, "detection_timestamp") != NULL)
		timeline_alert_add(out,
		    json_object_get(alert, "detection_timestamp"), "detection",
		    text, false);
	else
		timeline_alert_add(out,
		    json_object_get(alert, "backend_timestamp"), "alert", text,
		    false);
	return out;
}

/* Adds e (stolen) at time ms. */
static void
timeline_push(struct timeline *t, int64_t ms, bool alert, json_t *e)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n] = (struct timeline_row){ms, t->n, alert, e};
	t->n++;
}

/* True when ms lies within the window of an alert time. */
static bool
timeline_near(const struct timeline *t, int64_t ms)
{
	for (size_t i = 0; i < t->nalerts; i++) {
		int64_t d = ms - t->alerts[i];

		if (d <= t->window_ms && -d <= t->window_ms)
			return true;
	}
	return false;
}

/* Adds the rows of one list of a browser_history entry h (borrowed):
 * kind, the field holding the time, the one holding the text (and a
 * second choice), and the URL field. */
static void
timeline_rows(struct timeline *t, const json_t *h, const char *list,
    const char *kind, const char *timef, const char *textf, const char *textf2)
{
	static const char *const who[] = {"user", "browser", "profile"};
	json_t *r, *e, *v;
	const char *text;
	char iso[40];
	int64_t ms;
	size_t i;

	json_array_foreach(json_object_get(h, list), i, r)
	{
		if (!timeline_ms(json_object_get(r, timef), &ms) ||
		    !timeline_near(t, ms))
			continue;
		text = json_string_value(json_object_get(r, textf));
		if (text == NULL || *text == '\0')
			text = json_string_value(json_object_get(r, textf2));
		util_iso8601(ms, iso, sizeof(iso));
		e = json_pack("{s:s,s:s}", "time", iso, "kind", kind);
		json_object_set_new(e, "text", timeline_text(text ? text : ""));
		if ((text = json_string_value(json_object_get(r, "url"))) !=
		    NULL)
			json_object_set_new(e, "url", timeline_text(text));
		for (size_t k = 0; k < 3; k++)
			if (json_is_string(v = json_object_get(h, who[k])))
				json_object_set(e, who[k], v);
		timeline_push(t, ms, false, e);
	}
}

/* Newest first; at one time, alert entries first, then arrival order. */
static int
timeline_cmp(const void *a, const void *b)
{
	const struct timeline_row *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms > y->ms ? -1 : 1;
	if (x->alert != y->alert)
		return x->alert ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
timeline_add(json_t *result, const json_t *alert, int window_s)
{
	struct timeline t = {.window_ms = (int64_t)window_s * 1000};
	json_t *times = timeline_alert_times(alert), *e, *out;
	size_t i;

	if (json_array_size(times) == 0) {
		json_decref(times);
		return;
	}
	json_array_foreach(times, i, e)
	{
		int64_t ms;

		timeline_ms(json_object_get(e, "time"), &ms);
		if (t.nalerts < TIMELINE_ALERT_TIMES)
			t.alerts[t.nalerts++] = ms;
		timeline_push(&t, ms, true, json_incref(e));
	}
	json_decref(times);
	json_array_foreach(
	    window_s > 0 ? json_object_get(result, "browser_history") : NULL, i,
	    e)
	{
		timeline_rows(
		    &t, e, "visits", "visit", "visit_time", "title", "url");
		timeline_rows(&t, e, "downloads", "download", "start_time",
		    "target_path", "url");
		timeline_rows(&t, e, "search_terms", "search", "visit_time",
		    "term", "url");
	}
	qsort(t.v, t.n, sizeof(*t.v), timeline_cmp);
	out = json_array();
	for (i = 0; i < t.n; i++) {
		if (i < TIMELINE_MAX)
			json_array_append(out, t.v[i].json);
		json_decref(t.v[i].json);
	}
	json_object_set_new(result, "timeline", out);
	json_object_set_new(
	    result, "timeline_total", json_integer((json_int_t)t.n));
	json_object_set_new(result, "timeline_window", json_integer(window_s));
	free(t.v);
}
