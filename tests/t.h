/* t.h - the unit test harness: TAP-shaped lines and a closing summary.
 *
 *	static int test_x(void) { CHECK(1 + 1 == 2); return 0; }
 *	int main(void) { RUN(test_x); return t_done(); }
 *
 * t_redis_start() runs a throwaway redis-server on a unix socket in a
 * private temp dir (stopped by t_done()), for tests of code that talks to
 * Redis: never a mock. */
#ifndef LR_T_H
#define LR_T_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int t_run, t_failed;
static pid_t t_redis_pid;
static char t_redis_dir[128];
static char t_redis_url[256];

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("#   %s:%d: CHECK(%s)\n", __FILE__, __LINE__, \
			    #cond);                                          \
			return 1;                                            \
		}                                                            \
	} while (0)

#define RUN(test)                                                            \
	do {                                                                 \
		int t_rc = test();                                           \
		t_failed += t_rc != 0;                                       \
		printf(                                                      \
		    "%s %d - %s\n", t_rc ? "not ok" : "ok", ++t_run, #test); \
		fflush(stdout);                                              \
	} while (0)

static inline void
t_redis_stop(void)
{
	char cmd[300];

	if (t_redis_pid > 0) {
		kill(t_redis_pid, SIGTERM);
		waitpid(t_redis_pid, NULL, 0);
		t_redis_pid = 0;
	}
	if (t_redis_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_redis_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", t_redis_dir);
		t_redis_dir[0] = '\0';
	}
}

/* Starts redis-server; returns its URL (unix://...) or NULL. */
static inline const char *
t_redis_start(void)
{
	char sock[200], dirarg[200];
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	snprintf(t_redis_dir, sizeof(t_redis_dir), "%s/lrflow-t.XXXXXX",
	    tmp ? tmp : "/tmp");
	if (mkdtemp(t_redis_dir) == NULL)
		return NULL;
	snprintf(sock, sizeof(sock), "%s/redis.sock", t_redis_dir);
	snprintf(dirarg, sizeof(dirarg), "%s", t_redis_dir);
	if ((t_redis_pid = fork()) == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", sock, "--dir", dirarg, "--save", "",
		    "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 50000000};

		if (stat(sock, &st) == 0) {
			snprintf(t_redis_url, sizeof(t_redis_url), "unix://%s",
			    sock);
			return t_redis_url;
		}
		nanosleep(&ts, NULL);
	}
	t_redis_stop();
	return NULL;
}

#ifdef JANSSON_H
/* A fixture from tests/fixtures/ ($LRFLOW_TOP, else the working
 * directory), parsed; NULL (said) if it cannot be read.  New reference. */
static inline json_t *
t_fixture(const char *name)
{
	const char *top = getenv("LRFLOW_TOP");
	char path[512];
	json_error_t je;
	json_t *j;

	snprintf(
	    path, sizeof(path), "%s/tests/fixtures/%s", top ? top : ".", name);
	if ((j = json_load_file(path, 0, &je)) == NULL)
		printf("#   cannot read %s: %s\n", path, je.text);
	return j;
}
#endif

static inline int
t_done(void)
{
	t_redis_stop();
	printf(
	    "1..%d\n%d passed, %d failed\n", t_run, t_run - t_failed, t_failed);
	return t_failed != 0;
}

#endif
