/* config.c - option table, argv/env parsing and credentials resolution. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "util.h"
#include "xmalloc.h"

#define D_ALL (CONFIG_POLLER | CONFIG_WORKER | CONFIG_VIEWER)
#define D_CB (CONFIG_POLLER | CONFIG_WORKER)

enum opt_type {
	OPT_STR,
	OPT_INT,
	OPT_INT64,
	OPT_FLAG,
	OPT_DEVICE,
	OPT_SPECIAL
};

struct option_spec {
	const char *name; /* long name, without "--" */
	int shortopt;     /* or 0 */
	enum opt_type type;
	size_t off;          /* offsetof(struct config, field) */
	int daemons;         /* CONFIG_* mask of the daemons that take it */
	long long min, max;  /* for numbers */
	const char *metavar; /* NULL for flags */
	const char *text;
};

#define OFF(f) offsetof(struct config, f)

/* Special options are handled by code in config_parse (enums, help). */
enum { SP_HELP = 1, SP_VERSION, SP_LOGFMT, SP_API, SP_SOURCE, SP_CHECK };

static const struct option_spec specs[] = {
    {"redis", 0, OPT_STR, OFF(redis_url), D_ALL, 0, 0, "URL",
	"Redis: redis://host:port/db, unix:///path.sock or sentinel://h:p,h:p/master (env LRFLOW_REDIS)"},
    {"prefix", 0, OPT_STR, OFF(prefix), D_ALL, 0, 0, "PREFIX",
	"prefix of every Redis key (default lr)"},
    {"verbose", 'v', OPT_FLAG, OFF(verbose), D_ALL, 0, 0, NULL,
	"enable debug logging"},
    {"log-format", 0, OPT_SPECIAL, SP_LOGFMT, D_ALL, 0, 0, "text|json",
	"log line format (default text)"},
    {"cburl", 0, OPT_STR, OFF(cburl), D_CB, 0, 0, "CBURL",
	"Carbon Black Cloud URL, e.g. https://defense-prod05.conferdeploy.net"},
    {"apitoken", 0, OPT_STR, OFF(apitoken), D_CB, 0, 0, "SECRET/ID",
	"API token (visible in ps: prefer a credentials file or CBC_TOKEN)"},
    {"org-key", 0, OPT_STR, OFF(org_key), D_CB, 0, 0, "KEY",
	"organization key (selects the v6 APIs)"},
    {"no-ssl-verify", 0, OPT_FLAG, OFF(no_ssl_verify), D_CB, 0, 0, NULL,
	"do not verify the server's TLS certificate"},
    {"profile", 0, OPT_STR, OFF(profile), D_CB, 0, 0, "PROFILE",
	"credentials profile to connect with (default default)"},
    {"credentials", 0, OPT_STR, OFF(credentials), D_CB, 0, 0, "FILE",
	"credentials file (default: .carbonblack/credentials.cbc or .psc)"},
    {"api", 0, OPT_SPECIAL, SP_API, D_CB, 0, 0, "v6|v3",
	"Live Response API generation (only v3 is available yet)"},
    {"synthetic", 0, OPT_DEVICE, OFF(synthetic), CONFIG_POLLER, 0, 0,
	"DEVICE_ID", "generate synthetic notifications with given Device ID"},
    {"poll", 0, OPT_INT, OFF(poll_s), CONFIG_POLLER, 1, 86400, "POLL",
	"poll interval in seconds (default 30)"},
    {"siemprofile", 0, OPT_STR, OFF(siemprofile), CONFIG_POLLER, 0, 0,
	"SIEMPROFILE", "credentials profile of the SIEM key (default siem)"},
    {"source", 0, OPT_SPECIAL, SP_SOURCE, CONFIG_POLLER, 0, 0,
	"alerts|notifications|synthetic",
	"where alerts come from (default alerts with an org key, else notifications)"},
    {"lookback", 0, OPT_INT, OFF(lookback_s), CONFIG_POLLER, 0, 30 * 86400,
	"SECONDS", "alerts: how far back the first poll looks (default 600)"},
    {"alert-lag", 0, OPT_INT, OFF(alert_lag_s), CONFIG_POLLER, 0, 3600,
	"SECONDS", "alerts: leave the newest this long to settle (default 60)"},
    {"policy", 0, OPT_STR, OFF(policy), CONFIG_POLLER, 0, 0, "P1,P2",
	"alerts: only devices in these policies"},
    {"devices", 0, OPT_STR, OFF(devices), CONFIG_POLLER, 0, 0, "ID,ID",
	"only these devices (allow list)"},
    {"exclude-devices", 0, OPT_STR, OFF(exclude_devices), CONFIG_POLLER, 0, 0,
	"ID,ID", "never these devices (deny list)"},
    {"alert-types", 0, OPT_STR, OFF(alert_types), CONFIG_POLLER, 0, 0, "T1,T2",
	"only these notification/alert types (default all)"},
    {"min-severity", 0, OPT_INT, OFF(min_severity), CONFIG_POLLER, 0, 10, "N",
	"only alerts of this severity or threat score and above"},
    {"cooldown", 0, OPT_INT, OFF(cooldown_s), D_CB, 0, 604800, "SECONDS",
	"after a finished job, coalesce new alerts for the device this long"},
    {"once", 0, OPT_FLAG, OFF(once), CONFIG_POLLER, 0, 0, NULL,
	"poll once, then exit"},
    {"concurrency", 0, OPT_INT, OFF(concurrency), CONFIG_WORKER, 1, 256, "N",
	"jobs at once in this process (default 5)"},
    {"session-limit", 0, OPT_INT, OFF(session_limit),
	CONFIG_WORKER | CONFIG_VIEWER, 1, 100, "N",
	"Live Response sessions at once, all workers (default 80)"},
    {"checkin-timeout", 0, OPT_INT, OFF(checkin_timeout_s), CONFIG_WORKER, 1,
	3600, "SECONDS",
	"wait this long for a device to check in (default 360)"},
    {"command-timeout", 0, OPT_INT, OFF(command_timeout_s), CONFIG_WORKER, 1,
	3600, "SECONDS", "wait this long for one command (default 120)"},
    {"max-file-size", 0, OPT_INT64, OFF(max_file_size), CONFIG_WORKER, 1,
	(long long)1 << 40, "BYTES", "largest file to fetch (default 64 MiB)"},
    {"offline-ttl", 0, OPT_INT, OFF(offline_ttl_s), CONFIG_WORKER, 1, INT_MAX,
	"SECONDS",
	"retry an offline device this long, then fail (default 7 days)"},
    {"max-attempts", 0, OPT_INT, OFF(max_attempts), CONFIG_WORKER, 1, 1000, "N",
	"attempts before a job fails (default 8; an offline device is retried until --offline-ttl instead)"},
    {"max-stalls", 0, OPT_INT, OFF(max_stalls), CONFIG_WORKER, 0, 1000, "N",
	"a job whose worker died more often than this fails (default 3)"},
    {"retry-base", 0, OPT_INT, OFF(retry_base_s), CONFIG_WORKER, 1, 86400,
	"SECONDS",
	"first retry of a transient failure after 1/2 to 1 times this (default 5)"},
    {"retry-max", 0, OPT_INT, OFF(retry_max_s), CONFIG_WORKER, 1, 86400,
	"SECONDS", "longest wait between retries (default 900)"},
    {"retention", 0, OPT_INT, OFF(retention_s), CONFIG_WORKER, 60, INT_MAX,
	"SECONDS",
	"remove results and run histories older than this (default 90 days)"},
    {"artifact-ttl", 0, OPT_INT, OFF(artifact_ttl_s), CONFIG_WORKER, 60,
	INT_MAX, "SECONDS",
	"keep raw collected files this long (default 30 days)"},
    {"offline-after", 0, OPT_INT, OFF(offline_after_s), CONFIG_WORKER, 0,
	365 * 86400, "SECONDS",
	"v6: a device last seen longer ago is offline: no session (default 86400; 0: off)"},
    {"timeline-window", 0, OPT_INT, OFF(timeline_window_s), CONFIG_WORKER, 0,
	7 * 86400, "SECONDS",
	"browser visits, downloads and searches this close to an alert's times join its timeline (default 1800; 0: the alert's times only)"},
    {"drain-timeout", 0, OPT_INT, OFF(drain_timeout_s), CONFIG_WORKER, 0, 86400,
	"SECONDS",
	"at shutdown, let jobs in hand finish this long (default 120)"},
    {"id", 0, OPT_STR, OFF(worker_id), CONFIG_WORKER, 0, 0, "NAME",
	"worker id (default host:pid)"},
    {"listen", 0, OPT_STR, OFF(listen), CONFIG_VIEWER, 0, 0, "ADDR:PORT",
	"address to serve on (default 127.0.0.1:7982)"},
    {"auth-file", 0, OPT_STR, OFF(auth_file), CONFIG_VIEWER, 0, 0, "FILE",
	"file holding user:password for HTTP basic auth (or LRFLOW_VIEWER_AUTH)"},
    {"insecure-no-auth", 0, OPT_FLAG, OFF(insecure_no_auth), CONFIG_VIEWER, 0,
	0, NULL, "allow a non-loopback --listen without credentials"},
    {"max-connections", 0, OPT_INT, OFF(max_connections), CONFIG_VIEWER, 1,
	1000000, "N",
	"client connections at once (default 256; lowered to fit ulimit -n)"},
    {"check", 'n', OPT_SPECIAL, SP_CHECK, D_ALL, 0, 0, NULL,
	"check the configuration, print \"configuration OK\" and exit"},
    {"version", 'V', OPT_SPECIAL, SP_VERSION, D_ALL, 0, 0, NULL,
	"print the version and exit"},
    {"help", 'h', OPT_SPECIAL, SP_HELP, D_ALL, 0, 0, NULL,
	"show this help message and exit"},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static const char *
daemon_name(enum config_daemon d)
{
	return d == CONFIG_POLLER   ? "lr-poller"
	       : d == CONFIG_WORKER ? "lr-worker"
				    : "lr-viewer";
}

void
config_init(struct config *cfg, enum config_daemon d)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->daemon = d;
	cfg->poll_s = 30;
	cfg->concurrency = 5;
	cfg->session_limit = 80;
	cfg->checkin_timeout_s = 360;
	cfg->command_timeout_s = 120;
	cfg->max_file_size = 64 * 1024 * 1024;
	cfg->offline_ttl_s = 7 * 86400;
	cfg->max_attempts = 8;
	cfg->max_stalls = 3;
	cfg->retry_base_s = 5;
	cfg->retry_max_s = 900;
	cfg->retention_s = 90 * 86400;
	cfg->artifact_ttl_s = 30 * 86400;
	cfg->drain_timeout_s = 120;
	cfg->offline_after_s = 86400;
	cfg->timeline_window_s = 1800;
	cfg->lookback_s = 600;
	cfg->alert_lag_s = 60;
	cfg->max_connections = 256;
}

