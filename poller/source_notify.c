/* source_notify.c - the seed's sources: v3 notifications (the SIEM key)
 * and the synthetic THREAT notification (see poller_int.h).
 *
 * The v3 queue is read-once: once a GET has returned a notification, the
 * cloud forgets it, so Redis must be reachable *before* the GET
 * (poller_poll_once() waits for it), and an enqueue that fails is retried
 * until it lands. */
#include "poller_int.h"

#include <stdlib.h>

#include "cbhttp.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "util.h"

#define NOTIFICATION_PATH "/integrationServices/v3/notification"

/* A notification's enqueue, with the seed's log lines.
 * Returns 1 queued, 0 coalesced, -1 if stopped before it landed. */
static int
enqueue(struct poller *p, const struct queue_alert *a, const char *type)
{
	enum queue_enqueue_result r = poller_enqueue_until_taken(p, a);

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

int
source_notify_synthetic(struct poller *p)
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
	    !poller_device_allowed(p, nt.device_id)) {
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

int
source_notify_poll(struct poller *p)
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
		poller_pause_note(p, resp.retry_after, "polling notifications");
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
