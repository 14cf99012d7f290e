/* poller.c - one poll of the alert source, and the enqueue of each alert.
 *
 * Sources: "synthetic" (the seed's --synthetic: one canned THREAT
 * notification per poll), "notifications" (v3 Notifications API, SIEM
 * key) and "alerts" (Alerts v7 search, with a cursor in Redis).  The v3
 * queue is read-once: once a GET has returned a notification, the cloud
 * forgets it, so Redis must be reachable *before* the GET, and an enqueue
 * that fails is retried until it lands.
 *
 * Both HTTP clients wait out the shared 429 pause (ratelimit.h) before
 * every request, and share any 429 they get.  A request the pause holds
 * back fails the poll as any refused request does: nothing was read, so
 * nothing is counted and the cursor stays where it was. */
#include "poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "apistats.h"
#include "cbhttp.h"
#include "inbox.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "ratelimit.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFICATION_PATH "/integrationServices/v3/notification"

struct poller {
	const struct config *cfg;
	volatile sig_atomic_t *stop;
	struct rconn *rc;
	struct cbhttp *siem;       /* NULL for the synthetic source */
	enum config_source source; /* settled: never AUTO */
	struct cbhttp *api;        /* Alerts v7 (Custom key) */
	char *search_path; /* /api/alerts/v7/orgs/<org>/alerts/_search */
	struct alert_filter filter;
	long long coalesced;   /* alerts added to jobs in flight, this poll */
	int64_t *allow, *deny; /* owned arrays behind the filter */
	int64_t pause_said;    /* util_mono_ms() until which the 429 pause
				  is already logged */
	struct ratelimit_gate gate; /* the shared 429 pause, on rc */
	struct inbox *inbox;        /* manual requests (P:requests), on rc */
};

#define ALERT_SEEN_TTL_S (7 * 86400) /* how long an alert id is remembered */
#define ALERT_MAX_PAGES 400          /* pages in one poll, at most */
#define CURSOR_SAVE_EVERY 500        /* alerts between cursor writes */
/* Every alerts poll reads this far behind its cursor again: an alert the
 * cloud indexes late (after the alert lag) still lands in a window we
 * read.  The ids already handled (P:alert:<id>) make the re-read cheap. */
#define ALERT_OVERLAP_MS (5 * 60 * 1000)

/* Logs a 429 pause once at info (with its length), then at debug while
 * it lasts. */
static void
pause_note(struct poller *p, long s, const char *what)
{
	int64_t now = util_mono_ms();

	if (now < p->pause_said) {
		log_debug("%s: Carbon Black Cloud pause (HTTP 429), %ld s left",
		    what, s);
	} else {
		log_info(
		    "Carbon Black Cloud asked us to pause for %ld s (HTTP 429): %s waits, as does every lrflow process",
		    s, what);
	}
	if (now + (int64_t)s * 1000 > p->pause_said)
		p->pause_said = now + (int64_t)s * 1000;
}

/* The gate of both HTTP clients: the pause shared in Redis. */
static void
gate_init(struct poller *p, struct cbhttp *c)
{
	struct cbhttp_gate g;

	p->gate = (struct ratelimit_gate){p->rc, p->cfg->prefix, "poller"};
	ratelimit_gate(&p->gate, &g);
	cbhttp_set_gate(c, &g);
}

/* Fills the alert filter from the flags (lists already checked). */
static void
filter_init(struct poller *p)
{
	const struct config *cfg = p->cfg;
	int n;

	p->filter.types = cfg->alert_types;
	p->filter.min_severity = cfg->min_severity;
	p->filter.policies = cfg->policy;
	if ((n = config_id_list(cfg->devices, NULL, 0)) > 0) {
		p->allow = xcalloc((size_t)n, sizeof(int64_t));
		config_id_list(cfg->devices, p->allow, (size_t)n);
		p->filter.allow = p->allow;
		p->filter.nallow = (size_t)n;
	}
	if ((n = config_id_list(cfg->exclude_devices, NULL, 0)) > 0) {
		p->deny = xcalloc((size_t)n, sizeof(int64_t));
		config_id_list(cfg->exclude_devices, p->deny, (size_t)n);
		p->filter.deny = p->deny;
		p->filter.ndeny = (size_t)n;
	}
}

