/*
 * store_sqlite_share.c - the SQLite back end's tables of the sharing rules:
 * scopes and scope markings, agreements, their members and objections,
 * collection defaults, grants on objects, share requests and their answers,
 * and the hash-chained audit log. Same conventions as store_sqlite.c.
 */
#include <jansson.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/sec.h"
#include "store_sqlite_int.h"
#include "../common/banned.h"

static const char *const share_sql[SS__COUNT] = {
	[SS_SCOPE_FIND] = "SELECT id FROM scopes WHERE canon = ?1",
	[SS_SCOPE_ADD] = "INSERT INTO scopes(canon) VALUES(?1)",
	[SS_SCOPE_MEMBER_ADD] =
		"INSERT OR IGNORE INTO scope_members(principal, scope_id) VALUES(?1, ?2)",
	[SS_SCOPE_MEMBERS] =
		"SELECT principal FROM scope_members WHERE scope_id = ?1 ORDER BY principal",
	[SS_MARKING_ADD] = "INSERT OR IGNORE INTO scope_markings(stix_id, org_id, scope_id) "
			   "VALUES(?1, ?2, ?3)",
	[SS_MARKING_FIND] = "SELECT org_id, scope_id FROM scope_markings WHERE stix_id = ?1",
	[SS_AG_FIND_KEY] = "SELECT id, key, root_id, loaded, generation, definition FROM "
			   "agreements WHERE key = ?1",
	[SS_AG_FIND_ROOT] = "SELECT id, key, root_id, loaded, generation, definition FROM "
			    "agreements WHERE root_id = ?1",
	[SS_AG_INSERT] = "INSERT INTO agreements(key, root_id, definition, loaded, generation) "
			 "VALUES(?1, ?2, ?3, ?4, 1)",
	[SS_AG_UPDATE] = "UPDATE agreements SET definition = ?2, loaded = ?3, generation = "
			 "generation + 1 WHERE id = ?1",
	[SS_AG_LIST] = "SELECT id, key, root_id, loaded, generation FROM agreements ORDER BY id",
	[SS_AG_MEMBERS_DEL] = "DELETE FROM agreement_members WHERE agreement_id = ?1",
	[SS_AG_MEMBER_ADD] = "INSERT INTO agreement_members(agreement_id, org_id, role, label) "
			     "VALUES(?1, ?2, ?3, ?4)",
	[SS_AG_MEMBERS] = "SELECT org_id, role, label FROM agreement_members WHERE agreement_id = "
			  "?1 ORDER BY role, org_id",
	[SS_AG_BUMP] = "UPDATE agreements SET generation = generation + 1 WHERE id = ?1",
	[SS_OBJECTION_ADD] =
		"INSERT INTO objections(agreement_id, org_id, user_id, filed_on, filed_at, reason) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[SS_OBJECTIONS] = "SELECT id, org_id, user_id, filed_on, filed_at, reason FROM objections "
			  "WHERE agreement_id = ?1 ORDER BY id",
	[SS_COLL_SET_DEFAULTS] =
		"UPDATE collections SET default_scope_id = ?2, default_category = ?3 WHERE id = ?1",
	[SS_COLL_DEFAULTS] =
		"SELECT default_scope_id, default_category FROM collections WHERE id = ?1",
	[SS_GRANT_ADD] = "INSERT INTO object_grants(collection_id, stix_id, principal, by_user, "
			 "request_id, created) "
			 "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[SS_GRANT_REVOKE] = "DELETE FROM object_grants WHERE collection_id = ?1 AND stix_id = ?2 "
			    "AND principal = ?3",
	[SS_GRANT_LIST] =
		"SELECT id, collection_id, stix_id, principal, by_user, request_id, created "
		"FROM object_grants WHERE collection_id = ?1 AND stix_id = ?2 ORDER BY id",
	[SS_SHARE_ADD] =
		"INSERT INTO share_requests(uuid, collection_id, stix_id, target_org, target_user, "
		"requester_user, requester_org, provider_org, need, status, reason, created, "
		"decided, required) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?13)",
	[SS_SHARE_GET] =
		"SELECT id, uuid, collection_id, stix_id, target_org, target_user, requester_user, "
		"requester_org, provider_org, need, status, reason, created, decided, required "
		"FROM share_requests WHERE uuid = ?1",
	[SS_SHARE_LIST] =
		"SELECT id, uuid, collection_id, stix_id, target_org, target_user, requester_user, "
		"requester_org, provider_org, need, status, reason, created, decided, required "
		"FROM share_requests WHERE (?1 = 0 OR requester_org = ?1) AND (?2 < 0 OR status = "
		"?2) "
		"ORDER BY id",
	[SS_SHARE_STATUS] = "UPDATE share_requests SET status = ?2, decided = ?3 WHERE id = ?1",
	[SS_SHARE_ANSWER] =
		"INSERT INTO share_answers(request_id, org_id, user_id, approve, reason, time) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[SS_SHARE_ANSWERS] =
		"SELECT request_id, org_id, user_id, approve, reason, time FROM share_answers "
		"WHERE request_id = ?1 ORDER BY time, org_id",
	[SS_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	[SS_AUDIT_ADD] =
		"INSERT INTO audit(seq, time, kind, user_id, org_id, object, detail, prev, hash) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[SS_AUDIT_ALL] =
		"SELECT seq, time, kind, user_id, org_id, object, detail, prev, hash FROM audit "
		"WHERE seq > ?1 AND (?2 = 0 OR time >= ?2) AND (?3 = 0 OR time <= ?3) "
		"AND (?4 = 0 OR org_id = ?4) AND (?5 IS NULL OR object = ?5) "
		"AND (?6 IS NULL OR substr(kind, 1, length(?6)) = ?6) ORDER BY seq LIMIT ?7",
};

err_t sqlite_share_prepare(struct sqlite_conn *c)
{
	for (int i = 0; i < SS__COUNT; i++) {
		int rc = sqlite3_prepare_v3(c->db, share_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &c->share[i], NULL);
		if (rc)
			return fail(c, rc, share_sql[i]);
	}
	return ERR_OK;
}

void sqlite_share_finalize(struct sqlite_conn *c)
{
	for (int i = 0; i < SS__COUNT; i++) {
		sqlite3_finalize(c->share[i]);
		c->share[i] = NULL;
	}
}

static sqlite3_stmt *sstmt(struct sqlite_conn *c, enum share_stmt_id id)
{
	sqlite3_stmt *s = c->share[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sq_before_step(c, s);
	return s;
}

/* ---- scopes ---- */

static err_t scope_member_add(struct sqlite_conn *c, int64_t principal, int64_t scope)
{
	sqlite3_stmt *s = sstmt(c, SS_SCOPE_MEMBER_ADD);
	sqlite3_bind_int64(s, 1, principal);
	sqlite3_bind_int64(s, 2, scope);
	return exec_done(c, s, "scope member add");
}

err_t sq_scope_get_or_add(struct store_conn *base, const struct scope_def *def, int64_t *id)
{
	struct sqlite_conn *c = sq(base);
	struct scope_canon sc;
	err_t rc = store_scope_canon(def, &sc);
	if (rc)
		return rc;
	sqlite3_stmt *s = sstmt(c, SS_SCOPE_FIND);
	bind_text(s, 1, buf_cstr(&sc.text));
	rc = one_int64(c, s, "scope find", id);
	if (rc != ERR_NOTFOUND)
		goto out;
	s = sstmt(c, SS_SCOPE_ADD);
	bind_text(s, 1, buf_cstr(&sc.text));
	rc = exec_done(c, s, "scope add");
	if (rc)
		goto out;
	*id = sqlite3_last_insert_rowid(c->db);
	for (size_t i = 0; !rc && i < sc.n_members; i++)
		rc = scope_member_add(c, sc.members[i], *id);
out:
	store_scope_canon_release(&sc);
	return rc;
}

err_t sq_scope_members(struct store_conn *base, int64_t scope_id,
		       err_t (*fn)(void *, int64_t principal), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SCOPE_MEMBERS);
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, scope_id);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW)
		rc = fn(ctx, sqlite3_column_int64(s, 0));
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "scope members");
	sqlite3_reset(s);
	return rc;
}

