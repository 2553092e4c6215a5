/*
 * sharing.c - share requests, approvals, grants and revocations (DESIGN.md
 * §3.4, §3.5). The decisions are policy/'s; this file finds the facts they
 * need in the store, records the outcome and audits it, each operation in
 * one transaction.
 */
#include "sharing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sec.h"
#include "../common/timeutil.h"
#include "ingest.h"
#include "../common/banned.h"

#define FAILMSG(code, ...)                                                                         \
	do {                                                                                       \
		snprintf(msg, SHARING_MSG_MAX, __VA_ARGS__);                                       \
		return code;                                                                       \
	} while (0)

/* An object as the person asking sees it. */
struct located {
	struct api_root root;
	struct collection col;
	struct rules rules;
	struct obj_visibility vis;
	day_t day;
	/* its latest version that the person may see */
	int64_t provider;
	int tlp;
	int category;
	int64_t scope_id;
	char stix_id[STORE_NAME_MAX * 3];
};

struct first_row {
	bool found;
	struct obj_row row;
	char stix_id[STORE_NAME_MAX * 3];
};

static err_t keep_row(void *ctx, const struct obj_row *row)
{
	struct first_row *f = ctx;
	f->found = true;
	f->row = *row;
	snprintf(f->stix_id, sizeof(f->stix_id), "%s", row->stix_id);
	f->row.stix_id = f->stix_id;
	f->row.type = f->row.spec_version = NULL;
	f->row.body = NULL;
	return ERR_OK;
}

/* The latest version of stix_id in col that vis may see. */
static err_t latest_visible(struct store_conn *c, int64_t col, const char *stix_id,
			    const struct obj_visibility *vis, struct first_row *f)
{
	struct obj_query q = {.vis = *vis,
			      .collection_id = col,
			      .stix_id = stix_id,
			      .version_mode = VERSION_LAST,
			      .limit = 1};
	bool more;
	memset(f, 0, sizeof(*f));
	return store_object_query(c, &q, keep_row, f, &more);
}

static err_t locate(struct app *app, struct store_conn *c, const struct principal *who,
		    const struct object_ref *obj, struct located *L, char *msg)
{
	struct grant g;
	struct first_row f;
	err_t rc;

	memset(L, 0, sizeof(*L));
	if (!obj->root || !obj->collection || !obj->stix_id)
		FAILMSG(ERR_INVALID, "name the object by api_root, collection and object id");
	rc = store_root_find(c, obj->root, &L->root);
	if (!rc)
		rc = store_collection_find(c, L->root.id, obj->collection, &L->col);
	if (!rc)
		rc = store_grant_get(c, L->col.id, who->org.id, &g);
	if (rc == ERR_NOTFOUND || (!rc && !g.can_read))
		FAILMSG(ERR_NOTFOUND, "no such object");
	if (rc)
		return rc;
	rc = agreements_rules(app, c, L->root.id, &L->rules);
	if (rc)
		return rc;
	if (!L->rules.present)
		FAILMSG(ERR_FORBIDDEN,
			"API root /%s/ has no agreement: its collections' grants are "
			"the only scope",
			L->root.name);
	L->day = term_day_of(app_now(app));
	agreements_visibility(&L->rules, who->org.id, who->user.id, L->day, &L->vis);
	rc = latest_visible(c, L->col.id, obj->stix_id, &L->vis, &f);
	if (rc)
		return rc;
	if (!f.found)
		FAILMSG(ERR_NOTFOUND, "no such object");
	L->provider = f.row.org_id;
	L->tlp = f.row.tlp;
	L->category = f.row.category;
	L->scope_id = f.row.scope_id;
	snprintf(L->stix_id, sizeof(L->stix_id), "%s", f.stix_id);
	return ERR_OK;
}

struct target {
	int64_t org, user;
	char org_name[STORE_NAME_MAX], user_name[STORE_NAME_MAX];
};

