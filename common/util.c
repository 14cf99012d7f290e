/* util.c - time, number parsing, randomness and string helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"

int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
util_iso8601(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	if (ms < 0)
		t = 0, ms = 0;
	gmtime_r(&t, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
	return buf;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int
util_parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, frac = 0, fdig = 0, oh = 0, om = 0, sign;
	const char *p = s;
	time_t t;

	if (s == NULL)
		return -1;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fdig < 3) {
				frac = frac * 10 + (*p - '0');
				fdig++;
			}
			p++;
		}
		if (fdig == 0)
			return -1;
		while (fdig++ < 3)
			frac *= 10;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om))
			return -1;
		oh *= sign;
		om *= sign;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t - oh * 3600 - om * 60) * 1000 + frac;
	return 0;
}

int
util_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_parse_device_id(const char *s, int64_t *out)
{
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	if (util_parse_int(s, 1, 9007199254740992LL, &v) == -1)
		return -1;
	*out = v;
	return 0;
}

void
util_sleep_ms(int64_t ms, volatile sig_atomic_t *stop)
{
	int64_t end = util_mono_ms() + ms;

	while ((stop == NULL || !*stop)) {
		int64_t left = end - util_mono_ms();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 100)
			left = 100;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

static void
random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		got += (size_t)r;
	}
}

void
util_random_hex(char *buf, size_t n)
{
	unsigned char raw[64];
	static const char hex[] = "0123456789abcdef";

	if (n > sizeof(raw))
		n = sizeof(raw);
	random_bytes(raw, n);
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[2 * n] = '\0';
}

void
util_uuid(char buf[37])
{
	unsigned char r[16];

	random_bytes(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(buf, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
	    r[11], r[12], r[13], r[14], r[15]);
}

void
util_random_alnum(char *buf, size_t n)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[64];

	if (n > sizeof(raw))
		n = sizeof(raw);
	random_bytes(raw, n);
	for (size_t i = 0; i < n; i++)
		buf[i] = set[raw[i] % 62];
	buf[n] = '\0';
}

bool
util_strieq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

const char *
util_stristr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (hay == NULL)
		return NULL;
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return n == 0 ? hay : NULL;
}

FILE *
util_tmpfile(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, size, "%s/lrflow-XXXXXX", dir) >= size)
		return NULL;
	if ((fd = mkstemp(path)) == -1) /* mode 0600 */
		return NULL;
	if ((f = fdopen(fd, "w+b")) == NULL) {
		close(fd);
		unlink(path);
	}
	return f;
}
