/* cbhttp_wait.c - every wait of the Carbon Black HTTP client (see
 * cbhttp_int.h): the caller's tick, the backoff between retries, and the
 * 429 pause, the client's own and the shared one the gate reports.
 *
 * Every wait sleeps in slices of at most half a second, so the stop flag
 * cuts it short and the tick keeps running. */
#include "cbhttp_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

void
cbhttp_wait_tick(struct cbhttp *c)
{
	int64_t now;

	if (c->tick == NULL)
		return;
	now = util_mono_ms();
	if (c->last_tick != 0 && now - c->last_tick < TICK_MS)
		return;
	c->last_tick = now;
	c->tick(c->tick_arg);
}

/* Sleeps ms in slices, ticking, until done or stopped. */
static void
nap(struct cbhttp *c, int64_t ms)
{
	int64_t end = util_mono_ms() + ms, left;

	while ((left = end - util_mono_ms()) > 0 && !cbhttp_stopped(c)) {
		util_sleep_ms(left < TICK_MS ? left : TICK_MS, c->stop);
		cbhttp_wait_tick(c);
	}
}

void
cbhttp_wait_backoff(struct cbhttp *c, int attempt, long retry_after)
{
	char rnd[3];
	int64_t ms = 500LL << (attempt < 6 ? attempt : 6);

	util_random_alnum(rnd, 2);
	ms = ms / 2 + (ms / 2) * ((unsigned char)rnd[0] % 100) / 100;
	if (retry_after > 0 && retry_after * 1000 > ms)
		ms = retry_after * 1000 > 60000 ? 60000 : retry_after * 1000;
	nap(c, ms);
}

int64_t
cbhttp_wait_left(struct cbhttp *c)
{
	int64_t left = c->pause_until - util_mono_ms(), g;

	if (left < 0)
		left = 0;
	if (c->gate.remaining_ms != NULL &&
	    (g = c->gate.remaining_ms(c->gate.arg)) > left)
		left = g;
	return left;
}

int64_t
cbhttp_wait_pause(struct cbhttp *c, int64_t *waited)
{
	int64_t left, t0;

	while ((left = cbhttp_wait_left(c)) > 0) {
		if (cbhttp_stopped(c) || left > c->max_wait_ms - *waited)
			return left;
		log_debug(
		    "waiting %.1f s for the Carbon Black Cloud rate limit",
		    (double)left / 1000);
		t0 = util_mono_ms();
		nap(c, left);
		*waited += util_mono_ms() - t0;
	}
	return 0;
}

void
cbhttp_wait_answer(struct cbhttp_resp *r, int64_t left_ms)
{
	r->status = 429;
	r->retry_after = (long)((left_ms + 999) / 1000);
	if (r->body == NULL)
		r->body = xstrdup("");
	snprintf(r->err, sizeof(r->err),
	    "Carbon Black Cloud asked us to pause (HTTP 429) for %ld more s",
	    r->retry_after);
}

void
cbhttp_wait_paused(
    struct cbhttp *c, const char *method, const char *path, long s)
{
	int64_t until = util_mono_ms() + (int64_t)s * 1000;

	if (until > c->pause_until)
		c->pause_until = until;
	if (c->gate.paused != NULL)
		c->gate.paused(c->gate.arg, s);
	else
		log_info(
		    "HTTP %s %s: Carbon Black Cloud asked us to pause for %ld s (HTTP 429)",
		    method, path, s);
}
