/* alerts.c - Alerts v7 search: the request body and the answer.
 *
 * The poller reads alerts by backend_timestamp, oldest first, in windows
 * that end a little before now (alerts settle asynchronously), and keeps
 * its place in Redis; this file only builds and reads the JSON. */
#include "alerts.h"

#include <stdio.h>
#include <string.h>

#include "notify.h"
#include "util.h"

/* A JSON array of the comma-separated strings in list. */
static json_t *
string_array(const char *list)
{
	json_t *a = json_array();
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ",");
		const char *s = p;

		while (len > 0 && *s == ' ')
			s++, len--;
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if (len > 0)
			json_array_append_new(a, json_stringn(s, len));
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return a;
}

static json_t *
id_array(const int64_t *ids, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

json_t *
alerts_query(const struct alert_filter *f, int64_t start_ms, int64_t end_ms,
    int rows, int offset)
{
	char start[32], end[32];
	json_t *q, *criteria = json_object();

	if (f->types != NULL && *f->types != '\0')
		json_object_set_new(criteria, "type", string_array(f->types));
	if (f->min_severity > 0)
		json_object_set_new(criteria, "minimum_severity",
		    json_integer(f->min_severity));
	if (f->policies != NULL && *f->policies != '\0')
		json_object_set_new(
		    criteria, "device_policy", string_array(f->policies));
	if (f->nallow > 0)
		json_object_set_new(
		    criteria, "device_id", id_array(f->allow, f->nallow));
	q = json_pack("{s:o, s:{s:s, s:s}, s:i, s:[{s:s, s:s}]}", "criteria",
	    criteria, "time_range", "start",
	    util_iso8601(start_ms, start, sizeof(start)), "end",
	    util_iso8601(end_ms, end, sizeof(end)), "rows", rows, "sort",
	    "field", "backend_timestamp", "order", "ASC");
	if (f->ndeny > 0)
		json_object_set_new(q, "exclusions",
		    json_pack(
			"{s:o}", "device_id", id_array(f->deny, f->ndeny)));
	if (offset > 1)
		json_object_set_new(q, "start", json_integer(offset));
	return q;
}

json_t *
alerts_results(json_t *body, long long *num_found, char *err, size_t errlen)
{
	json_t *res, *nf;

	if (!json_is_object(body)) {
		snprintf(
		    err, errlen, "alert search answer is not a JSON object");
		return NULL;
	}
	res = json_object_get(body, "results");
	if (!json_is_array(res)) {
		snprintf(
		    err, errlen, "alert search answer has no results array");
		return NULL;
	}
	nf = json_object_get(body, "num_found");
	*num_found = json_is_integer(nf) ? json_integer_value(nf)
					 : (long long)json_array_size(res);
	return res;
}

int
alerts_parse(json_t *a, struct alert *out, char *err, size_t errlen)
{
	json_t *d, *sev;
	const char *ts, *s;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(a)) {
		snprintf(err, errlen, "alert is not a JSON object");
		return -1;
	}
	out->id = json_string_value(json_object_get(a, "id"));
	if (out->id == NULL || *out->id == '\0' || strlen(out->id) > 128) {
		snprintf(err, errlen, "alert without a usable id");
		return -1;
	}
	ts = json_string_value(json_object_get(a, "backend_timestamp"));
	if (util_parse_iso8601(ts, &out->backend_ms) == -1) {
		snprintf(err, errlen,
		    "alert %s: backend_timestamp is not ISO-8601", out->id);
		return -1;
	}
	d = json_object_get(a, "device_id");
	if (json_is_integer(d))
		out->device_id = json_integer_value(d);
	else if ((s = json_string_value(d)) == NULL ||
		 util_parse_device_id(s, &out->device_id) == -1)
		out->device_id = 0;
	if (out->device_id <= 0) {
		snprintf(err, errlen, "alert %s has no device id", out->id);
		return -1;
	}
	out->type = json_string_value(json_object_get(a, "type"));
	sev = json_object_get(a, "severity");
	out->severity =
	    json_is_integer(sev) ? (int)json_integer_value(sev) : -1;
	out->device_name = json_string_value(json_object_get(a, "device_name"));
	out->policy = json_string_value(json_object_get(a, "device_policy"));
	return 0;
}

static bool
in_ids(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

bool
alerts_wanted(const struct alert_filter *f, const struct alert *a)
{
	if (f->ndeny > 0 && in_ids(f->deny, f->ndeny, a->device_id))
		return false;
	if (f->nallow > 0 && !in_ids(f->allow, f->nallow, a->device_id))
		return false;
	if (f->min_severity > 0 && a->severity < f->min_severity)
		return false;
	if (f->types != NULL && *f->types != '\0' &&
	    (a->type == NULL || !notify_type_wanted(f->types, a->type)))
		return false;
	if (f->policies != NULL && *f->policies != '\0' &&
	    (a->policy == NULL || !notify_type_wanted(f->policies, a->policy)))
		return false;
	return true;
}