void
config_usage(enum config_daemon d, const char *prog)
{
	static const char *const what[] = {
	    [CONFIG_POLLER] =
		"poll Carbon Black Cloud for alerts and queue Live Response jobs",
	    [CONFIG_WORKER] =
		"run queued Live Response jobs and store what they collect",
	    [CONFIG_VIEWER] =
		"serve the collected results to analysts over HTTP",
	};

	printf("usage: %s [options]\n\n%s: %s\n\noptions:\n",
	    prog ? prog : daemon_name(d), daemon_name(d), what[d]);
	for (size_t i = 0; i < NSPECS; i++) {
		char left[64];

		if (!(specs[i].daemons & (int)d))
			continue;
		if (specs[i].shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    specs[i].shortopt, specs[i].name,
			    specs[i].metavar ? " " : "",
			    specs[i].metavar ? specs[i].metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s",
			    specs[i].name, specs[i].metavar ? " " : "",
			    specs[i].metavar ? specs[i].metavar : "");
		if (strlen(left) > 26)
			printf("  %s\n  %-26s %s\n", left, "", specs[i].text);
		else
			printf("  %-26s %s\n", left, specs[i].text);
	}
}

static int
set_option(struct config *cfg, const struct option_spec *s, const char *arg,
    char *err, size_t errlen)
{
	char *base = (char *)cfg;
	long long v;
	int64_t dev;

	switch (s->type) {
	case OPT_STR:
		if (arg[0] == '\0') {
			snprintf(err, errlen, "--%s: empty value", s->name);
			return -1;
		}
		free(*(char **)(base + s->off));
		*(char **)(base + s->off) = xstrdup(arg);
		return 0;
	case OPT_FLAG:
		*(bool *)(base + s->off) = true;
		if (s->off == OFF(verbose))
			*(int *)(base + s->off) = 1;
		return 0;
	case OPT_INT:
	case OPT_INT64:
		if (util_parse_int(arg, s->min, s->max, &v) == -1) {
			snprintf(err, errlen,
			    "--%s: '%s' is not a number from %lld to %lld",
			    s->name, arg, s->min, s->max);
			return -1;
		}
		if (s->type == OPT_INT)
			*(int *)(base + s->off) = (int)v;
		else
			*(int64_t *)(base + s->off) = v;
		return 0;
	case OPT_DEVICE:
		if (util_parse_device_id(arg, &dev) == -1) {
			snprintf(err, errlen,
			    "--%s: '%s' is not a device id (a positive number)",
			    s->name, arg);
			return -1;
		}
		*(int64_t *)(base + s->off) = dev;
		return 0;
	case OPT_SPECIAL:
		break;
	}
	switch ((int)s->off) {
	case SP_LOGFMT:
		if (strcmp(arg, "text") == 0)
			cfg->log_format = LOG_TEXT;
		else if (strcmp(arg, "json") == 0)
			cfg->log_format = LOG_JSON;
		else
			goto badenum;
		return 0;
	case SP_API:
		if (strcmp(arg, "v3") == 0)
			cfg->api = CONFIG_API_V3;
		else if (strcmp(arg, "v6") == 0)
			cfg->api = CONFIG_API_V6;
		else
			goto badenum;
		return 0;
	case SP_SOURCE:
		if (strcmp(arg, "alerts") == 0)
			cfg->source = CONFIG_SOURCE_ALERTS;
		else if (strcmp(arg, "notifications") == 0)
			cfg->source = CONFIG_SOURCE_NOTIFICATIONS;
		else if (strcmp(arg, "synthetic") == 0)
			cfg->source = CONFIG_SOURCE_SYNTHETIC;
		else
			goto badenum;
		return 0;
	}
	return 0;
badenum:
	snprintf(err, errlen, "--%s: '%s' is not one of %s", s->name, arg,
	    s->metavar);
	return -1;
}