static err_t find_target(struct store_conn *c, const struct target_ref *t, struct target *out,
			 char *msg)
{
	struct org o;
	struct user u;
	err_t rc;
	memset(out, 0, sizeof(*out));
	if (t->user) {
		rc = store_user_find(c, t->user, &u);
		if (rc == ERR_NOTFOUND)
			FAILMSG(ERR_NOTFOUND, "no user named '%.60s'", t->user);
		if (rc)
			return rc;
		out->user = u.id;
		snprintf(out->user_name, sizeof(out->user_name), "%s", u.name);
		rc = store_org_get(c, u.org_id, &o);
	} else if (t->org) {
		rc = store_org_find(c, t->org, &o);
		if (rc == ERR_NOTFOUND)
			FAILMSG(ERR_NOTFOUND, "no organisation named '%.60s'", t->org);
	} else {
		FAILMSG(ERR_INVALID, "name a target: an organisation or a user");
	}
	if (rc)
		return rc;
	out->org = o.id;
	snprintf(out->org_name, sizeof(out->org_name), "%s", o.name);
	return ERR_OK;
}

static const char *org_name(struct store_conn *c, int64_t id, char *buf, size_t n)
{
	struct org o;
	snprintf(buf, n, "%s", store_org_get(c, id, &o) ? "?" : o.name);
	return buf;
}

static const char *user_name(struct store_conn *c, int64_t id, char *buf, size_t n)
{
	struct user u;
	snprintf(buf, n, "%s", store_user_get(c, id, &u) ? "?" : u.name);
	return buf;
}

/* The organisations a request needs: the provider, and for an escalation
 * every party too (§3.5). */
static json_t *required_orgs(const struct located *L, int need)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	json_array_append_new(a, json_integer(L->provider));
	if (need == SHARE_NEED_ALL_PARTIES)
		for (size_t i = 0; i < L->rules.r.n_parties; i++)
			if (L->rules.r.parties[i] != L->provider)
				json_array_append_new(a, json_integer(L->rules.r.parties[i]));
	return a;
}

static bool json_has_int(json_t *a, int64_t v)
{
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) if (json_integer_value(e) == v) return true;
	return false;
}

struct answers {
	struct store_conn *c;
	json_t *list;
	json_t *answered; /* org ids */
	bool denied;
};

static err_t add_answer(void *ctx, const struct share_approval *a)
{
	struct answers *an = ctx;
	char o[STORE_NAME_MAX], u[STORE_NAME_MAX], t[TS_BUFSZ];
	ts_format(a->time, t);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "org",
			      org_name(an->c, a->org_id, o, sizeof(o)), "user",
			      user_name(an->c, a->user_id, u, sizeof(u)), "decision",
			      a->approve ? "approve" : "deny", "reason", a->reason, "time", t);
	if (!j || json_array_append_new(an->list, j))
		return ERR_NOMEM;
	json_array_append_new(an->answered, json_integer(a->org_id));
	if (!a->approve)
		an->denied = true;
	return ERR_OK;
}

static const char *status_name(int s)
{
	return s == SHARE_APPROVED ? "approved" : s == SHARE_DENIED ? "denied" : "pending";
}

/* A request as JSON, with its answers and what it still awaits. */
static err_t request_json(struct store_conn *c, const struct share_request *r, json_t **out)
{
	char a[STORE_NAME_MAX], b[STORE_NAME_MAX], d[STORE_NAME_MAX], e[STORE_NAME_MAX],
		created[TS_BUFSZ];
	struct answers an = {c, json_array(), json_array(), false};
	json_t *req = json_loads(r->required, 0, NULL);
	err_t rc = ERR_NOMEM;

	*out = NULL;
	if (!an.list || !an.answered || !json_is_array(req))
		goto out;
	rc = store_share_answers(c, r->id, add_answer, &an);
	if (rc)
		goto out;
	ts_format(r->created, created);
	json_t *o =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->uuid, "object",
			  r->stix_id, "target_org", org_name(c, r->target_org, a, sizeof(a)),
			  "requester", user_name(c, r->requester_user, b, sizeof(b)),
			  "requester_org", org_name(c, r->requester_org, d, sizeof(d)),
			  "provider_org", org_name(c, r->provider_org, e, sizeof(e)), "need",
			  r->need == SHARE_NEED_ALL_PARTIES ? "all-parties" : "provider", "status",
			  status_name(r->status), "created", created);
	if (!o) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (r->target_user)
		json_object_set_new(o, "target_user",
				    json_string(user_name(c, r->target_user, a, sizeof(a))));
	if (r->reason[0])
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->decided) {
		ts_format(r->decided, created);
		json_object_set_new(o, "decided", json_string(created));
	}
	json_t *awaiting = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(req, i, v)
	{
		int64_t org = json_integer_value(v);
		if (r->status == SHARE_PENDING && !json_has_int(an.answered, org))
			json_array_append_new(awaiting,
					      json_string(org_name(c, org, a, sizeof(a))));
	}
	json_object_set_new(o, "awaiting", awaiting);
	json_object_set(o, "answers", an.list);
	*out = o;
	rc = ERR_OK;