/* The Alerts v7 source: the main profile's Custom key and org key. */
static int
alerts_init(struct poller *p, struct cb_cred *cred, char *err, size_t errlen)
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
	gate_init(p, p->api);
	log_info(
	    "polling Alerts v7 at %s every %d s (org %s, key from %s, lag %d s, overlap %d s)",
	    cred->url, p->cfg->poll_s, cred->org_key, cred->origin,
	    p->cfg->alert_lag_s, ALERT_OVERLAP_MS / 1000);
	return 0;
}

struct poller *
poller_new(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
    size_t errlen)
{
	struct poller *p = xcalloc(1, sizeof(*p));
	struct cb_cred cred;

	p->cfg = cfg;
	p->stop = stop;
	p->source = cfg->source;
	/* Before the HTTP clients: their gate reads the pause through it. */
	p->rc = rconn_new(cfg->redis_url, 5000);
	p->inbox = inbox_new(p->rc, cfg->prefix);
	filter_init(p);
	if (p->source == CONFIG_SOURCE_AUTO ||
	    p->source == CONFIG_SOURCE_ALERTS) {
		/* Alerts v7 with an org key; the seed's notifications without. */
		if (config_credentials(cfg, NULL, &cred, err, errlen) == 0 &&
		    (cred.org_key != NULL ||
			p->source == CONFIG_SOURCE_ALERTS)) {
			p->source = CONFIG_SOURCE_ALERTS;
			if (alerts_init(p, &cred, err, errlen) == -1) {
				cb_cred_release(&cred);
				goto fail;
			}
			cb_cred_release(&cred);
		} else if (p->source == CONFIG_SOURCE_ALERTS) {
			goto fail;
		} else {
			if (cred.url != NULL)
				cb_cred_release(&cred);
			p->source = CONFIG_SOURCE_NOTIFICATIONS;
		}
	}
	if (p->source == CONFIG_SOURCE_NOTIFICATIONS) {
		char sub[300];

		/* The seed reads the SIEM key from its own profile; with no such
		 * profile, the main credentials are tried. */
		if (config_credentials(
			cfg, cfg->siemprofile, &cred, sub, sizeof(sub)) == -1) {
			char sub2[300];

			if (config_credentials(
				cfg, NULL, &cred, sub2, sizeof(sub2)) == -1) {
				snprintf(err, errlen, "SIEM key: %s; and %s",
				    sub, sub2);
				goto fail;
			}
			log_info(
			    "no [%s] profile; polling notifications with %s",
			    cfg->siemprofile, cred.origin);
		}
		log_info(
		    "polling v3 notifications at %s every %d s (key from %s)",
		    cred.url, cfg->poll_s, cred.origin);
		p->siem = cbhttp_new(&cred, 30000);
		cbhttp_set_stop(p->siem, stop);
		gate_init(p, p->siem);
		cb_cred_release(&cred);
	} else if (p->source == CONFIG_SOURCE_SYNTHETIC) {
		log_info(
		    "generating a synthetic THREAT notification for device %lld every %d s",
		    (long long)cfg->synthetic, cfg->poll_s);
	}
	return p;
fail:
	cbhttp_free(p->api);
	cbhttp_free(p->siem);
	free(p->search_path);
	inbox_free(p->inbox);
	rconn_free(p->rc);
	free(p->allow);
	free(p->deny);
	free(p);
	return NULL;
}

void
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	cbhttp_free(p->siem);
	cbhttp_free(p->api);
	free(p->search_path);
	free(p->allow);
	free(p->deny);
	inbox_free(p->inbox);
	rconn_free(p->rc);
	free(p);
}

/* Enqueues one alert, retrying until Redis takes it.  QUEUE_ERROR only
 * when stopped before it landed (logged with the alert, which a read-once
 * source cannot give again). */
