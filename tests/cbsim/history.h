/* history.h - Chrome "History" files for simulated users: real SQLite
 * databases in Chrome's schema, or garbage for corrupt-history tests. */
#ifndef CBSIM_HISTORY_H
#define CBSIM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "vfs.h"

/* Returns a new string: the History path of user on Windows. */
char *history_path(const char *user);
/* Returns a new blob holding a SQLite History database with u's visits,
 * or plausible generated ones if u has none, dated before now_ms.
 * Returns NULL with err set if SQLite fails. */
struct vfs_blob *history_sqlite(
    const struct sim_user *u, int64_t now_ms, char *err, size_t errsize);
/* Returns a new blob of bytes that are not a SQLite database. */
struct vfs_blob *history_garbage(const char *seed);

#endif
