/*
 * agreements.h - agreements in the hub: loading a definition file into the
 * store (its API root, collections, defaults, grants and members), the rules
 * of the agreement of an API root as policy/ needs them (cached per
 * process, rebuilt when the agreement changes), objections, and the status
 * report of Art. 4.
 */
#ifndef RENKEI_AGREEMENTS_H
#define RENKEI_AGREEMENTS_H

#include <jansson.h>

#include "../common/buf.h"
#include "../policy/agreement.h"
#include "../policy/policy.h"
#include "app.h"
#include "audit.h"

/* The rules of one agreement, as a request uses them. */
struct rules {
	bool present; /* false: the API root has no agreement */
	int64_t agreement_id;
	char key[AG_NAME_MAX];
	int64_t generation;
	unsigned warn_days;
	struct agreement_rules r; /* r.objections points into objections[] */
	day_t objections[AG_MAX_ORGS * 4];
	char labels[AG_MAX_ORGS][16]; /* party labels, in r.parties order */
};

/*
 * Loads (or reloads) the definition json[0..len) in one transaction, on
 * behalf of actor (user id, 0 for the command line). Every organisation it
 * names must exist. Creates the API root and the collections that do not
 * exist yet, sets their default scope and category and the grants it lists,
 * and audits the load. ERR_INVALID with a reason in msg for a bad
 * definition, ERR_NOTFOUND for an unknown organisation, ERR_CONFLICT when
 * the key is bound to another API root.
 */
err_t agreements_load(struct app *app, struct store_conn *c, const char *json, size_t len,
		      int64_t actor_user, int64_t actor_org, char *msg, size_t n,
		      struct agreement_row *out);

/* The rules of the agreement of root_id into *r (r->present false when
 * there is none). Cached in app; costs one indexed read when unchanged. */
err_t agreements_rules(struct app *app, struct store_conn *c, int64_t root_id, struct rules *r);

/* The visibility of requester (org, user) under r on day: what the store
 * applies inside every object query. */
void agreements_visibility(const struct rules *r, int64_t org, int64_t user, day_t day,
			   struct obj_visibility *vis);

/* The status report of Art. 4 on day: term, dates, deadline, days left,
 * objections on file, warning. A new JSON object (caller decrefs). */
json_t *agreements_status_json(struct app *app, struct store_conn *c, const struct rules *r,
			       day_t day);

/* Files an objection by (user, org) on day; the org must be a party. */
err_t agreements_object(struct app *app, struct store_conn *c, const struct rules *r, int64_t user,
			int64_t org, const char *reason, char *msg, size_t n);

/*
 * Where every agreement stands today: with metrics, appends Prometheus
 * gauges (in force, term, days left, days to the objection deadline,
 * warning); with log, logs a warning for each agreement not in force or
 * within its warning window (Art. 4).
 */
err_t agreements_check(struct app *app, struct store_conn *c, struct buf *metrics, bool log);

/* Makes and frees the process's cache of rules (app_open, app_close). */
err_t agreements_cache_new(struct app *app);
void agreements_cache_free(struct app *app);

#endif
