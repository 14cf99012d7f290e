/* source_alerts.c - the Alerts v7 source: one search per poll from the
 * cursor kept in Redis (P:poller:cursor), paged, each alert filtered and
 * queued (see poller_int.h).
 *
 * The cursor moves only past alerts that were handled, and each alert id
 * is remembered (P:alert:<id>) in the same step that queues it, so a
 * poller restarted at any moment neither queues an alert twice nor misses
 * one.  A request the 429 pause holds back fails the poll as any refused
 * request does: nothing was read, so nothing is counted and the cursor
 * stays where it was. */
#include "poller_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "alerts.h"
#include "cbhttp.h"
#include "log.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#define ALERT_SEEN_TTL_S (7 * 86400) /* how long an alert id is remembered */
#define ALERT_MAX_PAGES 400          /* pages in one poll, at most */
#define CURSOR_SAVE_EVERY 500        /* alerts between cursor writes */
#define SEEN_CHECK_MAX 1000          /* alert ids in one MGET */
/* Every alerts poll reads this far behind its cursor again: an alert the
 * cloud indexes late (after the alert lag) still lands in a window we
 * read.  The ids already handled (P:alert:<id>) make the re-read cheap. */
#define ALERT_OVERLAP_MS (5 * 60 * 1000)

int
source_alerts_init(
    struct poller *p, struct cb_cred *cred, char *err, size_t errlen)
{
	if (cred->org_key == NULL) {
		snprintf(err, errlen,
		    "--source alerts needs an org key: org_key in %s, CBC_ORG_KEY or --org-key",
		    cred->origin);
		return -1;
	}
	p->search_path =
	    xasprintf("/api/alerts/v7/orgs/%s/alerts/_search", cred->org_key);
	p->api = cbhttp_new(cred, 60000);
	cbhttp_set_stop(p->api, p->stop);
	poller_gate_init(p, p->api);
	log_info(
	    "polling Alerts v7 at %s every %d s (org %s, key from %s, lag %d s, overlap %d s)",
	    cred->url, p->cfg->poll_s, cred->org_key, cred->origin,
	    p->cfg->alert_lag_s, ALERT_OVERLAP_MS / 1000);
	return 0;
}

/* The cursor: every alert with backend_timestamp before it was handled
 * (those at it may have been: their ids are remembered).  -1 if unset,
 * -2 if Redis did not answer (never guess: a guess could skip alerts). */
static int64_t
cursor_get(struct poller *p)
{
	redisReply *r =
	    rconn_command(p->rc, "GET %s:poller:cursor", p->cfg->prefix);
	int64_t ms = -1;

	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL)
			freeReplyObject(r);
		return -2;
	}
	if (r->type == REDIS_REPLY_STRING &&
	    util_parse_iso8601(r->str, &ms) == -1) {
		log_warnx("ignoring a malformed %s:poller:cursor '%.40s'",
		    p->cfg->prefix, r->str);
		ms = -1;
	}
	if (r != NULL)
		freeReplyObject(r);
	return ms;
}

/* Saves the cursor at ms, unless it is at or behind floor (the cursor
 * this poll started from: the overlap must never move it back). */