static enum queue_enqueue_result
enqueue_until_taken(struct poller *p, const struct queue_alert *a)
{
	enum queue_enqueue_result r;

	for (;;) {
		r = queue_enqueue(p->rc, p->cfg->prefix, a);
		if (r != QUEUE_ERROR)
			return r;
		if (*p->stop) {
			log_error(
			    "shutting down before the alert for device %lld reached Redis: %.300s",
			    (long long)a->device_id,
			    a->alert_json ? a->alert_json : "");
			return QUEUE_ERROR;
		}
		log_warnx("could not queue device %lld, retrying",
		    (long long)a->device_id);
		util_sleep_ms(1000, p->stop);
		rconn_wait(p->rc, p->stop);
	}
}

/* Whether the allow and deny lists let device id through. */
static bool
device_allowed(const struct poller *p, int64_t id)
{
	struct alert a = {.device_id = id};
	struct alert_filter f = {.allow = p->filter.allow,
	    .nallow = p->filter.nallow,
	    .deny = p->filter.deny,
	    .ndeny = p->filter.ndeny};

	return alerts_wanted(&f, &a);
}

/* A notification's enqueue, with the seed's log lines.
 * Returns 1 queued, 0 coalesced, -1 if stopped before it landed. */
static int
enqueue(struct poller *p, const struct queue_alert *a, const char *type)
{
	enum queue_enqueue_result r = enqueue_until_taken(p, a);

	if (r == QUEUE_ERROR)
		return -1;
	if (r == QUEUE_QUEUED) {
		log_info(
		    "Received %s notification for device_id %lld, enqueuing",
		    type, (long long)a->device_id);
		return 1;
	}
	log_info("Device ID %lld already inflight", (long long)a->device_id);
	return 0;
}

static int
poll_synthetic(struct poller *p)
{
	json_t *n = notify_synthetic(p->cfg->synthetic, util_now_ms());
	char *text = json_dumps(n, JSON_COMPACT);
	struct queue_alert a = {
	    .device_id = p->cfg->synthetic,
	    .alert_id = json_string_value(json_object_get(n, "eventId")),
	    .source = "synthetic",

	    .cooldown_s = p->cfg->cooldown_s,
	    .alert_json = text,
	};
	int r = enqueue(p, &a, "THREAT");

	free(text);
	json_decref(n);
	return r < 0 ? -1 : r;
}

/* Handles one notification: filter, then enqueue.  1, 0 or -1. */
static int
take_notification(struct poller *p, json_t *n)
{
	struct notify nt;
	struct queue_alert a;
	char err[256], *text;
	int r;

	if (notify_parse(n, &nt, err, sizeof(err)) == -1) {
		text = json_dumps(n, JSON_COMPACT | JSON_ENCODE_ANY);
		log_warnx("skipping a notification: %s: %.300s", err,
		    text ? text : "");
		free(text);
		queue_count(
		    p->rc, p->cfg->prefix, "notifications_malformed", 1);
		return 0;
	}
	if (!notify_type_wanted(p->cfg->alert_types, nt.type) ||
	    (p->cfg->min_severity > 0 && nt.score < p->cfg->min_severity) ||
	    !device_allowed(p, nt.device_id)) {
		log_info(
		    "filtered out %s notification for device %lld (score %d)",
		    nt.type, (long long)nt.device_id, nt.score);
		queue_count(p->rc, p->cfg->prefix, "notifications_filtered", 1);
		return 0;
	}
	text = json_dumps(n, JSON_COMPACT);
	a = (struct queue_alert){
	    .device_id = nt.device_id,
	    .alert_id = nt.event_id,
	    .source = "notifications",

	    .cooldown_s = p->cfg->cooldown_s,
	    .alert_json = text,
	    .device_name = nt.device_name,
	};
	r = enqueue(p, &a, nt.type);
	free(text);
	return r;
}

