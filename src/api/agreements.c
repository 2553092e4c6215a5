/*
 * agreements.c - loading agreements, the per-process cache of their rules,
 * objections, the Art. 4 status report, and the audit helper.
 * Depends on policy/, store/, common/.
 */
#include "agreements.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/timeutil.h"
#include "admin.h"
#include "audit.h"
#include "definitions.h"
#include "../common/banned.h"

#define CACHE_SLOTS 16

struct rules_cache {
	pthread_mutex_t lock;
	struct {
		int64_t root_id;
		struct rules r;
	} slot[CACHE_SLOTS];
	unsigned next;
};

void agreements_cache_free(struct app *app)
{
	if (!app->rules)
		return;
	pthread_mutex_destroy(&app->rules->lock);
	free(app->rules);
	app->rules = NULL;
}

/* ---- loading ---- */

static err_t org_id_of(struct store_conn *c, const char *handle, int64_t *id, char *msg, size_t n)
{
	struct org o;
	err_t rc = store_org_find(c, handle, &o);
	if (rc == ERR_NOTFOUND)
		snprintf(msg, n,
			 "the agreement names '%s', which is not an organisation of this hub "
			 "(add it with 'renkei org add' first)",
			 handle);
	if (!rc)
		*id = o.id;
	return rc;
}

static err_t scope_of(struct store_conn *c, const struct ag_scope *s, int64_t *scope_id, char *msg,
		      size_t n)
{
	int64_t orgs[AG_MAX_ORGS];
	for (size_t i = 0; i < s->n_orgs; i++) {
		err_t rc = org_id_of(c, s->orgs[i], &orgs[i], msg, n);
		if (rc)
			return rc;
	}
	struct scope_def def = {.groups = s->groups, .orgs = orgs, .n_orgs = s->n_orgs};
	return store_scope_get_or_add(c, &def, scope_id);
}

err_t agreements_load(struct app *app, struct store_conn *c, const char *json, size_t len,
		      int64_t actor_user, int64_t actor_org, char *msg, size_t n,
		      struct agreement_row *out)
{
	struct agreement_def *d = NULL;
	struct agreement_member *members = NULL;
	struct api_root root;
	struct agreement_row a;
	size_t nm = 0;
	char amsg[AG_MSG_MAX];
	err_t rc;

	msg[0] = '\0';
	d = malloc(sizeof(*d));
	members = calloc(3 * AG_MAX_ORGS, sizeof(*members));
	if (!d || !members) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = agreement_parse(json, len, d, amsg);
	if (rc) {
		snprintf(msg, n, "%s", amsg);
		goto out;
	}
	rc = store_tx_begin(c);
	if (rc)
		goto out;

	for (size_t i = 0; !rc && i < d->n_parties; i++) {
		members[nm].role = MEMBER_PARTY;
		snprintf(members[nm].label, sizeof(members[nm].label), "%s", d->labels[i]);
		rc = org_id_of(c, d->parties[i], &members[nm++].org_id, msg, n);
	}
	for (size_t i = 0; !rc && i < d->n_community; i++) {
		members[nm].role = MEMBER_COMMUNITY;
		rc = org_id_of(c, d->community[i], &members[nm++].org_id, msg, n);
	}
	for (size_t i = 0; !rc && i < d->n_escalation; i++) {
		members[nm].role = MEMBER_ESCALATION;
		rc = org_id_of(c, d->escalation[i], &members[nm++].org_id, msg, n);
	}
	for (int k = 0; !rc && k < CAT__COUNT; k++) {
		int64_t id;
		for (size_t i = 0; !rc && i < d->categories[k].n_orgs; i++)
			rc = org_id_of(c, d->categories[k].orgs[i], &id, msg, n);
	}
	if (rc)
		goto done;

	rc = store_root_find(c, d->root_name, &root);
	if (rc == ERR_NOTFOUND) {
		rc = admin_root_add(app, c, d->root_name, d->root_title, d->root_description,
				    &root);
		if (rc == ERR_INVALID)
			snprintf(msg, n, "api_root.name '%s' is reserved", d->root_name);
	}
	if (rc)
		goto done;

