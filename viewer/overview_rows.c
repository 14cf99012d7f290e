/* overview_rows.c - the device list of the dashboard and /api/devices,
 * and the status counts, from the overview's Redis replies: one page read
 * through the per-status index, or the bounded scan searched, counted and
 * sorted here (see overview_int.h). */
#include "overview_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "page.h"
#include "util.h"
#include "xmalloc.h"

const char *const overview_fields[] = {"device_name", "status", "step", "error",
    "started_at", "finished_at", "users", NULL};

/* One device as the list needs it (borrowed strings from the replies). */
struct row {
	int64_t id;
	int64_t ms;   /* last update */
	size_t order; /* index in the ZREVRANGE answer */
	const char *name, *status, *step, *error;
	const json_t *hm; /* its HMGET reply */
	int rank;         /* status order for sorting */
};

bool
overview_needs_scan(const struct view *w)
{
	return w->kind == VIEW_METRICS || w->q.q[0] != '\0' ||
	       w->q.sort != QUERY_SORT_UPDATED;
}

void
overview_page_range(const struct view *w, char *start, char *stop, size_t size)
{
	long long off = (w->q.page - 1) * (long long)w->q.per;

	snprintf(start, size, "%lld", off);
	snprintf(stop, size, "%lld", off + w->q.per - 1);
}

/* Whether row r (with its HMGET reply) matches the search text q. */
static bool
row_matches(const struct row *r, const json_t *hm, const char *q)
{
	char id[32];
	json_t *users;
	const json_t *u;
	size_t i;
	bool hit = false;

	if (q[0] == '\0')
		return true;
	snprintf(id, sizeof(id), "%" PRId64, r->id);
	if (strstr(id, q) != NULL ||
	    (r->name != NULL && util_stristr(r->name, q) != NULL))
		return true;
	users = json_loads(json_string_value(json_array_get(hm, F_USERS))
			       ? json_string_value(json_array_get(hm, F_USERS))
			       : "",
	    0, NULL);
	json_array_foreach(users, i, u)
	{
		if (json_is_string(u) &&
		    util_stristr(json_string_value(u), q) != NULL) {
			hit = true;
			break;
		}
	}
	json_decref(users);
	return hit;
}

static int
status_rank(const char *s)
{
	for (int k = 0; s != NULL && page_statuses[k] != NULL; k++)
		if (strcmp(s, page_statuses[k]) == 0)
			return k;
	return 99;
}

static enum query_sort sort_by;

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = 0;

	if (sort_by == QUERY_SORT_NAME) {
		if (x->name == NULL || y->name == NULL)
			c = (x->name == NULL) - (y->name == NULL);
		else
			c = strcasecmp(x->name, y->name);
	} else if (sort_by == QUERY_SORT_STATUS)
		c = x->rank - y->rank;
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Field f of the row's HMGET reply, shared (a string), or null. */
static json_t *
row_field(const struct row *r, int f)
{
	json_t *v = json_array_get(r->hm, (size_t)f);

	return json_is_string(v) ? json_incref(v) : json_null();
}

/* A page row as JSON: the strings of the reply are shared, not copied. */
static json_t *
row_json(const struct row *r)
{
	char iso[32];
	json_t *d = json_object();

	json_object_set_new_nocheck(d, "device_id", json_integer(r->id));
	json_object_set_new_nocheck(d, "device_name", row_field(r, F_NAME));
	json_object_set_new_nocheck(d, "status", row_field(r, F_STATUS));
	json_object_set_new_nocheck(d, "step", row_field(r, F_STEP));
	json_object_set_new_nocheck(d, "error", row_field(r, F_ERROR));
	json_object_set_new_nocheck(d, "updated_at",
	    json_string_nocheck(page_iso_ms(r->ms, iso, sizeof(iso))));
	json_object_set_new_nocheck(d, "updated_at_ms", json_integer(r->ms));
	return d;
}

/* Adds one finished run's duration to the histogram in d. */
static void
add_duration(json_t *d, const json_t *hm)
{
	int64_t a, b;
	double s;
	json_t *buckets = json_object_get(d, "buckets");

	const char *sa = json_string_value(json_array_get(hm, F_STARTED));
	const char *sb = json_string_value(json_array_get(hm, F_FINISHED));

	if (sa == NULL || sb == NULL || util_parse_iso8601(sa, &a) == -1 ||
	    util_parse_iso8601(sb, &b) == -1 || b < a)
		return;
	s = (double)(b - a) / 1000;
	json_object_set_new(d, "sum",
	    json_real(json_number_value(json_object_get(d, "sum")) + s));
	for (size_t i = 0; i < API_NBUCKETS; i++)
		if (s <= api_duration_buckets[i]) {
			json_t *c = json_array_get(buckets, i);

			json_integer_set(c, json_integer_value(c) + 1);
			return;
		}
	json_object_set_new(d, "over",
	    json_integer(json_integer_value(json_object_get(d, "over")) + 1));
}

