/* lr-viewer - shows Live Response results to analysts over HTTP.
 *
 * Parse the configuration, start the server (it keeps retrying Redis),
 * run the event loop until SIGTERM or SIGINT, free everything, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "rconn.h"
#include "viewer.h"

/* SIGTERM/SIGINT arrive as events, so this runs in the loop, not in a
 * signal handler. */
static void
on_stop(evutil_socket_t sig, short events, void *arg)
{
	(void)events;
	log_info("signal %d, stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct rconn_addr addr;
	struct event_base *base = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	struct viewer *v = NULL;
	char err[512];
	int rc = 1;

	config_init(&cfg, CONFIG_VIEWER);
	switch (config_parse(&cfg, argc, argv, err, sizeof(err))) {
	case 1:
		rc = 0;
		goto out_release;
	case -1:
		fprintf(stderr, "lr-viewer: %s\n", err);
		rc = 2;
		goto out_release;
	}
	if (rconn_parse_url(cfg.redis_url, &addr, err, sizeof(err)) == -1) {
		fprintf(stderr, "lr-viewer: %s\n", err);
		rc = 2;
		goto out_release;
	}
	if (cfg.check_only) {
		printf("configuration OK\n");
		rc = 0;
		goto out_release;
	}
	log_init(
	    "lr-viewer", cfg.verbose ? LOG_DEBUG : LOG_INFO, cfg.log_format);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		goto out_release;
	if ((base = event_base_new()) == NULL) {
		log_error("event_base_new failed");
		goto out_release;
	}
	if ((v = viewer_new(&cfg, base)) == NULL)
		goto out_free_base;
	if (viewer_listen(v) == -1)
		goto out_free_viewer;
	sigterm = evsignal_new(base, SIGTERM, on_stop, base);
	sigint = evsignal_new(base, SIGINT, on_stop, base);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL)) {
		log_error("cannot handle signals");
		goto out_free_signals;
	}
	event_base_dispatch(base);
	rc = 0;

out_free_signals:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
out_free_viewer:
	viewer_free(v);
out_free_base:
	event_base_free(base);
out_release:
	config_release(&cfg);
	return rc;
}
