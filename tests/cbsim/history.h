/* history.h - Chrome "History" files for simulated users: real SQLite
 * databases in Chrome's schema, or garbage for corrupt-history tests. */
#ifndef CBSIM_HISTORY_H
#define CBSIM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "vfs.h"

/* Returns a new blob holding a SQLite History database in Chrome's
 * schema: u's visits verbatim when verbatim and u has them, else
 * plausible generated ones (picked by seed, "jdoe/edge/Profile 1") with
 * downloads of every state, redirect chains and search terms, dated
 * before now_ms, plus pad_mb MiB of zero blobs in a table of its own.
 * Returns NULL with err set if SQLite fails. */
struct vfs_blob *history_sqlite(const struct sim_user *u, const char *seed,
    bool verbatim, int pad_mb, int64_t now_ms, char *err, size_t errsize);
/* Returns a new blob of bytes that are not a SQLite database. */
struct vfs_blob *history_garbage(const char *seed);

#endif
