/* test_rconn.c - rconn and a primary that moves: real redis-servers on
 * loopback TCP (a replica needs TCP), one of them a replica, and a real
 * sentinel.  A write to a replica (READONLY) is a connection error, not
 * an answer; a sentinel:// connection leaves a primary the sentinels no
 * longer name even while that server still takes writes. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include "rconn.h"
#include "../t.h"
#include "util.h"

static char dir[128];
static pid_t kids[3];
static int nkids;

/* A free TCP port of 127.0.0.1. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd != -1)
		close(fd);
	return port;
}

/* A new plain connection to port, or NULL. */
static redisContext *
direct(int port)
{
	struct timeval tv = {1, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);

	if (c != NULL && c->err) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* Runs one command on port; its string or integer answer in out. */
static int
cmd(int port, char *out, size_t outlen, const char *fmt, ...)
{
	redisContext *c = direct(port);
	redisReply *r;
	va_list ap;
	int ret = -1;

	if (c == NULL)
		return -1;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r != NULL && r->type != REDIS_REPLY_ERROR) {
		ret = 0;
		if (out != NULL && r->type == REDIS_REPLY_INTEGER)
			snprintf(out, outlen, "%lld", r->integer);
		else if (out != NULL)
			snprintf(out, outlen, "%s", r->str ? r->str : "");
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return ret;
}

/* Starts redis-server with args (NULL-terminated) and waits for PING. */
static int
spawn(int port, const char *arg0, ...)
{
	const char *argv[24];
	va_list ap;
	int n = 0;
	pid_t pid;

	argv[n++] = "redis-server";
	va_start(ap, arg0);
	for (const char *a = arg0; a != NULL && n < 23;
	     a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	kids[nkids++] = pid;
	for (int i = 0; i < 100; i++) {
		if (cmd(port, NULL, 0, "PING") == 0)
			return 0;
		usleep(50000);
	}
	return -1;
}

static int pa, pb, ps;
static char url_b[64], url_s[128];

static int
setup(void)
{
	char p[3][16], conf[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/lrflow-rconn.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	pa = free_port();
	pb = free_port();
	ps = free_port();
	snprintf(p[0], sizeof(p[0]), "%d", pa);
	snprintf(p[1], sizeof(p[1]), "%d", pb);
	snprintf(p[2], sizeof(p[2]), "%d", ps);
	if (spawn(pa, "--port", p[0], "--bind", "127.0.0.1", "--save", "",
		"--dir", dir, "--dbfilename", "a.rdb", NULL) == -1 ||
	    spawn(pb, "--port", p[1], "--bind", "127.0.0.1", "--save", "",
		"--dir", dir, "--dbfilename", "b.rdb", "--replicaof",
		"127.0.0.1", p[0], NULL) == -1)
		return -1;
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f,
	    "port %d\nbind 127.0.0.1\ndir %s\n"
	    "sentinel monitor mymaster 127.0.0.1 %d 1\n",
	    ps, dir, pa);
	fclose(f);
	if (spawn(ps, conf, "--sentinel", NULL) == -1)
		return -1;
	snprintf(url_b, sizeof(url_b), "redis://127.0.0.1:%d", pb);
	snprintf(url_s, sizeof(url_s), "sentinel://127.0.0.1:%d/mymaster", ps);
	return 0;
}

static void
teardown(void)
{
	char c[200];

	for (int i = 0; i < nkids; i++) {
		kill(kids[i], SIGTERM);
		waitpid(kids[i], NULL, 0);
	}
	if (dir[0] != '\0') {
		snprintf(c, sizeof(c), "rm -rf '%s'", dir);
		if (system(c) != 0)
			fprintf(stderr, "# could not remove %s\n", dir);
	}
}

static int
test_readonly_is_a_connection_error(void)
{
	struct rconn *rc = rconn_new(url_b, 2000);
	redisReply *r;

	/* reads work on the replica, writes are refused */
	r = rconn_command(rc, "PING");
	CHECK(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	CHECK(rconn_connected(rc));
	r = rconn_command(rc, "SET lr:t 1");
	/* not an error reply a caller could take as the command's verdict */
	CHECK(r == NULL);
	CHECK(!rconn_connected(rc));
	CHECK(rconn_error_is_failover("READONLY You can't write against a "
				      "read only replica."));
	CHECK(rconn_error_is_failover("UNBLOCKED force unblock"));
	CHECK(!rconn_error_is_failover("ERR wrong number of arguments"));
	CHECK(!rconn_error_is_failover("OOM command not allowed"));
	rconn_free(rc);
	return 0;
}

static int
test_sentinel_names_the_primary_and_the_connection(void)
{
	struct rconn *rc = rconn_new(url_s, 2000);
	char v[64] = "";
	redisReply *r;

	rconn_set_name(rc, "lrflow-test:a b");
	r = rconn_command(rc, "SET lr:t one");
	CHECK(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	CHECK(cmd(pa, v, sizeof(v), "GET lr:t") == 0 && strcmp(v, "one") == 0);
	r = rconn_command(rc, "CLIENT GETNAME");
	CHECK(r != NULL && r->type == REDIS_REPLY_STRING &&
	      strcmp(r->str, "lrflow-test:a_b") == 0);
	freeReplyObject(r);
	rconn_free(rc);
	return 0;
}

/* The sentinels name a new primary while the old one still takes writes
 * (as after SENTINEL FAILOVER, until they demote it): within a check
 * period the connection moves, and no write lands on the old one. */
static int
test_sentinel_leaves_a_primary_it_no_longer_names(void)
{
	struct rconn *rc = rconn_new(url_s, 2000);
	char v[64] = "";
	redisReply *r;
	int64_t t0;
	int failed = 0;

	r = rconn_command(rc, "SET lr:moved before");
	CHECK(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	/* b becomes a primary of its own; a is left writable */
	CHECK(cmd(pb, NULL, 0, "REPLICAOF NO ONE") == 0);
	CHECK(cmd(ps, NULL, 0, "SENTINEL REMOVE mymaster") == 0);
	CHECK(cmd(ps, NULL, 0, "SENTINEL MONITOR mymaster 127.0.0.1 %d 1",
		  pb) == 0);
	t0 = util_mono_ms();
	while (util_mono_ms() - t0 < 3000) {
		/* the command that finds the move fails, unrun */
		if ((r = rconn_command(rc, "SET lr:moved after")) != NULL)
			freeReplyObject(r);
		else
			failed++;
		if (cmd(pb, v, sizeof(v), "GET lr:moved") == 0 &&
		    strcmp(v, "after") == 0)
			break;
		usleep(100000);
	}
	printf("#   moved after %lld ms\n", (long long)(util_mono_ms() - t0));
	CHECK(strcmp(v, "after") == 0);
	CHECK(util_mono_ms() - t0 < 2500);
	CHECK(failed == 1);
	/* and the new primary gets the writes from now on */
	CHECK(cmd(pa, NULL, 0, "SET lr:moved stale") == 0);
	r = rconn_command(rc, "SET lr:moved latest");
	CHECK(r != NULL);
	freeReplyObject(r);
	CHECK(cmd(pb, v, sizeof(v), "GET lr:moved") == 0 &&
	      strcmp(v, "latest") == 0);
	/* a sentinel naming a server that is a replica: refused at connect */
	CHECK(cmd(pa, NULL, 0, "REPLICAOF 127.0.0.1 %d", pb) == 0);
	CHECK(cmd(ps, NULL, 0, "SENTINEL REMOVE mymaster") == 0);
	CHECK(cmd(ps, NULL, 0, "SENTINEL MONITOR mymaster 127.0.0.1 %d 1",
		  pa) == 0);
	rconn_free(rc);
	rc = rconn_new(url_s, 2000);
	CHECK(rconn_connect(rc) == -1);
	rconn_free(rc);
	return 0;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (setup() == -1) {
		printf("not ok 1 - cannot start redis-server and a sentinel\n");
		teardown();
		return 1;
	}
	RUN(test_readonly_is_a_connection_error);
	RUN(test_sentinel_names_the_primary_and_the_connection);
	RUN(test_sentinel_leaves_a_primary_it_no_longer_names);
	teardown();
	return t_done();
}
