/* tv.h - helpers the viewer's unit tests share. */
#ifndef LR_TESTS_TV_H
#define LR_TESTS_TV_H

#include <stdlib.h>

#include <event2/buffer.h>

/* Returns a new NUL-terminated copy of b's contents and empties b. */
static inline char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

#endif
