/* sim.h - the simulated Carbon Black Cloud: devices, Live Response
 * sessions and their commands, captured files, the notification queue and
 * the counters behind /_sim/stats.
 *
 * Everything is driven by the event loop's single thread.  Time-dependent
 * states (a session checking in, a command completing, a notification
 * becoming due) are computed from timestamps when asked, so no timers are
 * needed.  The HTTP layer (server.c, routes_*.c) renders these as JSON. */
#ifndef CBSIM_SIM_H
#define CBSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vfs.h"

#define SIM_MAX_COMMANDS 250     /* per session, as the real API */
#define SIM_CHECK_IN_TIMEOUT 900 /* s, reported in session objects */
#define SIM_COMMAND_TIMEOUT 120  /* s, reported in command objects */

/* HRESULTs as the signed ints the v3 API reports. */
#define SIM_E_FILE_NOT_FOUND (-2147024894) /* 0x80070002 */
#define SIM_E_PATH_NOT_FOUND (-2147024893) /* 0x80070003 */
#define SIM_E_ACCESS_DENIED (-2147024891)  /* 0x80070005 */
#define SIM_E_SHARING (-2147024864)        /* 0x80070020 */

/* One row of a user's Chrome history. */
struct sim_visit {
	char *url;       /* stored verbatim; owned */
	char *title;     /* stored verbatim; owned */
	int64_t time_ms; /* last visit, epoch ms */
	int visit_count; /* >= 1 */
	int typed_count; /* >= 0 */
};

/* What a user's Chrome History file is. */
enum sim_history {
	SIM_HISTORY_SQLITE = 0, /* a real SQLite database */
	SIM_HISTORY_CORRUPT,    /* garbage bytes */
	SIM_HISTORY_NONE,       /* no file: "get file" fails */
};

/* A browser profile of a user: User Data\<name>\History. */
struct sim_profile {
	char *browser; /* "chrome", "edge" or "brave"; owned */
	char *name;    /* "Default", "Profile 1"; owned */
	bool locked;   /* the browser holds History open: get file fails */
	bool missing;  /* the profile folder has no History */
};

/* A user of a device: a folder under C:\Users, and an explorer.exe
 * unless logged off. */
struct sim_user {
	char *name; /* "jdoe"; owned */
	enum sim_history history;
	bool has_visits;          /* false: generate plausible rows */
	struct sim_visit *visits; /* owned array of nvisits */
	size_t nvisits;
	bool logged_off;              /* a folder, but no explorer.exe */
	bool has_profiles;            /* profiles given (else Chrome Default) */
	struct sim_profile *profiles; /* owned array of nprofiles */
	size_t nprofiles;
	int pad_mb; /* MiB of blob rows padding each profile History */
};

/* A simulated endpoint, from the scenario or POST /_sim/device. */
struct sim_device {
	int64_t id;             /* deviceId == sensor_id */
	char *name;             /* host name; owned */
	char *os;               /* WINDOWS, LINUX, MAC; owned */
	char *os_version;       /* "Windows 10 x64"; owned */
	int checkin_after;      /* s after session create; -1 never */
	char *fail_command;     /* command that ends "error"; NULL */
	struct sim_user *users; /* owned array of nusers */
	size_t nusers;
	char **services; /* net start display names; owned */
	size_t nservices;
	struct vfs files;     /* template copied into each session */
	int last_contact_ago; /* s before now of v6 last_contact_time */
	bool lr_enabled;      /* v6 sensor_states: LIVE_RESPONSE_ENABLED */
	bool lr_killed;       /* v6 sensor_states: LIVE_RESPONSE_KILLED */
	char *policy;         /* v6 policy_name, alerts' device_policy */
	json_t *registry;     /* service key changes (registry.c); owned */
	struct sim_device *next;
};

/* A file captured by "get file", served by .../file/{id}/content. */
struct sim_file {
	int64_t id;            /* unique in the simulator, from 1 (v3) */
	char uuid[37];         /* the v6 file_id */
	struct vfs_blob *blob; /* bytes as of "get file"; one ref */
	struct sim_file *next;
};

/* A command.  Its outcome is decided when it is submitted; it reports
 * "pending" until start_ms, "in progress" until done_ms (only when
 * commands run one after another: start_ms is the submit otherwise). */
struct sim_command {
	json_t *obj;        /* v3 object minus status; owned */
	json_t *result;     /* fields added when done; owned */
	bool failed;        /* ends "error" rather than "complete" */
	int64_t submit_ms;  /* epoch ms when it was submitted */
	int64_t start_ms;   /* epoch ms when the sensor starts it */
	int64_t done_ms;    /* epoch ms when it completes */
	char file_uuid[37]; /* "get file": v6 file_details.file_id */
};

/* A storage-host URL handed out by a v6 content redirect: path
 * /lr-content/<key>?sig=<sig> serves blob while the session is open. */
struct sim_link {
	char key[33];          /* random hex */
	char sig[33];          /* random hex */
	struct vfs_blob *blob; /* one reference */
	struct sim_link *next;
};

