/* lr_poll.c - when to poll a command: soon after it is likely done, then
 * less and less often.
 *
 * A fixed half-second poll spends several requests on a slow command and
 * makes a fast one wait.  Instead each client keeps, per command name, a
 * moving average of how long commands took from the moment they could
 * start: their submit, or, for a command queued behind another of the
 * same session, the moment that one was seen complete (a sensor works
 * through a session's commands in order).  The first poll goes a little
 * before that estimate, so that it can come down as well as go up; a
 * command not done then is polled again after half the estimate, each
 * wait half as long again as the last, at most LR_POLL_MAX_MS. */
#include <string.h>

#include "lr.h"
#include "lr_backend.h"
#include "util.h"

#define LR_POLL_MIN_MS 50
#define LR_POLL_MAX_MS 2000

/* The estimate for name, or NULL when the table is full. */
static struct lr_estimate *
lr_poll_slot(struct lr *lr, const char *name, bool add)
{
	for (size_t i = 0; i < LR_ESTIMATES; i++) {
		struct lr_estimate *e = &lr->est[i];

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

int64_t
lr_poll_estimate(struct lr *lr, const char *name)
{
	struct lr_estimate *e = lr_poll_slot(lr, name, false);

	return e != NULL && e->n > 0 ? e->ms : lr->command_poll_ms;
}

void
lr_poll_start(
    struct lr *lr, struct lr_poll *p, const char *name, int64_t submit_ms)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->start_ms =
	    submit_ms > lr->seen_ms ? submit_ms : lr->seen_ms; /* in order */
	p->est_ms = lr_poll_estimate(lr, name);
	p->due_ms = p->start_ms + p->est_ms * 9 / 10;
	p->late = p->due_ms <= util_mono_ms();
}

int64_t
lr_poll_next(struct lr *lr, struct lr_poll *p)
{
	int64_t now = util_mono_ms();

	(void)lr;
	if (p->polls++ == 0)
		return p->due_ms > now ? p->due_ms - now : 0;
	if (p->step_ms == 0)
		p->step_ms = p->est_ms / 2;
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

	lr->seen_ms = p->polls > 0 ? p->sent_ms : util_mono_ms();
	/* Done at the first look after it was due: when exactly is not
	 * known, unless that look came early. */
	if (p->polls == 0 || (p->late && p->polls == 1))
		return;
	if ((e = lr_poll_slot(lr, p->name, true)) == NULL)
		return;
	sample = p->sent_ms - p->start_ms;
	if (sample < LR_POLL_MIN_MS)
		sample = LR_POLL_MIN_MS;
	e->ms = e->n == 0 ? sample : (e->ms + sample) / 2;
	e->n++;
}

void
lr_poll_reset(struct lr *lr)
{
	lr->seen_ms = 0;
}
