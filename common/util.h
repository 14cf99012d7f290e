/* util.h - small helpers every module needs: time, numbers, strings. */
#ifndef LR_UTIL_H
#define LR_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

/* Wall clock in milliseconds since the epoch. */
int64_t util_now_ms(void);
/* Monotonic clock in milliseconds (for deadlines). */
int64_t util_mono_ms(void);
/* Formats ms since the epoch as "2026-11-28T02:13:31.123Z" (24 chars + NUL). */
char *util_iso8601(int64_t ms, char *buf, size_t size);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]" into ms; -1 if malformed. */
int util_parse_iso8601(const char *s, int64_t *ms);

/* Parses a device id: decimal digits only, 1..2^53 (JSON-safe). */
int util_parse_device_id(const char *s, int64_t *out);
/* Parses a decimal integer in [min, max]; 0 or -1. */
int util_parse_int(const char *s, long long min, long long max, long long *out);

/* Sleeps up to ms, waking early (returning) once *stop becomes non-zero. */
void util_sleep_ms(int64_t ms, volatile sig_atomic_t *stop);

/* Random bytes from the kernel (getrandom), hex-encoded: 2*n chars + NUL. */
void util_random_hex(char *buf, size_t n);
/* A version 4 UUID string (37 bytes with NUL). */
void util_uuid(char buf[37]);
/* n random characters of [A-Za-z0-9] plus NUL. */
void util_random_alnum(char *buf, size_t n);
/* A new empty file only we can read, in $TMPDIR (else /tmp), open for
 * reading and writing; its name goes into path.  The caller fclose()s and
 * unlink()s it.  NULL on failure (errno set). */
FILE *util_tmpfile(char *path, size_t size);

/* Case-insensitive equality and substring search (ASCII). */
bool util_strieq(const char *a, const char *b);
const char *util_stristr(const char *hay, const char *needle);

#endif
