/* poller.h - turns alerts into queued Live Response jobs. */
#ifndef LR_POLLER_H
#define LR_POLLER_H

#include <signal.h>

#include "config.h"

struct poller;

/* A poller for cfg (borrowed; must outlive it).  Resolves credentials:
 * returns NULL with one line in err when they are missing or bad. */
struct poller *poller_new(const struct config *cfg, volatile sig_atomic_t *stop,
    char *err, size_t errlen);
void poller_free(struct poller *p);
/* One poll: fetch (or make) alerts and enqueue their devices.  Waits for
 * Redis first.  Returns the number of jobs queued, or -1 when the poll
 * failed (logged). */
int poller_poll_once(struct poller *p);
/* Adds the counts of the cloud's answers not yet in P:stats (apistats.h);
 * poller_poll_once() does it after each poll.  0, or -1 when Redis did
 * not take them (kept for the next call). */
int poller_flush_stats(struct poller *p);
/* Queues the manual collection requests waiting in P:requests (its own
 * pending ones first, see inbox.h), waiting up to block_ms for one (0:
 * none).  Returns how many were handled, or -1 when Redis failed (what
 * was read is read again later). */
int poller_requests(struct poller *p, int block_ms);

#endif
