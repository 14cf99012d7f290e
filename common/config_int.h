/* config_int.h - what the parts of the configuration share: the option
 * table (config_opts.c), read by the parser (config.c) and the usage.
 *
 * config.c parses argv and the environment into struct config and checks
 * each daemon's settings; config_opts.c is the table of every flag, which
 * daemon takes it, and --help; config_cred.c resolves the Carbon Black
 * credentials (flags, environment, credentials files) and the Redis
 * passwords. */
#ifndef LR_CONFIG_INT_H
#define LR_CONFIG_INT_H

#include <stddef.h>

#include "config.h"

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

/* The most options a table may hold (the parser's arrays are this big). */
#define CONFIG_MAX_SPECS 64

/* Every flag of every daemon, in --help order (config_opts.c). */
extern const struct option_spec config_specs[];
extern const size_t config_nspecs;

/* Reads the Redis and sentinel passwords (files named by flags, else
 * the environment), checks them against the URL, registers them as log
 * secrets and with rconn_set_passwords() (config_cred.c).  0, or -1 with
 * one line in err. */
int config_redis_auth(const struct config *cfg, char *err, size_t errlen);

/* "lr-poller", "lr-worker" or "lr-viewer". */
const char *config_daemon_name(enum config_daemon d);

#endif
