/* seqclient.c - a plain Live Response client, the baseline of figure 8
 * (tests/bench/commands.sh).
 *
 * It collects what lr-worker collects from each device (net start, reg.exe
 * and sc.exe into output files fetched and deleted, the process list,
 * C:\Users, every user's Chrome, Edge and Brave "User Data" folder, every
 * profile's History) the way the SDKs do it: through the v6 API, each
 * command posted after the previous one completed, and polled at once and
 * then every --poll-ms (0.5 s, the SDK's poll_status delay).  --threads
 * threads share the devices, one session each at a time.
 *
 *   seqclient --url URL --org ORG --token TOKEN [--threads N]
 *       [--poll-ms MS] DEVICE...
 *
 * Prints "devices D failed F ms M commands C" and exits 0 when every
 * device was collected. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util.h"

static const char *url, *org, *token;
static int poll_ms = 500;
static long long *devices;
static int ndevices, next_device, failed, ncommands;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* The browsers' "User Data" folders under a user's, as the worker has
 * them (worker/profiles.c). */
static const char *const browsers[] = {
    "appdata\\local\\google\\chrome\\user data",
    "appdata\\local\\microsoft\\edge\\user data",
    "appdata\\local\\bravesoftware\\brave-browser\\user data",
};
static const char *const outputs[] = {
    "c:\\windows\\system32\\net.exe start",
    "c:\\windows\\system32\\reg.exe query "
    "HKLM\\SYSTEM\\CurrentControlSet\\Services /s",
    "c:\\windows\\system32\\sc.exe queryex type= all state= all bufsize= "
    "262144",
};

struct buf {
	char *p;
	size_t n;
};

static size_t
on_data(char *d, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	char *p = realloc(b->p, b->n + size * n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + b->n, d, size * n);
	b->p = p;
	b->n += size * n;
	b->p[b->n] = '\0';
	return size * n;
}

/* One request on the API (path under the org's liveresponse/sessions
 * unless it starts with /appservices/), with the token; or on a full URL
 * (the storage host), without.
 * Returns the HTTP status (0: no answer); *json the parsed body or NULL;
 * *location the redirect target (caller frees) when asked. */
static long
req(CURL *c, const char *method, const char *path, json_t *body, json_t **json,
    char **location)
{
	struct curl_slist *h = NULL;
	struct buf b = {NULL, 0};
	char full[2048], auth[512], *text = NULL;
	long status = 0;
	char *loc = NULL;

	if (strncmp(path, "http", 4) == 0)
		snprintf(full, sizeof(full), "%s", path);
	else if (strncmp(path, "/appservices/", 13) == 0)
		snprintf(full, sizeof(full), "%s%s", url, path);
	else
		snprintf(full, sizeof(full),
		    "%s/appservices/v6/orgs/%s/liveresponse/sessions%s", url,
		    org, path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (strncmp(path, "http", 4) != 0) {
		snprintf(auth, sizeof(auth), "X-Auth-Token: %s", token);
		h = curl_slist_append(h, auth);
	}
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
	}
	if (location != NULL)
		*location = loc != NULL ? strdup(loc) : NULL;
	if (json != NULL)
		*json = b.p != NULL ? json_loads(b.p, 0, NULL) : NULL;
	curl_slist_free_all(h);
	free(text);
	free(b.p);
	return status;
}

/* Posts a command and polls it until it is no longer pending, as the
 * SDK's poll_status does.  Returns the command (new reference) when it
 * completed, else NULL. */