err_t sq_scope_marking_add(struct store_conn *base, const char *stix_id, int64_t org_id,
			   int64_t scope_id)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_MARKING_ADD);
	bind_text(s, 1, stix_id);
	sqlite3_bind_int64(s, 2, org_id);
	sqlite3_bind_int64(s, 3, scope_id);
	return exec_done(c, s, "scope marking add");
}

err_t sq_scope_marking_find(struct store_conn *base, const char *stix_id, int64_t *org_id,
			    int64_t *scope_id)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_MARKING_FIND);
	bind_text(s, 1, stix_id);
	err_t rc = one_row(c, s, "scope marking find");
	if (rc)
		return rc;
	*org_id = sqlite3_column_int64(s, 0);
	*scope_id = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return ERR_OK;
}

/* ---- agreements ---- */

static void agreement_from_row(sqlite3_stmt *s, struct agreement_row *a)
{
	a->id = sqlite3_column_int64(s, 0);
	copy_col(a->key, sizeof(a->key), s, 1);
	a->root_id = sqlite3_column_int64(s, 2);
	a->loaded = sqlite3_column_int64(s, 3);
	a->generation = sqlite3_column_int64(s, 4);
}

err_t sq_agreement_put(struct store_conn *base, struct agreement_row *a, const char *definition,
		       const struct agreement_member *members, size_t n_members)
{
	struct sqlite_conn *c = sq(base);
	struct agreement_row old;
	sqlite3_stmt *s = sstmt(c, SS_AG_FIND_KEY);
	err_t rc;

	bind_text(s, 1, a->key);
	rc = one_row(c, s, "agreement find");
	if (rc == ERR_OK) {
		agreement_from_row(s, &old);
		sqlite3_reset(s);
		if (old.root_id != a->root_id)
			return ERR_CONFLICT; /* an agreement keeps its API root */
		s = sstmt(c, SS_AG_UPDATE);
		sqlite3_bind_int64(s, 1, old.id);
		bind_text(s, 2, definition);
		sqlite3_bind_int64(s, 3, a->loaded);
		rc = exec_done(c, s, "agreement update");
		a->id = old.id;
		a->generation = old.generation + 1;
	} else if (rc == ERR_NOTFOUND) {
		s = sstmt(c, SS_AG_INSERT);
		bind_text(s, 1, a->key);
		sqlite3_bind_int64(s, 2, a->root_id);
		bind_text(s, 3, definition);
		sqlite3_bind_int64(s, 4, a->loaded);
		rc = exec_done(c, s, "agreement insert");
		a->id = sqlite3_last_insert_rowid(c->db);
		a->generation = 1;
	}
	if (rc)
		return rc;
	s = sstmt(c, SS_AG_MEMBERS_DEL);
	sqlite3_bind_int64(s, 1, a->id);
	rc = exec_done(c, s, "agreement members delete");
	for (size_t i = 0; !rc && i < n_members; i++) {
		s = sstmt(c, SS_AG_MEMBER_ADD);
		sqlite3_bind_int64(s, 1, a->id);
		sqlite3_bind_int64(s, 2, members[i].org_id);
		sqlite3_bind_int(s, 3, members[i].role);
		bind_text(s, 4, members[i].label);
		rc = exec_done(c, s, "agreement member add");
	}
	return rc;
}