/* A Live Response session. */
struct sim_session {
	char *id; /* "<n>:<device_id>"; owned */
	int64_t device_id;
	int64_t create_ms;        /* epoch ms */
	int64_t checkin_ms;       /* epoch ms it turns ACTIVE; -1 never */
	bool closed;              /* status CLOSE; resources released */
	bool dropped;             /* closed by the cloud, not the client */
	int64_t close_ms;         /* epoch ms of the close, if closed */
	int64_t touch_ms;         /* create, last command or keepalive */
	struct vfs vfs;           /* the endpoint's files, as seen here */
	struct sim_command *cmds; /* owned array; index == command id */
	size_t ncmds, cmdcap;
	struct sim_file *files;   /* captured files; owned list */
	struct sim_link *links;   /* storage URLs; owned list */
	bool v6;                  /* opened through the v6 API */
	struct sim_session *next; /* in creation order */
};

/* A queued notification. */
struct sim_notif {
	int64_t due_ms;         /* served by the first GET after this */
	json_t *obj;            /* the notification; owned */
	struct sim_notif *next; /* FIFO */
};

/* Counters for /_sim/stats (admin requests are not counted). */
struct sim_stats {
	long long requests;     /* API requests answered */
	long long unauthorized; /* of which 401 */
	long long errors;       /* of which 4xx/5xx */
	long long sessions_opened;
	long long sessions_closed;
	long long commands;       /* accepted commands */
	json_t *commands_by_name; /* name -> count; owned */
	long long notifications_served;
	long long files_served;
	long long alert_searches;  /* v7 searches (after auth) */
	long long alerts_returned; /* alerts sent in search results */
	long long token_leaks;     /* storage requests with X-Auth-Token */
	long long v6_sessions_opened;
	long long v6_sessions_closed;
	long long device_lookups;     /* v6 device GETs and searches */
	long long faults_served;      /* answers replaced by /_sim/fault */
	long long sessions_dropped;   /* closed by the cloud (sessions.h) */
	long long sessions_open_now;  /* opened, not yet closed or dropped */
	long long sessions_open_peak; /* highest sessions_open_now */
	long long rate_limited;       /* 429 answers */
	long long requests_in_pause;  /* requests inside a 429's pause */
	long long copies;             /* cmd.exe copy command lines run */
	long long temp_files_left;    /* files in C:\Windows\Temp at the
					 end of a session (not deleted) */
	/* The most commands of one session submitted and not yet done. */
	long long commands_waiting_peak;
};

/* Routes /_sim/fault can break (names in faults.c). */
enum sim_fault_route {
	SIM_FAULT_ALERTS = 0,    /* v7 alert search */
	SIM_FAULT_SESSIONS,      /* v6 session create */
	SIM_FAULT_CONTENT,       /* v6 file content redirect */
	SIM_FAULT_COMMANDS,      /* v3/v6 command submit */
	SIM_FAULT_COMMAND_GET,   /* v3/v6 one command's GET */
	SIM_FAULT_SESSION_GET,   /* v3/v6 one session's GET */
	SIM_FAULT_DEVICES,       /* v3/v6 device GET */
	SIM_FAULT_SESSION_CLOSE, /* v6 DELETE, v3 PUT close */
	SIM_FAULT_NOTIFICATIONS, /* v3 GET /notification */
	SIM_FAULT_ANY,           /* every API route, after the others */
	SIM_FAULT_N,
};

/* An injected fault: the next `remaining` requests answer it. */
struct sim_fault {
	int status;      /* HTTP status when not malformed */
	bool malformed;  /* 200 with a body that is not JSON */
	bool lost;       /* the request is carried out, its answer lost */
	int retry_after; /* s, Retry-After of a 429 (0: no header) */
	long long remaining;
};

/* A pause a 429 asked for: requests between start and end count in
 * requests_in_pause. */
struct sim_pause {
	int64_t start_ms, end_ms; /* epoch ms, inclusive */
};

/* A v7 alert.  Generated alerts are rendered from these fields when
 * served; raw ones are served verbatim. */
struct sim_alert {
	int64_t ts_ms;      /* backend_timestamp: sort key, time filter */
	int64_t visible_ms; /* searchable from then on */
	char *id;           /* owned; "" when a raw alert has none */
	const char *type;   /* interned (sim_alerts.strs); NULL unknown */
	const char *policy; /* interned; NULL unknown */
	const char *os;     /* interned; NULL unknown */
	int64_t device_id;  /* -1 unknown */
	int severity;       /* 0 unknown */
	long long seq;      /* creation number, drives generated fields */
	json_t *raw;        /* verbatim alert, or NULL */
};

/* Every alert, sorted by (ts_ms, id). */
struct sim_alerts {
	struct sim_alert *v;
	size_t n, cap;
	char **strs; /* interned strings; owned */
	size_t nstrs;
	long long next_seq;
};