/* Reads the first line of an auth file: "user:password". */
static char *
read_auth_file(const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[512];
	struct stat st;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(
		    err, errlen, "--auth-file: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		log_warnx(
		    "auth file '%s' is readable by others (mode %03o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return xstrdup(line);
}

/* True when every address the host part of listen ("ADDR:PORT",
 * "[v6]:PORT") stands for is a loopback one: 127.0.0.0/8 or ::1.  A name
 * is resolved, and a name that does not resolve is not loopback
 * ("127.0.0.1.evil.example" is a name, not an address). */
static bool
listen_is_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	size_t n;
	bool all = true;

	if (colon == NULL || (n = (size_t)(colon - listen)) == 0 ||
	    n >= sizeof(host))
		return false;
	if (listen[0] == '[' && n >= 2 && listen[n - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(n - 2), listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)n, listen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return false;
	for (ai = res; ai != NULL && all; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)ai->ai_addr;

			all = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *a =
			    (const void *)ai->ai_addr;

			all = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
		} else
			all = false;
	}
	freeaddrinfo(res);
	return all;
}

static int
check_viewer(struct config *cfg, char *err, size_t errlen)
{
	const char *env;
	char *colon;

	if (cfg->listen == NULL)
		cfg->listen = xstrdup("127.0.0.1:7982");
	if ((colon = strrchr(cfg->listen, ':')) == NULL || colon[1] == '\0') {
		snprintf(err, errlen, "--listen: '%s' is not ADDR:PORT",
		    cfg->listen);
		return -1;
	}
	if (cfg->auth_file != NULL) {
		if ((cfg->auth = read_auth_file(cfg->auth_file, err, errlen)) ==
		    NULL)
			return -1;
	} else if ((env = getenv("LRFLOW_VIEWER_AUTH")) != NULL &&
		   *env != '\0') {
		cfg->auth = xstrdup(env);
	}
	if (cfg->auth != NULL &&
	    (strchr(cfg->auth, ':') == NULL || cfg->auth[0] == ':' ||
		strchr(cfg->auth, ':')[1] == '\0')) {
		snprintf(err, errlen,
		    "viewer credentials must look like user:password");
		return -1;
	}
	if (cfg->auth != NULL)
		log_add_secret(strchr(cfg->auth, ':') + 1);
	if (cfg->auth == NULL && !cfg->insecure_no_auth &&
	    !listen_is_loopback(cfg->listen)) {
		snprintf(err, errlen,
		    "--listen %s is not a loopback address: give --auth-file or LRFLOW_VIEWER_AUTH, or --insecure-no-auth",
		    cfg->listen);
		return -1;
	}
	return 0;
}

