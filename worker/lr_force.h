/* lr_force.h - the one command that still runs once the worker is
 * stopping: removing a file a job left on the device.
 *
 * A stopping worker sends no new commands (lr_command() fails with
 * LR_ESTOPPED), but a temporary copy of a user's History left in
 * c:\windows\temp would outlive the job on the endpoint.  Like
 * lr_session_close(), this runs whatever the stop flag says, on a short
 * deadline of its own. */
#ifndef LR_WORKER_LR_FORCE_H
#define LR_WORKER_LR_FORCE_H

#include "lr.h"

/* Seconds a forced delete may take once the worker is stopping. */
#define LR_FORCE_TIMEOUT_S 15

/* Runs "delete file" on path, even while the worker stops.  0 or -1.
 * While stopping, lr's error stays what it was (LR_ESTOPPED), whatever
 * the delete did: the caller stops for that reason. */
int lr_force_delete_file(struct lr *lr, const char *sid, const char *path);

#endif