err_t sq_agreement_get(struct store_conn *base, const char *key, int64_t root_id,
		       struct agreement_row *a, char **definition)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s;
	if (key) {
		s = sstmt(c, SS_AG_FIND_KEY);
		bind_text(s, 1, key);
	} else {
		s = sstmt(c, SS_AG_FIND_ROOT);
		sqlite3_bind_int64(s, 1, root_id);
	}
	err_t rc = one_row(c, s, "agreement get");
	if (rc)
		return rc;
	agreement_from_row(s, a);
	if (definition)
		rc = dup_col(s, 5, definition, NULL);
	sqlite3_reset(s);
	return rc;
}

err_t sq_agreement_list(struct store_conn *base, err_t (*fn)(void *, const struct agreement_row *),
			void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_AG_LIST);
	struct agreement_row a;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		agreement_from_row(s, &a);
		rc = fn(ctx, &a);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "agreement list");
	sqlite3_reset(s);
	return rc;
}

err_t sq_agreement_members(struct store_conn *base, int64_t agreement_id,
			   err_t (*fn)(void *, const struct agreement_member *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_AG_MEMBERS);
	struct agreement_member m;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, agreement_id);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		m.org_id = sqlite3_column_int64(s, 0);
		m.role = sqlite3_column_int(s, 1);
		copy_col(m.label, sizeof(m.label), s, 2);
		rc = fn(ctx, &m);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "agreement members");
	sqlite3_reset(s);
	return rc;
}

