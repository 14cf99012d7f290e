/* detail.c - one device: its page, its browser history views, its JSON
 * (the whole result, compact) and its tables as CSV; each a GET of the
 * result hash and the run history in one batch, recorded in the audit
 * trail once answered.  /device/<id>/artifact/<sha256> goes to blob.c and
 * POST /api/devices/<id>/collect to manual.c. */
#include "viewer_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "audit.h"
#include "blob.h"
#include "config.h"
#include "export.h"
#include "manual.h"
#include "page.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define DETAIL_RUNS_MAX 50 /* past runs read (the worker keeps 20) */

/* Splits "<id>[/tail]": the id into *id, the rest after '/' (or "") into
 * *tail.  0, or -1 when the part before it is not a device id. */
static int
split(const char *rest, int64_t *id, const char **tail)
{
	const char *slash = strchr(rest, '/');
	char buf[32];

	if (slash == NULL) {
		*tail = "";
		return util_parse_device_id(rest, id);
	}
	if ((size_t)(slash - rest) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - rest), rest);
	*tail = slash + 1;
	return util_parse_device_id(buf, id);
}

static void
bad_id(struct evhttp_request *req, bool json)
{
	if (json)
		viewer_reply_json_error(
		    req, 400, "Bad Request", "a device id is a decimal number");
	else
		viewer_reply_page(req, 400, "Bad Request", "Bad device id",
		    "A device id is a decimal number.");
}

static void
not_found(struct evhttp_request *req, bool json)
{
	if (json)
		viewer_reply_json_error(req, 404, "Not Found", "no such route");
	else
		viewer_reply_page(req, 404, "Not Found", "Not found",
		    "There is no such page.");
}

/* Content-Disposition: attachment, with a name we built (safe). */
static void
attachment(struct evhttp_request *req, const char *name)
{
	char v[160];

	snprintf(v, sizeof(v), "attachment; filename=\"%s\"", name);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Disposition", v);
}

static void
reply_device_json(struct view *w, const json_t *fields)
{
	char name[64];

	if (w->q.download) {
		snprintf(name, sizeof(name), "device-%" PRId64 ".json", w->id);
		attachment(w->req, name);
	}
	viewer_reply_json(w->req, 200, "OK", api_device(fields));
}

static void
reply_csv(struct view *w, const json_t *fields)
{
	struct evbuffer *b = evbuffer_new();
	char name[96];

	snprintf(
	    name, sizeof(name), "device-%" PRId64 "-%s.csv", w->id, w->arg);
	attachment(w->req, name);
	export_csv(b, w->arg, fields);
	viewer_reply(w->req, 200, "OK", viewer_ct_csv, b);
	evbuffer_free(b);
}

static void
device_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	struct viewer *v = w->v;
	struct page_ctx ctx = {
	    util_now_ms(), v->cfg->prefix, v->token, NULL, NULL, 0};
	const char *action = "view_device";
	json_t *fields;
	const json_t *runs;
	struct evbuffer *b;

	if (replies == NULL) {
		viewer_unavailable(w);
		viewer_view_free(w);
		return;
	}
	fields = store_pairs(json_array_get(replies, 0));
	runs = json_array_get(replies, 1);
	if (json_object_size(fields) == 0) {
		if (w->kind == VIEW_DEVICE_JSON)
			viewer_reply_json_error(
			    w->req, 404, "Not Found", "unknown device");
		else if (w->kind == VIEW_CSV)
			viewer_reply_text(
			    w->req, 404, "Not Found", "unknown device\n");
		else
			viewer_reply_page(w->req, 404, "Not Found",
			    "Unknown device",
			    "There is no result for this device.");
		json_decref(fields);
		viewer_view_free(w);
		return;
	}
	switch (w->kind) {
	case VIEW_DEVICE_JSON:
		reply_device_json(w, fields);
		action = "export";
		break;
	case VIEW_CSV:
		reply_csv(w, fields);
		action = "export";
		break;
	case VIEW_HISTORY:
		b = evbuffer_new();
		page_history(b, &ctx, w->id, fields, &w->q);
		viewer_reply(w->req, 200, "OK", viewer_ct_html, b);
		evbuffer_free(b);
		action = "view_history";
		break;
	default:
		b = evbuffer_new();
		page_device(b, &ctx, w->id, fields,
		    json_is_array(runs) ? runs : NULL, &w->q);
		viewer_reply(w->req, 200, "OK", viewer_ct_html, b);
		evbuffer_free(b);
		break;
	}
	/* after the answer: the audit never holds a page back */
	audit_record(v, action, w->id, w->addr);
	json_decref(fields);
	viewer_view_free(w);
}

