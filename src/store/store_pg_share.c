/*
 * store_pg_share.c - the PostgreSQL back end's tables of the sharing rules:
 * scopes and scope markings, agreements, their members and objections,
 * collection defaults, grants on objects, share requests and their answers,
 * and the hash-chained audit log. Same conventions as store_pg.c; a port of
 * store_sqlite_share.c, with the same results, codes and orders.
 *
 * Two things differ from SQLite, where one writer holds the whole database:
 * - a failed statement aborts a PostgreSQL transaction, so an INSERT that
 *   can meet a unique key says ON CONFLICT DO NOTHING and a row not
 *   inserted becomes ERR_EXISTS (or ERR_OK where SQLite ignores it);
 * - writers on other server processes run at the same time, so a scope
 *   added twice at once resolves to one row, and the audit chain is
 *   extended under a transaction-scoped advisory lock.
 */
#include <stdint.h>

#include "../common/buf.h"
#include "store_pg_int.h"
#include "../common/banned.h"

/* The statements of this file, ids PG_SHARE_BASE.. (store_pg_int.h). */
enum pg_share_stmt {
	PS_SCOPE_FIND = PG_SHARE_BASE,
	PS_SCOPE_ADD,
	PS_SCOPE_MEMBER_ADD,
	PS_SCOPE_MEMBERS,
	PS_MARKING_ADD,
	PS_MARKING_FIND,
	PS_AG_FIND_KEY,
	PS_AG_FIND_ROOT,
	PS_AG_INSERT,
	PS_AG_UPDATE,
	PS_AG_LIST,
	PS_AG_MEMBERS_DEL,
	PS_AG_MEMBER_ADD,
	PS_AG_MEMBERS,
	PS_AG_BUMP,
	PS_OBJECTION_ADD,
	PS_OBJECTIONS,
	PS_COLL_SET_DEFAULTS,
	PS_COLL_DEFAULTS,
	PS_GRANT_ADD,
	PS_GRANT_REVOKE,
	PS_GRANT_LIST,
	PS_SHARE_ADD,
	PS_SHARE_GET,
	PS_SHARE_LIST,
	PS_SHARE_STATUS,
	PS_SHARE_ANSWER,
	PS_SHARE_ANSWERS,
	PS_AUDIT_LOCK,
	PS_AUDIT_LAST,
	PS_AUDIT_ADD,
	PS_AUDIT_ALL,
	PS__END
};

_Static_assert(PS__END <= PG_SHARE_BASE + 100 && PS__END <= PG_STMT_MAX,
	       "store_pg_share.c has statement ids PG_SHARE_BASE..PG_SHARE_BASE+99");

#define S(id) [(id)-PG_SHARE_BASE]

