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
#include "xmalloc.h"

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

/* Reads and filters one notification.  True when it is to be queued:
 * *a filled, with its JSON text (owned). */
static bool
want_notification(struct poller *p, json_t *n, struct queue_alert *a,
    const char **type, long long *malformed, long long *filtered)
{
	struct notify nt;
	char err[256], *text;

	if (notify_parse(n, &nt, err, sizeof(err)) == -1) {
		text = json_dumps(n, JSON_COMPACT | JSON_ENCODE_ANY);
		log_warnx("skipping a notification: %s: %.300s", err,
		    text ? text : "");
		free(text);
		(*malformed)++;
		return false;
	}
	if (!notify_type_wanted(p->cfg->alert_types, nt.type) ||
	    (p->cfg->min_severity > 0 && nt.score < p->cfg->min_severity) ||
	    !poller_device_allowed(p, nt.device_id)) {
		log_info(
		    "filtered out %s notification for device %lld (score %d)",
		    nt.type, (long long)nt.device_id, nt.score);
		(*filtered)++;
		return false;
	}
	*type = nt.type;
	*a = (struct queue_alert){
	    .device_id = nt.device_id,
	    .alert_id = nt.event_id,
	    .source = "notifications",

	    .cooldown_s = p->cfg->cooldown_s,
	    .alert_json = json_dumps(n, JSON_COMPACT),
	    .device_name = nt.device_name,
	};
	return true;
}

/* Queues the notifications of one answer: each read and filtered, then
 * the wanted ones queued in pipelines, in the answer's order, and logged
 * as the seed logs them.  Returns the jobs queued. */
static int
take_notifications(struct poller *p, json_t *list)
{
	size_t n = json_array_size(list), nq = 0, landed, i;
	struct queue_alert *qa = xcalloc(n + 1, sizeof(*qa));
	const char **types = xcalloc(n + 1, sizeof(*types));
	enum queue_enqueue_result *r = xcalloc(n + 1, sizeof(*r));
	long long malformed = 0, filtered = 0;
	int queued = 0;

	for (i = 0; i < n; i++)
		if (want_notification(p, json_array_get(list, i), &qa[nq],
			&types[nq], &malformed, &filtered))
			nq++;
	if (malformed > 0)
		queue_count(p->rc, p->cfg->prefix, "notifications_malformed",
		    malformed);
	if (filtered > 0)
		queue_count(
		    p->rc, p->cfg->prefix, "notifications_filtered", filtered);
	landed = poller_enqueue_batch_until_taken(p, qa, nq, r);
	for (i = 0; i < landed; i++) {
		if (r[i] == QUEUE_QUEUED) {
			log_info(
			    "Received %s notification for device_id %lld, enqueuing",
			    types[i], (long long)qa[i].device_id);
			queued++;
		} else {
			log_info("Device ID %lld already inflight",
			    (long long)qa[i].device_id);
		}
	}
	for (i = 0; i < nq; i++)
		free((char *)qa[i].alert_json);
	free(r);
	free(types);
	free(qa);
	return queued;
}

int
source_notify_poll(struct poller *p)
{
	struct cbhttp_resp resp;
	json_t *list;
	char err[300];
	int queued;

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
	queued = take_notifications(p, list);
	cbhttp_resp_release(&resp);
	return queued;
}
