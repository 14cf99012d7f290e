/* bench.h - a bench's figure as one row of the table make bench prints
 * at the end (tests/bench.sh; the shell benches use bench_row in
 * tests/integration/lib.sh).  Appended to $LRFLOW_BENCH_TABLE when set. */
#ifndef LRFLOW_BENCH_H
#define LRFLOW_BENCH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"

/* n, figure and target are fixed text; the rest is printf(fmt, ...) and
 * must hold "value|raw" (no other '|'). */
static inline void
bench_row(
    const char *n, const char *figure, const char *target, const char *fmt, ...)
{
	const char *path = getenv("LRFLOW_BENCH_TABLE");
	FILE *f;
	va_list ap;

	if (path == NULL || *path == '\0' || (f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "%s|%s|%s|", n, figure, target);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

/* Redis's own time for what ran since the last call (INFO commandstats),
 * then the stats are reset: microseconds per call of cmd ("evalsha"), or
 * with cmd NULL the total microseconds of every command. */
static inline double
bench_redis_us(struct rconn *rc, const char *cmd)
{
	redisReply *r = rconn_command(rc, "INFO commandstats");
	const char *p = NULL;
	char key[64];
	double us = 0;

	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		if (cmd == NULL)
			for (p = r->str; (p = strstr(p, "usec=")) != NULL;
			     p += 5)
				us += strtod(p + 5, NULL);
		else if (snprintf(key, sizeof(key), "cmdstat_%s:", cmd),
		    (p = strstr(r->str, key)) != NULL &&
			(p = strstr(p, "usec_per_call=")) != NULL)
			us = strtod(p + 14, NULL);
	}
	if (r != NULL)
		freeReplyObject(r);
	r = rconn_command(rc, "CONFIG RESETSTAT");
	if (r != NULL)
		freeReplyObject(r);
	return us;
}

#endif
