/* tr.h - Redis helpers for the unit tests that run against a real
 * redis-server (t_redis_start() in t.h, included first): the setup, and
 * one command with at most one argument, its answer as a number or a
 * string. */
#ifndef LR_TR_H
#define LR_TR_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rconn.h"

/* The setup of a test program against Redis: quiet logs, SIGPIPE ignored
 * as every daemon does, a throwaway redis-server and a connection to it.
 * NULL (after a "not ok" line) when Redis did not start. */
static inline struct rconn *
tr_connect(const char *prog, const char **url)
{
	struct rconn *rc;

	log_init(prog, LOG_ERROR, LOG_TEXT);
	signal(SIGPIPE, SIG_IGN);
	if ((*url = t_redis_start()) == NULL) {
		printf("not ok 1 - redis-server did not start\n");
		return NULL;
	}
	rc = rconn_new(*url, 5000);
	if (rconn_wait(rc, NULL) == -1) {
		rconn_free(rc);
		return NULL;
	}
	return rc;
}

/* The integer answer (or a string that holds one), else -1. */
static inline long long
tr_num(struct rconn *rc, const char *fmt, const char *arg)
{
	redisReply *r = rconn_command(rc, fmt, arg);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = atoll(r->str);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/* A string answer (caller frees), else NULL. */
static inline char *
tr_str(struct rconn *rc, const char *fmt, const char *arg)
{
	redisReply *r = rconn_command(rc, fmt, arg);
	char *s = NULL;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		s = strdup(r->str);
	if (r != NULL)
		freeReplyObject(r);
	return s;
}

/* A command whose answer does not matter. */
static inline void
tr_cmd(struct rconn *rc, const char *fmt, const char *arg)
{
	redisReply *r = rconn_command(rc, fmt, arg);

	if (r != NULL)
		freeReplyObject(r);
}

#endif
