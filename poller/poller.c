/* poller.c - one poll of the alert source, and the enqueue of each alert.
 *
 * Sources: "synthetic" (the seed's --synthetic: one canned THREAT
 * notification per poll) and "notifications" (v3 Notifications API, SIEM
 * key).  The v3 queue is read-once: once a GET has returned a
 * notification, the cloud forgets it, so Redis must be reachable *before*
 * the GET, and an enqueue that fails is retried until it lands. */
#include "poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbhttp.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#define NOTIFICATION_PATH "/integrationServices/v3/notification"

struct poller {
	const struct config *cfg;
	volatile sig_atomic_t *stop;
	struct rconn *rc;
	struct cbhttp *siem; /* NULL for the synthetic source */
};

struct poller *
poller_new(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
    size_t errlen)
{
	struct poller *p = xcalloc(1, sizeof(*p));
	struct cb_cred cred;

	p->cfg = cfg;
	p->stop = stop;
	if (cfg->source == CONFIG_SOURCE_NOTIFICATIONS) {
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
				free(p);
				return NULL;
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
		cb_cred_release(&cred);
	} else {
		log_info(
		    "generating a synthetic THREAT notification for device %lld every %d s",
		    (long long)cfg->synthetic, cfg->poll_s);
	}
	p->rc = rconn_new(cfg->redis_url, 5000);
	return p;
}

void
poller_free(struct poller *p)
{
	if (p == NULL)
		return;
	cbhttp_free(p->siem);
	rconn_free(p->rc);
	free(p);
}

/* Enqueues one alert, retrying until Redis takes it or we are stopped.
 * Returns 1 queued, 0 coalesced, -1 if stopped before it landed. */
static int
enqueue(struct poller *p, const struct queue_alert *a, const char *type)
{
	enum queue_enqueue_result r;

	for (;;) {
		r = queue_enqueue(p->rc, p->cfg->prefix, a);
		if (r != QUEUE_ERROR)
			break;
		if (*p->stop) {
			log_error(
			    "shutting down before the alert for device %lld reached Redis: %.300s",
			    (long long)a->device_id,
			    a->alert_json ? a->alert_json : "");
			return -1;
		}
		log_warnx("could not queue device %lld, retrying",
		    (long long)a->device_id);
		util_sleep_ms(1000, p->stop);
		rconn_wait(p->rc, p->stop);
	}
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
	    (p->cfg->min_severity > 0 && nt.score < p->cfg->min_severity)) {
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

int
poller_poll_once(struct poller *p)
{
	if (rconn_wait(p->rc, p->stop) == -1)
		return -1;
	if (p->cfg->source == CONFIG_SOURCE_SYNTHETIC)
		return poll_synthetic(p);
	return poll_notifications(p);
}