	memset(&a, 0, sizeof(a));
	snprintf(a.key, sizeof(a.key), "%s", d->key);
	a.root_id = root.id;
	a.loaded = app_now(app);
	rc = store_agreement_put(c, &a, json, members, nm);
	if (rc == ERR_CONFLICT)
		snprintf(msg, n, "agreement '%s' is bound to another API root", d->key);
	if (rc)
		goto done;

	for (size_t i = 0; !rc && i < d->n_collections; i++) {
		const struct ag_collection *ac = &d->collections[i];
		struct collection col;
		int64_t scope_id = 0;
		rc = store_collection_find(c, root.id, ac->alias, &col);
		if (rc == ERR_NOTFOUND)
			rc = admin_collection_add(app, c, root.name, ac->title, ac->description,
						  ac->alias, &col);
		if (!rc)
			rc = scope_of(c, &ac->default_scope, &scope_id, msg, n);
		if (!rc)
			rc = store_collection_set_defaults(c, col.id, scope_id,
							   ac->default_category);
		for (size_t g = 0; !rc && g < ac->n_grants; g++) {
			rc = admin_grant(app, c, root.name, col.uuid, ac->grants[g].org,
					 ac->grants[g].read, ac->grants[g].write);
			if (rc == ERR_NOTFOUND)
				snprintf(msg, n,
					 "collection %s grants to '%s', which is not an "
					 "organisation of this hub",
					 ac->alias, ac->grants[g].org);
		}
	}
	if (!rc)
		rc = definitions_publish(app, c, &root, members, nm);
	if (!rc) {
		char day[16];
		term_day_format(d->signed_on, day);
		rc = audit_write(app, c, "agreement.load", actor_user, actor_org, d->key,
				 json_pack("{s:s, s:I, s:s}", "api_root", root.name, "generation",
					   (json_int_t)a.generation, "signed_on", day));
	}
done:
	rc = store_tx_end(c, rc);
	if (!rc && out)
		*out = a;
out:
	free(d);
	free(members);
	return rc;
}

/* ---- the rules of an API root ---- */

struct build_ctx {
	struct rules *r;
	struct store_conn *c;
};

static err_t add_member(void *ctx, const struct agreement_member *m)
{
	struct rules *r = ((struct build_ctx *)ctx)->r;
	struct agreement_rules *a = &r->r;
	if (m->role == MEMBER_PARTY && a->n_parties < AG_MAX_ORGS) {
		snprintf(r->labels[a->n_parties], sizeof(r->labels[0]), "%s", m->label);
		a->parties[a->n_parties++] = m->org_id;
	} else if (m->role == MEMBER_COMMUNITY && a->n_community < AG_MAX_ORGS) {
		a->community[a->n_community++] = m->org_id;
	} else if (m->role == MEMBER_ESCALATION && a->n_escalation < AG_MAX_ORGS) {
		a->escalation[a->n_escalation++] = m->org_id;
	}
	return ERR_OK;
}

static err_t add_objection(void *ctx, const struct objection *o)
{
	struct rules *r = ((struct build_ctx *)ctx)->r;
	size_t max = sizeof(r->objections) / sizeof(r->objections[0]);
	if (r->r.n_objections < max)
		r->objections[r->r.n_objections++] = o->filed_on;
	return ERR_OK;
}