out:
	json_decref(req);
	json_decref(an.list);
	json_decref(an.answered);
	return rc;
}

static err_t grant_for(struct app *app, struct store_conn *c, int64_t col, const char *stix_id,
		       int64_t org, int64_t user, int64_t by_user, int64_t request_id)
{
	struct object_grant g = {
		.collection_id = col,
		.principal = user ? PRINCIPAL_USER(user) : PRINCIPAL_ORG(org),
		.by_user = by_user,
		.request_id = request_id,
		.created = app_now(app),
	};
	snprintf(g.stix_id, sizeof(g.stix_id), "%s", stix_id);
	err_t rc = store_grant_object_add(c, &g);
	return rc == ERR_EXISTS ? ERR_OK : rc; /* granted already: the same outcome */
}

/* Whether target (org, user) may read the collection and sees the object. */
static err_t target_sees(struct store_conn *c, const struct located *L, const struct target *t,
			 bool *reads_collection, bool *sees)
{
	struct grant g;
	struct obj_visibility vis;
	struct first_row f;
	err_t rc = store_grant_get(c, L->col.id, t->org, &g);
	if (rc)
		return rc;
	*reads_collection = g.can_read;
	agreements_visibility(&L->rules, t->org, t->user, L->day, &vis);
	rc = latest_visible(c, L->col.id, L->stix_id, &vis, &f);
	*sees = !rc && f.found && g.can_read;
	return rc;
}

/* Forwarding order of TLPs: unmarked counts as AMBER (DESIGN.md §3.3). */
static int tlp_rank(int t)
{
	switch (t) {
	case TLP_CLEAR: return 0;
	case TLP_GREEN: return 1;
	case TLP_AMBER:
	case TLP_UNMARKED: return 2;
	case TLP_AMBER_STRICT: return 3;
	default: return 4;
	}
}

struct strictest_ctx {
	bool to_person;
	bool any;
	int tlp;
};

static err_t note_tlp(void *ctx, const struct obj_row *row)
{
	struct strictest_ctx *s = ctx;
	/* A grant to an organisation never shows a TLP:RED version. */
	if (row->tlp == TLP_RED && !s->to_person)
		return ERR_OK;
	if (!s->any || tlp_rank(row->tlp) > tlp_rank(s->tlp))
		s->tlp = row->tlp;
	s->any = true;
	return ERR_OK;
}

/* The most restrictive TLP among the object's versions that a grant would
 * show; TLP_RED when every version is RED and the target is not a person. */
static err_t strictest_tlp(struct store_conn *c, const struct located *L, bool to_person, int *tlp)
{
	struct strictest_ctx st = {.to_person = to_person};
	struct obj_query q = {.vis = {.mode = VIS_ALL},
			      .collection_id = L->col.id,
			      .stix_id = L->stix_id,
			      .version_mode = VERSION_ALL,
			      .limit = 100000};
	bool more;
	err_t rc = store_object_query(c, &q, note_tlp, &st, &more);
	if (!rc)
		*tlp = st.any ? st.tlp : TLP_RED;
	return rc;
}

