/* overview_read.c - the Redis commands of an overview read (see
 * overview_int.h for what each stage holds), and the guesses that let a
 * page be read in one round trip.
 *
 * A newest-first page from the index takes two round trips: its ids
 * (ZREVRANGE), then an HMGET per id.  The ids of a page change far less
 * often than it is asked for, so each read keeps the ids it found, per
 * page (the ZREVRANGE's key and range), and the next read of that page
 * sends the HMGETs of those ids in its first batch, with the pipeline's
 * numbers that stage 2 would read from Redis's time (live workers,
 * sessions in use: the time guessed from the last TIME's offset to our
 * clock) and the dead jobs (as the list or set TYPE said last).  When
 * the batch's own ZREVRANGE, TYPE and TIME agree with the guess, that
 * one batch is the whole read; else its extra replies are dropped and
 * stage 2 runs as without a guess.  Either way every number comes from
 * this read. */
#include "overview_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "page.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define OVERVIEW_LIVE_MS 30000 /* a worker heartbeat this recent is live */
#define GUESS_MAX 32           /* pages whose ids are kept */

/* The ids a page had at its last read. */
struct overview_guess {
	char *what; /* "key start stop" of the ZREVRANGE */
	struct overview_id *ids;
	size_t n;
	/* /api/devices: its last answer, and the replies it was made from */
	json_t *first, *second;
	char *body;
	size_t len;
	/* its last list, and the replies it was made from: the list's part
	 * of stage 1, and the rows' */
	json_t *list, *lhead, *lrows;
	struct overview_guess *next;
};

