/* lr-poller - polls Carbon Black Cloud for alerts and queues one Live
 * Response job per device, never two for a device already in flight; in
 * between, it queues the analysts' collect-now requests. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "poller.h"
#include "util.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	if (stopping && sig == SIGINT)
		_exit(1); /* second ^C: the user insists */
	stopping = 1;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct poller *p;
	char err[512];
	int rc, failed = 0, once;

	config_init(&cfg, CONFIG_POLLER);
	if ((rc = config_parse(&cfg, argc, argv, err, sizeof(err))) != 0) {
		if (rc < 0)
			fprintf(stderr, "lr-poller: %s\n", err);
		config_release(&cfg);
		return rc < 0 ? 2 : 0;
	}
	log_init(
	    "lr-poller", cfg.verbose ? LOG_DEBUG : LOG_INFO, cfg.log_format);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);

	if ((p = poller_new(&cfg, &stopping, err, sizeof(err))) == NULL) {
		fprintf(stderr, "lr-poller: %s\n", err);
		curl_global_cleanup();
		config_release(&cfg);
		return 2;
	}
	if (cfg.check_only) {
		printf("configuration OK\n");
		goto out;
	}
	log_info("Starting");
	while (!stopping) {
		int64_t next;

		failed = poller_poll_once(p) < 0;
		/* collect-now requests: between polls, a second at a time, so
		 * they wait at most a second and never delay a poll */
		poller_requests(p, 0);
		if (cfg.once)
			break;
		next = util_mono_ms() + (int64_t)cfg.poll_s * 1000;
		while (!stopping && util_mono_ms() < next) {
			int64_t left = next - util_mono_ms();
			int ms = left > 1000 ? 1000 : (int)left;

			if (ms > 0 && poller_requests(p, ms) == -1)
				util_sleep_ms(ms, &stopping);
		}
	}
	/* Counts a failed flush kept, if Redis is back. */
	if (poller_flush_stats(p) == -1)
		log_warnx("could not add the last counts of Carbon Black "
			  "answers to %s:stats",
		    cfg.prefix);
	log_info("stopped");
out:
	once = cfg.once;
	poller_free(p);
	curl_global_cleanup();
	config_release(&cfg);
	return once && failed ? 1 : 0;
}
