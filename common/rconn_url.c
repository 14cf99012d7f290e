/* rconn_url.c - our Redis URLs, the forms redis-py and other clients
 * take, less the password:
 *
 *   redis://[USER@]host[:port][/db]
 *   unix://[USER@]/path/redis.sock[?db=N]
 *   sentinel://[USER@]host[:port][,host[:port]...]/mastername[/db]
 *
 * A password never comes from a URL: argv and the environment of a
 * process are visible in ps and /proc.  The daemons give theirs once, at
 * start, to rconn_set_passwords(), and every address parsed afterwards
 * carries it (see rconn.h). */
#include "rconn.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static char redis_password[RCONN_SECRET_MAX];
static char sentinel_user[RCONN_USER_MAX];
static char sentinel_password[RCONN_SECRET_MAX];

int
rconn_set_passwords(
    const char *password, const char *suser, const char *spassword)
{
	if ((password && strlen(password) >= sizeof(redis_password)) ||
	    (suser && strlen(suser) >= sizeof(sentinel_user)) ||
	    (spassword && strlen(spassword) >= sizeof(sentinel_password)))
		return -1;
	snprintf(redis_password, sizeof(redis_password), "%s",
	    password ? password : "");
	snprintf(
	    sentinel_user, sizeof(sentinel_user), "%s", suser ? suser : "");
	snprintf(sentinel_password, sizeof(sentinel_password), "%s",
	    spassword ? spassword : "");
	return 0;
}

/* The user part of url ("USER@" or "USER:PASS@" before the first '/'
 * after the scheme), as [*start, *at); false when there is none. */
static bool
userinfo(const char *url, const char **start, const char **at)
{
	const char *p = strstr(url, "://"), *slash;

	if (p == NULL)
		return false;
	p += 3;
	slash = strchr(p, '/');
	*at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	*start = p;
	return *at != NULL;
}

bool
rconn_url_has_password(const char *url)
{
	const char *start, *at;

	return userinfo(url, &start, &at) &&
	       memchr(start, ':', (size_t)(at - start)) != NULL;
}

/* Takes "USER@" off the front of *p into user.  0, or -1 with err. */
static int
parse_user(const char **p, char *user, size_t userlen, char *err, size_t errlen)
{
	const char *at, *slash = strchr(*p, '/');
	size_t len;

	at = memchr(*p, '@', slash ? (size_t)(slash - *p) : strlen(*p));
	if (at == NULL)
		return 0;
	len = (size_t)(at - *p);
	if (len == 0 || len >= userlen) {
		snprintf(err, errlen, "the user name before '@' is %s",
		    len == 0 ? "empty" : "too long");
		return -1;
	}
	for (const char *c = *p; c < at; c++)
		if (*c <= ' ' || *c == 0x7f || *c == ',' || *c == '%') {
			snprintf(err, errlen,
			    "the user name holds a space, a comma, a '%%' or a control character");
			return -1;
		}
	memcpy(user, *p, len);
	user[len] = '\0';
	*p = at + 1;
	return 0;
}

static int
parse_hostport(const char *s, size_t len, char *host, size_t hostlen, int *port,
    char *err, size_t errlen)
{
	const char *colon;
	long long p = *port; /* the caller's default */
	char num[16];

	if (len == 0) {
		snprintf(err, errlen, "missing host");
		return -1;
	}
	colon = memchr(s, ':', len);
	if (colon != NULL) {
		size_t nl = len - (size_t)(colon - s) - 1;

		if (nl == 0 || nl >= sizeof(num)) {
			snprintf(err, errlen, "bad port");
			return -1;
		}
		memcpy(num, colon + 1, nl);
		num[nl] = '\0';
		if (util_parse_int(num, 1, 65535, &p) == -1) {
			snprintf(err, errlen, "port '%s' is not 1..65535", num);
			return -1;
		}
		len = (size_t)(colon - s);
	}
	if (len == 0 || len >= hostlen) {
		snprintf(err, errlen, "bad host");
		return -1;
	}
	memcpy(host, s, len);
	host[len] = '\0';
	*port = (int)p;
	return 0;
}

static int
parse_db(const char *s, int *db, char *err, size_t errlen)
{
	long long v;

	if (*s == '\0')
		return 0;
	if (util_parse_int(s, 0, 1000, &v) == -1) {
		snprintf(err, errlen, "database '%s' is not a number", s);
		return -1;
	}
	*db = (int)v;
	return 0;
}

