/* histfile.h - one browser History file from a device: fetched (through
 * a copy when the browser holds it open), stored as an artifact, parsed
 * into a browser_history entry. */
#ifndef LR_WORKER_HISTFILE_H
#define LR_WORKER_HISTFILE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "collect.h"
#include "lr.h"
#include "profiles.h"

/* JSON bytes the lists of all of a job's History files may take. */
#define HISTFILE_JOB_BUDGET (32 * 1024 * 1024)
/* Where a locked History file is copied: cblr.<12 alnum>.tmp. */
#define HISTFILE_TEMP_DIR "c:\\windows\\temp"

/* What fetching a History file needs from the job. */
struct histfile_job {
	struct lr *lr;
	const char *sid; /* the open session; borrowed */
	const struct collect_sink *sink;
	const struct collect_opts *o;
	int64_t device_id;
	size_t used; /* JSON bytes of the job's lists so far */
};

/* Fetches, stores and parses the History of user's profile of browser b
 * into a new browser_history entry; a missing, unreadable or bad file is
 * an "error" in the entry.  A file the browser holds open is copied to
 * c:\windows\temp with create process, fetched from there, and the copy
 * deleted on every path ("copied": true).  Returns NULL only when the
 * session is gone or the worker stops (lr's error says which); *leftover
 * is then the path of a copy the dropped session could not delete
 * (caller frees), else NULL. */
json_t *histfile_fetch(struct histfile_job *j, const char *user,
    const struct profiles_browser *b, const char *profile, char **leftover);

#endif
