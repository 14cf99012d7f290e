/* config.h - command line, environment and credentials for all daemons.
 *
 * One struct holds every setting; each daemon parses only its own flags
 * (an option table says which daemon owns which flag), so usage, range
 * checks and defaults cannot drift apart.  Precedence for every setting:
 * command line, then environment, then credentials file, then default. */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define LRFLOW_VERSION "0.1.0"

enum config_daemon {
	CONFIG_POLLER = (1 << 0),
	CONFIG_WORKER = (1 << 1),
	CONFIG_VIEWER = (1 << 2),
};

enum config_api { CONFIG_API_AUTO = 0, CONFIG_API_V3, CONFIG_API_V6 };
enum config_source {
	CONFIG_SOURCE_AUTO = 0,
	CONFIG_SOURCE_ALERTS,
	CONFIG_SOURCE_NOTIFICATIONS,
	CONFIG_SOURCE_SYNTHETIC,
};

struct config {
	enum config_daemon daemon; /* which daemon parsed this */

	/* all daemons */
	char *redis_url;              /* --redis, env LRFLOW_REDIS */
	char *redis_password_file;    /* --redis-password-file FILE */
	char *sentinel_user;          /* --sentinel-user NAME */
	char *sentinel_password_file; /* --sentinel-password-file FILE */
	char *prefix;                 /* --prefix: key prefix, default "lr" */
	int verbose;                  /* --verbose: debug logging */
	enum log_format log_format;   /* --log-format text|json */
	bool check_only;              /* -n: check the configuration and exit */

	/* Carbon Black access (poller and worker) */
	char *cburl;         /* --cburl */
	char *apitoken;      /* --apitoken (argv is visible in ps) */
	char *org_key;       /* --org-key */
	bool no_ssl_verify;  /* --no-ssl-verify */
	char *profile;       /* --profile, default "default" */
	char *credentials;   /* --credentials FILE */
	enum config_api api; /* --api v6|v3; AUTO picks by org key */

	/* poller */
	int64_t synthetic;         /* --synthetic DEVICE_ID, 0 if unset */
	int poll_s;                /* --poll SECONDS, default 30 */
	char *siemprofile;         /* --siemprofile, default "siem" */
	enum config_source source; /* --source */
	char *alert_types;         /* --alert-types A,B */
	int min_severity;          /* --min-severity 1..10, 0 = any */
	int cooldown_s;            /* --cooldown SECONDS after a finished job */
	bool once;                 /* --once: poll once and exit */
	int lookback_s;        /* --lookback: first alerts poll looks back */
	int alert_lag_s;       /* --alert-lag: newest alerts left to settle */
	char *policy;          /* --policy P1,P2 (alerts criteria) */
	char *devices;         /* --devices ID,ID allow list */
	char *exclude_devices; /* --exclude-devices ID,ID deny list */

	/* worker */
	int concurrency;       /* --concurrency N jobs at once */
	int session_limit;     /* --session-limit N (global budget) */
	int checkin_timeout_s; /* --checkin-timeout SECONDS */
	int command_timeout_s; /* --command-timeout SECONDS per command */
	int64_t max_file_size; /* --max-file-size BYTES */
	int offline_ttl_s;     /* --offline-ttl SECONDS */
	int max_attempts;      /* --max-attempts N */
	int max_stalls;      /* --max-stalls N: worker deaths before failing */
	int retry_base_s;    /* --retry-base: backoff of the first retry */
	int retry_max_s;     /* --retry-max: longest backoff */
	int retention_s;     /* --retention: results older are removed */
	int artifact_ttl_s;  /* --artifact-ttl SECONDS for raw files */
	int drain_timeout_s; /* --drain-timeout SECONDS at shutdown */
	int offline_after_s; /* --offline-after: last contact older = offline */
	int timeline_window_s; /* --timeline-window: browser activity this
				  close to an alert time joins the timeline */
	char *worker_id;       /* --id NAME, default host:pid */

	/* viewer */
	char *listen;          /* --listen ADDR:PORT, default 127.0.0.1:7982 */
	char *auth_file;       /* --auth-file FILE (user:password) */
	char *auth;            /* from the auth file or LRFLOW_VIEWER_AUTH */
	bool insecure_no_auth; /* --insecure-no-auth */
	int max_connections;   /* --max-connections N at once */
};

/* Credentials for one Carbon Black API key, resolved from all sources. */
struct cb_cred {
	char *url;     /* "https://defense-prod05.conferdeploy.net" */
	char *token;   /* "SECRET/ID"; never log it */
	char *org_key; /* NULL if unknown */
	bool ssl_verify;
	bool ssl_verify_hostname;
	char *proxy; /* NULL for none */
	bool ignore_system_proxy;
	char *origin; /* where it came from, for logs: "file:...[siem]" */
};

/* Sets every default for daemon d. */
void config_init(struct config *cfg, enum config_daemon d);
/* Parses argv (and the environment).  Returns 0 to run, 1 when -h or
 * --version printed what was asked (exit 0), -1 on a bad flag with one
 * line in err (exit 2). */
int config_parse(
    struct config *cfg, int argc, char **argv, char *err, size_t errlen);
/* Frees what config_parse allocated. */
void config_release(struct config *cfg);
/* Prints the usage of daemon d to stdout. */
void config_usage(enum config_daemon d, const char *prog);

/* Resolves the credentials for profile (NULL: cfg->profile).  With
 * --cburl/--apitoken/--org-key those win; else CBC_* (or CBAPI_*) in the
 * environment when no --credentials file is named; else the first file
 * that has the profile among --credentials, or credentials.cbc then
 * credentials.psc in ./.carbonblack/, ~/.carbonblack/, /etc/carbonblack/.
 * Returns 0, or -1 with one line in err.  Warns (once per file) when a
 * credentials file is readable by others. */
int config_credentials(const struct config *cfg, const char *profile,
    struct cb_cred *out, char *err, size_t errlen);
void cb_cred_release(struct cb_cred *c);

/* Parses a comma-separated list of device ids into out (up to max; out
 * may be NULL to only check).  Returns how many, 0 for NULL, -1 when an
 * entry is not a device id. */
int config_id_list(const char *list, int64_t *out, size_t max);

/* Returns the API generation to use: v6 when an org key is known, else v3,
 * unless --api says otherwise. */
enum config_api config_api_for(
    const struct config *cfg, const struct cb_cred *cred);

#endif