/* Builds r from the store: the definition, its members and objections. */
static err_t build_rules(struct store_conn *c, const struct agreement_row *a,
			 const char *definition, struct rules *r)
{
	struct agreement_def *d = malloc(sizeof(*d));
	struct build_ctx bc = {r, c};
	char msg[AG_MSG_MAX];
	err_t rc;

	if (!d)
		return ERR_NOMEM;
	memset(r, 0, sizeof(*r));
	r->present = true;
	r->agreement_id = a->id;
	r->generation = a->generation;
	snprintf(r->key, sizeof(r->key), "%.64s", a->key);
	rc = agreement_parse(definition, strlen(definition), d, msg);
	if (rc) {
		log_error("agreement %s: the stored definition no longer parses: %s", a->key, msg);
		free(d);
		return ERR_STORE;
	}
	r->warn_days = d->warn_days;
	r->r.term.signed_on = d->signed_on;
	r->r.term.term_months = d->term_months;
	r->r.term.renewal_months = d->renewal_months;
	r->r.term.notice_months = d->notice_months;
	for (int k = 0; k < CAT__COUNT; k++) {
		struct originators *o = &r->r.originate[k];
		o->members = d->categories[k].members;
		o->parties = d->categories[k].parties;
		for (size_t i = 0; i < d->categories[k].n_orgs; i++) {
			struct org org;
			/* An originator deleted since the load simply originates nothing. */
			if (!store_org_find(c, d->categories[k].orgs[i], &org))
				o->orgs[o->n_orgs++] = org.id;
		}
	}
	free(d);
	rc = store_agreement_members(c, a->id, add_member, &bc);
	if (!rc)
		rc = store_objection_list(c, a->id, add_objection, &bc);
	r->r.objections = r->objections;
	return rc;
}

err_t agreements_rules(struct app *app, struct store_conn *c, int64_t root_id, struct rules *r)
{
	struct agreement_row a;
	char *definition = NULL;
	err_t rc;

	if (!app->rules) {
		/* Made on first use; app_open runs before threads, so do it there. */
		return ERR_INTERNAL;
	}
	rc = store_agreement_get(c, NULL, root_id, &a, NULL);
	if (rc == ERR_NOTFOUND) {
		memset(r, 0, sizeof(*r));
		return ERR_OK;
	}
	if (rc)
		return rc;
	struct rules_cache *rc_ = app->rules;
	pthread_mutex_lock(&rc_->lock);
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		if (rc_->slot[i].root_id == root_id && rc_->slot[i].r.present &&
		    rc_->slot[i].r.agreement_id == a.id &&
		    rc_->slot[i].r.generation == a.generation) {
			*r = rc_->slot[i].r;
			r->r.objections = r->objections;
			pthread_mutex_unlock(&rc_->lock);
			return ERR_OK;
		}
	}
	pthread_mutex_unlock(&rc_->lock);

	rc = store_agreement_get(c, NULL, root_id, &a, &definition);
	if (!rc)
		rc = build_rules(c, &a, definition, r);
	free(definition);
	if (rc)
		return rc;
	pthread_mutex_lock(&rc_->lock);
	unsigned slot = CACHE_SLOTS;
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		if (rc_->slot[i].root_id == root_id)
			slot = i;
	if (slot == CACHE_SLOTS)
		slot = rc_->next++ % CACHE_SLOTS;
	rc_->slot[slot].root_id = root_id;
	rc_->slot[slot].r = *r;
	pthread_mutex_unlock(&rc_->lock);
	return ERR_OK;
}

err_t agreements_cache_new(struct app *app)
{
	app->rules = calloc(1, sizeof(*app->rules));
	if (!app->rules)
		return ERR_NOMEM;
	pthread_mutex_init(&app->rules->lock, NULL);
	return ERR_OK;
}

void agreements_visibility(const struct rules *r, int64_t org, int64_t user, day_t day,
			   struct obj_visibility *vis)
{
	memset(vis, 0, sizeof(*vis));
	vis->org = org;
	vis->user = user;
	if (!r->present) {
		/* No agreement on this API root: a plain TAXII server, where the
		 * collection's read grant is the audience. */
		vis->mode = VIS_ALL;
		return;
	}
	const struct agreement_rules *a = &r->r;
	if (!policy_in_force(a, day)) {
		vis->mode = VIS_OWN; /* §3.7: counterparties lose sight */
	} else if (policy_is_escalation_body(a, org)) {
		vis->mode = VIS_GRANTS; /* §3.5 */
	} else if (policy_is_member(a, org)) {
		vis->mode = VIS_MEMBER;
		vis->party = policy_is_party(a, org);
		vis->community = policy_is_community(a, org);
	} else {
		vis->mode = VIS_OWN;
	}
}

