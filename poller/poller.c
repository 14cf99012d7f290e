/* poller.c - the poller's life cycle, one poll, and what its sources
 * share: the enqueue of an alert, the allow and deny lists, the 429
 * pause's log line; and the manual requests (collect now).
 *
 * The sources are source_alerts.c (Alerts v7, with a cursor in Redis) and
 * source_notify.c (v3 notifications with the SIEM key, and the seed's
 * synthetic one).  Both HTTP clients wait out the shared 429 pause
 * (ratelimit.h) before every request, and share any 429 they get; the
 * answers they count are added to P:stats after each poll (apistats.h). */
#include "poller.h"

#include <stdio.h>
#include <stdlib.h>

#include "alerts.h"
#include "apistats.h"
#include "cbhttp.h"
#include "inbox.h"
#include "log.h"
#include "poller_int.h"
#include "queue.h"
#include "queue_batch.h"
#include "ratelimit.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

/* Logs a 429 pause once at info (with its length), then at debug while
 * it lasts. */
void
poller_pause_note(struct poller *p, long s, const char *what)
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
void
poller_gate_init(struct poller *p, struct cbhttp *c)
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
	rconn_set_name(p->rc, "lrflow-poller");
	p->inbox = inbox_new(p->rc, cfg->prefix);
	filter_init(p);
	if (p->source == CONFIG_SOURCE_AUTO ||
	    p->source == CONFIG_SOURCE_ALERTS) {
		/* Alerts v7 with an org key; the seed's notifications without. */
		if (config_credentials(cfg, NULL, &cred, err, errlen) == 0 &&
		    (cred.org_key != NULL ||
			p->source == CONFIG_SOURCE_ALERTS)) {
			p->source = CONFIG_SOURCE_ALERTS;
			if (source_alerts_init(p, &cred, err, errlen) == -1) {
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
		poller_gate_init(p, p->siem);
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
enum queue_enqueue_result
poller_enqueue_until_taken(struct poller *p, const struct queue_alert *a)
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

size_t
poller_enqueue_batch_until_taken(struct poller *p, const struct queue_alert *a,
    size_t n, enum queue_enqueue_result *res)
{
	size_t done = 0;

	for (;;) {
		done += queue_enqueue_batch(
		    p->rc, p->cfg->prefix, a + done, n - done, res + done);
		if (done == n)
			return n;
		if (*p->stop) {
			for (size_t i = done; i < n; i++)
				log_error(
				    "shutting down before the alert for device %lld reached Redis: %.300s",
				    (long long)a[i].device_id,
				    a[i].alert_json ? a[i].alert_json : "");
			return done;
		}
		log_warnx("could not queue device %lld (%zu alerts left), "
			  "retrying",
		    (long long)a[done].device_id, n - done);
		util_sleep_ms(1000, p->stop);
		rconn_wait(p->rc, p->stop);
	}
}

/* Whether the allow and deny lists let device id through. */
bool
poller_device_allowed(const struct poller *p, int64_t id)
{
	struct alert a = {.device_id = id};
	struct alert_filter f = {.allow = p->filter.allow,
	    .nallow = p->filter.nallow,
	    .deny = p->filter.deny,
	    .ndeny = p->filter.ndeny};

	return alerts_wanted(&f, &a);
}

int
poller_poll_once(struct poller *p)
{
	int n;

	if (rconn_wait(p->rc, p->stop) == -1)
		return -1;
	if (p->source == CONFIG_SOURCE_SYNTHETIC)
		n = source_notify_synthetic(p);
	else if (p->source == CONFIG_SOURCE_ALERTS)
		n = source_alerts_poll(p);
	else
		n = source_notify_poll(p);
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

	if (!poller_device_allowed(p, r->device_id)) {
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
