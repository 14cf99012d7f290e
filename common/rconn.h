/* rconn.h - a Redis connection that parses our URLs and reconnects.
 *
 * URLs: redis://[USER@]host:port[/db], unix://[USER@]/path/redis.sock[?db=N],
 * sentinel://[USER@]host:port[,host:port...]/mastername[/db]
 * (rconn_url.c).  Passwords never come in a URL: rconn_set_passwords()
 * gives them, once, at start.  Every connection (and reconnection) sends
 * AUTH [USER] PASSWORD before SELECT when a password is set; each
 * sentinel gets its own AUTH when a sentinel password is set.
 * A failed command drops the connection; the next command reconnects
 * (one attempt), and rconn_wait() retries with backoff until Redis is
 * back.  hiredis 0.14 rules: every non-NULL reply gets one
 * freeReplyObject(); a context with err set is dead and is freed here. */
#ifndef LR_RCONN_H
#define LR_RCONN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <hiredis.h>

enum rconn_kind { RCONN_TCP, RCONN_UNIX, RCONN_SENTINEL };

#define RCONN_MAX_SENTINELS 8
#define RCONN_USER_MAX 128
#define RCONN_SECRET_MAX 256

struct rconn_addr {
	enum rconn_kind kind;
	char host[256]; /* TCP: host; SENTINEL: resolved master */
	int port;
	char path[256];   /* UNIX: socket path */
	int db;           /* SELECT db, 0 by default */
	char master[128]; /* SENTINEL: master name */
	int nsentinels;
	char sentinel_host[RCONN_MAX_SENTINELS][256];
	int sentinel_port[RCONN_MAX_SENTINELS];
	/* AUTH: user from the URL ("" for the default user); passwords
	 * from rconn_set_passwords() ("" for none).  Never log these. */
	char user[RCONN_USER_MAX];
	char password[RCONN_SECRET_MAX];
	char sentinel_user[RCONN_USER_MAX];
	char sentinel_password[RCONN_SECRET_MAX];
};

/* Sets the passwords (NULL or "" for none) that every later
 * rconn_parse_url() puts into its address: the Redis password, and the
 * user and password for the sentinels.  Call once at start, before any
 * thread.  -1 when one is too long. */
int rconn_set_passwords(const char *password, const char *sentinel_user,
    const char *sentinel_password);
/* True when url holds a password (USER:PASSWORD@ or :PASSWORD@). */
bool rconn_url_has_password(const char *url);

/* Parses url into *out.  Returns 0, or -1 with one line in err (which
 * never holds a password: a URL with one is refused unquoted). */
int rconn_parse_url(
    const char *url, struct rconn_addr *out, char *err, size_t errlen);
/* Logs that where ("127.0.0.1:6379", "sentinel 10.0.0.5:26379") refused
 * the password of user ("" for default) with why (the error reply): at
 * error level, at most once a minute per process (debug in between), so
 * a daemon that keeps retrying does not flood its log. */
void rconn_auth_refused(const char *where, const char *user, const char *why);

struct rconn;

/* A new, not yet connected connection to url (which must parse).
 * timeout_ms bounds connect and every command (0: 5000). */
struct rconn *rconn_new(const char *url, int timeout_ms);
void rconn_free(struct rconn *rc);
/* One connection attempt (if not connected).  0 or -1 (logged at debug). */
int rconn_connect(struct rconn *rc);
/* Connects, retrying with backoff (100 ms doubling to 5 s) and logging
 * "waiting for Redis" until it works or *stop becomes set.  0 or -1. */
int rconn_wait(struct rconn *rc, volatile sig_atomic_t *stop);
bool rconn_connected(const struct rconn *rc);
/* Names every connection made from now on (CLIENT SETNAME), e.g.
 * "lrflow-worker:w1/3"; characters a name cannot hold become '_'. */
void rconn_set_name(struct rconn *rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True for an error reply that means the server is not (or no longer) a
 * usable primary: READONLY, MASTERDOWN, LOADING, UNBLOCKED.  rconn drops
 * the connection on such a reply, so the next command finds the primary
 * again (through the sentinels); for the caller it is a connection error,
 * to retry, never a verdict on the job. */
bool rconn_error_is_failover(const char *err);
/* Sets the socket timeout for the following commands (for BLMOVE). */
void rconn_set_timeout(struct rconn *rc, int timeout_ms);

/* Runs a command (hiredis printf-style).  Returns a new reply (caller
 * frees with freeReplyObject) or NULL on a connection error (logged; the
 * connection is dropped).  Error replies are returned, not NULL, except
 * those of rconn_error_is_failover(), which are connection errors.  With
 * sentinel://, the sentinels are asked every second of use whether the
 * primary moved; when it did, the connection is dropped and the command
 * fails (NULL) without running: the next one runs on the new primary. */
redisReply *rconn_command(struct rconn *rc, const char *fmt, ...);
redisReply *rconn_commandv(
    struct rconn *rc, int argc, const char **argv, const size_t *argvlen);

/* A Lua script, loaded lazily: EVALSHA, falling back to EVAL on NOSCRIPT. */
struct rconn_script {
	const char *name;   /* for logs */
	const char *source; /* Lua text */
	char sha[41];       /* computed on first use */
};

/* Copies s's SHA into sha, loading the script first when it is not
 * loaded yet, or again when reload is set (an EVALSHA was answered
 * NOSCRIPT).  0, or -1 when Redis did not take it.  For callers that
 * send EVALSHA themselves (a pipeline). */
int rconn_script_sha(
    struct rconn *rc, struct rconn_script *s, bool reload, char sha[41]);
/* Runs script with nkeys keys then args: argv holds keys then args.
 * Returns a new reply or NULL as rconn_command. */
redisReply *rconn_eval(struct rconn *rc, struct rconn_script *s, int nkeys,
    int argc, const char **argv, const size_t *argvlen);

/* Sends n commands in one write, then reads their replies in order: n
 * commands for one round trip.  Command i is the argc[i] strings of
 * argv[i].  replies[i] receives a new reply (error replies too), or NULL
 * when it is not known: the connection failed (logged and dropped) before
 * it came, so the command may or may not have run.  Returns the number of
 * replies read: n, or fewer. */
int rconn_pipeline(struct rconn *rc, int n, const int *argc,
    const char *const *const *argv, redisReply **replies);

/* The redis URL with any password removed, for logs (static buffer). */
const char *rconn_describe(const struct rconn *rc);

#endif
