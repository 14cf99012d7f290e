/* storage.h - the simulated storage host v6 file content redirects to: a
 * second evhttp listener (by default 127.0.0.2, port picked by the kernel;
 * --storage-listen chooses) serving
 * GET /lr-content/<key>?sig=<sig> without authentication.  A request that
 * carries X-Auth-Token anyway counts in stats.token_leaks. */
#ifndef CBSIM_STORAGE_H
#define CBSIM_STORAGE_H

#include <event2/event.h>

#include "sim.h"

/* Starts the storage host on base for s (both borrowed): binds the IPv4
 * address addr on port (0: a free one), or, with addr NULL, 127.0.0.2 on
 * a free port, else 127.0.0.1; writes "ADDR:PORT" to s->storage.
 * Returns it, or NULL (logged) if it cannot listen. */
struct storage *storage_new(
    struct event_base *base, struct sim *s, const char *addr, unsigned port);
/* Stops it; NULL-safe. */
void storage_free(struct storage *st);

#endif
