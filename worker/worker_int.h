/* worker_int.h - what the job threads (worker.c) and the heartbeat and
 * reaper thread (reaper.c) share inside lr-worker. */
#ifndef LR_WORKER_WORKER_INT_H
#define LR_WORKER_WORKER_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "queue.h"
#include "ratelimit.h"
#include "rconn.h"

struct worker_thread {
	struct worker *w;
	int n; /* thread number, for logs */
	pthread_t tid;
	bool started;
	struct rconn *rc;           /* this thread's Redis */
	struct lr *lr;              /* this thread's Live Response client */
	struct ratelimit_gate gate; /* the shared 429 pause, on rc */
	struct queue_job *job;      /* the job in hand, for the sink */
	long long held;             /* its claim token, 0 if none (w->lock) */
	char slot[200];             /* held session budget member, or "" */
	int64_t slot_renewed; /* util_mono_ms() of the last lease renewal */
};

struct worker {
	const struct config *cfg;
	const struct cb_cred *cred;
	enum config_api api;
	volatile sig_atomic_t *stop;   /* shutdown: stop claiming */
	volatile sig_atomic_t *abort;  /* give up the jobs in hand */
	volatile sig_atomic_t hb_stop; /* set once all jobs are done */
	volatile sig_atomic_t give_up; /* past every deadline: stop
					   retrying Redis */
	volatile sig_atomic_t fenced;  /* another process took our id */
	char *id;                      /* worker id; owned */
	char instance[256];            /* "host/pid/random" */
	int64_t crash_device;          /* test hook, 0 if unset */
	struct rconn *hb_rc;           /* the heartbeat's Redis */
	struct ratelimit_gate hb_gate; /* the shared 429 pause, on hb_rc */
	pthread_t hb_tid;
	pthread_mutex_t lock;          /* running, threads[].held */
	int running;                   /* job threads not yet finished */
	struct worker_thread *threads; /* owned array of cfg->concurrency */
};

/* The claim tokens the job threads hold now, at most max. */
size_t worker_held_tokens(struct worker *w, long long *out, size_t max);

/* Takes the worker's lease before its first claim, then hands back what
 * an earlier process with this id left.  If another process holds the id,
 * watches its lease: a lease that is renewed belongs to a live process
 * and the id is refused (-2); one that runs out was a dead one's.
 * Returns 0, -1 when stopped before Redis answered, -2. */
int reaper_register(struct worker *w);
/* Starts the heartbeat and reaper thread.  0 or -1. */
int reaper_start(struct worker *w);
/* Stops it (after the job threads are done). */
void reaper_stop(struct worker *w);

#endif
