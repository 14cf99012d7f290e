/* log.c - levelled logging to stderr, as text or JSON lines.
 *
 * Text:  2026-11-28T02:13:31.123Z lr-worker[1234]: info: message
 * JSON:  {"ts":"...","prog":"lr-worker","pid":1234,"level":"info","msg":"..."}
 * One write(2) per line, so lines from threads never interleave. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096
#define LOG_SECRETS 8

static const char *log_prog = "lrflow";
static enum log_level log_level = LOG_INFO;
static enum log_format log_fmt = LOG_TEXT;
static char *log_secrets[LOG_SECRETS];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void
log_init(const char *prog, enum log_level level, enum log_format fmt)
{
	const char *slash;

	if (prog != NULL) {
		slash = strrchr(prog, '/');
		log_prog = slash ? slash + 1 : prog;
	}
	log_level = level;
	log_fmt = fmt;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

void
log_add_secret(const char *secret)
{
	int i;

	/* Too-short strings would redact innocent text; tokens are long. */
	if (secret == NULL || strlen(secret) < 6)
		return;
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < LOG_SECRETS; i++) {
		if (log_secrets[i] != NULL &&
		    strcmp(log_secrets[i], secret) == 0)
			break;
		if (log_secrets[i] == NULL) {
			log_secrets[i] = strdup(secret);
			break;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

static void
redact_one(char *buf, unsigned long size, const char *secret)
{
	static const char mark[] = "[REDACTED]";
	size_t slen = strlen(secret), mlen = sizeof(mark) - 1;
	char *p = buf;

	while ((p = strstr(p, secret)) != NULL) {
		size_t tail = strlen(p + slen);

		if (mlen > slen && (size_t)(p - buf) + mlen + tail + 1 > size)
			tail = size - (size_t)(p - buf) - mlen - 1;
		memmove(p + mlen, p + slen, tail);
		p[mlen + tail] = '\0';
		memcpy(p, mark, mlen);
		p += mlen;
	}
}

void
log_redact(char *buf, unsigned long size)
{
	int i;

	for (i = 0; i < LOG_SECRETS && log_secrets[i] != NULL; i++)
		redact_one(buf, size, log_secrets[i]);
	/* The secret half of a "SECRET/ID" token may be logged on its own. */
	for (i = 0; i < LOG_SECRETS && log_secrets[i] != NULL; i++) {
		const char *slash = strchr(log_secrets[i], '/');
		char part[256];
		size_t n;

		if (slash == NULL)
			continue;
		n = (size_t)(slash - log_secrets[i]);
		if (n >= 6 && n < sizeof(part)) {
			memcpy(part, log_secrets[i], n);
			part[n] = '\0';
			redact_one(buf, size, part);
		}
	}
}

static size_t
json_escape_into(char *dst, size_t size, const char *src)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src;

	for (; *s != '\0' && o + 7 < size; s++) {
		if (*s == '"' || *s == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)*s;
		} else if (*s < 0x20) {
			o += (size_t)snprintf(dst + o, size - o, "\\u%04x", *s);
		} else {
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
	return o;
}

static void
log_vemit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2], ts[40],
	    esc[LOG_LINE_MAX * 2];
	struct timespec now;
	struct tm tm;
	size_t n;
	int len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errstr != NULL) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", errstr);
	}
	for (char *p = msg; *p != '\0'; p++) /* one event, one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&log_lock);
	log_redact(msg, sizeof(msg));
	pthread_mutex_unlock(&log_lock);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);

	if (log_fmt == LOG_JSON) {
		json_escape_into(esc, sizeof(esc), msg);
		len = snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"prog\":\"%s\",\"pid\":%ld,\"level\":\"%s\",\"msg\":\"%s\"}\n",
		    ts, log_prog, (long)getpid(), level_names[level], esc);
	} else {
		len = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", ts,
		    log_prog, (long)getpid(), level_names[level], msg);
	}
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)len);
}

#define LOG_BODY(level, errstr)                    \
	do {                                       \
		va_list ap;                        \
		if (!log_enabled(level))           \
			break;                     \
		va_start(ap, fmt);                 \
		log_vemit(level, errstr, fmt, ap); \
		va_end(ap);                        \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno); /* read errno first */

	LOG_BODY(LOG_WARN, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, NULL);
}

int
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	return -1;
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_ERROR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERROR, NULL);
	exit(1);
}