/* ---- status and objections (Art. 4) ---- */

struct objections_json {
	json_t *list;
	struct store_conn *c;
	const struct term_rule *term;
	day_t day;
};

static err_t objection_json(void *ctx, const struct objection *o)
{
	struct objections_json *oj = ctx;
	struct org org;
	if (o->filed_on > oj->day)
		return ERR_OK;
	char filed[16], ends[16];
	if (store_org_get(oj->c, o->org_id, &org))
		snprintf(org.name, sizeof(org.name), "?");
	term_day_format(o->filed_on, filed);
	term_day_format(term_end_after_objection(oj->term, o->filed_on), ends);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "org", org.name, "filed_on", filed,
			      "ends_agreement_on", ends, "reason", o->reason);
	return j && !json_array_append_new(oj->list, j) ? ERR_OK : ERR_NOMEM;
}

json_t *agreements_status_json(struct app *app, struct store_conn *c, const struct rules *r,
			       day_t day)
{
	struct term_status st;
	char today[16], start[16], end[16], deadline[16], signed_on[16], ends_on[16];
	(void)app;

	/* Objections filed after the day asked about do not count on it. */
	day_t filed[sizeof(r->objections) / sizeof(r->objections[0])];
	size_t n_filed = 0;
	for (size_t i = 0; i < r->r.n_objections; i++)
		if (r->objections[i] <= day)
			filed[n_filed++] = r->objections[i];
	term_status_at(&r->r.term, filed, n_filed, day, r->warn_days, &st);
	term_day_format(day, today);
	term_day_format(st.current.start, start);
	term_day_format(st.current.end, end);
	term_day_format(st.current.deadline, deadline);
	term_day_format(r->r.term.signed_on, signed_on);
	term_day_format(st.ends_on, ends_on);
	const char *state = !st.started ? "not-yet-in-force" : st.in_force ? "in-force" : "ended";
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:s, s:s, s:I, s:I, s:b}",
			      "agreement", r->key, "today", today, "signed_on", signed_on, "state",
			      state, "in_force", st.in_force, "term", (int)st.current.number,
			      "term_start", start, "term_end", end, "objection_deadline", deadline,
			      "days_left", (json_int_t)st.days_left, "days_to_deadline",
			      (json_int_t)st.days_to_deadline, "warning", st.warn);
	if (!o)
		return NULL;
	if (st.ending)
		json_object_set_new(o, "ends_on", json_string(ends_on));
	struct objections_json oj = {json_array(), c, &r->r.term, day};
	if (oj.list && !store_objection_list(c, r->agreement_id, objection_json, &oj))
		json_object_set_new(o, "objections", oj.list);
	else
		json_decref(oj.list);
	if (st.warn) {
		char w[200];
		if (st.days_to_deadline == 0)
			snprintf(w, sizeof(w),
				 "the objection deadline of term %u is today, %s (Art. 4)",
				 st.current.number, deadline);
		else
			snprintf(w, sizeof(w),
				 "the objection deadline of term %u is %s, in %lld days (Art. 4)",
				 st.current.number, deadline, (long long)st.days_to_deadline);
		json_object_set_new(o, "warning_text", json_string(w));
	}
	return o;
}

struct objection_find {
	int64_t org;
	bool found;
};

static err_t find_objection(void *ctx, const struct objection *o)
{
	struct objection_find *f = ctx;
	if (o->org_id == f->org)
		f->found = true;
	return ERR_OK;
}

