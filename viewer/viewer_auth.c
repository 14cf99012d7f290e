/* viewer_auth.c - HTTP basic authentication of the viewer (viewer.h):
 * the expected header is computed once, and compared in constant time. */
#include "viewer.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

char *
viewer_base64(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, o = 0;
	char *out = xmalloc((len + 2) / 3 * 4 + 1);

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = tab[p[i + 2] & 63];
	}
	if (len - i == 1) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[(p[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = tab[(p[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

bool
viewer_auth_ok(const char *expected_b64, const char *header)
{
	size_t la, lb, i;
	unsigned char diff;

	if (expected_b64 == NULL)
		return true;
	if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
		return false;
	header += 6;
	while (*header == ' ')
		header++;
	/* constant time in the secret: always walk all of it */
	la = strlen(header);
	lb = strlen(expected_b64);
	diff = la != lb;
	for (i = 0; i < lb; i++)
		diff |= (unsigned char)expected_b64[i] ^
			(unsigned char)(i < la ? header[i] : 0);
	return diff == 0;
}