static const char *const share_sql[PS__END - PG_SHARE_BASE] = {
	S(PS_SCOPE_FIND) = "SELECT id FROM scopes WHERE canon = $1::text",
	/* Two transactions adding one scope: the second waits for the first
	 * and inserts nothing when it commits (see pg_scope_get_or_add). */
	S(PS_SCOPE_ADD) =
		"INSERT INTO scopes(canon) VALUES($1::text) ON CONFLICT (canon) DO NOTHING "
		"RETURNING id",
	S(PS_SCOPE_MEMBER_ADD) = "INSERT INTO scope_members(principal, scope_id) "
				 "VALUES($1::bigint, $2::bigint) ON CONFLICT DO NOTHING",
	S(PS_SCOPE_MEMBERS) = "SELECT principal FROM scope_members WHERE scope_id = $1::bigint "
			      "ORDER BY principal",
	S(PS_MARKING_ADD) = "INSERT INTO scope_markings(stix_id, org_id, scope_id) "
			    "VALUES($1::text, $2::bigint, $3::bigint) ON CONFLICT DO NOTHING",
	S(PS_MARKING_FIND) = "SELECT org_id, scope_id FROM scope_markings WHERE stix_id = $1::text",
	S(PS_AG_FIND_KEY) = "SELECT id, key, root_id, loaded, generation, definition FROM "
			    "agreements WHERE key = $1::text",
	S(PS_AG_FIND_ROOT) = "SELECT id, key, root_id, loaded, generation, definition FROM "
			     "agreements WHERE root_id = $1::bigint",
	/* Nothing inserted: the key or the API root is taken. */
	S(PS_AG_INSERT) = "INSERT INTO agreements(key, root_id, definition, loaded, generation) "
			  "VALUES($1::text, $2::bigint, $3::text, $4::bigint, 1) "
			  "ON CONFLICT DO NOTHING RETURNING id",
	S(PS_AG_UPDATE) = "UPDATE agreements SET definition = $2::text, loaded = $3::bigint, "
			  "generation = generation + 1 WHERE id = $1::bigint RETURNING generation",
	S(PS_AG_LIST) = "SELECT id, key, root_id, loaded, generation FROM agreements ORDER BY id",
	S(PS_AG_MEMBERS_DEL) = "DELETE FROM agreement_members WHERE agreement_id = $1::bigint",
	S(PS_AG_MEMBER_ADD) = "INSERT INTO agreement_members(agreement_id, org_id, role, label) "
			      "VALUES($1::bigint, $2::bigint, $3::integer, $4::text) "
			      "ON CONFLICT DO NOTHING",
	S(PS_AG_MEMBERS) = "SELECT org_id, role, label FROM agreement_members "
			   "WHERE agreement_id = $1::bigint ORDER BY role, org_id",
	S(PS_AG_BUMP) = "UPDATE agreements SET generation = generation + 1 WHERE id = $1::bigint",
	S(PS_OBJECTION_ADD) =
		"INSERT INTO objections(agreement_id, org_id, user_id, filed_on, filed_at, reason) "
		"VALUES($1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::text) "
		"RETURNING id",
	S(PS_OBJECTIONS) = "SELECT id, org_id, user_id, filed_on, filed_at, reason FROM objections "
			   "WHERE agreement_id = $1::bigint ORDER BY id",
	S(PS_COLL_SET_DEFAULTS) = "UPDATE collections SET default_scope_id = $2::bigint, "
				  "default_category = $3::integer WHERE id = $1::bigint",
	S(PS_COLL_DEFAULTS) =
		"SELECT default_scope_id, default_category FROM collections WHERE id = $1::bigint",
	S(PS_GRANT_ADD) = "INSERT INTO object_grants(collection_id, stix_id, principal, by_user, "
			  "request_id, created) "
			  "VALUES($1::bigint, $2::text, $3::bigint, $4::bigint, $5::bigint, "
			  "$6::bigint) ON CONFLICT DO NOTHING RETURNING id",
	S(PS_GRANT_REVOKE) = "DELETE FROM object_grants WHERE collection_id = $1::bigint "
			     "AND stix_id = $2::text AND principal = $3::bigint",
	S(PS_GRANT_LIST) =
		"SELECT id, collection_id, stix_id, principal, by_user, request_id, created "
		"FROM object_grants WHERE collection_id = $1::bigint AND stix_id = $2::text "
		"ORDER BY id",
	S(PS_SHARE_ADD) =
		"INSERT INTO share_requests(uuid, collection_id, stix_id, target_org, target_user, "
		"requester_user, requester_org, provider_org, need, status, reason, created, "
		"decided, required) "
		"VALUES($1::text, $2::bigint, $3::text, $4::bigint, $5::bigint, $6::bigint, "
		"$7::bigint, $8::bigint, $9::integer, $10::integer, $11::text, $12::bigint, "
		"$14::bigint, $13::text) ON CONFLICT DO NOTHING RETURNING id",
	S(PS_SHARE_GET) =
		"SELECT id, uuid, collection_id, stix_id, target_org, target_user, requester_user, "
		"requester_org, provider_org, need, status, reason, created, decided, required "
		"FROM share_requests WHERE uuid = $1::text",
	S(PS_SHARE_LIST) =
		"SELECT id, uuid, collection_id, stix_id, target_org, target_user, requester_user, "
		"requester_org, provider_org, need, status, reason, created, decided, required "
		"FROM share_requests "
		"WHERE ($1::bigint = 0 OR requester_org = $1::bigint) "
		"AND ($2::integer < 0 OR status = $2::integer) ORDER BY id",
	S(PS_SHARE_STATUS) = "UPDATE share_requests SET status = $2::integer, decided = $3::bigint "
			     "WHERE id = $1::bigint",
	S(PS_SHARE_ANSWER) =
		"INSERT INTO share_answers(request_id, org_id, user_id, approve, reason, time) "
		"VALUES($1::bigint, $2::bigint, $3::bigint, $4::boolean, $5::text, $6::bigint) "
		"ON CONFLICT DO NOTHING",
	S(PS_SHARE_ANSWERS) =
		"SELECT request_id, org_id, user_id, approve, reason, time FROM share_answers "
		"WHERE request_id = $1::bigint ORDER BY time, org_id",
	/* The chain's lock: pg_advisory_xact_lock(PG_LOCK_CLASS, PG_LOCK_AUDIT)
	 * of store_pg_schema.h, held until the transaction ends. */
	S(PS_AUDIT_LOCK) = "SELECT pg_advisory_xact_lock(7266293, 1)",
	S(PS_AUDIT_LAST) = "SELECT seq, encode(hash, 'hex') FROM audit ORDER BY seq DESC LIMIT 1",
	S(PS_AUDIT_ADD) =
		"INSERT INTO audit(seq, time, kind, user_id, org_id, object, detail, prev, hash) "
		"VALUES($1::bigint, $2::bigint, $3::text, $4::bigint, $5::bigint, $6::text, "
		"$7::text, decode($8::text, 'hex'), decode($9::text, 'hex')) "
		"ON CONFLICT DO NOTHING",
	S(PS_AUDIT_ALL) =
		"SELECT seq, time, kind, user_id, org_id, object, detail, encode(prev, 'hex'), "
		"encode(hash, 'hex') FROM audit "
		"WHERE seq > $1::bigint AND ($2::bigint = 0 OR time >= $2::bigint) "
		"AND ($3::bigint = 0 OR time <= $3::bigint) "
		"AND ($4::bigint = 0 OR org_id = $4::bigint) "
		"AND ($5::text IS NULL OR object = $5::text) "
		"AND ($6::text IS NULL OR substr(kind, 1, length($6::text)) = $6::text) "
		"ORDER BY seq LIMIT $7::bigint",
};

