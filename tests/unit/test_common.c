/* test_common.c - util, sha256, log redaction and Redis URL parsing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rconn.h"
#include "sha256.h"
#include "util.h"
#include "../t.h"

static int
test_iso8601(void)
{
	char buf[32];
	int64_t ms;

	CHECK(strcmp(util_iso8601(0, buf, sizeof(buf)),
		  "1970-01-01T00:00:00.000Z") == 0);
	CHECK(strcmp(util_iso8601(1544646521656LL, buf, sizeof(buf)),
		  "2018-12-12T20:28:41.656Z") == 0);
	CHECK(util_parse_iso8601("2018-12-12T20:28:41.656Z", &ms) == 0);
	CHECK(ms == 1544646521656LL);
	CHECK(util_parse_iso8601("2021-04-07T17:49:58.792Z", &ms) == 0);
	CHECK(util_parse_iso8601("2021-04-07T17:49:58Z", &ms) == 0);
	CHECK(ms % 1000 == 0);
	CHECK(util_parse_iso8601("2021-04-07T19:49:58+02:00", &ms) == 0);
	CHECK(strcmp(util_iso8601(ms, buf, sizeof(buf)),
		  "2021-04-07T17:49:58.000Z") == 0);
	CHECK(util_parse_iso8601("2021-04-07T17:49:58.123456Z", &ms) == 0);
	CHECK(ms % 1000 == 123);
	CHECK(util_parse_iso8601("2021-13-07T17:49:58Z", &ms) == -1);
	CHECK(util_parse_iso8601("yesterday", &ms) == -1);
	CHECK(util_parse_iso8601("2021-04-07T17:49:58Zjunk", &ms) == -1);
	CHECK(util_parse_iso8601(NULL, &ms) == -1);
	return 0;
}

static int
test_device_ids(void)
{
	int64_t d;
	long long v;

	CHECK(util_parse_device_id("21212", &d) == 0 && d == 21212);
	CHECK(util_parse_device_id("0", &d) == -1);
	CHECK(util_parse_device_id("-5", &d) == -1);
	CHECK(util_parse_device_id("21a", &d) == -1);
	CHECK(util_parse_device_id(" 21", &d) == -1);
	CHECK(util_parse_device_id("", &d) == -1);
	CHECK(util_parse_device_id("99999999999999999999", &d) == -1);
	CHECK(util_parse_int("42", 1, 100, &v) == 0 && v == 42);
	CHECK(util_parse_int("420", 1, 100, &v) == -1);
	return 0;
}

static int
test_random(void)
{
	char u1[37], u2[37], a[13];

	util_uuid(u1);
	util_uuid(u2);
	CHECK(strlen(u1) == 36 && u1[14] == '4' && u1[8] == '-');
	CHECK(strcmp(u1, u2) != 0);
	util_random_alnum(a, 12);
	CHECK(strlen(a) == 12);
	for (int i = 0; i < 12; i++)
		CHECK((a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= 'A' && a[i] <= 'Z') ||
		      (a[i] >= '0' && a[i] <= '9'));
	CHECK(util_strieq("ACTIVE", "active"));
	CHECK(!util_strieq("ACTIVE", NULL));
	CHECK(
	    util_stristr("C:\\Windows\\Explorer.EXE", "explorer.exe") != NULL);
	return 0;
}

static int
test_sha256(void)
{
	char hex[65];
	struct sha256 s;
	unsigned char d[32];
	char million[1000];

	sha256_hex("", 0, hex);
	CHECK(
	    strcmp(hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") ==
	    0);
	sha256_hex("abc", 3, hex);
	CHECK(
	    strcmp(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ==
	    0);
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, hex);
	CHECK(
	    strcmp(hex,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") ==
	    0);
	/* One million 'a', fed in pieces. */
	memset(million, 'a', sizeof(million));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, million, sizeof(million));
	sha256_final(&s, d);
	CHECK(d[0] == 0xcd && d[1] == 0xc7 && d[31] == 0xd0);
	return 0;
}

