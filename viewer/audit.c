/* audit.c - the audit trail in lr:audit (see audit.h). */
#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "log.h"
#include "store.h"
#include "util.h"
#include "viewer_int.h"
#include "xmalloc.h"

/* What was recorded, for the log line of a failure. */
struct audit_note {
	char what[96];
};

static void
audit_done(json_t *replies, void *arg)
{
	struct audit_note *n = arg;

	if (replies == NULL || !json_is_string(json_array_get(replies, 0)))
		log_warnx("could not record %s in the audit trail", n->what);
	free(n);
}

void
audit_record(struct viewer *v, const char *action, int64_t id, const char *addr)
{
	struct audit_note *n = xcalloc(1, sizeof(*n));
	struct store_batch *b = store_batch_new(v->store, audit_done, n);
	char dev[32], iso[32], *k = viewer_key(v, "audit", NULL);

	snprintf(dev, sizeof(dev), "%" PRId64, id);
	snprintf(n->what, sizeof(n->what), "%s of device %s", action, dev);
	store_batch_add(b, "XADD", k, "MAXLEN", "~", AUDIT_MAXLEN, "*",
	    "action", action, "device_id", dev, "who", v->user, "addr",
	    addr != NULL ? addr : "-", "at",
	    util_iso8601(util_now_ms(), iso, sizeof(iso)), NULL);
	store_batch_run(b);
	free(k);
}