#undef S

static PGresult *srun(struct pg_conn *c, enum pg_share_stmt id, const struct pg_params *p,
		      const char *what, err_t *rc)
{
	return pg_run(c, (int)id, share_sql[id - PG_SHARE_BASE], p, what, rc);
}

static err_t sexec(struct pg_conn *c, enum pg_share_stmt id, const struct pg_params *p,
		   const char *what, int64_t *changed)
{
	return pg_exec(c, (int)id, share_sql[id - PG_SHARE_BASE], p, what, changed);
}

static err_t sone(struct pg_conn *c, enum pg_share_stmt id, const struct pg_params *p,
		  const char *what, int64_t *out)
{
	return pg_one_int64(c, (int)id, share_sql[id - PG_SHARE_BASE], p, what, out);
}

/* ---- scopes ---- */

static err_t scope_member_add(struct pg_conn *c, int64_t principal, int64_t scope)
{
	struct pg_params p = {0};
	pp_int(&p, principal);
	pp_int(&p, scope);
	return sexec(c, PS_SCOPE_MEMBER_ADD, &p, "scope member add", NULL);
}

err_t pg_scope_get_or_add(struct store_conn *base, const struct scope_def *def, int64_t *id)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct scope_canon sc;
	err_t rc = store_scope_canon(def, &sc);
	if (rc)
		return rc;
	pp_text(&p, buf_cstr(&sc.text));
	rc = sone(c, PS_SCOPE_FIND, &p, "scope find", id);
	if (rc != ERR_NOTFOUND)
		goto out;
	rc = sone(c, PS_SCOPE_ADD, &p, "scope add", id);
	if (rc == ERR_NOTFOUND) {
		/* Another transaction added the same scope, with its members, and
		 * has committed since we looked (ON CONFLICT waited for it): this
		 * statement sees its row. */
		rc = sone(c, PS_SCOPE_FIND, &p, "scope find", id);
		if (rc == ERR_NOTFOUND) {
			log_error("postgresql: scope add: the row in the way is not visible");
			rc = ERR_BUSY;
		}
		goto out;
	}
	for (size_t i = 0; !rc && i < sc.n_members; i++)
		rc = scope_member_add(c, sc.members[i], *id);