err_t sharing_request(struct app *app, struct store_conn *c, const struct principal *who,
		      const struct object_ref *obj, const struct target_ref *target,
		      const char *reason, json_t **result, char msg[SHARING_MSG_MAX])
{
	struct located *L = NULL;
	struct target t;
	bool reads = false, sees = false;
	err_t rc;

	*result = NULL;
	msg[0] = '\0';
	L = malloc(sizeof(*L));
	if (!L)
		return ERR_NOMEM;
	rc = locate(app, c, who, obj, L, msg);
	if (!rc)
		rc = find_target(c, target, &t, msg);
	if (!rc)
		rc = target_sees(c, L, &t, &reads, &sees);
	if (rc)
		goto out;

	/* A grant holds for every version (§3.1), so the decision is made on the
	 * most restrictive of the versions it would show - not only on the
	 * one the requester happens to see. */
	int tlp = L->tlp;
	rc = strictest_tlp(c, L, t.user != 0, &tlp);
	if (rc)
		goto out;
	struct object_view view = {.provider = L->provider, .tlp = (enum tlp)tlp};
	struct share_target st = {.org = t.org, .user = t.user};
	enum share_need need =
		sees ? SHARE_ALREADY : policy_share_need(&L->rules.r, &view, &st, L->day);
	if (need != SHARE_ALREADY && need != SHARE_REFUSED && !reads) {
		snprintf(msg, SHARING_MSG_MAX,
			 "%.64s may not read collection %.64s at all; the operator "
			 "must grant it the collection first",
			 t.org_name, L->col.alias[0] ? L->col.alias : L->col.uuid);
		rc = ERR_FORBIDDEN;
		goto out;
	}
	if (need == SHARE_REFUSED) {
		if (!policy_in_force(&L->rules.r, L->day))
			snprintf(msg, SHARING_MSG_MAX,
				 "agreement %s is not in force: nothing is shared "
				 "under it (Art. 4)",
				 L->rules.key);
		else if (L->tlp == TLP_RED && !t.user)
			snprintf(msg, SHARING_MSG_MAX,
				 "TLP:RED is for named people: name a user, not "
				 "an organisation");
		else
			snprintf(msg, SHARING_MSG_MAX, "%s is not a member of agreement %s",
				 t.org_name, L->rules.key);
		rc = ERR_FORBIDDEN;
		goto out;
	}
	if (need == SHARE_ALREADY) {
		*result = json_pack("{s:s, s:s}", "status", "already-visible", "message",
				    "the target sees this object already; nothing to do");
		rc = *result ? ERR_OK : ERR_NOMEM;
		goto out;
	}

	struct share_request r;
	memset(&r, 0, sizeof(r));
	sec_uuid4(r.uuid);
	r.collection_id = L->col.id;
	snprintf(r.stix_id, sizeof(r.stix_id), "%s", L->stix_id);
	r.target_org = t.org;
	r.target_user = t.user;
	r.requester_user = who->user.id;
	r.requester_org = who->org.id;
	r.provider_org = L->provider;
	r.need = need == SHARE_ALL_PARTIES ? SHARE_NEED_ALL_PARTIES : SHARE_NEED_PROVIDER;
	r.status = need == SHARE_GRANT_NOW ? SHARE_APPROVED : SHARE_PENDING;
	r.created = app_now(app);
	r.decided = need == SHARE_GRANT_NOW ? r.created : 0;
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	json_t *req = required_orgs(L, r.need);
	char *reqs = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!reqs) {
		rc = ERR_NOMEM;
		goto out;
	}
	snprintf(r.required, sizeof(r.required), "%s", reqs);
	free(reqs);

	rc = store_tx_begin(c);
	if (!rc)
		rc = store_share_add(c, &r);
	if (!rc)
		rc = audit_write(app, c, "share.request", who->user.id, who->org.id, r.stix_id,
				 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "request", r.uuid,
					   "collection", L->col.uuid, "target_org", t.org_name,
					   "target_user", t.user_name, "need",
					   need == SHARE_ALL_PARTIES ? "all-parties"
					   : need == SHARE_PROVIDER  ? "provider"
								     : "none",
					   "reason", r.reason));
	if (!rc && need == SHARE_GRANT_NOW) {
		/* §3.4: CLEAR, and GREEN inside the community, are granted at once. */
		rc = grant_for(app, c, L->col.id, r.stix_id, t.org, t.user, who->user.id, r.id);
		if (!rc)
			rc = audit_write(app, c, "share.grant", who->user.id, who->org.id,
					 r.stix_id,
					 json_pack("{s:s, s:s, s:s, s:s, s:s}", "request", r.uuid,
						   "collection", L->col.uuid, "target_org",
						   t.org_name, "target_user", t.user_name, "why",
						   policy_tlp_name((enum tlp)L->tlp)));
	}
	rc = store_tx_end(c, rc);
	if (!rc)
		rc = request_json(c, &r, result);