static int
parse_tcp(const char *p, struct rconn_addr *out, char *sub, size_t sublen)
{
	const char *slash;

	out->kind = RCONN_TCP;
	out->port = 6379;
	slash = strchr(p, '/');
	if (parse_hostport(p, slash ? (size_t)(slash - p) : strlen(p),
		out->host, sizeof(out->host), &out->port, sub, sublen) == -1)
		return -1;
	if (slash != NULL && parse_db(slash + 1, &out->db, sub, sublen) == -1)
		return -1;
	return 0;
}

static int
parse_unix(const char *p, struct rconn_addr *out, char *sub, size_t sublen)
{
	const char *q = strchr(p, '?');
	size_t len = q ? (size_t)(q - p) : strlen(p);

	out->kind = RCONN_UNIX;
	if (len == 0 || p[0] != '/' || len >= sizeof(out->path)) {
		snprintf(
		    sub, sublen, "expected unix://[user@]/absolute/path.sock");
		return -1;
	}
	memcpy(out->path, p, len);
	out->path[len] = '\0';
	if (q != NULL) {
		if (strncmp(q, "?db=", 4) != 0) {
			snprintf(sub, sublen, "only ?db=N is understood");
			return -1;
		}
		if (parse_db(q + 4, &out->db, sub, sublen) == -1)
			return -1;
	}
	return 0;
}

static int
parse_sentinel(
    const char *list, struct rconn_addr *out, char *sub, size_t sublen)
{
	const char *p, *end, *name, *slash;
	size_t len;

	out->kind = RCONN_SENTINEL;
	if ((slash = strchr(list, '/')) == NULL || slash[1] == '\0') {
		snprintf(sub, sublen,
		    "expected sentinel://[user@]host:port[,host:port]/mastername");
		return -1;
	}
	for (p = list; p < slash; p = end + 1) {
		int i = out->nsentinels;

		end = memchr(p, ',', (size_t)(slash - p));
		if (end == NULL)
			end = slash;
		if (i == RCONN_MAX_SENTINELS) {
			snprintf(sub, sublen, "more than %d sentinels",
			    RCONN_MAX_SENTINELS);
			return -1;
		}
		out->sentinel_port[i] = 26379;
		if (parse_hostport(p, (size_t)(end - p), out->sentinel_host[i],
			sizeof(out->sentinel_host[i]), &out->sentinel_port[i],
			sub, sublen) == -1)
			return -1;
		out->nsentinels++;
		if (end == slash)
			break;
	}
	name = slash + 1;
	slash = strchr(name, '/');
	len = slash ? (size_t)(slash - name) : strlen(name);
	if (len >= sizeof(out->master)) {
		snprintf(sub, sublen, "master name too long");
		return -1;
	}
	snprintf(out->master, sizeof(out->master), "%.*s", (int)len, name);
	if (slash != NULL && parse_db(slash + 1, &out->db, sub, sublen) == -1)
		return -1;
	return 0;
}

int
rconn_parse_url(
    const char *url, struct rconn_addr *out, char *err, size_t errlen)
{
	static const struct {
		const char *scheme;
		int (*parse)(const char *, struct rconn_addr *, char *, size_t);
	} kinds[] = {
	    {"redis://", parse_tcp},
	    {"unix://", parse_unix},
	    {"sentinel://", parse_sentinel},
	};
	char sub[200];

	memset(out, 0, sizeof(*out));
	if (rconn_url_has_password(url)) {
		/* not echoed: the URL holds the password */
		snprintf(err, errlen,
		    "--redis: a password in the URL is visible to every user in ps: give it in --redis-password-file FILE or LRFLOW_REDIS_PASSWORD");
		return -1;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].scheme);
		const char *p = url + n;

		if (strncmp(url, kinds[i].scheme, n) != 0)
			continue;
		if (parse_user(&p, out->user, sizeof(out->user), sub,
			sizeof(sub)) == -1 ||
		    kinds[i].parse(p, out, sub, sizeof(sub)) == -1)
			goto bad;
		snprintf(
		    out->password, sizeof(out->password), "%s", redis_password);
		snprintf(out->sentinel_user, sizeof(out->sentinel_user), "%s",
		    sentinel_user);
		snprintf(out->sentinel_password, sizeof(out->sentinel_password),
		    "%s", sentinel_password);
		return 0;
	}
	snprintf(sub, sizeof(sub), "expected redis://, unix:// or sentinel://");
bad:
	snprintf(err, errlen, "--redis '%s': %s", url, sub);
	return -1;
}