out:
	store_scope_canon_release(&sc);
	return rc;
}

err_t pg_scope_members(struct store_conn *base, int64_t scope_id,
		       err_t (*fn)(void *, int64_t principal), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	pp_int(&p, scope_id);
	PGresult *r = srun(c, PS_SCOPE_MEMBERS, &p, "scope members", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++)
		rc = fn(ctx, pg_int(r, i, 0));
	PQclear(r);
	return rc;
}

err_t pg_scope_marking_add(struct store_conn *base, const char *stix_id, int64_t org_id,
			   int64_t scope_id)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	pp_text(&p, stix_id);
	pp_int(&p, org_id);
	pp_int(&p, scope_id);
	return sexec(c, PS_MARKING_ADD, &p, "scope marking add", NULL);
}

err_t pg_scope_marking_find(struct store_conn *base, const char *stix_id, int64_t *org_id,
			    int64_t *scope_id)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	pp_text(&p, stix_id);
	PGresult *r = srun(c, PS_MARKING_FIND, &p, "scope marking find", &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1) {
		rc = ERR_NOTFOUND;
	} else {
		*org_id = pg_int(r, 0, 0);
		*scope_id = pg_int(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

/* ---- agreements ---- */

static void agreement_from_row(const PGresult *r, int row, struct agreement_row *a)
{
	a->id = pg_int(r, row, 0);
	pg_copy(a->key, sizeof(a->key), r, row, 1);
	a->root_id = pg_int(r, row, 2);
	a->loaded = pg_int(r, row, 3);
	a->generation = pg_int(r, row, 4);
}

/* The agreement named key into *a; ERR_NOTFOUND when none. */
static err_t agreement_find_key(struct pg_conn *c, const char *key, struct agreement_row *a)
{
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	pp_text(&p, key);
	PGresult *r = srun(c, PS_AG_FIND_KEY, &p, "agreement find", &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1)
		rc = ERR_NOTFOUND;
	else
		agreement_from_row(r, 0, a);
	PQclear(r);
	return rc;
}

/* Replaces the definition of the stored agreement old with a's. */
static err_t agreement_update(struct pg_conn *c, const struct agreement_row *old,
			      struct agreement_row *a, const char *definition)
{
	struct pg_params p = {0};
	int64_t generation = 0;
	err_t rc;

	if (old->root_id != a->root_id)
		return ERR_CONFLICT; /* an agreement keeps its API root */
	pp_int(&p, old->id);
	pp_text(&p, definition);
	pp_int(&p, a->loaded);
	rc = sone(c, PS_AG_UPDATE, &p, "agreement update", &generation);
	if (rc)
		return rc; /* ERR_NOTFOUND cannot be: agreements are never deleted */
	a->id = old->id;
	a->generation = generation;
	return ERR_OK;
}

err_t pg_agreement_put(struct store_conn *base, struct agreement_row *a, const char *definition,
		       const struct agreement_member *members, size_t n_members)
{
	struct pg_conn *c = pgc(base);
	struct agreement_row old;
	struct pg_params p = {0};
	int64_t id = 0;
	err_t rc = agreement_find_key(c, a->key, &old);

	if (rc == ERR_OK) {
		rc = agreement_update(c, &old, a, definition);
	} else if (rc == ERR_NOTFOUND) {
		pp_text(&p, a->key);
		pp_int(&p, a->root_id);
		pp_text(&p, definition);
		pp_int(&p, a->loaded);
		rc = sone(c, PS_AG_INSERT, &p, "agreement insert", &id);
		if (rc == ERR_OK) {
			a->id = id;
			a->generation = 1;
		} else if (rc == ERR_NOTFOUND) {
			/* Not inserted: the key or the API root is taken. A key
			 * added by a transaction that committed since we looked
			 * is updated, as SQLite's one writer would have done. */
			rc = agreement_find_key(c, a->key, &old);
			if (rc == ERR_OK)
				rc = agreement_update(c, &old, a, definition);
			else if (rc == ERR_NOTFOUND)
				rc = ERR_EXISTS;
		}
	}
	if (rc)
		return rc;
	p.n = 0;
	pp_int(&p, a->id);
	rc = sexec(c, PS_AG_MEMBERS_DEL, &p, "agreement members delete", NULL);
	for (size_t i = 0; !rc && i < n_members; i++) {
		int64_t changed = 0;
		p.n = 0;
		pp_int(&p, a->id);
		pp_int(&p, members[i].org_id);
		pp_int(&p, members[i].role);
		pp_text(&p, members[i].label);
		rc = sexec(c, PS_AG_MEMBER_ADD, &p, "agreement member add", &changed);
		if (!rc && changed == 0)
			rc = ERR_EXISTS; /* the organisation is listed twice */
	}
	return rc;
}

err_t pg_agreement_get(struct store_conn *base, const char *key, int64_t root_id,
		       struct agreement_row *a, char **definition)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	PGresult *r;

	if (key) {
		pp_text(&p, key);
		r = srun(c, PS_AG_FIND_KEY, &p, "agreement get", &rc);
	} else {
		pp_int(&p, root_id);
		r = srun(c, PS_AG_FIND_ROOT, &p, "agreement get", &rc);
	}
	if (!r)
		return rc;
	if (PQntuples(r) < 1) {
		rc = ERR_NOTFOUND;
	} else {
		agreement_from_row(r, 0, a);
		if (definition)
			rc = pg_dup(r, 0, 5, definition, NULL);
	}
	PQclear(r);
	return rc;
}

err_t pg_agreement_list(struct store_conn *base, err_t (*fn)(void *, const struct agreement_row *),
			void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct agreement_row a;
	err_t rc = ERR_OK;
	PGresult *r = srun(c, PS_AG_LIST, &p, "agreement list", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++) {
		agreement_from_row(r, i, &a);
		rc = fn(ctx, &a);
	}
	PQclear(r);
	return rc;
}

err_t pg_agreement_members(struct store_conn *base, int64_t agreement_id,
			   err_t (*fn)(void *, const struct agreement_member *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct agreement_member m;
	err_t rc = ERR_OK;
	pp_int(&p, agreement_id);
	PGresult *r = srun(c, PS_AG_MEMBERS, &p, "agreement members", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++) {
		m.org_id = pg_int(r, i, 0);
		m.role = (int)pg_int(r, i, 1);
		pg_copy(m.label, sizeof(m.label), r, i, 2);
		rc = fn(ctx, &m);
	}
	PQclear(r);
	return rc;
}

err_t pg_objection_add(struct store_conn *base, int64_t agreement_id, struct objection *o)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t id = 0;
	pp_int(&p, agreement_id);
	pp_int(&p, o->org_id);
	pp_int(&p, o->user_id);
	pp_int(&p, o->filed_on);
	pp_int(&p, o->filed_at);
	pp_text(&p, o->reason);
	err_t rc = sone(c, PS_OBJECTION_ADD, &p, "objection add", &id);
	if (rc == ERR_NOTFOUND) {
		log_error("postgresql: objection add: no id returned");
		rc = ERR_STORE;
	}
	if (rc)
		return rc;
	o->id = id;
	p.n = 0;
	pp_int(&p, agreement_id);
	return sexec(c, PS_AG_BUMP, &p, "agreement bump", NULL);
}

err_t pg_objection_list(struct store_conn *base, int64_t agreement_id,
			err_t (*fn)(void *, const struct objection *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct objection o;
	err_t rc = ERR_OK;
	pp_int(&p, agreement_id);
	PGresult *r = srun(c, PS_OBJECTIONS, &p, "objection list", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++) {
		o.id = pg_int(r, i, 0);
		o.org_id = pg_int(r, i, 1);
		o.user_id = pg_int(r, i, 2);
		o.filed_on = pg_int(r, i, 3);
		o.filed_at = pg_int(r, i, 4);
		pg_copy(o.reason, sizeof(o.reason), r, i, 5);
		rc = fn(ctx, &o);
	}
	PQclear(r);
	return rc;
}

err_t pg_collection_set_defaults(struct store_conn *base, int64_t collection_id, int64_t scope_id,
				 int category)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t changed = 0;
	pp_int(&p, collection_id);
	pp_int(&p, scope_id);
	pp_int(&p, category);
	err_t rc = sexec(c, PS_COLL_SET_DEFAULTS, &p, "collection defaults", &changed);
	if (!rc && changed == 0)
		return ERR_NOTFOUND;
	return rc;
}

err_t pg_collection_defaults(struct store_conn *base, int64_t collection_id, int64_t *scope_id,
			     int *category)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	pp_int(&p, collection_id);
	PGresult *r = srun(c, PS_COLL_DEFAULTS, &p, "collection defaults", &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1) {
		rc = ERR_NOTFOUND;
	} else {
		*scope_id = pg_int(r, 0, 0);
		*category = (int)pg_int(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

/* ---- grants on objects ---- */

err_t pg_grant_object_add(struct store_conn *base, struct object_grant *g)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t id = 0;
	pp_int(&p, g->collection_id);
	pp_text(&p, g->stix_id);
	pp_int(&p, g->principal);
	pp_int(&p, g->by_user);
	pp_int(&p, g->request_id);
	pp_int(&p, g->created);
	err_t rc = sone(c, PS_GRANT_ADD, &p, "grant add", &id);
	if (rc == ERR_NOTFOUND)
		return ERR_EXISTS; /* the principal holds one already */
	if (!rc)
		g->id = id;
	return rc;
}

err_t pg_grant_object_revoke(struct store_conn *base, int64_t collection_id, const char *stix_id,
			     int64_t principal)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t changed = 0;
	pp_int(&p, collection_id);
	pp_text(&p, stix_id);
	pp_int(&p, principal);
	err_t rc = sexec(c, PS_GRANT_REVOKE, &p, "grant revoke", &changed);
	if (!rc && changed == 0)
		return ERR_NOTFOUND;
	return rc;
}

err_t pg_grant_object_list(struct store_conn *base, int64_t collection_id, const char *stix_id,
			   err_t (*fn)(void *, const struct object_grant *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct object_grant g;
	err_t rc = ERR_OK;
	pp_int(&p, collection_id);
	pp_text(&p, stix_id);
	PGresult *r = srun(c, PS_GRANT_LIST, &p, "grant list", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++) {
		g.id = pg_int(r, i, 0);
		g.collection_id = pg_int(r, i, 1);
		pg_copy(g.stix_id, sizeof(g.stix_id), r, i, 2);
		g.principal = pg_int(r, i, 3);
		g.by_user = pg_int(r, i, 4);
		g.request_id = pg_int(r, i, 5);
		g.created = pg_int(r, i, 6);
		rc = fn(ctx, &g);
	}
	PQclear(r);
	return rc;
}

/* ---- share requests ---- */

static void share_from_row(const PGresult *res, int row, struct share_request *r)
{
	r->id = pg_int(res, row, 0);
	pg_copy(r->uuid, sizeof(r->uuid), res, row, 1);
	r->collection_id = pg_int(res, row, 2);
	pg_copy(r->stix_id, sizeof(r->stix_id), res, row, 3);
	r->target_org = pg_int(res, row, 4);
	r->target_user = pg_int(res, row, 5);
	r->requester_user = pg_int(res, row, 6);
	r->requester_org = pg_int(res, row, 7);
	r->provider_org = pg_int(res, row, 8);
	r->need = (int)pg_int(res, row, 9);
	r->status = (int)pg_int(res, row, 10);
	pg_copy(r->reason, sizeof(r->reason), res, row, 11);
	r->created = pg_int(res, row, 12);
	r->decided = pg_int(res, row, 13);
	pg_copy(r->required, sizeof(r->required), res, row, 14);
}

err_t pg_share_add(struct store_conn *base, struct share_request *r)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t id = 0;
	pp_text(&p, r->uuid);
	pp_int(&p, r->collection_id);
	pp_text(&p, r->stix_id);
	pp_int(&p, r->target_org);
	pp_int(&p, r->target_user);
	pp_int(&p, r->requester_user);
	pp_int(&p, r->requester_org);
	pp_int(&p, r->provider_org);
	pp_int(&p, r->need);
	pp_int(&p, r->status);
	pp_text(&p, r->reason);
	pp_int(&p, r->created);
	pp_text(&p, r->required);
	pp_int(&p, r->decided);
	err_t rc = sone(c, PS_SHARE_ADD, &p, "share add", &id);
	if (rc == ERR_NOTFOUND)
		return ERR_EXISTS; /* the UUID is taken */
	if (!rc)
		r->id = id;
	return rc;
}

err_t pg_share_get(struct store_conn *base, const char *uuid, struct share_request *r)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	pp_text(&p, uuid);
	PGresult *res = srun(c, PS_SHARE_GET, &p, "share get", &rc);
	if (!res)
		return rc;
	if (PQntuples(res) < 1)
		rc = ERR_NOTFOUND;
	else
		share_from_row(res, 0, r);
	PQclear(res);
	return rc;
}