/* The row of the i-th id read, from its HMGET reply. */
static struct row
row_at(const struct view *w, const json_t *replies, size_t i)
{
	const json_t *hm = json_array_get(replies, w->row0 + i);
	struct row r = {0};

	r.id = w->idv[i].id;
	r.ms = w->idv[i].ms;
	r.order = i;
	r.hm = hm;
	r.name = json_string_value(json_array_get(hm, F_NAME));
	r.status = json_string_value(json_array_get(hm, F_STATUS));
	r.step = json_string_value(json_array_get(hm, F_STEP));
	r.error = json_string_value(json_array_get(hm, F_ERROR));
	r.rank = status_rank(r.status);
	return r;
}

/* Counts, durations and the matching rows of every device read. */
static struct row *
scan(struct view *w, const json_t *replies, json_t *counts, json_t *dur,
    size_t *nrows)
{
	struct row *rows = xcalloc(w->nids + 1, sizeof(*rows));
	size_t i, n = 0;

	for (i = 0; i < w->nids; i++) {
		const json_t *hm = json_array_get(replies, w->row0 + i);
		struct row r = row_at(w, replies, i);
		json_t *c;

		c = r.rank < 99 ? json_object_get(counts, r.status)
				: json_object_get(counts, "other");
		json_integer_set(c, json_integer_value(c) + 1);
		if (r.rank == 3 || r.rank == 4) /* done, failed */
			add_duration(dur, hm);
		if (w->q.status[0] != '\0' &&
		    (r.status == NULL || strcmp(r.status, w->q.status) != 0))
			continue;
		if (!row_matches(&r, hm, w->q.q))
			continue;
		rows[n++] = r;
	}
	*nrows = n;
	return rows;
}

/* The counts from the index: a ZCARD per status; "other" is what the
 * sets do not hold of P:devices.  Returns the ZCARD of w's status. */
static json_int_t
index_counts(const struct view *w, json_t *counts)
{
	json_int_t sum = 0, total = viewer_int_at(w->first, S1_NDEVICES),
		   mine = total;

	for (int k = 0; page_statuses[k] != NULL; k++) {
		json_int_t n = viewer_int_at(w->first, S1_BYSTATUS + (size_t)k);

		json_object_set_new(counts, page_statuses[k], json_integer(n));
		sum += n;
		if (strcmp(w->q.status, page_statuses[k]) == 0)
			mine = n;
	}
	json_object_set_new(
	    counts, "other", json_integer(total > sum ? total - sum : 0));
	return mine;
}

/* One page from the index: the ids read are the page, newest first.  On
 * a status page the time shown is the score of the status set: when the
 * device took that status. */
static json_t *
index_page(struct view *w, const json_t *replies)
{
	json_t *page = json_array();

	for (size_t i = 0; i < w->nids; i++) {
		struct row r = row_at(w, replies, i);

		json_array_append_new(page, row_json(&r));
	}
	return page;
}

json_t *
overview_list(
    struct view *w, const json_t *replies, json_t *counts, json_t *dur)
{
	json_int_t total = viewer_int_at(w->first, S1_NDEVICES), matched,
		   scanned, mine = 0;
	json_t *page, *list;

	if (w->flags & OVERVIEW_INDEX)
		mine = index_counts(w, counts);
	if (!(w->flags & OVERVIEW_SCAN) &&
	    (list = overview_list_cached(w, replies)) != NULL)
		return list; /* the same rows as last time */
	if (w->flags & OVERVIEW_SCAN) {
		json_t *scounts = json_deep_copy(counts);
		struct row *rows;
		size_t i, n, off;

		rows = scan(w, replies, scounts, dur, &n);
		if (!(w->flags & OVERVIEW_INDEX))
			json_object_update(counts, scounts);
		json_decref(scounts);
		sort_by = w->q.sort;
		if (w->q.sort != QUERY_SORT_UPDATED)
			qsort(rows, n, sizeof(*rows), row_cmp);
		page = json_array();
		for (i = off = query_offset(&w->q, n);
		     i < n && i < off + (size_t)w->q.per; i++)
			json_array_append_new(page, row_json(&rows[i]));
		free(rows);
		matched = (json_int_t)n;
		scanned = (json_int_t)w->nids;
	} else {
		page = index_page(w, replies);
		matched = mine;
		scanned = total;
	}
	list = api_devices(page, matched, scanned, total);
	json_object_set_new(list, "page", json_integer(w->q.page));
	json_object_set_new(list, "per", json_integer(w->q.per));
	json_decref(page);
	if (!(w->flags & OVERVIEW_SCAN))
		overview_list_keep(w, replies, list);
	return list;
}