out:
	free(L);
	return rc;
}

err_t sharing_get(struct app *app, struct store_conn *c, const struct principal *who,
		  const char *uuid, json_t **result)
{
	struct share_request r;
	(void)app;
	*result = NULL;
	err_t rc = store_share_get(c, uuid, &r);
	if (rc)
		return rc;
	json_t *req = json_loads(r.required, 0, NULL);
	bool involved = r.requester_org == who->org.id || json_has_int(req, who->org.id) ||
			(who->user.roles & ROLE_AUDITOR);
	json_decref(req);
	if (!involved)
		return ERR_NOTFOUND;
	return request_json(c, &r, result);
}

struct list_ctx {
	struct store_conn *c;
	const struct principal *who;
	bool awaiting;
	json_t *out;
};

static err_t list_one(void *ctx, const struct share_request *r)
{
	struct list_ctx *l = ctx;
	json_t *j = NULL;
	if (l->awaiting) {
		json_t *req = json_loads(r->required, 0, NULL);
		bool mine = json_has_int(req, l->who->org.id);
		json_decref(req);
		if (!mine)
			return ERR_OK;
	}
	err_t rc = request_json(l->c, r, &j);
	if (rc)
		return rc;
	if (l->awaiting) {
		/* Only those still waiting for this organisation's answer. */
		json_t *aw = json_object_get(j, "awaiting");
		bool waits = false;
		size_t i;
		json_t *v;
		json_array_foreach(aw, i, v) if (!strcmp(json_string_value(v), l->who->org.name))
			waits = true;
		if (!waits) {
			json_decref(j);
			return ERR_OK;
		}
	}
	return json_array_append_new(l->out, j) ? ERR_NOMEM : ERR_OK;
}

err_t sharing_list(struct app *app, struct store_conn *c, const struct principal *who,
		   bool awaiting, json_t **result)
{
	struct list_ctx l = {c, who, awaiting, json_array()};
	(void)app;
	*result = NULL;
	if (!l.out)
		return ERR_NOMEM;
	err_t rc = awaiting ? store_share_list(c, 0, SHARE_PENDING, list_one, &l)
			    : store_share_list(c, who->org.id, -1, list_one, &l);
	if (rc) {
		json_decref(l.out);
		return rc;
	}
	*result = l.out;
	return ERR_OK;
}

