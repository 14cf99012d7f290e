/* storage.h - the simulated storage host v6 file content redirects to: a
 * second evhttp listener (127.0.0.2, port picked by the kernel) serving
 * GET /lr-content/<key>?sig=<sig> without authentication.  A request that
 * carries X-Auth-Token anyway counts in stats.token_leaks. */
#ifndef CBSIM_STORAGE_H
#define CBSIM_STORAGE_H

#include <event2/event.h>

#include "sim.h"

/* Starts the storage host on base for s (both borrowed): binds 127.0.0.2
 * on a free port, else 127.0.0.1, and writes "ADDR:PORT" to s->storage.
 * Returns it, or NULL (logged) if it cannot listen at all. */
struct storage *storage_new(struct event_base *base, struct sim *s);
/* Stops it; NULL-safe. */
void storage_free(struct storage *st);

#endif
