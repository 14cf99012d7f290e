/* viewer_reply.c - the viewer's replies (viewer_int.h): every handler
 * ends in exactly one, with the security headers, a HEAD answered without
 * its body, and a 503 in the shape its route speaks when Redis is away;
 * and the small helpers every route uses (its view, keys, numbers, the
 * client's address, Redis's memory).
 *
 * libevent 2.1 keeps a request alive until it is answered even when the
 * client has gone away (evhttp_send_reply then just frees it), so a late
 * answer is always safe.  After evhttp_send_reply the evbuffer is empty
 * but still ours to free. */
#include "viewer_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "util.h"
#include "xmalloc.h"

const char viewer_ct_html[] = "text/html; charset=utf-8";
const char viewer_ct_json[] = "application/json";
const char viewer_ct_text[] = "text/plain; charset=utf-8";
const char viewer_ct_prom[] = "text/plain; version=0.0.4; charset=utf-8";
const char viewer_ct_csv[] = "text/csv; charset=utf-8";

static const char *
method_name(enum evhttp_cmd_type m)
{
	return m == EVHTTP_REQ_HEAD   ? "HEAD"
	       : m == EVHTTP_REQ_POST ? "POST"
				      : "GET";
}

void
viewer_headers(struct evhttp_request *req, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, "Content-Type");
	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	http_security_headers(h);
}

void
viewer_reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	viewer_headers(req, ctype);
	log_debug("%s %.200s %d", method_name(evhttp_request_get_command(req)),
	    evhttp_request_get_uri(req), code);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* libevent would send the body after a HEAD's headers, which
		 * breaks the framing of the next response on the connection:
		 * the length only, no body. */
		char len[32];

		snprintf(len, sizeof(len), "%zu",
		    body ? evbuffer_get_length(body) : (size_t)0);
		evhttp_remove_header(h, "Content-Length");
		evhttp_add_header(h, "Content-Length", len);
		evhttp_send_reply(req, code, reason, NULL);
		return;
	}
	evhttp_send_reply(req, code, reason, body);
}

void
viewer_reply_text(
    struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	viewer_reply(req, code, reason, viewer_ct_text, b);
	evbuffer_free(b);
}

void
viewer_reply_page(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	page_message(b, title, text);
	viewer_reply(req, code, reason, viewer_ct_html, b);
	evbuffer_free(b);
}

void
viewer_reply_json(
    struct evhttp_request *req, int code, const char *reason, json_t *v)
{
	struct evbuffer *b = evbuffer_new();
	char *s = api_dump(v);

	evbuffer_add(b, s, strlen(s));
	viewer_reply(req, code, reason, viewer_ct_json, b);
	evbuffer_free(b);
	free(s);
	json_decref(v);
}

void
viewer_reply_json_error(
    struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	viewer_reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

void
viewer_unavailable(struct view *w)
{
	switch (w->kind) {
	case VIEW_API_STATS:
	case VIEW_API_DEVICES:
	case VIEW_DEVICE_JSON:
	case VIEW_COLLECT:
		viewer_reply_json_error(
		    w->req, 503, "Service Unavailable", "redis unavailable");
		break;
	case VIEW_METRICS:
	case VIEW_HEALTH:
	case VIEW_CSV:
	case VIEW_ARTIFACT:
		viewer_reply_text(
		    w->req, 503, "Service Unavailable", "redis unavailable\n");
		break;
	default:
		viewer_reply_page(w->req, 503, "Service Unavailable",
		    "Redis unavailable",
		    "The results store (Redis) is not "
		    "reachable right now. The viewer keeps retrying; reload "
		    "this page in a few seconds.");
		break;
	}
}

struct view *
viewer_view_new(struct viewer *v, struct evhttp_request *req,
    enum view_kind kind, int per_default, int per_max)
{
	struct view *w = xcalloc(1, sizeof(*w));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

	w->v = v;
	w->req = req;
	w->kind = kind;
	query_parse(uri ? evhttp_uri_get_query(uri) : NULL, per_default,
	    per_max, &w->q);
	viewer_peer(req, w->addr, sizeof(w->addr));
	return w;
}

void
viewer_view_free(struct view *w)
{
	if (w == NULL)
		return;
	json_decref(w->first);
	json_decref(w->second);
	free(w->idv);
	json_decref(w->ctx);
	free(w);
}

char *
viewer_key(const struct viewer *v, const char *name, const char *id)
{
	if (id != NULL)
		return xasprintf("%s:%s:%s", v->cfg->prefix, name, id);
	return xasprintf("%s:%s", v->cfg->prefix, name);
}

json_int_t
viewer_int_at(const json_t *arr, size_t i)
{
	const json_t *j = json_array_get(arr, i);

	if (json_is_string(j)) {
		long long n;

		if (util_parse_int(json_string_value(j), 0, INT64_MAX, &n) == 0)
			return n;
		return 0;
	}
	return json_is_integer(j) ? json_integer_value(j) : 0;
}

void
viewer_peer(struct evhttp_request *req, char *buf, size_t size)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &host, &port);
	snprintf(buf, size, "%s", host != NULL && *host != '\0' ? host : "-");
}

/* Reads "name:value" from an INFO answer: the value, or -1. */
static long long
info_field(const char *info, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = info; p != NULL && *p != '\0';) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

json_t *
viewer_redis_memory(const json_t *reply)
{
	const char *info = json_string_value(reply);
	long long used = info ? info_field(info, "used_memory") : -1;
	long long max = info ? info_field(info, "maxmemory") : -1;

	return json_pack("{s:I, s:I, s:b}", "used", (json_int_t)used, "max",
	    (json_int_t)max, "full", max > 0 && used >= max);
}