err_t sharing_answer(struct app *app, struct store_conn *c, const struct principal *who,
		     const char *uuid, bool approve, const char *reason, json_t **result,
		     char msg[SHARING_MSG_MAX])
{
	struct share_request r;
	struct rules *rules = NULL;
	json_t *req = NULL;
	struct answers an = {c, json_array(), json_array(), false};
	err_t rc;

	*result = NULL;
	msg[0] = '\0';
	rc = store_share_get(c, uuid, &r);
	if (rc == ERR_NOTFOUND)
		snprintf(msg, SHARING_MSG_MAX, "no such share request");
	if (rc)
		goto out;
	req = json_loads(r.required, 0, NULL);
	if (!json_has_int(req, who->org.id)) {
		/* The requester may know it exists; nobody else learns that it does. */
		if (r.requester_org == who->org.id) {
			snprintf(msg, SHARING_MSG_MAX,
				 "this request does not await your organisation");
			rc = ERR_FORBIDDEN;
		} else {
			snprintf(msg, SHARING_MSG_MAX, "no such share request");
			rc = ERR_NOTFOUND;
		}
		goto out;
	}
	if (!(who->user.roles & ROLE_APPROVER)) {
		snprintf(msg, SHARING_MSG_MAX, "answering a share request needs the approver role");
		rc = ERR_FORBIDDEN;
		goto out;
	}
	if (r.status != SHARE_PENDING) {
		snprintf(msg, SHARING_MSG_MAX, "the request is %s already", status_name(r.status));
		rc = ERR_CONFLICT;
		goto out;
	}
	if (!an.list || !an.answered) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = store_share_answers(c, r.id, add_answer, &an);
	if (rc)
		goto out;
	if (json_has_int(an.answered, who->org.id)) {
		snprintf(msg, SHARING_MSG_MAX,
			 "your organisation has answered this request already");
		rc = ERR_CONFLICT;
		goto out;
	}
	/* The agreement must be in force for anything to be shared under it. */
	struct collection col;
	rules = malloc(sizeof(*rules));
	if (!rules) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = store_collection_get(c, r.collection_id, &col);
	if (!rc)
		rc = agreements_rules(app, c, col.root_id, rules);
	if (rc)
		goto out;
	if (approve &&
	    (!rules->present || !policy_in_force(&rules->r, term_day_of(app_now(app))))) {
		snprintf(msg, SHARING_MSG_MAX,
			 "the agreement is not in force: nothing can be shared "
			 "under it (Art. 4)");
		rc = ERR_FORBIDDEN;
		goto out;
	}

	struct share_approval a = {.request_id = r.id,
				   .org_id = who->org.id,
				   .user_id = who->user.id,
				   .approve = approve,
				   .time = app_now(app)};
	snprintf(a.reason, sizeof(a.reason), "%s", reason ? reason : "");
	/* §3.5: one denial denies; the last approval needed grants. */
	size_t needed = json_array_size(req), got = json_array_size(an.answered) + 1;
	int status = !approve ? SHARE_DENIED : got >= needed ? SHARE_APPROVED : SHARE_PENDING;
	rc = store_tx_begin(c);
	if (!rc)
		rc = store_share_answer(c, &a);
	if (!rc)
		rc = audit_write(app, c, approve ? "share.approve" : "share.deny", who->user.id,
				 who->org.id, r.stix_id,
				 json_pack("{s:s, s:s}", "request", r.uuid, "reason", a.reason));
	if (!rc && status != SHARE_PENDING)
		rc = store_share_set_status(c, r.id, status, a.time);
	if (!rc && status == SHARE_APPROVED) {
		char on[STORE_NAME_MAX], un[STORE_NAME_MAX] = "";
		rc = grant_for(app, c, r.collection_id, r.stix_id, r.target_org, r.target_user,
			       who->user.id, r.id);
		if (r.target_user)
			user_name(c, r.target_user, un, sizeof(un));
		if (!rc)
			rc = audit_write(
				app, c, "share.grant", who->user.id, who->org.id, r.stix_id,
				json_pack("{s:s, s:s, s:s}", "request", r.uuid, "target_org",
					  org_name(c, r.target_org, on, sizeof(on)), "target_user",
					  un));
	}
	rc = store_tx_end(c, rc);
	if (!rc) {
		r.status = status;
		r.decided = status == SHARE_PENDING ? 0 : a.time;
		rc = request_json(c, &r, result);
	}
out:
	free(rules);
	json_decref(req);
	json_decref(an.list);
	json_decref(an.answered);
	return rc;
}

/* The provider's own object, for a direct grant or revocation. */
static err_t locate_own(struct app *app, struct store_conn *c, const struct principal *who,
			const struct object_ref *obj, struct located *L, char *msg)
{
	err_t rc = locate(app, c, who, obj, L, msg);
	if (rc)
		return rc;
	if (L->provider != who->org.id)
		FAILMSG(ERR_FORBIDDEN, "only the provider widens or narrows an object's scope "
				       "directly; file a share request instead");
	if (!(who->user.roles & (ROLE_APPROVER | ROLE_ADMIN)))
		FAILMSG(ERR_FORBIDDEN, "granting and revoking need the approver or admin role");
	return ERR_OK;
}

