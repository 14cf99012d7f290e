/* notify.h - reading v3 notifications (the seed's trigger) into alerts. */
#ifndef LR_NOTIFY_H
#define LR_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct notify {
	int64_t device_id;
	const char *type;        /* "THREAT", ...; borrowed from the json */
	const char *event_id;    /* borrowed; may be NULL */
	const char *device_name; /* borrowed; may be NULL */
	int score;               /* threat score, -1 if none */
};

/* Reads one notification object.  Returns 0, or -1 with a reason in err
 * (no deviceInfo, device id not a positive integer, not an object). */
int notify_parse(json_t *n, struct notify *out, char *err, size_t errlen);

/* Checks the envelope {"success":true,"notifications":[...]} and returns
 * the array (borrowed), or NULL with a reason in err. */
json_t *notify_list(json_t *body, char *err, size_t errlen);

/* Whether type is in the comma-separated list (NULL or "" lists all). */
bool notify_type_wanted(const char *list, const char *type);

/* The seed's synthetic THREAT notification for device_id (new reference). */
json_t *notify_synthetic(int64_t device_id, int64_t now_ms);

#endif
