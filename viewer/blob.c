/* blob.c - a raw artifact, checked and streamed (see blob.h).
 *
 * libevent 2.1: while a reply is streamed (evhttp_send_reply_start), a
 * client that goes away leaves the request alive but detached from its
 * connection (evhttp_request_get_connection() is NULL) and the flush
 * callback of the last chunk never runs; a one-second check notices it
 * and ends the reply, which frees the request.  Connection: close, so a
 * file that expires in the middle ends the connection short of its
 * Content-Length, which the client sees as an error, instead of
 * misframing a next response. */
#include "blob.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "audit.h"
#include "log.h"
#include "store.h"
#include "viewer_int.h"
#include "xmalloc.h"

/* One download under way. */
struct blob {
	struct viewer *v;
	struct evhttp_request *req;
	char *key;           /* P:artifact:<sha256> */
	size_t len, off;     /* bytes in all, bytes sent */
	struct event *check; /* one-second watch for a vanished client */
	int busy;            /* 1: a GETRANGE is pending, 2: a flush */
	struct blob *next;   /* v's list */
};

/* Downloads under way, per viewer (one viewer per process in practice;
 * tests run two). */
static struct blob *blobs;

static void blob_next(struct blob *b);

static void
blob_unlink(struct blob *b)
{
	struct blob **p;

	for (p = &blobs; *p != NULL; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
}

/* Ends the reply (frees the request when the client has gone) and b. */
static void
blob_end(struct blob *b)
{
	blob_unlink(b);
	evhttp_send_reply_end(b->req);
	if (b->check != NULL)
		event_free(b->check);
	free(b->key);
	free(b);
}

static void
blob_flushed(struct evhttp_connection *c, void *arg)
{
	struct blob *b = arg;

	(void)c;
	b->busy = 0;
	blob_next(b);
}

static void
blob_chunk(const char *data, size_t len, bool ok, void *arg)
{
	struct blob *b = arg;
	struct evbuffer *buf;

	b->busy = 0;
	if (evhttp_request_get_connection(b->req) == NULL) {
		blob_end(b);
		return;
	}
	if (!ok || len == 0) {
		log_warnx("artifact %s ended after %zu of %zu bytes", b->key,
		    b->off, b->len);
		blob_end(b);
		return;
	}
	if (len > b->len - b->off)
		len = b->len - b->off;
	buf = evbuffer_new();
	evbuffer_add(buf, data, len);
	b->off += len;
	b->busy = 2;
	evhttp_send_reply_chunk_with_cb(b->req, buf, blob_flushed, b);
	evbuffer_free(buf);
}

static void
blob_next(struct blob *b)
{
	char from[32], to[32];
	size_t n = b->len - b->off;

	if (n == 0) {
		blob_end(b);
		return;
	}
	if (n > BLOB_CHUNK)
		n = BLOB_CHUNK;
	snprintf(from, sizeof(from), "%zu", b->off);
	snprintf(to, sizeof(to), "%zu", b->off + n - 1);
	b->busy = 1;
	store_raw(
	    b->v->store, blob_chunk, b, "GETRANGE", b->key, from, to, NULL);
}

static void
blob_check(evutil_socket_t fd, short what, void *arg)
{
	struct blob *b = arg;

	(void)fd;
	(void)what;
	/* waiting for a flush that cannot come: the client is gone */
	if (evhttp_request_get_connection(b->req) == NULL && b->busy == 2)
		blob_end(b);
}

void
blob_abort_all(struct viewer *v)
{
	struct blob *b, *next;

	for (b = blobs; b != NULL; b = next) {
		next = b->next;
		if (b->v == v)
			blob_end(b);
	}
}

/* ---------------------------------------------------------------- */
/* Which file, and whether it may be served */

static void
part(char *out, size_t size, const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		s = "unknown";
	for (; *s != '\0' && n < 40 && n + 1 < size; s++, n++)
		out[n] =
		    ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
			(*s == '.' && n > 0))
			? *s
			: '_';
	out[n] = '\0';
}

void
blob_filename(char *out, size_t size, const char *user, const char *browser,
    const char *profile)
{
	char u[48], b[48], p[48];

	part(u, sizeof(u), user);
	part(b, sizeof(b), browser);
	part(p, sizeof(p), profile);
	snprintf(out, size, "History-%s-%s-%s.sqlite", u, b, p);
}

