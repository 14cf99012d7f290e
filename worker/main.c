/* main.c - lr-worker: runs queued Live Response jobs and stores what they
 * collect (services, logged-in users, Chrome history) in Redis.
 *
 * Options and credentials, signals, then worker_run() until SIGTERM or
 * SIGINT.  The first signal stops claiming and lets the jobs in hand
 * finish; a second one closes their sessions and hands them back; a third
 * SIGINT exits at once. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "lr.h"
#include "worker.h"

static volatile sig_atomic_t stopping; /* first signal: stop claiming */
static volatile sig_atomic_t aborting; /* second: give up jobs in hand */

static void
on_stop(int sig)
{
	if (aborting && sig == SIGINT)
		_exit(1); /* third ^C: the user insists */
	if (stopping)
		aborting = 1;
	stopping = 1;
}

static void
signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Picks the Live Response API: v6 when an org key is known or --api v6
 * says so, v3 when --api v3 says so or there is no org key.  0, or -1
 * with err. */
static int
pick_api(const struct config *cfg, const struct cb_cred *cred,
    enum config_api *api, char *err, size_t errlen)
{
	*api = config_api_for(cfg, cred);
	if (*api != CONFIG_API_V6)
		return 0;
	if (cred->org_key == NULL || *cred->org_key == '\0') {
		snprintf(err, errlen,
		    "Live Response v6 needs an org key (org_key in the credentials file, CBC_ORG_KEY or --org-key)");
		return -1;
	}
	if (!lr_org_key_ok(cred->org_key)) {
		snprintf(err, errlen,
		    "the org key must be letters and digits only, like ABCD1234 (see Settings > API Access in the console)");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct cb_cred cred;
	struct worker *w;
	enum config_api api;
	char err[512];
	int rc;

	config_init(&cfg, CONFIG_WORKER);
	if ((rc = config_parse(&cfg, argc, argv, err, sizeof(err))) != 0) {
		if (rc == -1)
			fprintf(stderr, "lr-worker: %s\n", err);
		config_release(&cfg);
		return rc == 1 ? 0 : 2;
	}
	log_init(
	    "lr-worker", cfg.verbose ? LOG_DEBUG : LOG_INFO, cfg.log_format);
	memset(&cred, 0, sizeof(cred));
	if (config_credentials(&cfg, NULL, &cred, err, sizeof(err)) == -1 ||
	    pick_api(&cfg, &cred, &api, err, sizeof(err)) == -1) {
		fprintf(stderr, "lr-worker: %s\n", err);
		cb_cred_release(&cred);
		config_release(&cfg);
		return 2;
	}
	if (cfg.check_only) {
		printf("configuration OK\n");
		cb_cred_release(&cred);
		config_release(&cfg);
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signals_init();
	w = worker_new(&cfg, &cred, api, &stopping, &aborting);
	rc = worker_run(w);
	worker_free(w);
	curl_global_cleanup();
	cb_cred_release(&cred);
	config_release(&cfg);
	return rc == 0 ? 0 : 1;
}