err_t sharing_grant(struct app *app, struct store_conn *c, const struct principal *who,
		    const struct object_ref *obj, const struct target_ref *target,
		    const char *reason, json_t **result, char msg[SHARING_MSG_MAX])
{
	struct located *L = malloc(sizeof(*L));
	struct target t;
	bool reads = false, sees = false;
	err_t rc;

	*result = NULL;
	msg[0] = '\0';
	if (!L)
		return ERR_NOMEM;
	rc = locate_own(app, c, who, obj, L, msg);
	if (!rc)
		rc = find_target(c, target, &t, msg);
	if (!rc)
		rc = target_sees(c, L, &t, &reads, &sees);
	if (rc)
		goto out;
	const struct agreement_rules *a = &L->rules.r;
	if (!policy_in_force(a, L->day)) {
		snprintf(msg, SHARING_MSG_MAX, "agreement %s is not in force (Art. 4)",
			 L->rules.key);
		rc = ERR_FORBIDDEN;
	} else if (policy_is_escalation_body(a, t.org)) {
		snprintf(msg, SHARING_MSG_MAX,
			 "%s is an escalation body: it needs every party's "
			 "approval (Art. 3.2); file a share request",
			 t.org_name);
		rc = ERR_FORBIDDEN;
	} else if (!policy_is_member(a, t.org)) {
		snprintf(msg, SHARING_MSG_MAX, "%s is not a member of agreement %s", t.org_name,
			 L->rules.key);
		rc = ERR_FORBIDDEN;
	} else if (L->tlp == TLP_RED && !t.user) {
		snprintf(msg, SHARING_MSG_MAX, "TLP:RED is for named people: name a user");
		rc = ERR_FORBIDDEN;
	} else if (!reads) {
		snprintf(msg, SHARING_MSG_MAX, "%s may not read this collection at all",
			 t.org_name);
		rc = ERR_FORBIDDEN;
	}
	if (rc)
		goto out;
	rc = store_tx_begin(c);
	if (!rc)
		rc = grant_for(app, c, L->col.id, L->stix_id, t.org, t.user, who->user.id, 0);
	if (!rc)
		rc = audit_write(app, c, "share.grant", who->user.id, who->org.id, L->stix_id,
				 json_pack("{s:s, s:s, s:s, s:s, s:s}", "collection", L->col.uuid,
					   "target_org", t.org_name, "target_user", t.user_name,
					   "by", "provider", "reason", reason ? reason : ""));
	rc = store_tx_end(c, rc);
	if (!rc)
		*result = json_pack("{s:s, s:s, s:s, s:b}", "status", "granted", "object",
				    L->stix_id, "target_org", t.org_name, "was_visible", sees);
	if (!rc && !*result)
		rc = ERR_NOMEM;
out:
	free(L);
	return rc;
}

err_t sharing_revoke(struct app *app, struct store_conn *c, const struct principal *who,
		     const struct object_ref *obj, const struct target_ref *target,
		     const char *reason, char msg[SHARING_MSG_MAX])
{
	struct located *L = malloc(sizeof(*L));
	struct target t;
	err_t rc;

	msg[0] = '\0';
	if (!L)
		return ERR_NOMEM;
	rc = locate_own(app, c, who, obj, L, msg);
	if (!rc)
		rc = find_target(c, target, &t, msg);
	if (rc)
		goto out;
	int64_t principal = t.user ? PRINCIPAL_USER(t.user) : PRINCIPAL_ORG(t.org);
	rc = store_tx_begin(c);
	if (!rc)
		rc = store_grant_object_revoke(c, L->col.id, L->stix_id, principal);
	if (rc == ERR_NOTFOUND)
		snprintf(msg, SHARING_MSG_MAX, "%s holds no grant on this object",
			 t.user ? t.user_name : t.org_name);
	if (!rc)
		rc = audit_write(app, c, "share.revoke", who->user.id, who->org.id, L->stix_id,
				 json_pack("{s:s, s:s, s:s, s:s}", "collection", L->col.uuid,
					   "target_org", t.org_name, "target_user", t.user_name,
					   "reason", reason ? reason : ""));
	rc = store_tx_end(c, rc);
out:
	free(L);
	return rc;
}

