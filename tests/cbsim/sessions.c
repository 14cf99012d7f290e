/* sessions.c - sessions that end or change without the client asking
 * (see sessions.h).
 *
 * A dropped session is closed exactly as a client close would close it
 * (commands and files released, 404 on commands) but is counted apart, in
 * sessions_dropped, so that tests can tell a client that cleaned up from a
 * cloud that cleaned up after it. */
#include "sessions.h"

#include <inttypes.h>

#include "../../common/log.h"

void
sessions_touch(struct sim_session *ss, int64_t now_ms)
{
	if (now_ms > ss->touch_ms)
		ss->touch_ms = now_ms;
}

void
sessions_expire(struct sim *s, int64_t now_ms)
{
	struct sim_session *ss;
	int64_t idle = s->session_idle_ms;

	if (idle <= 0)
		return;
	for (ss = s->sessions; ss != NULL; ss = ss->next)
		if (!ss->closed && now_ms - ss->touch_ms >= idle)
			sim_session_drop(s, ss, ss->touch_ms + idle);
}

long long
sessions_drop_device(struct sim *s, int64_t device_id, int64_t now_ms)
{
	struct sim_session *ss;
	long long n = 0;

	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		if (ss->closed || ss->device_id != device_id)
			continue;
		sim_session_drop(s, ss, now_ms);
		n++;
	}
	return n;
}

void
sessions_retime(struct sim *s, const struct sim_device *d, int64_t now_ms)
{
	struct sim_session *ss;
	int64_t at;

	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		if (ss->closed || ss->device_id != d->id ||
		    sim_session_active(ss, now_ms))
			continue;
		at = -1;
		if (d->checkin_after >= 0) {
			at = ss->create_ms + (int64_t)d->checkin_after * 1000;
			if (at < now_ms)
				at = now_ms;
		}
		ss->checkin_ms = at;
		if (at < 0)
			log_info("session %s: device %" PRId64
				 " replaced, it will never check in",
			    ss->id, d->id);
		else
			log_info("session %s: device %" PRId64
				 " replaced, it checks in %" PRId64
				 " ms from now",
			    ss->id, d->id, at - now_ms);
	}
}

json_t *
sessions_list(const struct sim *s, sessions_render_fn *render)
{
	const struct sim_session *ss;
	json_t *a = json_array();

	for (ss = s->sessions; ss != NULL; ss = ss->next)
		if (!ss->closed)
			json_array_append_new(a, render(s, ss));
	return a;
}
