/* bench.h - a bench's figure as one row of the table make bench prints
 * at the end (tests/bench.sh; the shell benches use bench_row in
 * tests/integration/lib.sh).  Appended to $LRFLOW_BENCH_TABLE when set. */
#ifndef LRFLOW_BENCH_H
#define LRFLOW_BENCH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
