/* csrf.c - tokens and origin checks for requests that change something
 * (see csrf.h). */
#include "csrf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sha256.h"

void
csrf_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32])
{
	unsigned char k[64], pad[64], inner[32];
	struct sha256 s;
	size_t i;

	memset(k, 0, sizeof(k));
	if (keylen > sizeof(k)) {
		sha256_init(&s);
		sha256_update(&s, key, keylen);
		sha256_final(&s, k);
	} else
		memcpy(k, key, keylen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, msg, len);
	sha256_final(&s, inner);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, inner, sizeof(inner));
	sha256_final(&s, out);
}

void
csrf_token(const unsigned char secret[CSRF_SECRET_LEN], const char *user,
    char out[CSRF_TOKEN_LEN + 1])
{
	char msg[300];
	unsigned char mac[32];
	int n;

	n = snprintf(msg, sizeof(msg), "collect\n%s", user ? user : "-");
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	csrf_hmac_sha256(secret, CSRF_SECRET_LEN, msg, (size_t)n, mac);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

bool
csrf_token_ok(const unsigned char secret[CSRF_SECRET_LEN], const char *user,
    const char *token)
{
	char want[CSRF_TOKEN_LEN + 1];
	unsigned char diff = 0;
	size_t i, n;

	if (token == NULL)
		return false;
	csrf_token(secret, user, want);
	n = strlen(token);
	diff = n != CSRF_TOKEN_LEN;
	for (i = 0; i < CSRF_TOKEN_LEN; i++)
		diff |= (unsigned char)want[i] ^
			(unsigned char)(i < n ? token[i] : 0);
	return diff == 0;
}

/* True when url is "http://HOST" or "https://HOST", followed by the end
 * (origin) or by '/' (referer), with HOST equal to host without case. */
static bool
names_host(const char *url, const char *host, bool path_ok)
{
	size_t n = strlen(host);
	const char *p;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return false;
	if (n == 0 || strncasecmp(p, host, n) != 0)
		return false;
	p += n;
	return *p == '\0' || (path_ok && (*p == '/' || *p == '?'));
}

bool
csrf_origin_ok(
    const char *origin, const char *referer, const char *host, bool allow_none)
{
	if (host == NULL || *host == '\0' || strchr(host, '/') != NULL ||
	    strchr(host, '@') != NULL)
		return false;
	if (origin != NULL)
		return names_host(origin, host, false);
	if (referer != NULL)
		return names_host(referer, host, true);
	return allow_none;
}
