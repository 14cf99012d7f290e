/* lr_force.c - "delete file" that a shutdown does not cut short. */
#include "lr_force.h"

#include "lr_backend.h"

int
lr_force_delete_file(struct lr *lr, const char *sid, const char *path)
{
	volatile sig_atomic_t *stop = lr->stop;
	int timeout = lr->command_timeout_s, ret;

	if (!lr_stopping(lr))
		return lr_delete_file(lr, sid, path);
	lr->stop = NULL;
	cbhttp_set_stop(lr->http, NULL);
	if (lr->command_timeout_s > LR_FORCE_TIMEOUT_S)
		lr->command_timeout_s = LR_FORCE_TIMEOUT_S;
	ret = lr_delete_file(lr, sid, path);
	lr->command_timeout_s = timeout;
	lr->stop = stop;
	cbhttp_set_stop(lr->http, stop);
	return ret;
}
