/* manual.h - "collect now": POST /api/devices/<id>/collect.
 *
 * The viewer never queues a job: it adds a request to the stream
 * P:requests (fields device_id, who, at, source manual; MAXLEN ~
 * 10000), which the poller turns into a job through the same enqueue as
 * an alert (a device in flight is not queued twice).  The request must
 * come from us: its Origin (or Referer) names the viewer's own host, and
 * it carries the collect token (csrf.h) as the form field "token" or the
 * X-LRFlow-Token header.  An API client with the header may send neither
 * Origin nor Referer; a form must.  Answers: 202 with JSON to the
 * header, 303 back to the device page to the form, 403 when a check
 * fails. */
#ifndef LR_VIEWER_MANUAL_H
#define LR_VIEWER_MANUAL_H

#include <stdint.h>

struct evhttp_request;
struct viewer;

#define MANUAL_MAXLEN "10000" /* requests kept, about (MAXLEN ~) */

void manual_collect(struct viewer *v, struct evhttp_request *req, int64_t id);

#endif
