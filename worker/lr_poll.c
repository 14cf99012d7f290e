/* lr_poll.c - when to poll a command: soon after it is likely done, then
 * less and less often.
 *
 * A fixed half-second poll spends several requests on a slow command and
 * makes a fast one wait.  Instead the worker keeps (for all its threads),
 * per command name, a moving average of how long commands took from the moment they could
 * start: their submit, or, for a command queued behind another of the
 * same session, the moment that one was seen complete (a sensor works
 * through a session's commands in order).  A name never seen complete
 * is expected to take what the others take on average.  The first poll
 * goes a little before the estimate, so that it can come down as well as
 * go up; a command not done then is polled again after half the estimate
 * (the whole of a guess), each wait half as long again as the last, at
 * most LR_POLL_MAX_MS.
 *
 * Whether the device works through the commands in order or runs them
 * all at once is found out once per session: a command queued behind
 * others is looked at when it would be done had it run beside them, if
 * that is well before it can be done after them.  Done, the device runs
 * them at once, and from then on each command is expected its own time
 * after its submit; not done, they run in order, at the cost of that one
 * request.  Until then, in order. */
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "lr.h"
#include "lr_backend.h"
#include "util.h"

#define LR_POLL_MIN_MS 50
#define LR_POLL_MAX_MS 2000

/* What this worker's threads have seen, by command name. */
static struct lr_estimate lr_est[LR_ESTIMATES];
static pthread_mutex_t lr_est_mu = PTHREAD_MUTEX_INITIALIZER;

/* The estimate for name, or NULL when the table is full (lr_est_mu
 * held). */
static struct lr_estimate *
lr_poll_slot(const char *name, bool add)
{
	for (size_t i = 0; i < LR_ESTIMATES; i++) {
		struct lr_estimate *e = &lr_est[i];

		if (e->name[0] != '\0' && strcmp(e->name, name) == 0)
			return e;
		if (e->name[0] == '\0') {
			if (!add || strlen(name) >= sizeof(e->name))
				return NULL;
			memcpy(e->name, name, strlen(name) + 1);
			return e;
		}
	}
	return NULL;
}

/* The estimate for name, or for a name never seen complete the mean of
 * the others (the device's speed), or the default; *known says which. */
static int64_t
lr_poll_guess(struct lr *lr, const char *name, bool *known)
{
	struct lr_estimate *e;
	int64_t sum = 0, ms;
	long n = 0;

	pthread_mutex_lock(&lr_est_mu);
	e = lr_poll_slot(name, false);
	*known = e != NULL && e->n > 0;
	if (*known)
		ms = e->ms;
	else {
		for (size_t i = 0; i < LR_ESTIMATES; i++)
			if (lr_est[i].n > 0) {
				sum += lr_est[i].ms;
				n++;
			}
		ms = n > 0 ? sum / n : lr->command_poll_ms;
	}
	pthread_mutex_unlock(&lr_est_mu);
	return ms;
}

int64_t
lr_poll_estimate(struct lr *lr, const char *name)
{
	bool known;

	return lr_poll_guess(lr, name, &known);
}

void
lr_poll_start(struct lr *lr, struct lr_poll *p, const char *name,
    int64_t start_ms, int64_t submit_ms, long long seq)
{
	int64_t now = util_mono_ms(), probe;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->seq = seq;
	p->est_ms = lr_poll_guess(lr, name, &p->known);
	if (seq < lr->seen_seq) {
		/* One sent after it is done already: so is this one, on a
		 * sensor that works in order.  Look at once. */
		p->start_ms = now;
		p->due_ms = now;
		p->late = true;
		return;
	}
	if (lr->device == LR_DEVICE_AT_ONCE)
		p->start_ms = submit_ms;
	else /* it starts once the one before it is done */
		p->start_ms = start_ms > lr->seen_ms ? start_ms : lr->seen_ms;
	/* A little early when known, so the estimate can come down. */
	p->due_ms = p->start_ms + (p->known ? p->est_ms * 9 / 10 : p->est_ms);
	p->late = p->due_ms <= now;
	/* A command queued behind others tells how the device works, if
	 * looked at once it would be done had it run beside them, and
	 * well before it can be done after them. */
	probe = submit_ms + p->est_ms > now ? submit_ms + p->est_ms : now;
	if (lr->device == LR_DEVICE_UNKNOWN && start_ms > submit_ms &&
	    probe < start_ms + p->est_ms / 2 && probe < p->due_ms) {
		p->probe = true;
		p->probe_due_ms = p->due_ms;
		p->due_ms = probe;
	}
}

int64_t
lr_poll_next(struct lr *lr, struct lr_poll *p)
{
	int64_t now = util_mono_ms();

	if (p->polls++ == 0)
		return p->due_ms > now ? p->due_ms - now : 0;
	if (p->probe) {
		/* Not done yet: the device works in order. */
		p->probe = false;
		lr->device = LR_DEVICE_IN_ORDER;
		log_debug("commands run one after another on this device");
		if (p->probe_due_ms > now)
			return p->probe_due_ms - now;
	}
	if (p->step_ms == 0)
		p->step_ms = p->known ? p->est_ms / 2 : p->est_ms;
	else
		p->step_ms = p->step_ms * 3 / 2;
	if (p->step_ms < LR_POLL_MIN_MS)
		p->step_ms = LR_POLL_MIN_MS;
	if (p->step_ms > LR_POLL_MAX_MS)
		p->step_ms = LR_POLL_MAX_MS;
	return p->step_ms;
}

void
lr_poll_done(struct lr *lr, const struct lr_poll *p)
{
	struct lr_estimate *e;
	int64_t sample;

	if (p->seq > lr->seen_seq) {
		lr->seen_ms = p->polls > 0 ? p->sent_ms : util_mono_ms();
		lr->seen_seq = p->seq;
	}
	if (p->probe && p->polls == 1) {
		lr->device = LR_DEVICE_AT_ONCE;
		log_debug("commands run at once on this device");
		return;
	}
	/* Done at the first look after it was due: when exactly is not
	 * known, unless that look came early. */
	if (p->polls == 0 || (p->late && p->polls == 1))
		return;
	sample = p->sent_ms - p->start_ms;
	if (sample < LR_POLL_MIN_MS)
		sample = LR_POLL_MIN_MS;
	pthread_mutex_lock(&lr_est_mu);
	if ((e = lr_poll_slot(p->name, true)) != NULL) {
		e->ms = e->n == 0 ? sample : (e->ms + sample) / 2;
		e->n++;
	}
	pthread_mutex_unlock(&lr_est_mu);
}

void
lr_poll_reset(struct lr *lr)
{
	lr->seen_ms = 0;
	lr->seen_seq = 0;
	lr->device = LR_DEVICE_UNKNOWN;
}