struct sim {
	int64_t start_ms;   /* epoch ms at sim_new() */
	int64_t latency_ms; /* delay added to each API answer */
	int64_t command_ms; /* how long commands stay pending */
	char *token;        /* API / Live Response key; owned */
	char *siem_token;   /* SIEM key; owned */
	struct sim_device *devices;
	struct sim_session *sessions; /* oldest first */
	struct sim_notif *notifs;     /* oldest first */
	long long next_session;       /* session counter, from 1 */
	long long next_file;          /* file id counter, from 1 */
	long long next_pid;           /* pids handed to "create process" */
	char *org_key;                /* v6/v7 {org_key}; owned */
	bool lowercase_status;        /* v6 sessions say "active" */
	int64_t session_idle_ms;      /* idle sessions are dropped; 0 never */
	char storage[64];             /* storage host "ADDR:PORT" or "" */
	struct sim_alerts alerts;
	struct sim_fault faults[SIM_FAULT_N];
	struct sim_pause *pauses; /* disjoint, oldest first; owned */
	size_t npauses, pausecap;
	struct sim_stats stats;
	/* A session's commands run one at a time, in order. */
	bool command_serial;
};

/* Returns a new, empty simulator with default keys and timings. */
struct sim *sim_new(void);
/* Frees s and everything in it; NULL-safe. */
void sim_free(struct sim *s);
/* Replaces a key: *dst gets a copy of value. */
void sim_set_string(char **dst, const char *value);

/* Returns a new device with defaults for every field but id. */
struct sim_device *sim_device_new(int64_t id);
/* Frees a device not (or no longer) in a simulator; NULL-safe. */
void sim_device_free(struct sim_device *d);
/* Builds d's files (History databases...) and adds it, replacing a device
 * with the same id.  Steals d.  Returns 0, or -1 with err set (d freed). */
int sim_device_add(
    struct sim *s, struct sim_device *d, char *err, size_t errsize);
/* Returns the device (borrowed) or NULL. */
struct sim_device *sim_device_find(const struct sim *s, int64_t id);

/* Opens a session on d; returns it (borrowed). */
struct sim_session *sim_session_open(
    struct sim *s, const struct sim_device *d, bool v6);
/* Returns the session (open or closed; borrowed) or NULL. */
struct sim_session *sim_session_find(const struct sim *s, const char *id);
/* True once the sensor has checked in (and the session is not closed). */
bool sim_session_active(const struct sim_session *ss, int64_t now_ms);
/* Closes a session at the client's request and releases its commands
 * and files; idempotent. */
void sim_session_close(struct sim *s, struct sim_session *ss);
/* Closes a session as the cloud does (idle timeout, a vanished sensor):
 * as sim_session_close, but dated at_ms and counted as dropped.  The
 * session's GET then says CLOSE on v6 too.  Idempotent. */
void sim_session_drop(struct sim *s, struct sim_session *ss, int64_t at_ms);

/* True if the simulator implements this command name. */
bool sim_command_supported(const char *name);
/* Runs a command (name supported, session active) from the v3 request
 * body req (borrowed).  Returns the new command (borrowed). */
struct sim_command *sim_command_run(struct sim *s, struct sim_session *ss,
    const char *name, json_t *req, int64_t now_ms);
/* Returns the command with this id, or NULL. */
struct sim_command *sim_command_find(struct sim_session *ss, long long id);
/* Returns the v3 command object as of now_ms (new reference); a negative
 * now_ms gives it as submitted, "pending". */
json_t *sim_command_json(const struct sim_command *c, int64_t now_ms);

/* Returns the captured file (borrowed) or NULL. */
struct sim_file *sim_file_find(const struct sim_session *ss, long long id);
/* The same by v6 file_id. */
struct sim_file *sim_file_find_uuid(
    const struct sim_session *ss, const char *uuid);
/* Forgets a captured file: 0, or -1 if there is none with this uuid. */
int sim_file_delete(struct sim_session *ss, const char *uuid);
/* Makes a new storage URL for f's bytes (borrowed link). */
struct sim_link *sim_link_new(struct sim_session *ss, const struct sim_file *f);
/* Returns the blob (borrowed) an open session's link serves, or NULL. */
struct vfs_blob *sim_link_find(
    const struct sim *s, const char *key, const char *sig);

/* Queues a synthetic notification of type ("THREAT" if NULL) for a device,
 * served from due_ms on. */
void sim_notify(
    struct sim *s, int64_t device_id, const char *type, int64_t due_ms);
/* Queues obj verbatim, due now.  Steals obj. */
void sim_notify_raw(struct sim *s, json_t *obj);
/* Removes and returns (new array) every notification due by now_ms. */
json_t *sim_notify_take(struct sim *s, int64_t now_ms);

/* Frees every alert (alerts.c). */
void sim_alerts_clear(struct sim_alerts *a);

/* The commands a checked-in sensor lists (fixture order): Windows, or
 * Linux and macOS (no registry).  New reference. */
json_t *sim_supported_commands(bool windows);

/* Adds the fields a sensor fills in once it has checked in (d non-NULL),
 * or the same fields as nulls (d NULL), to session object o. */
void sim_session_sensor_fields(
    json_t *o, const struct sim_device *d, const struct sim_session *ss);

/* Returns the /_sim/stats object (new reference). */
json_t *sim_stats_json(const struct sim *s);

#endif
