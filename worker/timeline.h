/* timeline.h - one timeline of a run: the alert's own times and what the
 * users' browsers did around them (visits, downloads, searches), newest
 * first.
 *
 * Built from the result's JSON alone (the "alert" the poller stored and
 * the "browser_history" entries of the result contract in README), so it does not care how the
 * history was collected. */
#ifndef LR_WORKER_TIMELINE_H
#define LR_WORKER_TIMELINE_H

#include <jansson.h>

#define TIMELINE_MAX 2000               /* entries kept; timeline_total */
#define TIMELINE_WINDOW_MAX (7 * 86400) /* --timeline-window bound, s */
#define TIMELINE_TEXT_MAX 1024          /* bytes kept of a text or URL */

/* The times of an alert (borrowed; may be NULL) as a new array of
 * {"time", "kind": "alert", "what", "text"}: a v7 alert's
 * first_event_timestamp ("first event"), last_event_timestamp ("last
 * event") and detection_timestamp ("detection"; backend_timestamp as
 * "alert" without it); a v3 notification's eventTime ("alert"),
 * threatInfo.time or threatHunterInfo.time ("detection", when not the
 * same) and threatHunterInfo.firstActivityTime ("first event").  Times
 * that do not parse, or lie outside 1990-2200, are left out.  Never
 * NULL. */
json_t *timeline_alert_times(const json_t *alert);

/* Sets "timeline" (at most TIMELINE_MAX entries, newest first),
 * "timeline_total" and "timeline_window" in result: the alert's times and
 * every browser_history visit (visit_time), download (start_time) and
 * search (visit_time) within window_s seconds of any of them (none when
 * window_s is 0).  Sets nothing when the alert has no time (a job
 * without an alert). */
void timeline_add(json_t *result, const json_t *alert, int window_s);

#endif
