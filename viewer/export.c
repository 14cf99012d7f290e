/* export.c - a device's tables as CSV (see export.h). */
#include "export.h"

#include <string.h>

#include <event2/buffer.h>

#include "csv.h"
#include "page.h"

/* One table: its columns, and where its rows come from. */
struct table {
	const char *name;
	const char *field; /* result-hash field holding the JSON */
	const char *list;  /* per-profile list in browser_history, or NULL */
	const char *const *cols;
};

static const char *const c_visits[] = {"user", "browser", "profile",
    "visit_time", "title", "url", "transition", "visit_count", NULL};
static const char *const c_downloads[] = {"user", "browser", "profile",
    "start_time", "end_time", "target_path", "url", "url_chain", "referrer",
    "state", "danger_type", "received_bytes", "total_bytes", "mime_type", NULL};
static const char *const c_terms[] = {
    "user", "browser", "profile", "visit_time", "term", "url", "title", NULL};
static const char *const c_services[] = {"name", "key", "display_name",
    "running", "start_type", "type", "account", "image_path", "new",
    "image_path_was", NULL};
static const char *const c_timeline[] = {
    "time", "kind", "what", "text", "url", "user", "browser", "profile", NULL};

static const struct table tables[] = {
    {"visits", "browser_history", "visits", c_visits},
    {"downloads", "browser_history", "downloads", c_downloads},
    {"search_terms", "browser_history", "search_terms", c_terms},
    {"services", "services", NULL, c_services},
    {"timeline", "timeline", NULL, c_timeline},
};

static const struct table *
find(const char *name)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

bool
export_table_known(const char *table)
{
	return table != NULL && find(table) != NULL;
}

/* One row: each column from row, or (user, browser, profile) from the
 * profile p when the row has no such field; a bare string row (an old
 * service) fills the first column. */
static void
row(struct evbuffer *out, const struct table *t, const json_t *p,
    const json_t *r)
{
	for (int c = 0; t->cols[c] != NULL; c++) {
		const json_t *v = json_object_get(r, t->cols[c]);

		if (v == NULL && p != NULL)
			v = json_object_get(p, t->cols[c]);
		if (v == NULL && c == 0 && json_is_string(r))
			v = r;
		csv_value(out, v, c == 0);
	}
	csv_end_row(out);
}

size_t
export_csv(struct evbuffer *out, const char *table, const json_t *fields)
{
	const struct table *t = find(table);
	json_t *data;
	const json_t *p, *r;
	size_t i, j, n = 0;

	if (t == NULL)
		return 0;
	csv_header(out, t->cols);
	data = page_parse(fields, t->field);
	if (t->list == NULL) {
		json_array_foreach(data, i, r)
		{
			if (n >= CSV_MAX_ROWS)
				break;
			row(out, t, NULL, r);
			n++;
		}
		json_decref(data);
		return n;
	}
	json_array_foreach(data, i, p)
	{
		json_array_foreach(json_object_get(p, t->list), j, r)
		{
			if (n >= CSV_MAX_ROWS)
				break;
			row(out, t, p, r);
			n++;
		}
	}
	json_decref(data);
	return n;
}