static json_t *
command(CURL *c, const char *sid, const char *name, const char *arg,
    const char *output)
{
	json_t *body = json_pack("{s:s,s:s}", "name", name, "session_id", sid);
	json_t *cmd = NULL;
	char path[256];
	const char *st;

	if (arg != NULL)
		json_object_set_new(body, "path", json_string(arg));
	if (output != NULL) {
		json_object_set_new(body, "wait", json_true());
		json_object_set_new(body, "output_file", json_string(output));
	}
	snprintf(path, sizeof(path), "/%s/commands", sid);
	if (req(c, "POST", path, body, &cmd, NULL) != 200 || cmd == NULL) {
		json_decref(body);
		json_decref(cmd);
		return NULL;
	}
	json_decref(body);
	pthread_mutex_lock(&mu);
	ncommands++;
	pthread_mutex_unlock(&mu);
	snprintf(path, sizeof(path), "/%s/commands/%lld", sid,
	    (long long)json_integer_value(json_object_get(cmd, "id")));
	for (int i = 0; i < 1000; i++) {
		json_decref(cmd);
		if (i > 0)
			util_sleep_ms(poll_ms, NULL);
		if (req(c, "GET", path, NULL, &cmd, NULL) != 200 || cmd == NULL)
			return NULL;
		st = json_string_value(json_object_get(cmd, "status"));
		if (st != NULL && strcasecmp(st, "complete") == 0)
			return cmd;
		if (st != NULL && (strcasecmp(st, "error") == 0 ||
				      strncasecmp(st, "cancel", 6) == 0))
			break;
	}
	json_decref(cmd);
	return NULL;
}

/* "get file" on path, its content through the storage redirect, and the
 * cloud's copy removed.  0 or -1. */
static int
get_file(CURL *c, const char *sid, const char *path)
{
	json_t *cmd = command(c, sid, "get file", path, NULL);
	const char *id;
	char p[256], *loc = NULL;
	int ret = -1;

	if (cmd == NULL)
		return -1;
	id = json_string_value(
	    json_object_get(json_object_get(cmd, "file_details"), "file_id"));
	if (id != NULL) {
		snprintf(p, sizeof(p), "/%s/files/%s/content", sid, id);
		if (req(c, "GET", p, NULL, NULL, &loc) == 302 && loc != NULL &&
		    req(c, "GET", loc, NULL, NULL, NULL) == 200)
			ret = 0;
		snprintf(p, sizeof(p), "/%s/files/%s", sid, id);
		req(c, "DELETE", p, NULL, NULL, NULL);
	}
	free(loc);
	json_decref(cmd);
	return ret;
}

/* The folder names of a "directory list" answer. */
static bool
is_dir(json_t *f)
{
	json_t *a, *v;
	size_t i;

	a = json_object_get(f, "attributes");
	json_array_foreach(a, i,
	    v) if (strcmp(json_string_value(v) ? json_string_value(v) : "",
		       "DIRECTORY") == 0) return true;
	return false;
}

static bool
is_person(const char *n)
{
	static const char *const sys[] = {".", "..", "Public", "Default",
	    "Default User", "All Users", "systemprofile", "LocalService",
	    "NetworkService"};

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcasecmp(n, sys[i]) == 0)
			return false;
	return n[0] != '\0' && n[strlen(n) - 1] != '$';
}