/* Writes n (> 0) in decimal at out; returns out. */
static char *
decimal(int64_t n, char *out)
{
	char buf[24];
	size_t i = sizeof(buf), len;

	do
		buf[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	len = sizeof(buf) - i;
	memcpy(out, buf + i, len);
	out[len] = '\0';
	return out;
}

/* A P:devices score as ms.  A score is anything a writer put there
 * ("inf", "nan", "1e400"): only a plausible time converts to an integer,
 * else 0.  Plain digits, the usual case, skip strtod. */
static int64_t
score_ms(const char *s)
{
	int64_t v = 0;
	double d;
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 16 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	if (i > 0 && i < 16 && s[i] == '\0')
		return v;
	d = strtod(s, NULL);
	return d >= 0 && d < 1e15 ? (int64_t)d : 0;
}

char *
overview_cmds_list(struct view *w, struct store_batch *b)
{
	struct viewer *v = w->v;
	char start[32], stop[32], *k, *what;

	if (w->flags & OVERVIEW_SCAN) {
		snprintf(start, sizeof(start), "0");
		snprintf(stop, sizeof(stop), "%d", OVERVIEW_SCAN_MAX - 1);
		k = viewer_key(v, "devices", NULL);
	} else {
		overview_page_range(w, start, stop, sizeof(start));
		k = w->q.status[0] != '\0'
			? viewer_key(v, "bystatus", w->q.status)
			: viewer_key(v, "devices", NULL);
	}
	store_batch_add(b, "ZREVRANGE", k, start, stop, "WITHSCORES", NULL);
	what = xasprintf("%s %s %s", k, start, stop);
	free(k);
	k = viewer_key(v, "devices", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = viewer_key(v, "status_index", NULL);
	store_batch_add(b, "GET", k, NULL); /* "1" once the sets are whole */
	free(k);
	for (int s = 0; s < OVERVIEW_NSTATUS; s++) {
		k = viewer_key(v, "bystatus", page_statuses[s]);
		store_batch_add(b, "ZCARD", k, NULL);
		free(k);
	}
	return what;
}

void
overview_cmds_first(struct viewer *v, struct store_batch *b)
{
	char *k;

	store_batch_add(b, "TIME", NULL);
	k = viewer_key(v, "queue", NULL);
	store_batch_add(b, "LLEN", k, NULL);
	free(k);
	k = viewer_key(v, "inflight", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = viewer_key(v, "stats", NULL);
	store_batch_add(b, "HGETALL", k, NULL);
	free(k);
	k = viewer_key(v, "dead", NULL);
	store_batch_add(b, "TYPE", k, NULL);
	free(k);
	k = viewer_key(v, "retry", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	store_batch_add(b, "INFO", "memory", NULL);
	free(k);
	k = viewer_key(v, "ratelimit:until", NULL);
	store_batch_add(b, "PTTL", k, NULL);
	free(k);
	k = viewer_key(v, "retry", NULL);
	store_batch_add(b, "ZRANGE", k, "0", "9", "WITHSCORES", NULL);
	free(k);
}

int64_t
overview_redis_ms(const json_t *first)
{
	const json_t *time = json_array_get(first, S1_TIME);

	return viewer_int_at(time, 0) * 1000 + viewer_int_at(time, 1) / 1000;
}

void
overview_cmds_numbers(
    struct viewer *v, struct store_batch *b, int64_t now_ms, bool dead_zset)
{
	char min[32], now[32], *k;

	if (now_ms <= 0)
		now_ms = util_now_ms();
	snprintf(min, sizeof(min), "%" PRId64, now_ms - OVERVIEW_LIVE_MS);
	snprintf(now, sizeof(now), "%" PRId64, now_ms);
	k = viewer_key(v, "workers", NULL);
	store_batch_add(b, "ZCOUNT", k, min, "+inf", NULL);
	free(k);
	/* a session slot whose lease ran out is not in use */
	k = viewer_key(v, "sessions", NULL);
	store_batch_add(b, "ZCOUNT", k, now, "+inf", NULL);
	free(k);
	k = viewer_key(v, "dead", NULL);
	if (dead_zset) {
		store_batch_add(b, "ZCARD", k, NULL);
		store_batch_add(b, "ZREVRANGE", k, "0", "9", NULL);
	} else {
		store_batch_add(b, "LLEN", k, NULL);
		store_batch_add(b, "LRANGE", k, "0", "9", NULL);
	}
	free(k);
}

void
overview_parse_ids(struct view *w)
{
	const json_t *list = json_array_get(w->first, S1_DEVICES);

	/* ZREVRANGE ... WITHSCORES: member, score, member, score... */
	free(w->idv);
	w->nids = 0;
	w->idv = xcalloc(json_array_size(list) / 2 + 1, sizeof(*w->idv));
	for (size_t i = 0; i + 1 < json_array_size(list); i += 2) {
		struct overview_id *d = &w->idv[w->nids];

		if (util_parse_device_id(
			json_string_value(json_array_get(list, i)), &d->id) ==
		    -1)
			continue; /* not ours; never trust a member */
		d->ms =
		    score_ms(json_string_value(json_array_get(list, i + 1)));
		w->nids++;
	}
}

/* Appends "$<len>\r\n<s>\r\n" at p; returns the end. */
static char *
bulk(char *p, const char *s, size_t len)
{
	char num[24];

	*p++ = '$';
	p = stpcpy(p, decimal((int64_t)len, num));
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

void
overview_cmds_rows(struct view *w, struct store_batch *b,
    const struct overview_id *ids, size_t n)
{
	struct viewer *v = w->v;
	/* the run's times only for the scan's durations, users only to
	 * search */
	size_t nf = !(w->flags & OVERVIEW_SCAN) ? 4 : w->q.q[0] != '\0' ? 7 : 6;
	size_t plen = strlen(v->cfg->prefix), tail_len, head_len, i;
	char *cmd, *tail, *p, *key, head[32];

	/* every HMGET is the same but for its key: the fields once */
	tail = xmalloc(nf * 32 + 1);
	for (p = tail, i = 0; i < nf; i++)
		p = bulk(p, overview_fields[i], strlen(overview_fields[i]));
	tail_len = (size_t)(p - tail);
	store_batch_reserve(b, n * 2 + 32, (n + 32) * (tail_len + plen + 64));
	cmd = xmalloc(64 + 2 * plen + tail_len);
	key = xmalloc(plen + 32);
	memcpy(key, v->cfg->prefix, plen);
	memcpy(key + plen, ":result:", 8);
	head_len = (size_t)snprintf(
	    head, sizeof(head), "*%zu\r\n$5\r\nHMGET\r\n", nf + 2);
	for (i = 0; i < n; i++) {
		size_t klen =
		    plen + 8 + strlen(decimal(ids[i].id, key + plen + 8));

		memcpy(cmd, head, head_len);
		p = bulk(cmd + head_len, key, klen);
		memcpy(p, tail, tail_len);
		store_batch_add_text(b, cmd, (size_t)(p - cmd) + tail_len);
	}
	free(key);
	free(cmd);
	free(tail);
}

/* ---------------------------------------------------------------- */
/* Guesses */

const struct overview_id *
overview_guess(struct viewer *v, const char *what, size_t *n)
{
	for (struct overview_guess *g = v->guesses; g != NULL; g = g->next)
		if (strcmp(g->what, what) == 0) {
			*n = g->n;
			return g->ids;
		}
	return NULL;
}

static void
guess_free(struct overview_guess *g)
{
	free(g->what);
	free(g->ids);
	json_decref(g->first);
	json_decref(g->second);
	free(g->body);
	json_decref(g->list);
	json_decref(g->lhead);
	json_decref(g->lrows);
	free(g);
}

/* The guess of w's page, when w reads it from the index. */
static struct overview_guess *
guess_of(const struct view *w)
{
	if (!(w->flags & OVERVIEW_INDEX) || (w->flags & OVERVIEW_SCAN) ||
	    !json_is_string(w->ctx))
		return NULL;
	for (struct overview_guess *g = w->v->guesses; g != NULL; g = g->next)
		if (strcmp(g->what, json_string_value(w->ctx)) == 0)
			return g;
	return NULL;
}

bool
overview_unchanged(struct view *w, json_t *replies)
{
	struct overview_guess *g = guess_of(w);
	json_t *second = replies == w->first ? NULL : replies;

	if (g != NULL && g->body != NULL && json_equal(g->first, w->first) &&
	    (second == NULL ? g->second == NULL
			    : json_equal(g->second, second))) {
		overview_answer_bytes(w, viewer_ct_json, g->body, g->len);
		return true;
	}
	json_decref(w->second);
	w->second = json_incref(second);
	return false;
}

void
overview_keep(struct view *w, const char *body, size_t len)
{
	struct overview_guess *g = guess_of(w);

	if (g == NULL)
		return;
	json_decref(g->first);
	json_decref(g->second);
	free(g->body);
	g->first = json_incref(w->first);
	g->second = json_incref(w->second);
	g->body = xmalloc(len + 1);
	memcpy(g->body, body, len);
	g->len = len;
}

void
overview_guess_keep(
    struct viewer *v, const char *what, const struct overview_id *ids, size_t n)
{
	struct overview_guess **pp = &v->guesses, *g;
	int count = 0;

	while (*pp != NULL && strcmp((*pp)->what, what) != 0)
		pp = &(*pp)->next;
	if ((g = *pp) != NULL) {
		*pp = g->next; /* moves to the front */
		free(g->ids);
	} else {
		g = xcalloc(1, sizeof(*g));
		g->what = xstrdup(what);
	}
	g->ids = xcalloc(n + 1, sizeof(*ids));
	memcpy(g->ids, ids, n * sizeof(*ids));
	g->n = n;
	g->next = v->guesses;
	v->guesses = g;
	/* the least recently read pages go beyond GUESS_MAX */
	for (pp = &v->guesses; *pp != NULL && ++count <= GUESS_MAX;)
		pp = &(*pp)->next;
	while (*pp != NULL) {
		g = *pp;
		*pp = g->next;
		guess_free(g);
	}
}

void
overview_guess_free(struct viewer *v)
{
	while (v->guesses != NULL) {
		struct overview_guess *g = v->guesses;

		v->guesses = g->next;
		guess_free(g);
	}
}

bool
overview_guess_held(
    const struct view *w, const struct overview_id *ids, size_t n)
{
	if (n != w->nids)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ids[i].id != w->idv[i].id)
			return false;
	return true;
}

/* The rows' replies of w's read: an HMGET per id. */
static size_t
row_replies(const struct view *w)
{
	return w->nids;
}

json_t *
overview_list_cached(struct view *w, const json_t *replies)
{
	struct overview_guess *g = guess_of(w);
	size_t i, n = row_replies(w);

	if (g == NULL || g->list == NULL || json_array_size(g->lrows) != n)
		return NULL;
	for (i = 0; i < S1_TIME; i++)
		if (!json_equal(json_array_get(g->lhead, i),
			json_array_get(w->first, i)))
			return NULL;
	for (i = 0; i < n; i++)
		if (!json_equal(json_array_get(g->lrows, i),
			json_array_get(replies, w->row0 + i)))
			return NULL;
	return json_incref(g->list);
}

void
overview_list_keep(struct view *w, const json_t *replies, json_t *list)
{
	struct overview_guess *g = guess_of(w);
	size_t i, n = row_replies(w);

	if (g == NULL)
		return;
	json_decref(g->list);
	json_decref(g->lhead);
	json_decref(g->lrows);
	g->list = json_incref(list);
	g->lhead = json_array();
	g->lrows = json_array();
	for (i = 0; i < S1_TIME; i++)
		json_array_append(g->lhead, json_array_get(w->first, i));
	for (i = 0; i < n; i++)
		json_array_append(
		    g->lrows, json_array_get(replies, w->row0 + i));
}