err_t agreements_object(struct app *app, struct store_conn *c, const struct rules *r, int64_t user,
			int64_t org, const char *reason, char *msg, size_t n)
{
	struct objection o;
	if (!r->present) {
		snprintf(msg, n, "no agreement");
		return ERR_NOTFOUND;
	}
	if (!policy_is_party(&r->r, org)) {
		snprintf(msg, n,
			 "only a party of the agreement may object to its renewal (Art. 4)");
		return ERR_FORBIDDEN;
	}
	day_t today = term_day_of(app_now(app));
	struct term_status st;
	term_status_at(&r->r.term, r->r.objections, r->r.n_objections, today, 0, &st);
	if (st.started && !st.in_force) {
		snprintf(msg, n, "the agreement has ended; there is nothing to object to");
		return ERR_CONFLICT;
	}
	struct objection_find f = {org, false};
	err_t frc = store_objection_list(c, r->agreement_id, find_objection, &f);
	if (frc)
		return frc;
	if (f.found) {
		snprintf(msg, n, "your organisation has objected already");
		return ERR_CONFLICT;
	}
	memset(&o, 0, sizeof(o));
	o.org_id = org;
	o.user_id = user;
	o.filed_at = app_now(app);
	o.filed_on = term_day_of(o.filed_at);
	snprintf(o.reason, sizeof(o.reason), "%s", reason ? reason : "");
	day_t ends = term_end_after_objection(&r->r.term, o.filed_on);
	char ends_s[16];
	term_day_format(ends, ends_s);
	err_t rc = store_tx_begin(c);
	if (!rc)
		rc = store_objection_add(c, r->agreement_id, &o);
	if (!rc)
		rc = audit_write(app, c, "agreement.objection", user, org, r->key,
				 json_pack("{s:s, s:s}", "ends_on", ends_s, "reason", o.reason));
	rc = store_tx_end(c, rc);
	if (!rc)
		snprintf(msg, n, "objection filed: the agreement ends on %s", ends_s);
	return rc;
}

struct warn_ctx {
	struct app *app;
	struct store_conn *c;
	day_t day;
	struct buf *metrics; /* when set: append gauges */
	bool log;	     /* when set: log warnings */
	struct rules *r;
};

static err_t check_one(void *ctx, const struct agreement_row *a)
{
	struct warn_ctx *w = ctx;
	struct term_status st;
	err_t rc = agreements_rules(w->app, w->c, a->root_id, w->r);
	if (rc)
		return rc;
	term_status_at(&w->r->r.term, w->r->r.objections, w->r->r.n_objections, w->day,
		       w->r->warn_days, &st);
	if (w->log && !st.in_force)
		log_warn("agreement %s is not in force: nothing is shared under it (Art. 4)",
			 a->key);
	if (w->log && st.warn) {
		char d[16];
		term_day_format(st.current.deadline, d);
		log_warn("agreement %s: the objection deadline of term %u is %s, in %lld days "
			 "(Art. 4)",
			 a->key, st.current.number, d, (long long)st.days_to_deadline);
	}
	if (w->metrics) {
		rc = buf_addf(w->metrics,
			      "renkei_agreement_in_force{agreement=\"%s\"} %d\n"
			      "renkei_agreement_term{agreement=\"%s\"} %u\n"
			      "renkei_agreement_days_left{agreement=\"%s\"} %lld\n"
			      "renkei_agreement_days_to_deadline{agreement=\"%s\"} %lld\n"
			      "renkei_agreement_deadline_warning{agreement=\"%s\"} %d\n",
			      a->key, st.in_force, a->key, st.current.number, a->key,
			      (long long)st.days_left, a->key, (long long)st.days_to_deadline,
			      a->key, st.warn);
	}
	return rc;
}

err_t agreements_check(struct app *app, struct store_conn *c, struct buf *metrics, bool log)
{
	struct warn_ctx w = {app,     c,   term_day_of(app_now(app)),
			     metrics, log, malloc(sizeof(struct rules))};
	if (!w.r)
		return ERR_NOMEM;
	err_t rc = ERR_OK;
	if (metrics)
		rc = buf_adds(
			metrics,
			"# HELP renkei_agreement_in_force Whether the agreement is in force "
			"today.\n"
			"# TYPE renkei_agreement_in_force gauge\n"
			"# HELP renkei_agreement_deadline_warning 1 from warn_days before the "
			"objection deadline (Art. 4).\n"
			"# TYPE renkei_agreement_deadline_warning gauge\n");
	if (!rc)
		rc = store_agreement_list(c, check_one, &w);
	free(w.r);
	return rc;
}
