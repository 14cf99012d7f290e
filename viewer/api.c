/* api.c - JSON and Prometheus bodies for the viewer's machine routes. */
#include "api.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "page.h"
#include "xmalloc.h"

#define API_RESPONSES "api_responses_"

const char *const api_json_fields[] = {"alert_ids", "alert", "services",
    "users", "logged_in", "browser_history", "timeline", "timeline_total",
    "timeline_window", "sensor_states", NULL};

const double api_duration_buckets[API_NBUCKETS] = {
    30, 60, 120, 300, 600, 1200, 1800, 3600};

static bool
is_json_field(const char *name)
{
	int i;

	for (i = 0; api_json_fields[i] != NULL; i++)
		if (strcmp(api_json_fields[i], name) == 0)
			return true;
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
api_device(const json_t *fields)
{
	json_t *obj = json_object();
	size_t n = 0, i;
	const char **keys;
	const char *key;
	json_t *v;

	/* sorted keys: HGETALL order is the hash's, i.e. arbitrary */
	keys = xcalloc(json_object_size(fields) + 1, sizeof(*keys));
	json_object_foreach((json_t *)fields, key, v) keys[n++] = key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		json_t *parsed = NULL;

		v = json_object_get(fields, keys[i]);
		if (is_json_field(keys[i]) && json_is_string(v))
			parsed = json_loads(
			    json_string_value(v), JSON_DECODE_ANY, NULL);
		if (parsed != NULL)
			json_object_set_new(obj, keys[i], parsed);
		else
			json_object_set(obj, keys[i], v);
	}
	free(keys);
	return obj;
}

json_t *
api_devices(const json_t *devices, json_int_t matched, json_int_t scanned,
    json_int_t total)
{
	json_t *list = json_is_array(devices) ? json_copy((json_t *)devices)
					      : json_array();

	return json_pack("{s:o, s:I, s:I, s:I, s:I}", "devices", list, "count",
	    (json_int_t)json_array_size(list), "matched", matched, "scanned",
	    scanned, "total", total);
}

/* True for a name Prometheus accepts after "lrflow_" ([a-z0-9_]). */
static bool
metric_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 100)
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* One gauge with its HELP and TYPE lines. */
static void
gauge(struct evbuffer *out, const char *name, const char *help, const json_t *v)
{
	evbuffer_add_printf(out,
	    "# HELP lrflow_%s %s\n# TYPE lrflow_%s gauge\n"
	    "lrflow_%s %" JSON_INTEGER_FORMAT "\n",
	    name, help, name, name, json_integer_value(v));
}

/* Carbon Black API answers by status, from the P:stats counters
 * "api_responses_<code>" the workers and the poller keep. */
static void
api_responses(struct evbuffer *out, const json_t *stats)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach((json_t *)stats, key, v)
	{
		const char *code = key + strlen(API_RESPONSES);

		if (strncmp(key, API_RESPONSES, strlen(API_RESPONSES)) != 0 ||
		    !json_is_integer(v) || strlen(code) != 3 ||
		    strspn(code, "0123456789") != 3)
			continue;
		if (n++ == 0)
			evbuffer_add_printf(out,
			    "# HELP lrflow_api_responses_total Carbon Black "
			    "Cloud API answers, by HTTP status.\n"
			    "# TYPE lrflow_api_responses_total counter\n");
		evbuffer_add_printf(out,
		    "lrflow_api_responses_total{code=\"%s\"} "
		    "%" JSON_INTEGER_FORMAT "\n",
		    code, json_integer_value(v));
	}
}

/* The collection durations: {"buckets": [n per API_NBUCKETS bound, not
 * cumulative], "over": n, "sum": seconds}. */
static void
api_durations(struct evbuffer *out, const json_t *d)
{
	const json_t *b = json_object_get(d, "buckets");
	json_int_t cum = 0;

	if (!json_is_array(b) || json_array_size(b) != API_NBUCKETS)
		return;
	evbuffer_add_printf(out,
	    "# HELP lrflow_collection_duration_seconds How long each "
	    "device's latest finished collection took (started_at to "
	    "finished_at).\n"
	    "# TYPE lrflow_collection_duration_seconds histogram\n");
	for (size_t i = 0; i < API_NBUCKETS; i++) {
		cum += json_integer_value(json_array_get(b, i));
		evbuffer_add_printf(out,
		    "lrflow_collection_duration_seconds_bucket{le=\"%g\"} "
		    "%" JSON_INTEGER_FORMAT "\n",
		    api_duration_buckets[i], cum);
	}
	cum += json_integer_value(json_object_get(d, "over"));
	evbuffer_add_printf(out,
	    "lrflow_collection_duration_seconds_bucket{le=\"+Inf\"} "
	    "%" JSON_INTEGER_FORMAT "\n"
	    "lrflow_collection_duration_seconds_sum %.3f\n"
	    "lrflow_collection_duration_seconds_count %" JSON_INTEGER_FORMAT
	    "\n",
	    cum, json_number_value(json_object_get(d, "sum")), cum);
}