err_t pg_share_list(struct store_conn *base, int64_t filed_by_org, int status,
		    err_t (*fn)(void *, const struct share_request *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct share_request r;
	err_t rc = ERR_OK;
	pp_int(&p, filed_by_org);
	pp_int(&p, status);
	PGresult *res = srun(c, PS_SHARE_LIST, &p, "share list", &rc);
	if (!res)
		return rc;
	for (int i = 0, n = PQntuples(res); !rc && i < n; i++) {
		share_from_row(res, i, &r);
		rc = fn(ctx, &r);
	}
	PQclear(res);
	return rc;
}

err_t pg_share_set_status(struct store_conn *base, int64_t id, int status, int64_t decided)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t changed = 0;
	pp_int(&p, id);
	pp_int(&p, status);
	pp_int(&p, decided);
	err_t rc = sexec(c, PS_SHARE_STATUS, &p, "share status", &changed);
	if (!rc && changed == 0)
		return ERR_NOTFOUND;
	return rc;
}

err_t pg_share_answer(struct store_conn *base, const struct share_approval *a)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t changed = 0;
	pp_int(&p, a->request_id);
	pp_int(&p, a->org_id);
	pp_int(&p, a->user_id);
	pp_text(&p, a->approve ? "t" : "f");
	pp_text(&p, a->reason);
	pp_int(&p, a->time);
	err_t rc = sexec(c, PS_SHARE_ANSWER, &p, "share answer", &changed);
	if (!rc && changed == 0)
		return ERR_EXISTS; /* the organisation answered already */
	return rc;
}

