/* main.c - lr-cbsim, a Carbon Black Cloud simulator for lrflow's tests.
 *
 * It serves the legacy v3 notification, device and Live Response APIs
 * from a scenario (devices, their users and Chrome histories, timings,
 * scheduled notifications), plus /_sim admin routes.  After binding it
 * prints "listening on ADDR:PORT" on stdout; SIGTERM/SIGINT stop it
 * cleanly (exit 0).  Exit 2: bad usage or scenario; 1: other startup
 * failure. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "routes_sim.h"
#include "routes_v3.h"
#include "routes_v6.h"
#include "routes_v7.h"
#include "scenario.h"
#include "server.h"
#include "sim.h"
#include "storage.h"

/* Command-line options; strings borrowed from argv. */
struct cbsim_options {
	const char *listen;     /* ADDR:PORT */
	const char *storage;    /* storage host ADDR:PORT, NULL: 127.0.0.2 */
	const char *scenario;   /* JSON file, NULL: built-in */
	const char *token;      /* API / LR key, NULL: scenario's */
	const char *siem_token; /* SIEM key, NULL: scenario's */
	const char *org_key;    /* v6/v7 org key, NULL: scenario's */
	bool verbose;           /* debug logging */
};

/* Prints usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: lr-cbsim [--listen ADDR:PORT] [--storage-listen ADDR:PORT]\n"
	    "                [--scenario FILE] [--token TOKEN] "
	    "[--siem-token TOKEN]\n"
	    "                [--org-key KEY] [--verbose] [-h]\n"
	    "  -l, --listen ADDR:PORT   listen address (127.0.0.1:0 picks a port)\n"
	    "  -L, --storage-listen ADDR:PORT\n"
	    "                           the v6 file storage host, IPv4 "
	    "(default 127.0.0.2:0)\n"
	    "  -s, --scenario FILE      JSON scenario (default: built-in)\n"
	    "  -t, --token TOKEN        API / Live Response X-Auth-Token\n"
	    "  -S, --siem-token TOKEN   SIEM X-Auth-Token for /notification\n"
	    "  -o, --org-key KEY        org key of the v6/v7 APIs (ABCD1234)\n"
	    "  -v, --verbose            log every request\n"
	    "  -h, --help               show this help\n");
}

/* Parses argv into o; exits on -h (0) or a bad option (2). */
static void
parse_args(struct cbsim_options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"storage-listen", required_argument, NULL, 'L'},
	    {"scenario", required_argument, NULL, 's'},
	    {"token", required_argument, NULL, 't'},
	    {"siem-token", required_argument, NULL, 'S'},
	    {"org-key", required_argument, NULL, 'o'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(
		    argc, argv, "l:L:s:t:S:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = optarg;
			break;
		case 'L':
			o->storage = optarg;
			break;
		case 's':
			o->scenario = optarg;
			break;
		case 't':
			o->token = optarg;
			break;
		case 'S':
			o->siem_token = optarg;
			break;
		case 'o':
			o->org_key = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/* Splits "ADDR:PORT" (ADDR may be "[v6]") into a new host string and a
 * port.  Returns the host or NULL if malformed. */
static char *
split_listen(const char *s, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	long long p;
	char *host;
	size_t n;

	if (colon == NULL || colon == s ||
	    util_parse_int(colon + 1, 0, 65535, &p) == -1)
		return NULL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']')
		host = xstrndup(s + 1, n - 2);
	else
		host = xstrndup(s, n);
	*port = (unsigned)p;
	return host;
}

/* SIGTERM / SIGINT: leave the loop; main() frees everything. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d, stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
	struct cbsim_options o = {.listen = "127.0.0.1:0"};
	struct event *sigterm = NULL, *sigint = NULL;
	struct event_base *base = NULL;
	struct server *srv = NULL;
	struct storage *st = NULL;
	struct sim *sim;
	char err[512], bound[80], *host, *shost = NULL;
	unsigned port, sport = 0;
	int ret = 1;

	parse_args(&o, argc, argv);
	log_init("lr-cbsim", o.verbose ? LOG_DEBUG : LOG_INFO, LOG_TEXT);
	if ((host = split_listen(o.listen, &port)) == NULL) {
		fprintf(stderr, "lr-cbsim: --listen '%s': expected ADDR:PORT\n",
		    o.listen);
		return 2;
	}
	if (o.storage != NULL &&
	    (shost = split_listen(o.storage, &sport)) == NULL) {
		fprintf(stderr,
		    "lr-cbsim: --storage-listen '%s': expected ADDR:PORT\n",
		    o.storage);
		free(host);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	sim = sim_new();
	if (o.scenario == NULL)
		scenario_default(sim);
	else if (scenario_load(sim, o.scenario, err, sizeof(err)) == -1) {
		fprintf(stderr, "lr-cbsim: %s\n", err);
		ret = 2;
		goto out_free_sim;
	}
	if (o.token != NULL)
		sim_set_string(&sim->token, o.token);
	if (o.siem_token != NULL)
		sim_set_string(&sim->siem_token, o.siem_token);
	if (o.org_key != NULL) {
		if (!scenario_org_key_ok(o.org_key)) {
			fprintf(stderr,
			    "lr-cbsim: --org-key '%s': expected 1..64 letters "
			    "and digits\n",
			    o.org_key);
			ret = 2;
			goto out_free_sim;
		}
		sim_set_string(&sim->org_key, o.org_key);
	}

	if ((base = event_base_new()) == NULL) {
		log_error("event_base_new failed");
		goto out_free_sim;
	}
	srv = server_new(base, sim);
	server_add_routes(srv, routes_v3);
	server_add_routes(srv, routes_v6);
	server_add_routes(srv, routes_v7);
	server_add_routes(srv, routes_sim);
	if (server_listen(srv, host, port, bound, sizeof(bound)) == -1)
		goto out_free_server;
	if ((st = storage_new(base, sim, shost, sport)) == NULL)
		goto out_free_server;
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) ||
	    event_add(sigint, NULL)) {
		log_error("cannot install signal handlers");
		goto out_free_server;
	}
	printf("listening on %s\n", bound);
	fflush(stdout);
	log_info("listening on %s", bound);

	event_base_dispatch(base);
	ret = 0;
out_free_server:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	server_free(srv);
	storage_free(st);
	event_base_free(base);
	libevent_global_shutdown();
out_free_sim:
	sim_free(sim);
	free(host);
	free(shost);
	return ret;
}
