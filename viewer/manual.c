/* manual.c - collect now (see manual.h). */
#include "manual.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "audit.h"
#include "csrf.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "viewer_int.h"
#include "xmalloc.h"

#define MANUAL_MAX_BODY 1024 /* a form with one token; evhttp caps it too */

/* The request waiting for its XADD. */
struct manual {
	struct viewer *v;
	struct evhttp_request *req;
	int64_t id;
	bool form; /* a form post (303), not an API call (202) */
	char addr[64];
};

static void
refuse(struct evhttp_request *req, bool form, const char *why)
{
	if (form)
		viewer_reply_page(
		    req, 403, "Forbidden", "Request refused", why);
	else
		viewer_reply_json_error(req, 403, "Forbidden", why);
}

/* The token field of a urlencoded form body, copied into out ("" if
 * none). */
static void
form_token(struct evhttp_request *req, char *out, size_t size)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ctype = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t n = evbuffer_get_length(in);
	struct evkeyvalq params;
	const char *tok;
	char body[MANUAL_MAX_BODY + 1];

	out[0] = '\0';
	if (ctype == NULL ||
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0 ||
	    n > MANUAL_MAX_BODY)
		return;
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	if (evhttp_parse_query_str(body, &params) == -1)
		return;
	if ((tok = evhttp_find_header(&params, "token")) != NULL)
		snprintf(out, size, "%s", tok);
	evhttp_clear_headers(&params);
}

static void
manual_done(json_t *replies, void *arg)
{
	struct manual *m = arg;
	const char *sid = json_string_value(json_array_get(replies, 0));
	char loc[80];

	if (sid == NULL) {
		log_warnx("could not record a collect request for device "
			  "%" PRId64,
		    m->id);
		if (m->form)
			viewer_reply_page(m->req, 503, "Service Unavailable",
			    "Request not recorded",
			    "The results store (Redis) did not take the "
			    "request. Try again in a few seconds.");
		else
			viewer_reply_json_error(m->req, 503,
			    "Service Unavailable", "redis unavailable");
		free(m);
		return;
	}
	log_info("collect requested for device %" PRId64 " by %s from %s",
	    m->id, m->v->user, m->addr);
	if (m->form) {
		snprintf(loc, sizeof(loc),
		    "/device/%" PRId64 "?collect=requested", m->id);
		evhttp_add_header(
		    evhttp_request_get_output_headers(m->req), "Location", loc);
		viewer_reply_page(m->req, 303, "See Other",
		    "Collection requested", "Back to the device page.");
	} else {
		viewer_reply_json(m->req, 202, "Accepted",
		    json_pack("{s:b, s:I, s:s}", "requested", 1, "device_id",
			(json_int_t)m->id, "request", sid));
	}
	audit_record(m->v, "collect", m->id, m->addr);
	free(m);
}

void
manual_collect(struct viewer *v, struct evhttp_request *req, int64_t id)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *hdr = evhttp_find_header(h, "X-LRFlow-Token");
	struct store_batch *b;
	struct manual *m;
	char tok[CSRF_TOKEN_LEN + 8], dev[32], iso[32], *k;
	bool form = hdr == NULL;

	if (!csrf_origin_ok(evhttp_find_header(h, "Origin"),
		evhttp_find_header(h, "Referer"), evhttp_find_header(h, "Host"),
		!form)) {
		refuse(req, form,
		    "This request did not come from a page of this viewer.");
		return;
	}
	if (form)
		form_token(req, tok, sizeof(tok));
	else
		snprintf(tok, sizeof(tok), "%s", hdr);
	if (!csrf_token_ok(v->secret, v->user, tok)) {
		refuse(req, form,
		    "The request's token is missing or stale: reload the "
		    "device page and try again.");
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->v = v;
	m->req = req;
	m->id = id;
	m->form = form;
	viewer_peer(req, m->addr, sizeof(m->addr));
	snprintf(dev, sizeof(dev), "%" PRId64, id);
	k = viewer_key(v, "requests", NULL);
	b = store_batch_new(v->store, manual_done, m);
	store_batch_add(b, "XADD", k, "MAXLEN", "~", MANUAL_MAXLEN, "*",
	    "device_id", dev, "who", v->user, "at",
	    util_iso8601(util_now_ms(), iso, sizeof(iso)), "source", "manual",
	    NULL);
	store_batch_run(b);
	free(k);
}
