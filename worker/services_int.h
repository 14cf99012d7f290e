/* services_int.h - what the service parsers (services_parse.c) share with
 * the merge and the collection (services.c); not for other callers. */
#ifndef LR_WORKER_SERVICES_INT_H
#define LR_WORKER_SERVICES_INT_H

#include <stdbool.h>
#include <stddef.h>

#define SERVICES_NAME_MAX 512 /* bytes kept of a key or value name */

/* Returns a new copy of the first max bytes of s (valid UTF-8), cut at a
 * character boundary. */
char *services_cut(const char *s, size_t max);

/* A key name as a lookup key: ASCII lower case (new string). */
char *services_fold(const char *s);

/* The bytes a console tool wrote to a file as valid UTF-8 text (new
 * string): UTF-16LE with a BOM, or without one when it starts like
 * "\r\0\n\0" or "H\0K\0"; else ANSI or UTF-8, leniently. */
char *services_text(const unsigned char *p, size_t len);

/* A DisplayName such as "@%SystemRoot%\system32\dhcpcore.dll,-100": a
 * resource the console resolves, never the name net start prints. */
bool services_indirect(const char *display);

#endif