err_t pg_share_answers(struct store_conn *base, int64_t request_id,
		       err_t (*fn)(void *, const struct share_approval *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	struct share_approval a;
	err_t rc = ERR_OK;
	pp_int(&p, request_id);
	PGresult *r = srun(c, PS_SHARE_ANSWERS, &p, "share answers", &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); !rc && i < n; i++) {
		a.request_id = pg_int(r, i, 0);
		a.org_id = pg_int(r, i, 1);
		a.user_id = pg_int(r, i, 2);
		a.approve = pg_bool(r, i, 3);
		pg_copy(a.reason, sizeof(a.reason), r, i, 4);
		a.time = pg_int(r, i, 5);
		rc = fn(ctx, &a);
	}
	PQclear(r);
	return rc;
}

/* ---- audit ---- */

/*
 * Appends e inside the current transaction. The advisory lock makes the
 * appenders of all server processes take turns until their commit; the
 * statement after it sees the previous holder's row (READ COMMITTED). Under
 * a snapshot taken before the lock, the seq it computes is taken and the
 * insert fails as a serialization failure (ERR_BUSY): never a fork.
 */
static err_t audit_append_locked(struct pg_conn *c, struct audit_entry *e, int64_t *seq_out)
{
	unsigned char prev[32] = {0};
	char prev_hex[65], hash_hex[65];
	struct pg_params p = {0};
	int64_t seq = 1, changed = 0;
	err_t rc = ERR_OK;
	PGresult *r = srun(c, PS_AUDIT_LOCK, &p, "audit lock", &rc);

	if (!r)
		return rc;
	PQclear(r);
	r = srun(c, PS_AUDIT_LAST, &p, "audit last", &rc);
	if (!r)
		return rc;
	if (PQntuples(r) > 0) {
		seq = pg_int(r, 0, 0) + 1;
		if (!pg_unhex(PQgetvalue(r, 0, 1), prev, sizeof(prev)))
			memset(prev, 0, sizeof(prev)); /* not 32 bytes: as SQLite */
	}
	PQclear(r);

	const char *object = e->object ? e->object : "";
	const char *detail = e->detail ? e->detail : "{}";
	rc = store_audit_hash(prev, seq, e->time, e->kind, e->user_id, e->org_id, object, detail,
			      e->hash);
	if (rc)
		return rc;
	pg_hex(prev, sizeof(prev), prev_hex);
	pg_hex(e->hash, sizeof(e->hash), hash_hex);
	pp_int(&p, seq);
	pp_int(&p, e->time);
	pp_text(&p, e->kind);
	pp_int(&p, e->user_id);
	pp_int(&p, e->org_id);
	pp_text(&p, object);
	pp_text(&p, detail);
	pp_text(&p, prev_hex);
	pp_text(&p, hash_hex);
	rc = sexec(c, PS_AUDIT_ADD, &p, "audit add", &changed);
	if (!rc && changed == 0) {
		/* Only a writer that skipped the lock can have taken seq. */
		log_error("postgresql: audit add: entry %lld exists already", (long long)seq);
		rc = ERR_EXISTS;
	}
	if (!rc)
		*seq_out = seq;
	return rc;
}

