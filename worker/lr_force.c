/* lr_force.c - "delete file" that a shutdown does not cut short. */
#include "lr_force.h"

#include "log.h"
#include "lr_backend.h"

#include <stdio.h>

int
lr_force_delete_file(struct lr *lr, const char *sid, const char *path)
{
	volatile sig_atomic_t *stop = lr->stop;
	int timeout = lr->command_timeout_s, ret;
	enum lr_errkind kind = lr->errkind;
	char err[sizeof(lr->err)];

	if (!lr_stopping(lr))
		return lr_delete_file(lr, sid, path);
	snprintf(err, sizeof(err), "%s", lr->err);
	log_info("session %s: deleting %s before stopping", sid, path);
	lr->stop = NULL;
	cbhttp_set_stop(lr->http, NULL);
	if (lr->command_timeout_s > LR_FORCE_TIMEOUT_S)
		lr->command_timeout_s = LR_FORCE_TIMEOUT_S;
	ret = lr_delete_file(lr, sid, path);
	lr->command_timeout_s = timeout;
	lr->stop = stop;
	cbhttp_set_stop(lr->http, stop);
	/* The job stops all the same: the shutdown stays the reason. */
	lr->errkind = kind == LR_OK ? LR_ESTOPPED : kind;
	snprintf(lr->err, sizeof(lr->err), "%s",
	    kind == LR_OK ? "the worker shut down" : err);
	return ret;
}