err_t sq_objection_add(struct store_conn *base, int64_t agreement_id, struct objection *o)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_OBJECTION_ADD);
	sqlite3_bind_int64(s, 1, agreement_id);
	sqlite3_bind_int64(s, 2, o->org_id);
	sqlite3_bind_int64(s, 3, o->user_id);
	sqlite3_bind_int64(s, 4, o->filed_on);
	sqlite3_bind_int64(s, 5, o->filed_at);
	bind_text(s, 6, o->reason);
	err_t rc = exec_done(c, s, "objection add");
	if (rc)
		return rc;
	o->id = sqlite3_last_insert_rowid(c->db);
	s = sstmt(c, SS_AG_BUMP);
	sqlite3_bind_int64(s, 1, agreement_id);
	return exec_done(c, s, "agreement bump");
}

err_t sq_objection_list(struct store_conn *base, int64_t agreement_id,
			err_t (*fn)(void *, const struct objection *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_OBJECTIONS);
	struct objection o;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, agreement_id);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		o.id = sqlite3_column_int64(s, 0);
		o.org_id = sqlite3_column_int64(s, 1);
		o.user_id = sqlite3_column_int64(s, 2);
		o.filed_on = sqlite3_column_int64(s, 3);
		o.filed_at = sqlite3_column_int64(s, 4);
		copy_col(o.reason, sizeof(o.reason), s, 5);
		rc = fn(ctx, &o);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "objection list");
	sqlite3_reset(s);
	return rc;
}

err_t sq_collection_set_defaults(struct store_conn *base, int64_t collection_id, int64_t scope_id,
				 int category)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_COLL_SET_DEFAULTS);
	sqlite3_bind_int64(s, 1, collection_id);
	sqlite3_bind_int64(s, 2, scope_id);
	sqlite3_bind_int(s, 3, category);
	return update_by_id(c, s, "collection defaults");
}

err_t sq_collection_defaults(struct store_conn *base, int64_t collection_id, int64_t *scope_id,
			     int *category)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_COLL_DEFAULTS);
	sqlite3_bind_int64(s, 1, collection_id);
	err_t rc = one_row(c, s, "collection defaults");
	if (rc)
		return rc;
	*scope_id = sqlite3_column_int64(s, 0);
	*category = sqlite3_column_int(s, 1);
	sqlite3_reset(s);
	return ERR_OK;
}

/* ---- grants on objects ---- */

err_t sq_grant_object_add(struct store_conn *base, struct object_grant *g)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_GRANT_ADD);
	sqlite3_bind_int64(s, 1, g->collection_id);
	bind_text(s, 2, g->stix_id);
	sqlite3_bind_int64(s, 3, g->principal);
	sqlite3_bind_int64(s, 4, g->by_user);
	sqlite3_bind_int64(s, 5, g->request_id);
	sqlite3_bind_int64(s, 6, g->created);
	err_t rc = exec_done(c, s, "grant add");
	if (!rc)
		g->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

err_t sq_grant_object_revoke(struct store_conn *base, int64_t collection_id, const char *stix_id,
			     int64_t principal)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_GRANT_REVOKE);
	sqlite3_bind_int64(s, 1, collection_id);
	bind_text(s, 2, stix_id);
	sqlite3_bind_int64(s, 3, principal);
	return update_by_id(c, s, "grant revoke");
}