void
api_metrics(struct evbuffer *out, const json_t *overview)
{
	const json_t *counts = json_object_get(overview, "status_counts");
	const json_t *stats = json_object_get(overview, "stats");
	const json_t *mem;
	const char *key;
	json_t *v;
	int i;

	gauge(out, "queue_depth", "Jobs waiting in the queue.",
	    json_object_get(overview, "queue_depth"));
	gauge(out, "inflight",
	    "Devices with a job queued, running or deferred.",
	    json_object_get(overview, "inflight"));
	gauge(out, "workers_live", "Workers with a heartbeat in the last 30 s.",
	    json_object_get(overview, "workers_live"));
	gauge(out, "sessions_in_use", "Live Response sessions in use.",
	    json_object_get(overview, "sessions_in_use"));
	gauge(out, "dead", "Jobs in the dead letter set.",
	    json_object_get(overview, "dead"));
	gauge(out, "retry_depth", "Deferred jobs waiting for their retry.",
	    json_object_get(overview, "retry_depth"));
	mem = json_object_get(overview, "redis_memory");
	gauge(out, "redis_used_memory_bytes", "Memory Redis uses.",
	    json_object_get(mem, "used"));
	gauge(out, "redis_maxmemory_bytes", "Redis's maxmemory (0: none).",
	    json_object_get(mem, "max"));
	v = json_integer(json_is_true(json_object_get(mem, "full")));
	gauge(out, "redis_writes_refused",
	    "1 when Redis is out of memory and refuses writes.", v);
	json_decref(v);
	evbuffer_add_printf(out, "# HELP lrflow_devices Devices by result "
				 "status.\n# TYPE lrflow_devices gauge\n");
	for (i = 0; page_statuses[i] != NULL; i++)
		evbuffer_add_printf(out,
		    "lrflow_devices{status=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
		    page_statuses[i],
		    json_integer_value(
			json_object_get(counts, page_statuses[i])));
	if (json_is_integer(json_object_get(overview, "session_limit")))
		gauge(out, "session_limit",
		    "The Live Response session budget (--session-limit).",
		    json_object_get(overview, "session_limit"));
	api_responses(out, stats);
	api_durations(out, json_object_get(overview, "durations"));
	json_object_foreach((json_t *)stats, key, v)
	{
		if (!json_is_integer(v) || !metric_name_ok(key) ||
		    strncmp(key, API_RESPONSES, strlen(API_RESPONSES)) == 0)
			continue;
		evbuffer_add_printf(out,
		    "# TYPE lrflow_%s_total counter\n"
		    "lrflow_%s_total %" JSON_INTEGER_FORMAT "\n",
		    key, key, json_integer_value(v));
	}
}

/* A growing text buffer for api_dump(). */
struct out {
	char *p;
	size_t n, cap;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		while (o->n + n + 1 > o->cap)
			o->cap = o->cap ? o->cap * 2 : 4096;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

/* The bytes a JSON string escapes (see out_string). */
static const unsigned char special[256] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1,                                     /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    ['"'] = 1, ['\\'] = 1};

/* A JSON string as jansson writes one: '"' and '\\' escaped, control
 * characters as \b \f \n \r \t or \u00XX, everything else (valid UTF-8:
 * jansson keeps nothing else) as it is. */
static void
out_string(struct out *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	out_add(o, "\"", 1);
	for (;;) {
		char esc[8];

		while (i < n && !special[p[i]])
			i++;
		out_add(o, s + run, i - run);
		if (i >= n)
			break;
		switch (p[i]) {
		case '"':
			out_add(o, "\\\"", 2);
			break;
		case '\\':
			out_add(o, "\\\\", 2);
			break;
		case '\b':
			out_add(o, "\\b", 2);
			break;
		case '\f':
			out_add(o, "\\f", 2);
			break;
		case '\n':
			out_add(o, "\\n", 2);
			break;
		case '\r':
			out_add(o, "\\r", 2);
			break;
		case '\t':
			out_add(o, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", p[i]);
			out_add(o, esc, 6);
		}
		run = ++i;
	}
	out_add(o, "\"", 1);
}

/* An integer in decimal (snprintf costs more than all the rest of a
 * row). */
static void
out_int(struct out *o, json_int_t v)
{
	char buf[24];
	size_t i = sizeof(buf);
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		buf[--i] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		buf[--i] = '-';
	out_add(o, buf + i, sizeof(buf) - i);
}

static void
out_value(struct out *o, const json_t *v)
{
	const char *key;
	const json_t *e;
	size_t i;
	char *s;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out_add(o, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, e)
		{
			if (i++ > 0)
				out_add(o, ",", 1);
			out_string(o, key, strlen(key));
			out_add(o, ":", 1);
			out_value(o, e);
		}
		out_add(o, "}", 1);
		break;
	case JSON_ARRAY:
		out_add(o, "[", 1);
		json_array_foreach(v, i, e)
		{
			if (i > 0)
				out_add(o, ",", 1);
			out_value(o, e);
		}
		out_add(o, "]", 1);
		break;
	case JSON_STRING:
		out_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		out_int(o, json_integer_value(v));
		break;
	case JSON_REAL: /* rare: jansson's own text, digit for digit */
		s = json_dumps(v, JSON_ENCODE_ANY);
		out_add(o, s ? s : "null", s ? strlen(s) : 4);
		free(s);
		break;
	case JSON_TRUE:
		out_add(o, "true", 4);
		break;
	case JSON_FALSE:
		out_add(o, "false", 5);
		break;
	default:
		out_add(o, "null", 4);
		break;
	}
}

/* The same text as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), written
 * in one pass into one buffer: jansson's dump goes through a callback per
 * piece, several times slower on the device lists. */
char *
api_dump(const json_t *v)
{
	struct out o = {0};

	if (v == NULL)
		return xstrdup("null\n");
	out_value(&o, v);
	out_add(&o, "\n", 1);
	o.p[o.n] = '\0';
	return o.p;
}
