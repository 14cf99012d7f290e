/* routes_v7.c - the Alerts v7 search (alerts.c does the work).
 *
 *   POST /api/alerts/v7/orgs/{org_key}/alerts/_search
 *
 * Every authorized request for the right org counts in alert_searches,
 * including injected faults and 400s. */
#include "routes_v7.h"

#include "alerts.h"
#include "sim.h"

/* POST .../alerts/_search */
static void
v7_alert_search(struct sim *s, struct server_req *r)
{
	json_t *body = NULL, *out;
	int status;

	s->stats.alert_searches++;
	if (server_fault(s, r, SIM_FAULT_ALERTS))
		return;
	if (server_body_json(r, &body) == -1) {
		server_reply_cbc(
		    r, 400, "INVALID_ARGUMENT", "Malformed JSON body");
		return;
	}
	if (body == NULL)
		body = json_object();
	out = alerts_search(s, body, &status);
	server_reply_json(r, status, out);
	json_decref(body);
}

const struct route routes_v7[] = {
    {EVHTTP_REQ_POST, "/api/alerts/v7/orgs/*/alerts/_search",
	ROUTE_API | ROUTE_ORG | ROUTE_FAULT, v7_alert_search},
    {0, NULL, 0, NULL},
};