static int
poll_notifications(struct poller *p)
{
	struct cbhttp_resp resp;
	json_t *list, *n;
	char err[300];
	size_t i;
	int queued = 0, r;

	if (cbhttp_request(p->siem, "GET", NOTIFICATION_PATH, NULL, &resp) ==
	    -1) {
		log_warnx("polling notifications: %s", resp.err);
		cbhttp_resp_release(&resp);
		return -1;
	}
	if (resp.status == 429) {
		/* Nothing was handed out: the next poll asks again. */
		pause_note(p, resp.retry_after, "polling notifications");
		log_debug("polling notifications: %s", resp.err);
		cbhttp_resp_release(&resp);
		return -1;
	}
	if (resp.status == 401 || resp.status == 403) {
		log_warnx(
		    "polling notifications: HTTP %ld: the SIEM key was refused; check the token of profile [%s]",
		    resp.status, p->cfg->siemprofile);
		cbhttp_resp_release(&resp);
		return -1;
	}
	if (resp.status != 200) {
		log_warnx("polling notifications: %s", resp.err);
		cbhttp_resp_release(&resp);
		return -1;
	}
	if ((list = notify_list(resp.json, err, sizeof(err))) == NULL) {
		log_warnx("polling notifications: %s: %.200s",
		    resp.json ? err : resp.err, resp.body);
		cbhttp_resp_release(&resp);
		return -1;
	}
	log_debug("%zu notifications", json_array_size(list));
	queue_count(p->rc, p->cfg->prefix, "notifications_received",
	    (long long)json_array_size(list));
	json_array_foreach(list, i, n)
	{
		r = take_notification(p, n);
		if (r > 0)
			queued += r;
	}
	cbhttp_resp_release(&resp);
	return queued;
}

/* ------------------------------------------------------------------ */
/* Alerts v7 */

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
	r = enqueue_until_taken(p, &qa);
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
		pause_note(p, r->retry_after, "the alert search");
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

static int
poll_alerts(struct poller *p)
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

int
poller_poll_once(struct poller *p)
{
	int n;

	if (rconn_wait(p->rc, p->stop) == -1)
		return -1;
	if (p->source == CONFIG_SOURCE_SYNTHETIC)
		n = poll_synthetic(p);
	else if (p->source == CONFIG_SOURCE_ALERTS)
		n = poll_alerts(p);
	else
		n = poll_notifications(p);
	/* Every answer of the cloud comes during a poll: its counts go to
	 * Redis at once, in one call. */
	poller_flush_stats(p);
	return n;
}

int
poller_flush_stats(struct poller *p)
{
	return apistats_flush(p->rc, p->cfg->prefix);
}

/* ------------------------------------------------------------------ */
/* Manual requests (collect now) */

/* One request from the viewer: a job with source manual, through the
 * same enqueue as an alert (a device in flight is not queued twice).
 * The allow and deny lists hold for it too. */
static int
take_request(void *arg, const struct inbox_request *r)
{
	struct poller *p = arg;
	struct queue_alert a = {
	    .device_id = r->device_id,
	    .source = "manual",
	    .cooldown_s = p->cfg->cooldown_s,
	};
	enum queue_enqueue_result q;

	if (!device_allowed(p, r->device_id)) {
		log_info("collect request by %.100s for device %lld refused: "
			 "--devices or --exclude-devices leaves it out",
		    r->who, (long long)r->device_id);
		queue_count(p->rc, p->cfg->prefix, "requests_refused", 1);
		return 0;
	}
	if ((q = queue_enqueue(p->rc, p->cfg->prefix, &a)) == QUEUE_ERROR)
		return -1;
	queue_count(p->rc, p->cfg->prefix, "requests_received", 1);
	if (q == QUEUE_QUEUED)
		log_info("Collect request by %.100s for device_id %lld, "
			 "enqueuing",
		    r->who, (long long)r->device_id);
	else
		log_info("Collect request by %.100s: device ID %lld already "
			 "inflight",
		    r->who, (long long)r->device_id);
	return 0;
}

int
poller_requests(struct poller *p, int block_ms)
{
	return inbox_poll(p->inbox, block_ms, take_request, p);
}