/* A new {"user","browser","profile"} of the entry of list naming sha. */
static json_t *
named_in(const json_t *list, const char *sha)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		const char *s = json_string_value(json_object_get(e, "sha256"));

		if (s != NULL && strcmp(s, sha) == 0)
			return json_pack("{s:O?, s:O?, s:O?}", "user",
			    json_object_get(e, "user"), "browser",
			    json_object_get(e, "browser"), "profile",
			    json_object_get(e, "profile"));
	}
	return NULL;
}

json_t *
blob_find(const json_t *history, const json_t *runs, const char *sha)
{
	const json_t *r;
	json_t *hit = named_in(history, sha), *o, *bh;
	size_t i;

	json_array_foreach(runs, i, r)
	{
		if (hit != NULL)
			break;
		o = json_is_string(r)
			? json_loads(json_string_value(r), 0, NULL)
			: json_incref((json_t *)r);
		hit = named_in(json_object_get(o, "artifacts"), sha);
		/* a run archived before runs had "artifacts" keeps its
		 * browser_history (the JSON text as stored) */
		bh = json_object_get(o, "browser_history");
		bh = json_is_string(bh)
			 ? json_loads(json_string_value(bh), 0, NULL)
			 : json_incref(bh);
		if (hit == NULL)
			hit = named_in(bh, sha);
		json_decref(bh);
		json_decref(o);
	}
	return hit;
}

/* HGET browser_history, LRANGE runs, STRLEN artifact: check, then go. */
static void
blob_checked(json_t *replies, void *arg)
{
	struct view *w = arg;
	json_t *hist = NULL, *who = NULL;
	long long len = viewer_int_at(replies, 2);
	struct blob *b;
	char name[200], clen[32];
	struct timeval sec = {1, 0};

	if (replies == NULL) {
		viewer_unavailable(w);
		goto out;
	}
	if (json_is_string(json_array_get(replies, 0)))
		hist = json_loads(
		    json_string_value(json_array_get(replies, 0)), 0, NULL);
	who = blob_find(hist, json_array_get(replies, 1), w->arg);
	if (who == NULL) {
		viewer_reply_text(w->req, 404, "Not Found",
		    "this device names no such file\n");
		goto out;
	}
	if (len <= 0) {
		viewer_reply_text(w->req, 404, "Not Found",
		    "the raw file is no longer kept (--artifact-ttl)\n");
		goto out;
	}
	blob_filename(name, sizeof(name),
	    json_string_value(json_object_get(who, "user")),
	    json_string_value(json_object_get(who, "browser")),
	    json_string_value(json_object_get(who, "profile")));
	viewer_headers(w->req, "application/octet-stream");
	{
		struct evkeyvalq *h = evhttp_request_get_output_headers(w->req);
		char disp[260];

		snprintf(
		    disp, sizeof(disp), "attachment; filename=\"%s\"", name);
		snprintf(clen, sizeof(clen), "%lld", len);
		evhttp_add_header(h, "Content-Disposition", disp);
		evhttp_remove_header(h, "Content-Length");
		evhttp_add_header(h, "Content-Length", clen);
		evhttp_add_header(h, "Connection", "close");
	}
	audit_record(w->v, "artifact", w->id, w->addr);
	if (evhttp_request_get_command(w->req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(w->req, 200, "OK", NULL);
		goto out;
	}
	b = xcalloc(1, sizeof(*b));
	b->v = w->v;
	b->req = w->req;
	b->key = viewer_key(w->v, "artifact", w->arg);
	b->len = (size_t)len;
	b->check = event_new(w->v->base, -1, EV_PERSIST, blob_check, b);
	event_add(b->check, &sec);
	b->next = blobs;
	blobs = b;
	evhttp_send_reply_start(w->req, 200, "OK");
	blob_next(b);
out:
	json_decref(hist);
	json_decref(who);
	viewer_view_free(w);
}

void
blob_start(struct view *w)
{
	struct viewer *v = w->v;
	struct store_batch *b = store_batch_new(v->store, blob_checked, w);
	char canon[32], *k;

	snprintf(canon, sizeof(canon), "%" PRId64, w->id);
	k = viewer_key(v, "result", canon);
	store_batch_add(b, "HGET", k, "browser_history", NULL);
	free(k);
	k = viewer_key(v, "runs", canon);
	store_batch_add(b, "LRANGE", k, "0", "49", NULL);
	free(k);
	k = viewer_key(v, "artifact", w->arg);
	store_batch_add(b, "STRLEN", k, NULL);
	free(k);
	store_batch_run(b);
}