/* Runs fn with stderr captured into buf. */
static void
capture(void (*fn)(void), char *buf, size_t size)
{
	int fds[2], saved;
	ssize_t n;

	if (pipe(fds) == -1)
		return;
	saved = dup(2);
	dup2(fds[1], 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void
log_tokens(void)
{
	log_add_secret("SYDCCYZ86BAKGQD45XRJYR6W/SOAP56ZKZ7");
	log_info("token is SYDCCYZ86BAKGQD45XRJYR6W/SOAP56ZKZ7 here");
	log_debug("debug with SYDCCYZ86BAKGQD45XRJYR6W alone");
	log_warnx("multi\nline");
}

static int
test_log_redacts_tokens(void)
{
	char out[4096];

	log_init("test", LOG_DEBUG, LOG_TEXT);
	capture(log_tokens, out, sizeof(out));
	log_init("test", LOG_ERROR, LOG_TEXT);
	CHECK(strstr(out, "SYDCCYZ86BAKGQD45XRJYR6W") == NULL);
	CHECK(strstr(out, "SOAP56ZKZ7") == NULL);
	CHECK(strstr(out, "token is [REDACTED] here") != NULL);
	CHECK(strstr(out, "debug with [REDACTED] alone") != NULL);
	CHECK(strstr(out, "multi line") != NULL); /* one event, one line */
	CHECK(strstr(out, "test[") != NULL && strstr(out, "info:") != NULL);
	return 0;
}

static void
log_json(void)
{
	log_info("quote \" and \\ and tab\t");
}

static int
test_log_json(void)
{
	char out[4096];

	log_init("test", LOG_INFO, LOG_JSON);
	capture(log_json, out, sizeof(out));
	log_init("test", LOG_ERROR, LOG_TEXT);
	CHECK(strncmp(out, "{\"ts\":\"", 7) == 0);
	CHECK(strstr(out, "\"level\":\"info\"") != NULL);
	CHECK(strstr(out, "\"msg\":\"quote \\\" and \\\\ and tab\\u0009\"}") !=
	      NULL);
	return 0;
}

static int
test_redis_urls(void)
{
	struct rconn_addr a;
	char err[300];

	CHECK(rconn_parse_url(
		  "redis://127.0.0.1:6379/0", &a, err, sizeof(err)) == 0);
	CHECK(a.kind == RCONN_TCP && strcmp(a.host, "127.0.0.1") == 0 &&
	      a.port == 6379 && a.db == 0);
	CHECK(rconn_parse_url("redis://cache.local/3", &a, err, sizeof(err)) ==
	      0);
	CHECK(a.port == 6379 && a.db == 3);
	CHECK(rconn_parse_url(
		  "unix:///run/redis/redis.sock", &a, err, sizeof(err)) == 0);
	CHECK(a.kind == RCONN_UNIX &&
	      strcmp(a.path, "/run/redis/redis.sock") == 0);
	CHECK(rconn_parse_url(
		  "unix:///tmp/r.sock?db=2", &a, err, sizeof(err)) == 0);
	CHECK(a.db == 2);
	CHECK(rconn_parse_url("sentinel://s1:26379,s2,s3:5000/mymaster/1", &a,
		  err, sizeof(err)) == 0);
	CHECK(a.kind == RCONN_SENTINEL && a.nsentinels == 3);
	CHECK(strcmp(a.sentinel_host[1], "s2") == 0 &&
	      a.sentinel_port[1] == 26379);
	CHECK(a.sentinel_port[2] == 5000 && strcmp(a.master, "mymaster") == 0 &&
	      a.db == 1);
	CHECK(rconn_parse_url("http://x", &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "redis://") != NULL);
	CHECK(rconn_parse_url("redis://h:99999/0", &a, err, sizeof(err)) == -1);
	CHECK(rconn_parse_url("redis://h:6379/x", &a, err, sizeof(err)) == -1);
	CHECK(
	    rconn_parse_url("redis://:pw@h:6379", &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "pw") == NULL); /* never echoed */
	CHECK(rconn_parse_url(
		  "redis://u:secret99@h:6379/0", &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "secret99") == NULL &&
	      strstr(err, "--redis-password-file") != NULL);
	CHECK(rconn_url_has_password("unix://u:p@/tmp/r.sock") &&
	      !rconn_url_has_password("unix://u@/tmp/r.sock") &&
	      !rconn_url_has_password("unix:///tmp/a@b.sock") &&
	      !rconn_url_has_password("redis://h:6379/0"));
	/* a user, as redis-py takes it; the password from rconn_set_passwords */
	CHECK(rconn_set_passwords("pw-one", "suser", "pw-two") == 0);
	CHECK(rconn_parse_url("redis://lrflow-worker@10.0.0.5:6380/2", &a, err,
		  sizeof(err)) == 0);
	CHECK(strcmp(a.user, "lrflow-worker") == 0 &&
	      strcmp(a.host, "10.0.0.5") == 0 && a.port == 6380 && a.db == 2);
	CHECK(strcmp(a.password, "pw-one") == 0 &&
	      strcmp(a.sentinel_user, "suser") == 0 &&
	      strcmp(a.sentinel_password, "pw-two") == 0);
	CHECK(rconn_parse_url("unix://lrflow-viewer@/run/r.sock?db=3", &a, err,
		  sizeof(err)) == 0);
	CHECK(strcmp(a.user, "lrflow-viewer") == 0 &&
	      strcmp(a.path, "/run/r.sock") == 0 && a.db == 3);
	CHECK(rconn_parse_url("sentinel://lrflow-poller@s1,s2:5000/mymaster",
		  &a, err, sizeof(err)) == 0);
	CHECK(strcmp(a.user, "lrflow-poller") == 0 && a.nsentinels == 2 &&
	      strcmp(a.sentinel_host[0], "s1") == 0);
	CHECK(
	    rconn_parse_url("unix:///tmp/a@b.sock", &a, err, sizeof(err)) == 0);
	CHECK(a.user[0] == '\0' && strcmp(a.path, "/tmp/a@b.sock") == 0);
	CHECK(rconn_parse_url("redis://@h", &a, err, sizeof(err)) == -1);
	CHECK(rconn_parse_url("redis://a b@h", &a, err, sizeof(err)) == -1);
	CHECK(rconn_set_passwords(NULL, NULL, NULL) == 0);
	CHECK(rconn_parse_url("redis://h", &a, err, sizeof(err)) == 0);
	CHECK(a.password[0] == '\0' && a.user[0] == '\0');
	CHECK(rconn_parse_url("unix://relative.sock", &a, err, sizeof(err)) ==
	      -1);
	CHECK(
	    rconn_parse_url("sentinel://s1:26379", &a, err, sizeof(err)) == -1);
	return 0;
}

int
main(void)
{
	log_init("test_common", LOG_ERROR, LOG_TEXT);
	RUN(test_iso8601);
	RUN(test_device_ids);
	RUN(test_random);
	RUN(test_sha256);
	RUN(test_log_redacts_tokens);
	RUN(test_log_json);
	RUN(test_redis_urls);
	return t_done();
}