err_t sq_grant_object_list(struct store_conn *base, int64_t collection_id, const char *stix_id,
			   err_t (*fn)(void *, const struct object_grant *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_GRANT_LIST);
	struct object_grant g;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, collection_id);
	bind_text(s, 2, stix_id);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		g.id = sqlite3_column_int64(s, 0);
		g.collection_id = sqlite3_column_int64(s, 1);
		copy_col(g.stix_id, sizeof(g.stix_id), s, 2);
		g.principal = sqlite3_column_int64(s, 3);
		g.by_user = sqlite3_column_int64(s, 4);
		g.request_id = sqlite3_column_int64(s, 5);
		g.created = sqlite3_column_int64(s, 6);
		rc = fn(ctx, &g);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "grant list");
	sqlite3_reset(s);
	return rc;
}

/* ---- share requests ---- */

static void share_from_row(sqlite3_stmt *s, struct share_request *r)
{
	r->id = sqlite3_column_int64(s, 0);
	copy_col(r->uuid, sizeof(r->uuid), s, 1);
	r->collection_id = sqlite3_column_int64(s, 2);
	copy_col(r->stix_id, sizeof(r->stix_id), s, 3);
	r->target_org = sqlite3_column_int64(s, 4);
	r->target_user = sqlite3_column_int64(s, 5);
	r->requester_user = sqlite3_column_int64(s, 6);
	r->requester_org = sqlite3_column_int64(s, 7);
	r->provider_org = sqlite3_column_int64(s, 8);
	r->need = sqlite3_column_int(s, 9);
	r->status = sqlite3_column_int(s, 10);
	copy_col(r->reason, sizeof(r->reason), s, 11);
	r->created = sqlite3_column_int64(s, 12);
	r->decided = sqlite3_column_int64(s, 13);
	copy_col(r->required, sizeof(r->required), s, 14);
}

err_t sq_share_add(struct store_conn *base, struct share_request *r)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_ADD);
	bind_text(s, 1, r->uuid);
	sqlite3_bind_int64(s, 2, r->collection_id);
	bind_text(s, 3, r->stix_id);
	sqlite3_bind_int64(s, 4, r->target_org);
	sqlite3_bind_int64(s, 5, r->target_user);
	sqlite3_bind_int64(s, 6, r->requester_user);
	sqlite3_bind_int64(s, 7, r->requester_org);
	sqlite3_bind_int64(s, 8, r->provider_org);
	sqlite3_bind_int(s, 9, r->need);
	sqlite3_bind_int(s, 10, r->status);
	bind_text(s, 11, r->reason);
	sqlite3_bind_int64(s, 12, r->created);
	bind_text(s, 13, r->required);
	sqlite3_bind_int64(s, 14, r->decided);
	err_t rc = exec_done(c, s, "share add");
	if (!rc)
		r->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

err_t sq_share_get(struct store_conn *base, const char *uuid, struct share_request *r)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_GET);
	bind_text(s, 1, uuid);
	err_t rc = one_row(c, s, "share get");
	if (rc)
		return rc;
	share_from_row(s, r);
	sqlite3_reset(s);
	return ERR_OK;
}

err_t sq_share_list(struct store_conn *base, int64_t filed_by_org, int status,
		    err_t (*fn)(void *, const struct share_request *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_LIST);
	struct share_request r;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, filed_by_org);
	sqlite3_bind_int(s, 2, status);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		share_from_row(s, &r);
		rc = fn(ctx, &r);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "share list");
	sqlite3_reset(s);
	return rc;
}

err_t sq_share_set_status(struct store_conn *base, int64_t id, int status, int64_t decided)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_STATUS);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, status);
	sqlite3_bind_int64(s, 3, decided);
	return update_by_id(c, s, "share status");
}

err_t sq_share_answer(struct store_conn *base, const struct share_approval *a)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_ANSWER);
	sqlite3_bind_int64(s, 1, a->request_id);
	sqlite3_bind_int64(s, 2, a->org_id);
	sqlite3_bind_int64(s, 3, a->user_id);
	sqlite3_bind_int(s, 4, a->approve);
	bind_text(s, 5, a->reason);
	sqlite3_bind_int64(s, 6, a->time);
	return exec_done(c, s, "share answer");
}

