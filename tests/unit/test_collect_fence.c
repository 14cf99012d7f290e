/* test_collect_fence.c - a collection whose Live Response session ends
 * under it opens a new one only when Redis confirms the job is still its
 * own.  After a worker was cut off long enough, the reaper has closed its
 * session and handed the job to another worker: the stale attempt must
 * not open another session on the device.  Runs collect_device() against
 * the real simulator (bin/lr-cbsim, or $LRFLOW_BIN/lr-cbsim), dropping
 * the session from the sink at the "process list" step. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "tests/t.h"
#include "worker/collect.h"
#include "worker/lr.h"

static char token[] = "SIMSECRETLRKEY000000000/SIMLRID001";
static char org[] = "ABCD1234";
static char origin[] = "test";

static pid_t sim_pid;
static char sim_url[64];
static char scenario[256];

/* Starts lr-cbsim on a free port with three quick devices; fills
 * sim_url.  0 or -1. */
static int
sim_start(void)
{
	const char *bin = getenv("LRFLOW_BIN");
	const char *tmp = getenv("TMPDIR");
	char exe[512], line[128];
	int fds[2], port = 0;
	FILE *in, *f;

	snprintf(exe, sizeof(exe), "%s/lr-cbsim", bin ? bin : "bin");
	snprintf(scenario, sizeof(scenario), "%s/lrflow-fence.XXXXXX",
	    tmp ? tmp : "/tmp");
	if (mkstemp(scenario) == -1 || (f = fopen(scenario, "w")) == NULL)
		return -1;
	fputs("{\"command_ms\": 10, \"devices\": ["
	      "{\"id\": 501, \"checkin_after\": 0, \"users\": [\"jdoe\"]},"
	      "{\"id\": 502, \"checkin_after\": 0, \"users\": [\"jdoe\"]},"
	      "{\"id\": 503, \"checkin_after\": 0, \"users\": [\"jdoe\"]}]}",
	    f);
	fclose(f);
	if (pipe(fds) == -1)
		return -1;
	if ((sim_pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		execl(exe, exe, "--listen", "127.0.0.1:0", "--scenario",
		    scenario, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if ((in = fdopen(fds[0], "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), in) != NULL)
		sscanf(line, "listening on 127.0.0.1:%d", &port);
	fclose(in);
	if (port <= 0) {
		printf("# could not start %s\n", exe);
		return -1;
	}
	snprintf(sim_url, sizeof(sim_url), "http://127.0.0.1:%d", port);
	return 0;
}

static void
sim_stop(void)
{
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		waitpid(sim_pid, NULL, 0);
	}
	if (scenario[0] != '\0')
		unlink(scenario);
}

/* Collects the body of an admin answer. */
static size_t
sim_body(char *p, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), add = size * n;

	if (have + add >= 65536)
		add = 65535 - have;
	memcpy(buf + have, p, add);
	buf[have + add] = '\0';
	return size * n;
}

/* One admin call (/_sim/...); body NULL: a GET.  The answer as JSON (new
 * reference) or NULL. */
static json_t *
sim_call(const char *path, const char *body)
{
	static char buf[65536];
	char url[160];
	CURL *c = curl_easy_init();
	json_t *v = NULL;

	buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", sim_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sim_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) == CURLE_OK)
		v = json_loads(buf, 0, NULL);
	curl_easy_cleanup(c);
	return v;
}

static long long
sim_stat(const char *field)
{
	json_t *st = sim_call("/_sim/stats", NULL);
	long long n = json_integer_value(json_object_get(st, field));

	json_decref(st);
	return n;
}

/* The sink: drops the device's session when the collection reaches
 * "process list"; from then on progress answers after (0: ours, -1:
 * revoked, 1: Redis did not answer). */
struct fence {
	int64_t device;
	int after;
	bool dropped;
	int refused; /* progress calls answered with after */
};

static int
fence_progress(void *arg, json_t *fields)
{
	struct fence *f = arg;
	const char *step = json_string_value(json_object_get(fields, "step"));
	char body[64];

	if (f->dropped) {
		f->refused += f->after != 0;
		return f->after;
	}
	if (step != NULL && strcmp(step, "process list") == 0) {
		snprintf(body, sizeof(body), "{\"device_id\": %lld}",
		    (long long)f->device);
		json_decref(sim_call("/_sim/drop_session", body));
		f->dropped = true;
	}
	return 0;
}

static int
fence_store(void *arg, FILE *f, char sha[65])
{
	(void)arg;
	(void)f;
	memset(sha, '0', 64);
	sha[64] = '\0';
	return 0;
}

static void
fence_count(void *arg, const char *name, long long n)
{
	(void)arg;
	(void)name;
	(void)n;
}

static int
fence_slot(void *arg, bool take)
{
	(void)arg;
	(void)take;
	return 0;
}

static int
fence_previous(void *arg, json_t **services, char *at, size_t size)
{
	(void)arg;
	(void)at;
	(void)size;
	*services = NULL;
	return 0;
}

/* Collects device with progress answering after once its session was
 * dropped; *opened: sessions the cloud opened meanwhile. */
static enum collect_outcome
fence_run(int64_t device, int after, long long *opened, json_t **result,
    struct fence *f)
{
	struct cb_cred cred = {.url = sim_url,
	    .token = token,
	    .org_key = org,
	    .ssl_verify = true,
	    .ssl_verify_hostname = true,
	    .origin = origin};
	struct collect_sink sink = {fence_progress, fence_store, fence_count,
	    fence_slot, fence_previous, f};
	struct collect_opts o = {
	    .prefix = "lr", .checkin_timeout_s = 10, .max_file_size = 1 << 20};
	struct lr *lr = lr_new(&cred, CONFIG_API_V6, 10, NULL);
	long long before = sim_stat("sessions_opened");
	enum collect_outcome k;

	*f = (struct fence){.device = device, .after = after};
	lr_set_intervals(lr, 50, 20);
	*result = json_object();
	k = collect_device(lr, &o, &sink, device, *result);
	*opened = sim_stat("sessions_opened") - before;
	lr_free(lr);
	return k;
}

/* Control: an attempt that still owns the job replaces the session. */
static int
test_owner_reopens(void)
{
	struct fence f;
	long long opened;
	json_t *res;
	enum collect_outcome k = fence_run(501, 0, &opened, &res, &f);

	json_decref(res);
	CHECK(f.dropped);
	CHECK(k == COLLECT_DONE);
	CHECK(opened == 2);
	CHECK(sim_stat("sessions_open") == 0);
	return 0;
}

/* A revoked attempt opens nothing: the job is another worker's now. */
static int
test_revoked_opens_no_session(void)
{
	struct fence f;
	long long opened;
	json_t *res;
	enum collect_outcome k = fence_run(502, -1, &opened, &res, &f);

	CHECK(f.dropped);
	CHECK(f.refused >= 1);
	CHECK(k == COLLECT_REVOKED);
	CHECK(opened == 1);
	CHECK(sim_stat("sessions_open") == 0);
	json_decref(res);
	return 0;
}

/* Redis away: the attempt cannot know it still owns the job, so it opens
 * nothing either, and the job is tried again later. */
static int
test_unconfirmed_opens_no_session(void)
{
	struct fence f;
	long long opened;
	json_t *res;
	enum collect_outcome k = fence_run(503, 1, &opened, &res, &f);
	const char *err = json_string_value(json_object_get(res, "error"));

	CHECK(f.dropped);
	CHECK(k == COLLECT_RETRY);
	CHECK(opened == 1);
	CHECK(err != NULL && strstr(err, "Redis did not answer") != NULL);
	CHECK(sim_stat("sessions_open") == 0);
	json_decref(res);
	return 0;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sim_start() == -1) {
		printf("not ok 1 - the simulator did not start\n");
		sim_stop();
		return 1;
	}
	RUN(test_owner_reopens);
	RUN(test_revoked_opens_no_session);
	RUN(test_unconfirmed_opens_no_session);
	sim_stop();
	curl_global_cleanup();
	return t_done();
}
