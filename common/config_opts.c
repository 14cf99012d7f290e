/* config_opts.c - the option table: every flag, the daemons that take
 * it, its type and range, and its line in --help (config_usage()).  One
 * table, so usage, range checks and defaults cannot drift apart. */
#include "config_int.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define D_ALL (CONFIG_POLLER | CONFIG_WORKER | CONFIG_VIEWER)
#define D_CB (CONFIG_POLLER | CONFIG_WORKER)

const struct option_spec config_specs[] = {
    {"redis", 0, OPT_STR, OFF(redis_url), D_ALL, 0, 0, "URL",
	"Redis: redis://[user@]host:port/db, unix://[user@]/path.sock or sentinel://[user@]h:p,h:p/master (env LRFLOW_REDIS)"},
    {"redis-password-file", 0, OPT_STR, OFF(redis_password_file), D_ALL, 0, 0,
	"FILE",
	"file whose first line is the Redis password (or env LRFLOW_REDIS_PASSWORD); never in the URL"},
    {"sentinel-user", 0, OPT_STR, OFF(sentinel_user), D_ALL, 0, 0, "NAME",
	"user for the sentinels' AUTH (default: their default user)"},
    {"sentinel-password-file", 0, OPT_STR, OFF(sentinel_password_file), D_ALL,
	0, 0, "FILE",
	"file whose first line is the sentinels' password (or env LRFLOW_SENTINEL_PASSWORD)"},
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
	"Live Response API generation (default: v6 with an org key, else v3)"},
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
#define NSPECS (sizeof(config_specs) / sizeof(config_specs[0]))
const size_t config_nspecs = NSPECS;
_Static_assert(NSPECS <= CONFIG_MAX_SPECS, "raise CONFIG_MAX_SPECS");

const char *
config_daemon_name(enum config_daemon d)
{
	return d == CONFIG_POLLER   ? "lr-poller"
	       : d == CONFIG_WORKER ? "lr-worker"
				    : "lr-viewer";
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
	    prog ? prog : config_daemon_name(d), config_daemon_name(d),
	    what[d]);
	for (size_t i = 0; i < config_nspecs; i++) {
		char left[64];

		if (!(config_specs[i].daemons & (int)d))
			continue;
		if (config_specs[i].shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
			    config_specs[i].shortopt, config_specs[i].name,
			    config_specs[i].metavar ? " " : "",
			    config_specs[i].metavar ? config_specs[i].metavar
						    : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s",
			    config_specs[i].name,
			    config_specs[i].metavar ? " " : "",
			    config_specs[i].metavar ? config_specs[i].metavar
						    : "");
		if (strlen(left) > 26)
			printf("  %s\n  %-26s %s\n", left, "",
			    config_specs[i].text);
		else
			printf("  %-26s %s\n", left, config_specs[i].text);
	}
}
