/* devices.c - a device's Live Response settings as the API shows them,
 * and deleting a device (see devices.h).
 *
 * sensor_states follow a real v6 device record
 * (fixtures/v6_device_search.json): LIVE_RESPONSE_NOT_RUNNING only says
 * that no session is attached, so every device lists it; whether Live
 * Response can work is LIVE_RESPONSE_ENABLED / _DISABLED and
 * LIVE_RESPONSE_NOT_KILLED / _KILLED. */
#include "devices.h"

#include <inttypes.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "sessions.h"

json_t *
devices_sensor_states(const struct sim_device *d)
{
	json_t *a = json_pack("[s, s, s, s]", "ACTIVE",
	    "LIVE_RESPONSE_NOT_RUNNING",
	    d->lr_killed ? "LIVE_RESPONSE_KILLED" : "LIVE_RESPONSE_NOT_KILLED",
	    d->lr_enabled ? "LIVE_RESPONSE_ENABLED" : "LIVE_RESPONSE_DISABLED");

	/* The real record's last state; kept for an ordinary device only so
	 * that it matches the fixture exactly. */
	if (d->lr_enabled && !d->lr_killed)
		json_array_append_new(
		    a, json_string("SECURITY_CENTER_OPTLN_DISABLED"));
	return a;
}

char *
devices_lr_refusal(const struct sim_device *d)
{
	/* The word "limit" stays out of these: clients tell the 403 of a
	 * full session table by it. */
	if (!d->lr_enabled)
		return xasprintf("Live Response is disabled on device %" PRId64
				 " (sensor state LIVE_RESPONSE_DISABLED)",
		    d->id);
	if (d->lr_killed)
		return xasprintf("Live Response was killed on device %" PRId64
				 " (sensor state LIVE_RESPONSE_KILLED)",
		    d->id);
	return NULL;
}

int
devices_remove(struct sim *s, int64_t id)
{
	struct sim_device **pp, *d;
	long long n;

	for (pp = &s->devices; (d = *pp) != NULL; pp = &d->next) {
		if (d->id != id)
			continue;
		*pp = d->next;
		sim_device_free(d);
		n = sessions_drop_device(s, id, util_now_ms());
		log_info("device %" PRId64 " deleted, %lld session(s) dropped",
		    id, n);
		return 0;
	}
	return -1;
}
