/* poller_int.h - what the poller's modules share: the poller's state,
 * the helpers in poller.c, and the sources.
 *
 * Modules: poller.c (life cycle, one poll, the enqueue, manual
 * requests), source_alerts.c (Alerts v7), source_notify.c (v3
 * notifications and the synthetic one); under them alerts.c and notify.c
 * read the payloads and inbox.c the collect-now stream. */
#ifndef LR_POLLER_POLLER_INT_H
#define LR_POLLER_POLLER_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts.h"
#include "config.h"
#include "queue.h"
#include "ratelimit.h"

struct cbhttp;
struct inbox;
struct rconn;

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

/* Logs a 429 pause of s seconds once at info (with its length), then at
 * debug while it lasts; what says who waits. */
void poller_pause_note(struct poller *p, long s, const char *what);
/* Plugs the shared 429 pause (in Redis, on p->rc) into c. */
void poller_gate_init(struct poller *p, struct cbhttp *c);
/* Enqueues one alert, retrying until Redis takes it.  QUEUE_ERROR only
 * when stopped before it landed (logged with the alert, which a read-once
 * source cannot give again). */
enum queue_enqueue_result poller_enqueue_until_taken(
    struct poller *p, const struct queue_alert *a);
/* Enqueues a[0..n) in order through pipelines (queue_batch.h), sending
 * again from the first alert not known to have landed until Redis takes
 * them all.  res[i] receives alert i's result.  Returns n, or fewer when
 * stopped first: the alerts from there on are logged (a read-once source
 * cannot give them again) and their res[] is QUEUE_ERROR. */
size_t poller_enqueue_batch_until_taken(struct poller *p,
    const struct queue_alert *a, size_t n, enum queue_enqueue_result *res);
/* Whether the allow and deny lists let device id through. */
bool poller_device_allowed(const struct poller *p, int64_t id);

/* Alerts v7 (source_alerts.c).  Sets up the search client from cred (the
 * main profile's Custom key and org key); -1 with one line in err when
 * there is no org key. */
int source_alerts_init(
    struct poller *p, struct cb_cred *cred, char *err, size_t errlen);
/* One alerts poll: jobs queued, or -1 when the poll failed (logged). */
int source_alerts_poll(struct poller *p);

/* v3 notifications and the synthetic one (source_notify.c).  Each
 * returns the jobs queued, or -1 when the poll failed (logged). */
int source_notify_poll(struct poller *p);
int source_notify_synthetic(struct poller *p);

#endif
