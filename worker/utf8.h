/* utf8.h - lenient UTF-8 decoding for text that comes from endpoints.
 *
 * net start output is in the endpoint's OEM code page and History titles
 * are whatever a web page said; jansson refuses invalid UTF-8, so every
 * such string goes through here before it becomes JSON. */
#ifndef LR_WORKER_UTF8_H
#define LR_WORKER_UTF8_H

#include <stddef.h>

/* Returns a new NUL-terminated string (caller frees): the len bytes of s
 * with every byte that is not part of a valid UTF-8 sequence (and every
 * NUL) replaced by U+FFFD.  s may be NULL when len is 0. */
char *utf8_lenient(const char *s, size_t len);

#endif