err_t sq_share_answers(struct store_conn *base, int64_t request_id,
		       err_t (*fn)(void *, const struct share_approval *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_SHARE_ANSWERS);
	struct share_approval a;
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, request_id);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		a.request_id = sqlite3_column_int64(s, 0);
		a.org_id = sqlite3_column_int64(s, 1);
		a.user_id = sqlite3_column_int64(s, 2);
		a.approve = sqlite3_column_int(s, 3) != 0;
		copy_col(a.reason, sizeof(a.reason), s, 4);
		a.time = sqlite3_column_int64(s, 5);
		rc = fn(ctx, &a);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "share answers");
	sqlite3_reset(s);
	return rc;
}

/* ---- audit ---- */

err_t sq_audit_append(struct store_conn *base, struct audit_entry *e)
{
	struct sqlite_conn *c = sq(base);
	unsigned char prev[32] = {0};
	int64_t seq = 1;
	sqlite3_stmt *s = sstmt(c, SS_AUDIT_LAST);
	err_t rc = one_row(c, s, "audit last");

	if (rc == ERR_OK) {
		seq = sqlite3_column_int64(s, 0) + 1;
		if (sqlite3_column_bytes(s, 1) == 32)
			memcpy(prev, sqlite3_column_blob(s, 1), 32);
		sqlite3_reset(s);
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	const char *object = e->object ? e->object : "";
	const char *detail = e->detail ? e->detail : "{}";
	rc = store_audit_hash(prev, seq, e->time, e->kind, e->user_id, e->org_id, object, detail,
			      e->hash);
	if (rc)
		return rc;
	s = sstmt(c, SS_AUDIT_ADD);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, e->time);
	bind_text(s, 3, e->kind);
	sqlite3_bind_int64(s, 4, e->user_id);
	sqlite3_bind_int64(s, 5, e->org_id);
	bind_text(s, 6, object);
	bind_text(s, 7, detail);
	sqlite3_bind_blob(s, 8, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, e->hash, 32, SQLITE_STATIC);
	rc = exec_done(c, s, "audit add");
	if (!rc)
		e->seq = seq;
	return rc;
}

err_t sq_audit_list(struct store_conn *base, const struct audit_filter *f,
		    err_t (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = sstmt(c, SS_AUDIT_ALL);
	int src = SQLITE_DONE;
	err_t rc = ERR_OK;
	sqlite3_bind_int64(s, 1, f->after_seq);
	sqlite3_bind_int64(s, 2, f->from);
	sqlite3_bind_int64(s, 3, f->to);
	sqlite3_bind_int64(s, 4, f->org_id);
	if (f->object)
		bind_text(s, 5, f->object);
	if (f->kind)
		bind_text(s, 6, f->kind);
	sqlite3_bind_int64(s, 7, f->limit ? (int64_t)f->limit : -1);
	while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
		struct audit_row r = {
			.seq = sqlite3_column_int64(s, 0),
			.time = sqlite3_column_int64(s, 1),
			.kind = (const char *)sqlite3_column_text(s, 2),
			.user_id = sqlite3_column_int64(s, 3),
			.org_id = sqlite3_column_int64(s, 4),
			.object = (const char *)sqlite3_column_text(s, 5),
			.detail = (const char *)sqlite3_column_text(s, 6),
			.prev = sqlite3_column_blob(s, 7),
			.hash = sqlite3_column_blob(s, 8),
		};
		if (!r.kind || !r.object || !r.detail || sqlite3_column_bytes(s, 7) != 32 ||
		    sqlite3_column_bytes(s, 8) != 32) {
			/* A row that is not well formed: report it rather than crash. */
			static const unsigned char zero[32];
			r.kind = r.kind ? r.kind : "";
			r.object = r.object ? r.object : "";
			r.detail = r.detail ? r.detail : "";
			if (sqlite3_column_bytes(s, 7) != 32)
				r.prev = zero;
			if (sqlite3_column_bytes(s, 8) != 32)
				r.hash = zero;
		}
		rc = fn(ctx, &r);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_ROW)
		rc = fail(c, src, "audit list");
	sqlite3_reset(s);
	return rc;
}