struct names_ctx {
	struct store_conn *c;
	json_t *orgs, *users, *groups;
};

static err_t name_principal(void *ctx, int64_t p)
{
	struct names_ctx *n = ctx;
	char b[STORE_NAME_MAX];
	if (p == PRINCIPAL_PARTIES)
		return json_array_append_new(n->groups, json_string("parties")) ? ERR_NOMEM
										: ERR_OK;
	if (p == PRINCIPAL_COMMUNITY)
		return json_array_append_new(n->groups, json_string("community")) ? ERR_NOMEM
										  : ERR_OK;
	if (PRINCIPAL_IS_USER(p))
		return json_array_append_new(n->users, json_string(user_name(n->c, PRINCIPAL_ID(p),
									     b, sizeof(b))))
			       ? ERR_NOMEM
			       : ERR_OK;
	return json_array_append_new(n->orgs,
				     json_string(org_name(n->c, PRINCIPAL_ID(p), b, sizeof(b))))
		       ? ERR_NOMEM
		       : ERR_OK;
}

static err_t name_grant(void *ctx, const struct object_grant *g)
{
	return name_principal(ctx, g->principal);
}

err_t sharing_object_state(struct app *app, struct store_conn *c, const struct principal *who,
			   const struct object_ref *obj, json_t **result, char msg[SHARING_MSG_MAX])
{
	struct located *L = malloc(sizeof(*L));
	char b[STORE_NAME_MAX];
	struct names_ctx scope = {c, json_array(), json_array(), json_array()};
	struct names_ctx grants = {c, json_array(), json_array(), json_array()};
	err_t rc;

	*result = NULL;
	if (!L || !scope.orgs || !scope.users || !scope.groups || !grants.orgs || !grants.users ||
	    !grants.groups) {
		rc = ERR_NOMEM;
		goto out;
	}
	msg[0] = '\0';
	rc = locate(app, c, who, obj, L, msg);
	if (rc)
		goto out;
	/* Who else receives an object is the provider's business: scope and
	 * grants are shown to its users and to auditors only. */
	bool full = L->provider == who->org.id || (who->user.roles & ROLE_AUDITOR);
	if (full)
		rc = store_scope_members(c, L->scope_id, name_principal, &scope);
	if (!rc && full)
		rc = store_grant_object_list(c, L->col.id, L->stix_id, name_grant, &grants);
	if (rc)
		goto out;
	if (!full) {
		*result =
			json_pack("{s:s, s:s, s:s, s:s, s:s}", "object", L->stix_id, "agreement",
				  L->rules.key, "provider", org_name(c, L->provider, b, sizeof(b)),
				  "tlp", policy_tlp_name((enum tlp)L->tlp), "category",
				  policy_category_key((enum category)L->category));
		rc = *result ? ERR_OK : ERR_NOMEM;
		goto out;
	}
	*result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:O, s:O, s:O}, s:{s:O, s:O}}", "object",
			    L->stix_id, "agreement", L->rules.key, "provider",
			    org_name(c, L->provider, b, sizeof(b)), "tlp",
			    policy_tlp_name((enum tlp)L->tlp), "category",
			    policy_category_key((enum category)L->category), "scope", "groups",
			    scope.groups, "orgs", scope.orgs, "users", scope.users, "grants",
			    "orgs", grants.orgs, "users", grants.users);
	rc = *result ? ERR_OK : ERR_NOMEM;
out:
	free(L);
	json_decref(scope.orgs);
	json_decref(scope.users);
	json_decref(scope.groups);
	json_decref(grants.orgs);
	json_decref(grants.users);
	json_decref(grants.groups);
	return rc;
}