static void
device_start(struct view *w)
{
	struct viewer *v = w->v;
	struct store_batch *b = store_batch_new(v->store, device_done, w);
	char canon[32], stop[16], *k;

	snprintf(canon, sizeof(canon), "%" PRId64, w->id);
	snprintf(stop, sizeof(stop), "%d", DETAIL_RUNS_MAX - 1);
	k = viewer_key(v, "result", canon);
	store_batch_add(b, "HGETALL", k, NULL);
	free(k);
	k = viewer_key(v, "runs", canon);
	store_batch_add(b, "LRANGE", k, "0", stop, NULL);
	free(k);
	store_batch_run(b);
}

/* "visits.csv" -> "visits" in w->arg, when it is a table we export. */
static bool
csv_table(const char *tail, char *out, size_t size)
{
	size_t n = strlen(tail);

	if (n < 5 || n - 4 >= size || strcmp(tail + n - 4, ".csv") != 0)
		return false;
	snprintf(out, size, "%.*s", (int)(n - 4), tail);
	return export_table_known(out);
}

/* True for 64 lowercase hex digits. */
static bool
is_sha256(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

void
detail_route(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	const char *tail;
	struct view *w;
	int64_t id;
	char table[32];

	if (split(rest, &id, &tail) == -1) {
		bad_id(req, false);
		return;
	}
	if (*tail == '\0') {
		w = viewer_view_new(v, req, VIEW_DEVICE_HTML, QUERY_ROWS_PER,
		    QUERY_ROWS_PER_MAX);
	} else if (strcmp(tail, "history") == 0) {
		w = viewer_view_new(
		    v, req, VIEW_HISTORY, QUERY_ROWS_PER, QUERY_ROWS_PER_MAX);
	} else if (csv_table(tail, table, sizeof(table))) {
		w = viewer_view_new(v, req, VIEW_CSV, 1, 1);
		snprintf(w->arg, sizeof(w->arg), "%s", table);
	} else if (strncmp(tail, "artifact/", 9) == 0 && is_sha256(tail + 9)) {
		w = viewer_view_new(v, req, VIEW_ARTIFACT, 1, 1);
		w->id = id;
		snprintf(w->arg, sizeof(w->arg), "%s", tail + 9);
		blob_start(w);
		return;
	} else {
		not_found(req, false);
		return;
	}
	w->id = id;
	device_start(w);
}

void
detail_api_route(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	const char *tail;
	struct view *w;
	int64_t id;

	if (split(rest, &id, &tail) == -1) {
		bad_id(req, true);
		return;
	}
	if (strcmp(tail, "collect") == 0) {
		if (post) {
			manual_collect(v, req, id);
			return;
		}
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", "POST");
		viewer_reply_json_error(
		    req, 405, "Method Not Allowed", "collect now is a POST");
		return;
	}
	if (*tail != '\0') {
		not_found(req, true);
		return;
	}
	if (post) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		viewer_reply_json_error(req, 405, "Method Not Allowed",
		    "this route only reads: GET and HEAD");
		return;
	}
	w = viewer_view_new(v, req, VIEW_DEVICE_JSON, 1, 1);
	w->id = id;
	device_start(w);
}
