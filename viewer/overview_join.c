/* overview_join.c - one Redis read for identical overview requests.
 *
 * A request for the dashboard, /api/stats, /api/devices or /metrics that
 * comes while the same one (same route, same parsed query) is waiting for
 * Redis joins it instead of reading again, and gets the same bytes when
 * it is answered.  Nothing is kept once the answer is sent: an answer is
 * at most as old as the read that was in flight when its request came.
 * Under load, when requests pile up behind Redis, this turns
 * N reads and N renderings into one. */
#include "overview_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "xmalloc.h"

bool
overview_join(struct view *w)
{
	struct viewer *v = w->v;

	for (struct view *l = v->overviews; l != NULL; l = l->next) {
		struct view **pp = &l->joined;

		if (l->kind != w->kind ||
		    memcmp(&l->q, &w->q, sizeof(w->q)) != 0)
			continue;
		while (*pp != NULL) /* answered in the order they came */
			pp = &(*pp)->joined;
		*pp = w;
		return true;
	}
	w->next = v->overviews;
	v->overviews = w;
	return false;
}

/* Takes the leader w off the list of reads in flight. */
static void
unlink_leader(struct view *w)
{
	struct view **pp = &w->v->overviews;

	while (*pp != NULL && *pp != w)
		pp = &(*pp)->next;
	if (*pp == w)
		*pp = w->next;
	w->next = NULL;
}

/* The bytes of one answer, shared by the requests it answers: each
 * output buffer refers to them, the last one written out frees them. */
struct shared {
	int refs;
	size_t len;
	unsigned char data[];
};

static void
shared_release(const void *data, size_t len, void *arg)
{
	struct shared *sh = arg;

	(void)data;
	(void)len;
	if (--sh->refs == 0)
		free(sh);
}

/* Answers w and the requests joined to it with sh's bytes. */
static void
answer(struct view *w, const char *ctype, struct shared *sh)
{
	size_t len = sh->len;
	struct view *next;

	sh->refs = 1; /* ours, until every request has its reference */
	unlink_leader(w);
	for (; w != NULL; w = next) {
		struct evbuffer *b = evbuffer_new();

		next = w->joined;
		sh->refs++;
		if (len == 0 || evbuffer_add_reference(
				    b, sh->data, len, shared_release, sh) == -1)
			sh->refs--;
		viewer_reply(w->req, 200, "OK", ctype, b);
		evbuffer_free(b); /* releases the reference if still held */
		viewer_view_free(w);
	}
	shared_release(NULL, 0, sh);
}

void
overview_answer(struct view *w, const char *ctype, struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);
	struct shared *sh = xmalloc(sizeof(*sh) + len + 1);

	sh->len = len;
	evbuffer_remove(body, sh->data, len);
	answer(w, ctype, sh);
}

void
overview_answer_bytes(
    struct view *w, const char *ctype, const char *bytes, size_t len)
{
	struct shared *sh = xmalloc(sizeof(*sh) + len + 1);

	sh->len = len;
	memcpy(sh->data, bytes, len);
	answer(w, ctype, sh);
}

void
overview_fail(struct view *w)
{
	struct view *next;

	unlink_leader(w);
	for (; w != NULL; w = next) {
		next = w->joined;
		viewer_unavailable(w);
		viewer_view_free(w);
	}
}
