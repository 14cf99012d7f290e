/* config.c - argv and environment parsing into struct config, with each
 * daemon's checks (the viewer's listen address and credentials among
 * them).  The option table is config_opts.c, the Carbon Black credentials
 * config_cred.c. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config_int.h"
#include "util.h"
#include "xmalloc.h"

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
	struct option longopts[CONFIG_MAX_SPECS + 1];
	const struct option_spec *map[CONFIG_MAX_SPECS];
	char shortopts[64] = "+";
	size_t n = 0, sn = 1;
	const char *env;
	int c, idx;

	for (size_t i = 0; i < config_nspecs; i++) {
		if (!(config_specs[i].daemons & (int)cfg->daemon))
			continue;
		longopts[n].name = config_specs[i].name;
		longopts[n].has_arg =
		    config_specs[i].metavar ? required_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = 256 + (int)n;
		map[n++] = &config_specs[i];
		if (config_specs[i].shortopt && sn + 2 < sizeof(shortopts)) {
			shortopts[sn++] = (char)config_specs[i].shortopt;
			if (config_specs[i].metavar)
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
			printf("%s %s\n", config_daemon_name(cfg->daemon),
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
	if (config_redis_auth(cfg, err, errlen) == -1)
		return -1;
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
	free(cfg->redis_password_file);
	free(cfg->sentinel_user);
	free(cfg->sentinel_password_file);
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