static int
cursor_set(struct poller *p, int64_t ms, int64_t floor)
{
	char iso[32];
	redisReply *r;

	if (ms <= floor)
		return 0;
	r = rconn_command(p->rc, "SET %s:poller:cursor %s", p->cfg->prefix,
	    util_iso8601(ms, iso, sizeof(iso)));
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* What one alerts poll did. */
struct tally {
	long long read;      /* alerts new to this poll's counters */
	long long reread;    /* alerts behind the cursor, dealt with before */
	long long malformed; /* counted in P:stats when the poll ends */
	long long filtered;
	int queued;         /* jobs queued */
	int64_t enqueue_ms; /* time spent queueing (Redis round trips) */
};

/* One alert of a page, as the first pass found it. */
enum alert_kind { ALERT_UNUSABLE, ALERT_SEEN, ALERT_FILTERED, ALERT_WANTED };

struct page_alert {
	json_t *a;       /* borrowed from the page */
	struct alert al; /* what alerts_parse() read (borrowed from a) */
	enum alert_kind kind;
	bool behind;  /* at or behind the cursor this poll started from */
	size_t batch; /* ALERT_WANTED: its index in the page's enqueues */
};

/* First pass over one alert: parse it.  An alert at or behind cursor (-1
 * if none) was read by an earlier poll, unless the cloud indexed it late:
 * it is taken only when its id is new (seen_check()). */
static void
parse_alert(json_t *a, int64_t cursor, struct page_alert *it)
{
	char err[256];

	it->a = a;
	if (alerts_parse(a, &it->al, err, sizeof(err)) == -1) {
		it->kind = ALERT_UNUSABLE;
		it->behind =
		    it->al.backend_ms > 0 && it->al.backend_ms <= cursor;
		return;
	}
	it->behind = it->al.backend_ms <= cursor;
	it->kind = ALERT_WANTED; /* until seen_check() and the filters */
}

/* Marks ALERT_SEEN the alerts behind the cursor whose P:alert:<id> says
 * they were handled before: one MGET for up to SEEN_CHECK_MAX of them,
 * not a round trip each.  When Redis cannot tell, none is marked: the
 * enqueue script checks the id again anyway. */
static void
seen_check(struct poller *p, struct page_alert *items, size_t n)
{
	const char **argv = xcalloc(SEEN_CHECK_MAX + 1, sizeof(char *));
	size_t *which = xcalloc(SEEN_CHECK_MAX, sizeof(size_t));
	size_t i = 0, m;
	redisReply *r;

	argv[0] = "MGET";
	while (i < n) {
		for (m = 0; i < n && m < SEEN_CHECK_MAX; i++)
			if (items[i].kind == ALERT_WANTED && items[i].behind) {
				which[m] = i;
				argv[++m] = xasprintf("%s:alert:%s",
				    p->cfg->prefix, items[i].al.id);
			}
		if (m == 0)
			break;
		r = rconn_commandv(p->rc, (int)m + 1, argv, NULL);
		if (r != NULL && r->type == REDIS_REPLY_ARRAY &&
		    r->elements == m)
			for (size_t j = 0; j < m; j++)
				if (r->element[j]->type != REDIS_REPLY_NIL)
					items[which[j]].kind = ALERT_SEEN;
		if (r != NULL)
			freeReplyObject(r);
		for (size_t j = 1; j <= m; j++)
			free((char *)argv[j]);
	}
	free(which);
	free(argv);
}

/* Filters a parsed alert; for a wanted one, fills the enqueue it needs
 * (qa, with the alert's JSON text, owned).  True when wanted. */
static bool
want_alert(struct poller *p, struct page_alert *it, struct queue_alert *qa)
{
	if (it->kind != ALERT_WANTED)
		return false;
	if (!alerts_wanted(&p->filter, &it->al)) {
		it->kind = ALERT_FILTERED;
		return false;
	}
	*qa = (struct queue_alert){
	    .device_id = it->al.device_id,
	    .alert_id = it->al.id,
	    .source = "alerts",
	    .cooldown_s = p->cfg->cooldown_s,
	    .alert_json = json_dumps(it->a, JSON_COMPACT),
	    .device_name = it->al.device_name,
	    .seen_ttl_s = ALERT_SEEN_TTL_S,
	};
	return true;
}

/* Second pass, in the page's order, once Redis has answered: counts and
 * logs one alert (r: its enqueue's result, for a wanted one) and moves
 * *last_ms past it. */
static void
settle_alert(struct poller *p, const struct page_alert *it,
    enum queue_enqueue_result r, int64_t cursor, int64_t *last_ms,
    struct tally *t)
{
	const struct alert *al = &it->al;
	struct alert junk;
	char err[256], *text;

	if (al->backend_ms > *last_ms)
		*last_ms = al->backend_ms;
	switch (it->kind) {
	case ALERT_UNUSABLE:
		alerts_parse(it->a, &junk, err, sizeof(err));
		if (it->behind) {
			log_debug("re-read an unusable alert: %s", err);
			t->reread++;
			return;
		}
		t->read++;
		text = json_dumps(it->a, JSON_COMPACT | JSON_ENCODE_ANY);
		log_warnx(
		    "skipping an alert: %s: %.300s", err, text ? text : "");
		free(text);
		t->malformed++;
		return;
	case ALERT_SEEN:
		log_debug("re-read alert %s: already handled", al->id);
		t->reread++;
		return;
	case ALERT_FILTERED:
		if (it->behind) {
			log_debug("re-read alert %s: filtered out", al->id);
			t->reread++;
		} else {
			log_debug(
			    "filtered out alert %s (%s, severity %d) for device %lld",
			    al->id, al->type ? al->type : "?", al->severity,
			    (long long)al->device_id);
			t->read++;
			t->filtered++;
		}
		return;
	case ALERT_WANTED:
		break;
	}
	t->read++;
	if (it->behind)
		log_info("alert %s was indexed late (%lld s behind the cursor)",
		    al->id, (long long)((cursor - al->backend_ms) / 1000));
	if (r == QUEUE_QUEUED) {
		log_info(
		    "Received %s alert %s (severity %d) for device_id %lld, enqueuing",
		    al->type ? al->type : "?", al->id, al->severity,
		    (long long)al->device_id);
		t->queued++;
	} else if (r == QUEUE_COALESCED) {
		/* A flood of alerts for one device must not flood the log:
		 * each is at debug, the poll's summary counts them. */
		p->coalesced++;
		log_debug(
		    "Device ID %lld already inflight: alert %s added to it",
		    (long long)al->device_id, al->id);
	} else {
		log_debug("alert %s already handled", al->id);
	}
}

/* Handles one page of results: reads every alert, asks Redis at once
 * which of those behind the cursor were handled before, queues the wanted ones
 * in pipelines (in the page's order, so the jobs are queued as one at a
 * time would queue them), then counts and logs each in order.  *last_ms
 * moves only past alerts that are dealt with: an alert Redis has not
 * taken (stopped first) and those after it are fetched again.  Returns 0,
 * or -1 when stopped before the page was taken whole. */
static int
take_page(struct poller *p, json_t *res, int64_t cursor, int64_t *last_ms,
    int *since_save, struct tally *t)
{
	size_t n = json_array_size(res), nq = 0, landed, i;
	struct page_alert *items = xcalloc(n + 1, sizeof(*items));
	struct queue_alert *qa = xcalloc(n + 1, sizeof(*qa));
	enum queue_enqueue_result *r = xcalloc(n + 1, sizeof(*r));
	int64_t t0;
	int ret = 0;

	for (i = 0; i < n; i++)
		parse_alert(json_array_get(res, i), cursor, &items[i]);
	seen_check(p, items, n);
	for (i = 0; i < n; i++)
		if (want_alert(p, &items[i], &qa[nq]))
			items[i].batch = nq++;
	t0 = util_mono_ms();
	landed = poller_enqueue_batch_until_taken(p, qa, nq, r);
	t->enqueue_ms += util_mono_ms() - t0;
	for (i = 0; i < n; i++) {
		if (items[i].kind == ALERT_WANTED && items[i].batch >= landed) {
			ret = -1;
			break;
		}
		settle_alert(p, &items[i],
		    items[i].kind == ALERT_WANTED ? r[items[i].batch]
						  : QUEUE_ERROR,
		    cursor, last_ms, t);
		if (++*since_save >= CURSOR_SAVE_EVERY &&
		    cursor_set(p, *last_ms, cursor) == 0)
			*since_save = 0;
	}
	for (i = 0; i < nq; i++)
		free((char *)qa[i].alert_json);
	free(r);
	free(qa);
	free(items);
	return ret;
}

/* Says why a search failed, in words an operator can act on. */
static void
search_failed(struct poller *p, struct cbhttp_resp *r)
{
	if (r->status == 429) {
		poller_pause_note(p, r->retry_after, "the alert search");
		log_debug(
		    "alert search: %s; the next poll goes on from the cursor",
		    r->err);
	} else if (r->status == 401)
		log_warnx(
		    "alert search: HTTP 401: the API key was refused; check the token of profile [%s]",
		    p->cfg->profile);
	else if (r->status == 403 || r->status == 404)
		log_warnx(
		    "alert search: HTTP %ld: the key may lack org.alerts READ, or the org key is wrong: %.200s",
		    r->status, r->body ? r->body : "");
	else
		log_warnx("alert search: %s", r->err[0] ? r->err : "failed");
}

int
source_alerts_poll(struct poller *p)
{
	int64_t now = util_now_ms(), t_start = util_mono_ms(), start, end, last,
		cursor;
	int since_save = 0, failed = 1, offset = 1;
	struct tally t = {0};

	end = now - (int64_t)p->cfg->alert_lag_s * 1000;
	if ((cursor = cursor_get(p)) == -2)
		return -1;
	if (cursor < 0) {
		start = end - (int64_t)p->cfg->lookback_s * 1000;
		log_info(
		    "first alerts poll: looking back %d s", p->cfg->lookback_s);
	} else if (end < cursor) {
		return 0;
	} else {
		start = cursor - ALERT_OVERLAP_MS;
	}
	last = start;
	for (int page = 0; page < ALERT_MAX_PAGES && !*p->stop; page++) {
		json_t *q = alerts_query(
			   &p->filter, start, end, ALERTS_PAGE_ROWS, offset),
		       *res;
		struct cbhttp_resp r;
		long long found;
		char err[256];
		size_t n;

		if (cbhttp_request(p->api, "POST", p->search_path, q, &r) ==
			-1 ||
		    r.status != 200) {
			search_failed(p, &r);
			json_decref(q);
			cbhttp_resp_release(&r);
			goto out;
		}
		json_decref(q);
		if ((res = alerts_results(r.json, &found, err, sizeof(err))) ==
		    NULL) {
			log_warnx("alert search: %s: %.200s",
			    r.json ? err : r.err, r.body);
			cbhttp_resp_release(&r);
			goto out;
		}
		n = json_array_size(res);
		if (take_page(p, res, cursor, &last, &since_save, &t) == -1) {
			cbhttp_resp_release(&r);
			goto out;
		}
		cbhttp_resp_release(&r);
		if ((long long)n >= found || n == 0) {
			/* The window is done: the next one starts at its end. */
			if (cursor_set(p, end, cursor) == 0)
				since_save = 0;
			last = end;
			failed = 0;
			break;
		}
		/* More than one page: go on from the last alert's time (its
		 * id and those before it at that time are remembered), or page
		 * within one crowded millisecond. */
		if (last > start) {
			start = last;
			offset = 1;
		} else if (offset + 2 * ALERTS_PAGE_ROWS - 1 <=
			   ALERTS_MAX_ROWS) {
			offset += ALERTS_PAGE_ROWS; /* a crowded millisecond */
		} else {
			/* The API reads no further than 10000 results. */
			log_error(
			    "more than %d alerts at %lld ms: the rest of that millisecond cannot be read",
			    ALERTS_MAX_ROWS, (long long)start);
			start = last + 1;
			offset = 1;
		}
		if (cursor_set(p, start, cursor) == 0)
			since_save = 0;
	}
out:
	if (since_save > 0)
		cursor_set(p, last, cursor);
	queue_count(p->rc, p->cfg->prefix, "alerts_received", t.read);
	if (t.malformed > 0)
		queue_count(
		    p->rc, p->cfg->prefix, "alerts_malformed", t.malformed);
	if (t.filtered > 0)
		queue_count(
		    p->rc, p->cfg->prefix, "alerts_filtered", t.filtered);
	if (t.read > 0)
		log_info(
		    "%lld alerts read, %d jobs queued, %lld added to jobs in flight (in %lld ms, %lld of them queueing)",
		    t.read, t.queued, p->coalesced,
		    (long long)(util_mono_ms() - t_start),
		    (long long)t.enqueue_ms);
	if (t.reread > 0)
		log_debug(
		    "%lld alerts re-read behind the cursor, already dealt with",
		    t.reread);
	p->coalesced = 0;
	return failed ? -1 : t.queued;
}
