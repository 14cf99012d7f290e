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
	long long read;   /* alerts new to this poll's counters */
	long long reread; /* alerts behind the cursor, dealt with before */
	int queued;       /* jobs queued */
};

/* Whether P:alert:<id> says the alert was handled before.  False when
 * Redis cannot tell: queue_enqueue() checks it again anyway. */
static bool
alert_seen(struct poller *p, const char *id)
{
	redisReply *r =
	    rconn_command(p->rc, "EXISTS %s:alert:%s", p->cfg->prefix, id);
	bool seen =
	    r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;

	if (r != NULL)
		freeReplyObject(r);
	return seen;
}

/* Handles one alert: parse, filter, enqueue.  An alert at or behind
 * cursor (the one this poll started from; -1 if none) was read by an
 * earlier poll, unless the cloud indexed it late: it is taken only when
 * its id is new, and is never counted twice.  Returns 0 when it is dealt
 * with (queued, coalesced, duplicate, filtered or unusable), -1 when it
 * must be fetched again (stopped before Redis took it). */
static int
take_alert(struct poller *p, json_t *a, int64_t cursor, int64_t *last_ms,
    struct tally *t)
{
	struct alert al;
	struct queue_alert qa;
	enum queue_enqueue_result r;
	char err[256], *text;
	bool behind;

	if (alerts_parse(a, &al, err, sizeof(err)) == -1) {
		if (al.backend_ms > 0 && al.backend_ms <= cursor) {
			log_debug("re-read an unusable alert: %s", err);
			t->reread++;
			if (al.backend_ms > *last_ms)
				*last_ms = al.backend_ms;
			return 0;
		}
		t->read++;
		text = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		log_warnx(
		    "skipping an alert: %s: %.300s", err, text ? text : "");
		free(text);
		queue_count(p->rc, p->cfg->prefix, "alerts_malformed", 1);
		if (al.backend_ms > *last_ms)
			*last_ms = al.backend_ms;
		return 0;
	}
	behind = al.backend_ms <= cursor;
	if (behind && alert_seen(p, al.id)) {
		log_debug("re-read alert %s: already handled", al.id);
		t->reread++;
		*last_ms = al.backend_ms;
		return 0;
	}
	if (!alerts_wanted(&p->filter, &al)) {
		if (behind) {
			log_debug("re-read alert %s: filtered out", al.id);
			t->reread++;
		} else {
			log_debug(
			    "filtered out alert %s (%s, severity %d) for device %lld",
			    al.id, al.type ? al.type : "?", al.severity,
			    (long long)al.device_id);
			t->read++;
			queue_count(
			    p->rc, p->cfg->prefix, "alerts_filtered", 1);
		}
		*last_ms = al.backend_ms;
		return 0;
	}
	t->read++;
	if (behind)
		log_info("alert %s was indexed late (%lld s behind the cursor)",
		    al.id, (long long)((cursor - al.backend_ms) / 1000));
	text = json_dumps(a, JSON_COMPACT);
	qa = (struct queue_alert){
	    .device_id = al.device_id,
	    .alert_id = al.id,
	    .source = "alerts",

	    .cooldown_s = p->cfg->cooldown_s,
	    .alert_json = text,
	    .device_name = al.device_name,
	    .seen_ttl_s = ALERT_SEEN_TTL_S,
	};
	r = poller_enqueue_until_taken(p, &qa);
	free(text);
	if (r == QUEUE_ERROR)
		return -1;
	if (r == QUEUE_QUEUED) {
		log_info(
		    "Received %s alert %s (severity %d) for device_id %lld, enqueuing",
		    al.type ? al.type : "?", al.id, al.severity,
		    (long long)al.device_id);
		t->queued++;
	} else if (r == QUEUE_COALESCED) {
		/* A flood of alerts for one device must not flood the log:
		 * each is at debug, the poll's summary counts them. */
		p->coalesced++;
		log_debug(
		    "Device ID %lld already inflight: alert %s added to it",
		    (long long)al.device_id, al.id);
	} else {
		log_debug("alert %s already handled", al.id);
	}
	*last_ms = al.backend_ms;
	return 0;
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
	int64_t now = util_now_ms(), start, end, last, cursor;
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
		       *res, *a;
		struct cbhttp_resp r;
		long long found;
		char err[256];
		size_t i, n;

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
		json_array_foreach(res, i, a)
		{
			if (take_alert(p, a, cursor, &last, &t) == -1) {
				cbhttp_resp_release(&r);
				goto out;
			}
			if (++since_save >= CURSOR_SAVE_EVERY &&
			    cursor_set(p, last, cursor) == 0)
				since_save = 0;
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
	if (t.read > 0)
		log_info(
		    "%lld alerts read, %d jobs queued, %lld added to jobs in flight",
		    t.read, t.queued, p->coalesced);
	if (t.reread > 0)
		log_debug(
		    "%lld alerts re-read behind the cursor, already dealt with",
		    t.reread);
	p->coalesced = 0;
	return failed ? -1 : t.queued;
}