err_t pg_audit_append(struct store_conn *base, struct audit_entry *e)
{
	struct pg_conn *c = pgc(base);
	int64_t seq = 0;
	err_t rc;

	if (base->in_tx) {
		rc = audit_append_locked(c, e, &seq);
		if (!rc)
			e->seq = seq;
		return rc;
	}
	/*
	 * Outside a transaction the lock would be released at once: make one.
	 * READ COMMITTED whatever the server's default, so that the read after
	 * the lock sees the last entry; in_tx meanwhile, so that a broken
	 * connection is not silently made again in the middle of it.
	 */
	rc = pg_simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED", "audit begin");
	if (rc)
		return rc;
	base->in_tx = true;
	rc = audit_append_locked(c, e, &seq);
	if (!rc)
		rc = pg_simple(c, "COMMIT", "audit commit");
	if (rc)
		pg_simple(c, "ROLLBACK", "audit rollback");
	base->in_tx = false;
	if (rc)
		return rc;
	e->seq = seq;
	return ERR_OK;
}

/* Rows per statement of pg_audit_list: a whole chain (store_audit_verify)
 * is walked in pages rather than held in memory at once. */
#define AUDIT_PAGE 1000

err_t pg_audit_list(struct store_conn *base, const struct audit_filter *f,
		    err_t (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct pg_conn *c = pgc(base);
	int64_t after = f->after_seq;
	size_t left = f->limit; /* 0: no limit */
	err_t rc = ERR_OK;

	for (;;) {
		struct pg_params p = {0};
		size_t want = AUDIT_PAGE;
		if (f->limit && left < want)
			want = left;
		pp_int(&p, after);
		pp_int(&p, f->from);
		pp_int(&p, f->to);
		pp_int(&p, f->org_id);
		pp_text(&p, f->object);
		pp_text(&p, f->kind);
		pp_int(&p, (int64_t)want);
		PGresult *r = srun(c, PS_AUDIT_ALL, &p, "audit list", &rc);
		if (!r)
			return rc;
		int n = PQntuples(r);
		for (int i = 0; !rc && i < n; i++) {
			unsigned char prev[32], hash[32];
			/* A hash that is not 32 bytes: report the row rather than fail. */
			if (!pg_unhex(PQgetvalue(r, i, 7), prev, sizeof(prev)))
				memset(prev, 0, sizeof(prev));
			if (!pg_unhex(PQgetvalue(r, i, 8), hash, sizeof(hash)))
				memset(hash, 0, sizeof(hash));
			struct audit_row row = {
				.seq = pg_int(r, i, 0),
				.time = pg_int(r, i, 1),
				.kind = PQgetvalue(r, i, 2),
				.user_id = pg_int(r, i, 3),
				.org_id = pg_int(r, i, 4),
				.object = PQgetvalue(r, i, 5),
				.detail = PQgetvalue(r, i, 6),
				.prev = prev,
				.hash = hash,
			};
			after = row.seq;
			rc = fn(ctx, &row);
		}
		PQclear(r);
		if (rc || (size_t)n < want)
			return rc;
		if (f->limit) {
			left -= want;
			if (!left)
				return ERR_OK;
		}
	}
}
