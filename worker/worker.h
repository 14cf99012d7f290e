/* worker.h - the lr-worker process: job threads and a heartbeat thread.
 *
 * Each of --concurrency threads has its own Redis connection and HTTP
 * client and runs one job at a time: claim, collect, complete.  The
 * heartbeat thread keeps the worker's lease alive until every job thread
 * has finished, so a draining worker is never taken for dead. */
#ifndef LR_WORKER_WORKER_H
#define LR_WORKER_WORKER_H

#include <signal.h>

#include "config.h"

struct worker;

/* A worker for cfg and cred (both borrowed; they must outlive it) on API
 * generation api.  *stop (borrowed) is the shutdown flag: once set, the
 * threads stop claiming and finish the jobs they hold.  *abort (borrowed)
 * is set by a second signal or after --drain-timeout: jobs in hand then
 * close their sessions and go back to the queue. */
struct worker *worker_new(const struct config *cfg, const struct cb_cred *cred,
    enum config_api api, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *abort);
void worker_free(struct worker *w);
/* Runs until *stop is set and every job in hand is finished.  Returns 0,
 * or -1 if the threads could not start. */
int worker_run(struct worker *w);
/* The worker's id ("host:pid" unless --id): borrowed. */
const char *worker_id(const struct worker *w);

#endif