/* One device, start to finish.  0 or -1. */
static int
collect(CURL *c, long long dev)
{
	json_t *s = NULL, *cmd, *f, *p;
	char path[1024], sid[128], out[128];
	size_t i, k;
	int ret = -1;

	snprintf(path, sizeof(path), "/appservices/v6/orgs/%s/devices/%lld",
	    org, dev);
	if (req(c, "GET", path, NULL, NULL, NULL) != 200)
		return -1;
	cmd = json_pack("{s:I}", "device_id", (json_int_t)dev);
	req(c, "POST", "", cmd, &s, NULL);
	json_decref(cmd);
	if (json_string_value(json_object_get(s, "id")) == NULL)
		goto out;
	snprintf(sid, sizeof(sid), "%s",
	    json_string_value(json_object_get(s, "id")));
	snprintf(path, sizeof(path), "/%s", sid);
	for (i = 0;; i++) { /* every second until active, as the SDK */
		json_t *g = NULL;
		const char *st;

		if (i > 0)
			util_sleep_ms(1000, NULL);
		if (req(c, "GET", path, NULL, &g, NULL) != 200 || i > 60) {
			json_decref(g);
			goto close;
		}
		st = json_string_value(json_object_get(g, "status"));
		if (st != NULL && strcasecmp(st, "active") == 0) {
			json_decref(g);
			break;
		}
		json_decref(g);
	}
	for (i = 0; i < 3; i++) {
		snprintf(out, sizeof(out),
		    "c:\\windows\\temp\\cblr.seq%03zu%05lld.tmp", i,
		    dev % 100000);
		if ((cmd = command(
			 c, sid, "create process", outputs[i], out)) == NULL)
			goto close;
		json_decref(cmd);
		if (get_file(c, sid, out) == -1)
			goto close;
		json_decref(command(c, sid, "delete file", out, NULL));
	}
	json_decref(command(c, sid, "process list", NULL, NULL));
	if ((cmd = command(c, sid, "directory list", "C:\\Users\\*", NULL)) ==
	    NULL)
		goto close;
	json_array_foreach(json_object_get(cmd, "files"), i, f)
	{
		const char *user =
		    json_string_value(json_object_get(f, "filename"));

		if (user == NULL || !is_dir(f) || !is_person(user))
			continue;
		for (size_t b = 0; b < 3; b++) {
			json_t *ud;

			snprintf(path, sizeof(path), "c:\\users\\%s\\%s\\*",
			    user, browsers[b]);
			if ((ud = command(
				 c, sid, "directory list", path, NULL)) == NULL)
				continue; /* the browser was never used */
			json_array_foreach(json_object_get(ud, "files"), k, p)
			{
				const char *prof = json_string_value(
				    json_object_get(p, "filename"));

				if (prof == NULL || !is_dir(p) ||
				    (strcmp(prof, "Default") != 0 &&
					strncmp(prof, "Profile ", 8) != 0))
					continue;
				snprintf(path, sizeof(path),
				    "c:\\users\\%s\\%s\\%s\\history", user,
				    browsers[b], prof);
				for (char *q = path; *q; q++)
					if (*q >= 'A' && *q <= 'Z')
						*q += 'a' - 'A';
				get_file(c, sid, path);
			}
			json_decref(ud);
		}
	}
	json_decref(cmd);
	ret = 0;
close:
	snprintf(path, sizeof(path), "/%s", sid);
	req(c, "DELETE", path, NULL, NULL, NULL);
out:
	json_decref(s);
	return ret;
}

static void *
run(void *arg)
{
	CURL *c = curl_easy_init();

	(void)arg;
	for (;;) {
		long long dev;

		pthread_mutex_lock(&mu);
		if (next_device >= ndevices) {
			pthread_mutex_unlock(&mu);
			break;
		}
		dev = devices[next_device++];
		pthread_mutex_unlock(&mu);
		if (collect(c, dev) == -1) {
			fprintf(stderr, "seqclient: device %lld failed\n", dev);
			pthread_mutex_lock(&mu);
			failed++;
			pthread_mutex_unlock(&mu);
		}
	}
	curl_easy_cleanup(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[64];
	int nthreads = 10, i;
	int64_t t0;

	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--org") == 0)
			org = argv[i + 1];
		else if (strcmp(argv[i], "--token") == 0)
			token = argv[i + 1];
		else if (strcmp(argv[i], "--threads") == 0)
			nthreads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--poll-ms") == 0)
			poll_ms = atoi(argv[i + 1]);
		else
			break;
	}
	if (url == NULL || org == NULL || token == NULL || i >= argc ||
	    nthreads < 1 || nthreads > 64 || poll_ms < 0) {
		fprintf(stderr, "usage: seqclient --url URL --org ORG "
				"--token TOKEN [--threads N] [--poll-ms MS] "
				"DEVICE...\n");
		return 2;
	}
	ndevices = argc - i;
	devices = calloc((size_t)ndevices, sizeof(*devices));
	for (int k = 0; k < ndevices; k++)
		devices[k] = atoll(argv[i + k]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = util_mono_ms();
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, run, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("devices %d failed %d ms %lld commands %d\n", ndevices, failed,
	    (long long)(util_mono_ms() - t0), ncommands);
	curl_global_cleanup();
	free(devices);
	return failed == 0 ? 0 : 1;
}
