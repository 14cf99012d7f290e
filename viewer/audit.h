/* audit.h - who looked at what: lr:audit (README: Audit), one stream entry per
 * device page, history view, export, artifact download and collect
 * request.  Recording never holds a page back: it is sent after the
 * answer, and a failure is logged, nothing more. */
#ifndef LR_VIEWER_AUDIT_H
#define LR_VIEWER_AUDIT_H

#include <stdint.h>

struct viewer;

#define AUDIT_MAXLEN "100000" /* entries kept, about (MAXLEN ~) */

/* XADD P:audit MAXLEN ~ 100000 * action A device_id ID who USER addr ADDR
 * at ISO.  action is one of view_device, view_history, export, artifact,
 * collect. */
void audit_record(
    struct viewer *v, const char *action, int64_t id, const char *addr);

#endif