int
config_parse(
    struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	struct option longopts[NSPECS + 1];
	const struct option_spec *map[NSPECS];
	char shortopts[64] = "+";
	size_t n = 0, sn = 1;
	const char *env;
	int c, idx;

	for (size_t i = 0; i < NSPECS; i++) {
		if (!(specs[i].daemons & (int)cfg->daemon))
			continue;
		longopts[n].name = specs[i].name;
		longopts[n].has_arg =
		    specs[i].metavar ? required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 256 + (int)n;
		map[n++] = &specs[i];
		if (specs[i].shortopt && sn + 2 < sizeof(shortopts)) {
			shortopts[sn++] = (char)specs[i].shortopt;
			if (specs[i].metavar)
				shortopts[sn++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[sn] = '\0';

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		const struct option_spec *s = NULL;

		if (c == '?' || c == ':') {
			if (optopt >= 256 && optopt < 256 + (int)n)
				snprintf(err, errlen, "--%s needs a value",
				    map[optopt - 256]->name);
			else if (optopt)
				snprintf(err, errlen,
				    "unknown option '-%c' (try --help)",
				    optopt);
			else
				snprintf(err, errlen,
				    "unknown option '%s' (try --help)",
				    argv[optind - 1]);
			return -1;
		}
		if (c >= 256)
			s = map[c - 256];
		else
			for (size_t i = 0; i < n && s == NULL; i++)
				if (map[i]->shortopt == c)
					s = map[i];
		if (s == NULL) {
			snprintf(err, errlen, "unknown option (try --help)");
			return -1;
		}
		if (s->type == OPT_SPECIAL && s->off == SP_HELP) {
			config_usage(cfg->daemon, NULL);
			return 1;
		}
		if (s->type == OPT_SPECIAL && s->off == SP_VERSION) {
			printf("%s %s\n", daemon_name(cfg->daemon),
			    LRFLOW_VERSION);
			return 1;
		}
		if (s->type == OPT_SPECIAL && s->off == SP_CHECK) {
			cfg->check_only = true;
			continue;
		}
		if (set_option(cfg, s, optarg ? optarg : "", err, errlen) == -1)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (try --help)",
		    argv[optind]);
		return -1;
	}
	if (cfg->apitoken != NULL)
		log_add_secret(cfg->apitoken);

	if (cfg->redis_url == NULL) {
		env = getenv("LRFLOW_REDIS");
		cfg->redis_url =
		    xstrdup(env && *env ? env : "redis://127.0.0.1:6379/0");
	}
	if (cfg->prefix == NULL)
		cfg->prefix = xstrdup("lr");
	if (strpbrk(cfg->prefix, " \t\r\n{}") != NULL) {
		snprintf(err, errlen,
		    "--prefix: '%s' must not contain spaces or braces",
		    cfg->prefix);
		return -1;
	}
	if (cfg->profile == NULL)
		cfg->profile = xstrdup("default");
	if (cfg->siemprofile == NULL)
		cfg->siemprofile = xstrdup("siem");
	if (cfg->daemon == CONFIG_POLLER) {
		if (cfg->source == CONFIG_SOURCE_SYNTHETIC &&
		    cfg->synthetic == 0) {
			snprintf(err, errlen,
			    "--source synthetic needs --synthetic DEVICE_ID");
			return -1;
		}
		/* Without --synthetic, AUTO is settled by the credentials:
		 * alerts with an org key, else notifications (poller_new). */
		if (cfg->source == CONFIG_SOURCE_AUTO && cfg->synthetic)
			cfg->source = CONFIG_SOURCE_SYNTHETIC;
		if (config_id_list(cfg->devices, NULL, 0) < 0 ||
		    config_id_list(cfg->exclude_devices, NULL, 0) < 0) {
			snprintf(err, errlen,
			    "--devices and --exclude-devices take device ids separated by commas");
			return -1;
		}
	}
	if (cfg->daemon == CONFIG_VIEWER)
		return check_viewer(cfg, err, errlen);
	return 0;
}

void
config_release(struct config *cfg)
{
	free(cfg->redis_url);
	free(cfg->prefix);
	free(cfg->cburl);
	free(cfg->apitoken);
	free(cfg->org_key);
	free(cfg->profile);
	free(cfg->credentials);
	free(cfg->siemprofile);
	free(cfg->alert_types);
	free(cfg->policy);
	free(cfg->devices);
	free(cfg->exclude_devices);
	free(cfg->worker_id);
	free(cfg->listen);
	free(cfg->auth_file);
	free(cfg->auth);
	memset(cfg, 0, sizeof(*cfg));
}

void
cb_cred_release(struct cb_cred *c)
{
	free(c->url);
	free(c->token);
	free(c->org_key);
	free(c->proxy);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? xstrdup(src) : NULL;
}

static const char *
env2(const char *a, const char *b)
{
	const char *v = getenv(a);

	if (v == NULL || *v == '\0')
		v = getenv(b);
	return v && *v ? v : NULL;
}

static void
warn_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warnx(
		    "credentials file '%s' is readable by others (mode %03o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
}

/* Fills c from profile in the ini at path.  -1 with err on a bad value. */
static int
cred_from_ini(struct cb_cred *c, const struct ini *ini, const char *path,
    const char *profile, char *err, size_t errlen)
{
	static const char *const bools[] = {
	    "ssl_verify", "ssl_verify_hostname", "ignore_system_proxy"};
	bool *dst[] = {
	    &c->ssl_verify, &c->ssl_verify_hostname, &c->ignore_system_proxy};
	const char *v;

	set_str(&c->url, ini_get(ini, profile, "url"));
	set_str(&c->token, ini_get(ini, profile, "token"));
	set_str(&c->org_key, ini_get(ini, profile, "org_key"));
	set_str(&c->proxy, ini_get(ini, profile, "proxy"));
	for (size_t i = 0; i < 3; i++) {
		if ((v = ini_get(ini, profile, bools[i])) == NULL)
			continue;
		if (ini_bool(v, dst[i]) == -1) {
			snprintf(err, errlen,
			    "%s [%s]: %s = '%s' is not true or false", path,
			    profile, bools[i], v);
			return -1;
		}
	}
	free(c->origin);
	c->origin = xasprintf("%s [%s]", path, profile);
	return 0;
}

int
config_credentials(const struct config *cfg, const char *profile,
    struct cb_cred *out, char *err, size_t errlen)
{
	const char *home = getenv("HOME"), *v;
	bool main_profile, found = false, env_used = false;
	struct ini *ini;
	char sub[256];

	if (profile == NULL)
		profile = cfg->profile;
	main_profile = strcmp(profile, cfg->profile) == 0;
	memset(out, 0, sizeof(*out));
	out->ssl_verify = out->ssl_verify_hostname = true;

	if (cfg->credentials != NULL) {
		if ((ini = ini_load(cfg->credentials, err, errlen)) == NULL)
			goto fail;
		warn_mode(cfg->credentials);
		if (ini_has_section(ini, profile)) {
			found = true;
			if (cred_from_ini(out, ini, cfg->credentials, profile,
				err, errlen) == -1) {
				ini_free(ini);
				goto fail;
			}
		}
		ini_free(ini);
	} else if (main_profile && env2("CBC_URL", "CBAPI_URL") &&
		   env2("CBC_TOKEN", "CBAPI_TOKEN")) {
		found = env_used = true;
		set_str(&out->url, env2("CBC_URL", "CBAPI_URL"));
		set_str(&out->token, env2("CBC_TOKEN", "CBAPI_TOKEN"));
		set_str(&out->org_key, env2("CBC_ORG_KEY", "CBAPI_ORG_KEY"));
		if ((v = env2("CBC_SSL_VERIFY", "CBAPI_SSL_VERIFY")) != NULL &&
		    ini_bool(v, &out->ssl_verify) == -1) {
			snprintf(err, errlen,
			    "CBC_SSL_VERIFY='%s' is not true or false", v);
			goto fail;
		}
		out->origin = xstrdup("environment (CBC_URL, CBC_TOKEN)");
	} else {
		static const char *const dirs[] = {
		    "./.carbonblack", "~", "/etc/carbonblack"};
		static const char *const files[] = {
		    "credentials.cbc", "credentials.psc"};

		for (size_t f = 0; f < 2 && !found; f++) {
			for (size_t d = 0; d < 3 && !found; d++) {
				char *path;

				if (dirs[d][0] == '~') {
					if (home == NULL)
						continue;
					path = xasprintf("%s/.carbonblack/%s",
					    home, files[f]);
				} else {
					path = xasprintf(
					    "%s/%s", dirs[d], files[f]);
				}
				if (access(path, F_OK) != 0) {
					free(path);
					continue;
				}
				if ((ini = ini_load(path, sub, sizeof(sub))) ==
				    NULL) {
					log_warnx(
					    "skipping credentials file: %s",
					    sub);
					free(path);
					continue;
				}
				if (ini_has_section(ini, profile)) {
					found = true;
					warn_mode(path);
					if (cred_from_ini(out, ini, path,
						profile, err, errlen) == -1) {
						ini_free(ini);
						free(path);
						goto fail;
					}
				}
				ini_free(ini);
				free(path);
			}
		}
	}
	(void)env_used;

	if (main_profile) {
		if (cfg->cburl != NULL)
			set_str(&out->url, cfg->cburl);
		if (cfg->apitoken != NULL) {
			set_str(&out->token, cfg->apitoken);
			log_warnx(
			    "--apitoken is visible to every user in ps: prefer a credentials file or CBC_TOKEN");
		}
		if (cfg->org_key != NULL)
			set_str(&out->org_key, cfg->org_key);
		if (cfg->no_ssl_verify)
			out->ssl_verify = out->ssl_verify_hostname = false;
		if (!found && (cfg->cburl || cfg->apitoken)) {
			found = true;
			out->origin = xstrdup("command line");
		}
	}
	if (!found) {
		if (cfg->credentials != NULL)
			snprintf(err, errlen, "%s: no [%s] profile",
			    cfg->credentials, profile);
		else
			snprintf(err, errlen,
			    "no credentials for profile '%s': give --cburl and --apitoken, set CBC_URL and CBC_TOKEN, or add [%s] to ~/.carbonblack/credentials.cbc",
			    profile, profile);
		goto fail;
	}
	if (out->url == NULL || out->token == NULL) {
		snprintf(err, errlen, "%s: missing '%s'", out->origin,
		    out->url == NULL ? "url" : "token");
		goto fail;
	}
	if (strncmp(out->url, "https://", 8) != 0 &&
	    strncmp(out->url, "http://", 7) != 0) {
		snprintf(err, errlen, "%s: url '%s' must start with https://",
		    out->origin, out->url);
		goto fail;
	}
	if (strchr(out->token, '/') == NULL || strlen(out->token) < 8 ||
	    strpbrk(out->token, " \t\r\n") != NULL) {
		snprintf(err, errlen, "%s: token must look like SECRET/ID",
		    out->origin);
		goto fail;
	}
	/* Trailing slashes would double up in request paths. */
	for (size_t n = strlen(out->url); n > 8 && out->url[n - 1] == '/'; n--)
		out->url[n - 1] = '\0';
	log_add_secret(out->token);
	return 0;
fail:
	cb_cred_release(out);
	return -1;
}

int
config_id_list(const char *list, int64_t *out, size_t max)
{
	const char *p = list;
	size_t n = 0;

	if (list == NULL)
		return 0;
	while (*p != '\0') {
		char num[32];
		size_t len = strcspn(p, ",");
		int64_t id;

		while (len > 0 && *p == ' ')
			p++, len--;
		if (len == 0 || len >= sizeof(num))
			return -1;
		memcpy(num, p, len);
		num[len] = '\0';
		while (len > 0 && num[len - 1] == ' ')
			num[--len] = '\0';
		if (util_parse_device_id(num, &id) == -1)
			return -1;
		if (out != NULL && n < max)
			out[n] = id;
		n++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return (int)n;
}

enum config_api
config_api_for(const struct config *cfg, const struct cb_cred *cred)
{
	if (cfg->api != CONFIG_API_AUTO)
		return cfg->api;
	return cred != NULL && cred->org_key != NULL ? CONFIG_API_V6
						     : CONFIG_API_V3;
}
