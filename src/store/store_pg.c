/*
 * store_pg.c - the PostgreSQL back end: several renkei nodes on one database.
 *
 * The same tables and the same behaviour as store_sqlite.c (docs/postgresql.md
 * tells what differs underneath). Three things matter when several nodes
 * write at once:
 *
 * - Page order. A transaction that adds objects to a collection first takes
 *   that collection's advisory lock and holds it to commit, then reads the
 *   highest date_added. So within a collection, date_added and seq grow in
 *   commit order: a row that commits late can never sort before a row that
 *   a reader has already seen, and a `next` cursor or `added_after` never
 *   skips it. Writers to one collection take turns; writers to different
 *   collections do not wait for each other.
 * - The audit chain: one advisory lock orders appenders (store_pg_share.c).
 * - Keys taken: inserts use ON CONFLICT DO NOTHING, so a transaction is never
 *   aborted by a key that is merely taken.
 *
 * Depends on common/ and <libpq-fe.h>, which no other folder includes.
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "store_pg_int.h"
#include "store_pg_schema.h"
#include "../common/banned.h"

/* ---- running statements ---- */

err_t pg_fail(struct pg_conn *c, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && !strcmp(state, "23505"))
		return ERR_EXISTS;
	const char *msg = r ? PQresultErrorMessage(r) : NULL;
	if (!msg || !*msg)
		msg = c && c->db ? PQerrorMessage(c->db) : "no connection";
	log_error("postgresql: %s: %.*s", what, (int)strcspn(msg, "\n"), msg);
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03") || !strcmp(state, "57014")))
		return ERR_BUSY;
	return ERR_STORE;
}

/*
 * A connection that broke outside a transaction is made again once, so that
 * a restarted or failed-over server costs one error at most, not the pool.
 */
static bool pg_revive(struct pg_conn *c)
{
	if (PQstatus(c->db) == CONNECTION_OK || c->base.in_tx)
		return false;
	PQreset(c->db);
	if (PQstatus(c->db) != CONNECTION_OK)
		return false;
	memset(c->prepared, 0, sizeof(c->prepared));
	c->n_shapes = 0;
	log_info("postgresql: connection re-established");
	return true;
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

PGresult *pg_run(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
		 const char *what, err_t *rc)
{
	char name[16];
	PGresult *r = NULL;

	*rc = ERR_OK;
	if (id < 0 || id >= PG_STMT_MAX) {
		*rc = ERR_INTERNAL;
		return NULL;
	}
	snprintf(name, sizeof(name), "r%d", id);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!(c->prepared[id / 8] & (1u << (id % 8)))) {
			r = PQprepare(c->db, name, sql, 0, NULL);
			if (!result_ok(r)) {
				if (attempt == 0 && PQstatus(c->db) != CONNECTION_OK &&
				    pg_revive(c)) {
					PQclear(r);
					continue;
				}
				*rc = pg_fail(c, r, what);
				PQclear(r);
				return NULL;
			}
			PQclear(r);
			c->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
		}
		r = PQexecPrepared(c->db, name, p ? p->n : 0, p ? p->v : NULL, NULL, NULL, 0);
		if (result_ok(r))
			return r;
		if (attempt == 0 && PQstatus(c->db) != CONNECTION_OK && pg_revive(c)) {
			PQclear(r);
			continue;
		}
		*rc = pg_fail(c, r, what);
		PQclear(r);
		return NULL;
	}
	*rc = ERR_STORE;
	return NULL;
}

err_t pg_exec(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
	      const char *what, int64_t *changed)
{
	err_t rc;
	PGresult *r = pg_run(c, id, sql, p, what, &rc);
	if (!r)
		return rc;
	if (changed) {
		const char *n = PQcmdTuples(r);
		*changed = *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(r);
	return ERR_OK;
}

err_t pg_one_int64(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
		   const char *what, int64_t *out)
{
	err_t rc;
	PGresult *r = pg_run(c, id, sql, p, what, &rc);
	if (!r)
		return rc;
	if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0))
		rc = ERR_NOTFOUND;
	else
		*out = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

err_t pg_simple(struct pg_conn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c->db, sql);
	if (!result_ok(r) && PQstatus(c->db) != CONNECTION_OK && pg_revive(c)) {
		PQclear(r);
		r = PQexec(c->db, sql);
	}
	err_t rc = result_ok(r) ? ERR_OK : pg_fail(c, r, what);
	PQclear(r);
	return rc;
}

void pg_hex(const unsigned char *v, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool pg_unhex(const char *s, unsigned char *v, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		v[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* ---- the statements of this file ---- */

enum pg_stmt_id {
	P_ORG_ADD,
	P_ORG_GET_ID,
	P_ORG_GET_NAME,
	P_ORG_LIST,
	P_ORG_IDENTITY,
	P_IDENTITY_ORG,
	P_IDENTITY_USER,
	P_USER_ADD,
	P_USER_GET_ID,
	P_USER_GET_NAME,
	P_USER_LIST,
	P_USER_DISABLE,
	P_USER_PASSWD,
	P_TOKEN_ADD,
	P_TOKEN_LOOKUP,
	P_TOKEN_LIST,
	P_TOKEN_REVOKE,
	P_ROOT_ADD,
	P_ROOT_FIND,
	P_ROOT_LIST,
	P_COLL_ADD,
	P_COLL_GET,
	P_COLL_FIND,
	P_COLL_LIST,
	P_GRANT_SET,
	P_GRANT_GET,
	P_OWNER_GET,
	P_OWNER_ADD,
	P_OBJ_SAME_VERSION,
	P_OBJ_BODY_ANY,
	P_OBJ_INSERT,
	P_OBJ_CLAIM_INSERT,
	P_COLL_LOCK,
	P_OBJ_MAX_ADDED,
	P_VISIBLE_SCOPES,
	P_OBJ_COUNT,
	P_OBJ_SEEN,
	P_STATUS_PUT,
	P_STATUS_GET,
	P_STATUS_PURGE,
	P_WAL_WRITTEN,
	P_WAL_REPLAYED,
	P__COUNT
};

#define ORG_COLS   "id, name, title, identity_id, created"
#define USER_COLS  "id, org_id, name, identity_id, roles, disabled, pw_hash, created"
#define TOKEN_COLS "id, user_id, label, prefix, created, expires, revoked"
#define COLL_COLS  "id, root_id, uuid, title, description, coalesce(alias, '')"

/* A version's is_last (is_first): no later (earlier) version is stored
 * (migration 4; its triggers clear the other versions' flags). Puts into a
 * collection hold its lock (pg_next_date_added), so each sees the others'
 * rows. */
#define PG_INSERT_VERSION                                                                          \
	"INSERT INTO objects(collection_id, stix_id, type, spec_version, version, date_added, "    \
	"org_id, scope_id, tlp, category, body, is_last, is_first) "                               \
	"SELECT $1::bigint, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint, "    \
	"$8::bigint, $9::int, $10::int, $11::text, (NOT EXISTS (SELECT 1 FROM objects WHERE "      \
	"collection_id = $1 AND stix_id = $2 AND version > $5))::int, (NOT EXISTS (SELECT 1 "      \
	"FROM objects WHERE collection_id = $1 AND stix_id = $2 AND version < $5))::int"

static const char *const stmt_sql[P__COUNT] = {
	[P_ORG_ADD] = "INSERT INTO orgs(name, title, identity_id, identity, created) "
		      "VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
	[P_ORG_GET_ID] = "SELECT " ORG_COLS " FROM orgs WHERE id = $1",
	[P_ORG_GET_NAME] = "SELECT " ORG_COLS " FROM orgs WHERE name = $1",
	[P_ORG_LIST] = "SELECT " ORG_COLS " FROM orgs ORDER BY id",
	[P_ORG_IDENTITY] = "SELECT identity FROM orgs WHERE id = $1",
	[P_IDENTITY_ORG] = "SELECT id FROM orgs WHERE identity_id = $1",
	[P_IDENTITY_USER] = "SELECT id FROM users WHERE identity_id = $1",
	[P_USER_ADD] = "INSERT INTO users(org_id, name, identity_id, roles, disabled, pw_hash, "
		       "created) VALUES($1, $2, $3, $4, $5::int <> 0, $6, $7) "
		       "ON CONFLICT DO NOTHING RETURNING id",
	[P_USER_GET_ID] = "SELECT " USER_COLS " FROM users WHERE id = $1",
	[P_USER_GET_NAME] = "SELECT " USER_COLS " FROM users WHERE name = $1",
	[P_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY id",
	[P_USER_DISABLE] = "UPDATE users SET disabled = $2::int <> 0 WHERE id = $1",
	[P_USER_PASSWD] = "UPDATE users SET pw_hash = $2 WHERE id = $1",
	[P_TOKEN_ADD] = "INSERT INTO tokens(user_id, hash, label, prefix, created, expires) "
			"VALUES($1, decode($2, 'hex'), $3, $4, $5, $6) "
			"ON CONFLICT DO NOTHING RETURNING id",
	[P_TOKEN_LOOKUP] = "SELECT " TOKEN_COLS " FROM tokens WHERE hash = decode($1, 'hex')",
	[P_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM tokens WHERE $1::bigint = 0 OR user_id = "
			 "$1::bigint ORDER BY id",
	[P_TOKEN_REVOKE] = "UPDATE tokens SET revoked = true WHERE id = $1",
	[P_ROOT_ADD] = "INSERT INTO api_roots(name, title, description) VALUES($1, $2, $3) "
		       "ON CONFLICT DO NOTHING RETURNING id",
	[P_ROOT_FIND] = "SELECT id, name, title, description FROM api_roots WHERE name = $1",
	[P_ROOT_LIST] = "SELECT id, name, title, description FROM api_roots ORDER BY id",
	[P_COLL_ADD] = "INSERT INTO collections(root_id, uuid, title, description, alias) "
		       "VALUES($1, $2, $3, $4, NULLIF($5, '')) ON CONFLICT DO NOTHING RETURNING id",
	[P_COLL_GET] = "SELECT " COLL_COLS " FROM collections WHERE id = $1",
	[P_COLL_FIND] = "SELECT " COLL_COLS " FROM collections WHERE root_id = $1 AND (uuid = "
			"$2 OR alias = $2)",
	[P_COLL_LIST] = "SELECT " COLL_COLS " FROM collections WHERE root_id = $1 ORDER BY id",
	[P_GRANT_SET] = "INSERT INTO grants(collection_id, org_id, can_read, can_write) "
			"VALUES($1, $2, $3::int <> 0, $4::int <> 0) "
			"ON CONFLICT(collection_id, org_id) DO UPDATE SET can_read = "
			"excluded.can_read, can_write = excluded.can_write",
	[P_GRANT_GET] = "SELECT can_read, can_write FROM grants WHERE collection_id = $1 AND "
			"org_id = $2",
	[P_OWNER_GET] = "SELECT org_id FROM object_owners WHERE stix_id = $1",
	[P_OWNER_ADD] = "INSERT INTO object_owners(stix_id, org_id) VALUES($1, $2) "
			"ON CONFLICT(stix_id) DO NOTHING",
	[P_OBJ_SAME_VERSION] = "SELECT body FROM objects WHERE collection_id = $1 AND stix_id = "
			       "$2 AND version = $3",
	[P_OBJ_BODY_ANY] = "SELECT version FROM objects WHERE collection_id = $1 AND stix_id = $2 "
			   "AND body = $3 AND org_id = $4 LIMIT 1",
	[P_OBJ_INSERT] = PG_INSERT_VERSION " ON CONFLICT DO NOTHING RETURNING seq",
	/* A new id: claim it and store the version in one round trip. */
	[P_OBJ_CLAIM_INSERT] =
		"WITH claim AS (INSERT INTO object_owners(stix_id, org_id) "
		"VALUES($2, $7) ON CONFLICT(stix_id) DO NOTHING RETURNING 1) " PG_INSERT_VERSION
		" FROM claim ON CONFLICT DO NOTHING RETURNING seq",
	[P_COLL_LOCK] = "SELECT pg_advisory_xact_lock(7266294, $1::int)",
	[P_OBJ_MAX_ADDED] = "SELECT coalesce(max(date_added), 0) FROM objects WHERE "
			    "collection_id = $1",
	[P_VISIBLE_SCOPES] = "SELECT scope_id, bool_or(principal = $4) FROM scope_members WHERE "
			     "principal IN ($1, $2, $3, $4) GROUP BY scope_id ORDER BY scope_id",
	[P_OBJ_COUNT] = "SELECT count(*) FROM objects",
	[P_OBJ_SEEN] = "SELECT count(*) FROM objects WHERE collection_id = $1 AND date_added = $2 "
		       "AND seq = $3",
	[P_STATUS_PUT] = "INSERT INTO statuses(id, root_id, org_id, request_time, expires, doc) "
			 "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(id) DO UPDATE SET "
			 "root_id = excluded.root_id, org_id = excluded.org_id, request_time = "
			 "excluded.request_time, expires = excluded.expires, doc = excluded.doc",
	[P_STATUS_GET] = "SELECT root_id, org_id, request_time, doc FROM statuses WHERE id = $1 "
			 "AND expires > $2",
	[P_STATUS_PURGE] = "DELETE FROM statuses WHERE expires <= $1",
	[P_WAL_WRITTEN] = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn",
	[P_WAL_REPLAYED] = "SELECT coalesce(pg_last_wal_replay_lsn() - '0/0'::pg_lsn, 0)",
};

static PGresult *run(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		     const char *what, err_t *rc)
{
	return pg_run(c, (int)id, stmt_sql[id], p, what, rc);
}

static err_t exec(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		  const char *what, int64_t *changed)
{
	return pg_exec(c, (int)id, stmt_sql[id], p, what, changed);
}

static err_t one_int64(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		       const char *what, int64_t *out)
{
	return pg_one_int64(c, (int)id, stmt_sql[id], p, what, out);
}

/* An UPDATE by id: ERR_NOTFOUND when it touched nothing. */
static err_t update_by_id(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
			  const char *what)
{
	int64_t n = 0;
	err_t rc = exec(c, id, p, what, &n);
	return !rc && n == 0 ? ERR_NOTFOUND : rc;
}

/* An INSERT ... ON CONFLICT DO NOTHING RETURNING id: ERR_EXISTS when a
 * unique key was taken. */
static err_t insert_id(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		       const char *what, int64_t *out)
{
	err_t rc = one_int64(c, id, p, what, out);
	return rc == ERR_NOTFOUND ? ERR_EXISTS : rc;
}

/* Runs a query and hands each row to each(ctx, r, row), stopping at the
 * first error. */
static err_t each_row(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		      const char *what, err_t (*each)(void *, const PGresult *, int), void *ctx)
{
	err_t rc;
	PGresult *r = run(c, id, p, what, &rc);
	if (!r)
		return rc;
	for (int i = 0, n = PQntuples(r); i < n && !rc; i++)
		rc = each(ctx, r, i);
	PQclear(r);
	return rc;
}

/* ---- schema ---- */

static err_t migrate(struct pg_conn *c, bool standby)
{
	err_t rc;
	int64_t version = 0;
	PGresult *r;

	if (standby) {
		r = PQexec(c->db, "SELECT coalesce(max(version), 0) FROM schema_version");
		if (!result_ok(r)) {
			PQclear(r);
			log_error(
				"store: the read database has no renkei schema (is it a standby of "
				"the database?)");
			return ERR_NOTFOUND;
		}
		version = pg_int(r, 0, 0);
		PQclear(r);
		if (version != (int64_t)PG_N_MIGRATIONS) {
			log_error("store: the read database has schema version %lld, this renkei "
				  "needs %zu",
				  (long long)version, PG_N_MIGRATIONS);
			return ERR_CONFLICT;
		}
		return ERR_OK;
	}
	/* Nodes that start together migrate one after the other. */
	rc = pg_simple(c, "SELECT pg_advisory_lock(7266293, 2)", "migration lock");
	if (rc)
		return rc;
	rc = pg_simple(c, "CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)",
		       "schema_version");
	if (!rc) {
		r = PQexec(c->db, "SELECT coalesce(max(version), 0) FROM schema_version");
		if (result_ok(r) && PQntuples(r) == 1)
			version = pg_int(r, 0, 0);
		else
			rc = pg_fail(c, r, "schema version");
		PQclear(r);
	}
	if (!rc && version > (int64_t)PG_N_MIGRATIONS) {
		log_error("store: the database has schema version %lld, newer than this renkei "
			  "(%zu); refusing to run against it: upgrade renkei",
			  (long long)version, PG_N_MIGRATIONS);
		rc = ERR_CONFLICT;
	}
	for (size_t v = (size_t)version; !rc && v < PG_N_MIGRATIONS; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version VALUES(%zu)", v + 1);
		rc = pg_simple(c, "BEGIN", "migration begin");
		if (!rc)
			rc = pg_simple(c, pg_migrations[v], "migration");
		if (!rc)
			rc = pg_simple(c, bump, "migration version");
		if (!rc)
			rc = pg_simple(c, "COMMIT", "migration commit");
		if (rc) {
			log_error("store: migration %zu failed", v + 1);
			pg_simple(c, "ROLLBACK", "migration rollback");
			rc = ERR_STORE;
		} else if (version > 0) {
			log_info("store: upgraded the schema to version %zu", v + 1);
		}
	}
	err_t urc = pg_simple(c, "SELECT pg_advisory_unlock(7266293, 2)", "migration unlock");
	return rc ? rc : urc;
}

static void pg_disconnect(struct store_conn *base)
{
	struct pg_conn *c = pgc(base);
	if (!c)
		return;
	PQfinish(c->db);
	free(c);
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs (e.g. "relation exists, skipping") are not errors */
}

static err_t connect_to(const char *dsn, bool create, bool standby, struct store_conn **out)
{
	struct pg_conn *c = NULL;
	err_t rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	c->base.be = &store_pg_be;
	c->standby = standby;
	c->db = PQconnectdb(dsn);
	if (!c->db || PQstatus(c->db) != CONNECTION_OK) {
		const char *m = c->db ? PQerrorMessage(c->db) : "out of memory";
		/* The message names host and database, never the password. */
		log_error("store: cannot connect to PostgreSQL: %.*s", (int)strcspn(m, "\n"), m);
		rc = ERR_STORE;
		goto fail;
	}
	PQsetNoticeProcessor(c->db, quiet_notices, NULL);
	rc = pg_simple(c,
		       "SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; "
		       "SET application_name = 'renkei'",
		       "session settings");
	if (!rc && !standby && !create) {
		/* Not init: the schema must be there already. */
		PGresult *r = PQexec(c->db, "SELECT to_regclass('schema_version') IS NOT NULL");
		bool has = result_ok(r) && PQntuples(r) == 1 && pg_bool(r, 0, 0);
		PQclear(r);
		if (!has) {
			log_error("store: the database has no renkei schema (run 'renkei init' "
				  "first)");
			rc = ERR_NOTFOUND;
		}
	}
	if (!rc)
		rc = migrate(c, standby);
	if (rc)
		goto fail;
	*out = &c->base;
	return ERR_OK;
fail:
	pg_disconnect(&c->base);
	return rc;
}

static err_t pg_connect(const char *dsn, bool create, struct store_conn **out)
{
	return connect_to(dsn, create, false, out);
}

static err_t pg_connect_standby(const char *dsn, struct store_conn **out)
{
	return connect_to(dsn, false, true, out);
}

static err_t pg_ping(struct store_conn *base)
{
	return pg_simple(pgc(base), "SELECT 1", "ping");
}

static err_t pg_tx_begin(struct store_conn *base)
{
	return pg_simple(pgc(base), "BEGIN ISOLATION LEVEL READ COMMITTED", "begin");
}

static err_t pg_tx_commit(struct store_conn *base)
{
	return pg_simple(pgc(base), "COMMIT", "commit");
}

static void pg_tx_rollback(struct store_conn *base)
{
	struct pg_conn *c = pgc(base);
	if (PQtransactionStatus(c->db) != PQTRANS_IDLE)
		pg_simple(c, "ROLLBACK", "rollback");
}

/* ---- organisations ---- */

static void org_from_row(const PGresult *r, int i, struct org *o)
{
	o->id = pg_int(r, i, 0);
	pg_copy(o->name, sizeof(o->name), r, i, 1);
	pg_copy(o->title, sizeof(o->title), r, i, 2);
	pg_copy(o->identity_id, sizeof(o->identity_id), r, i, 3);
	o->created = pg_int(r, i, 4);
}

static err_t pg_org_add(struct store_conn *base, struct org *o, const char *identity_json)
{
	struct pg_params p = {0};
	pp_text(&p, o->name);
	pp_text(&p, o->title);
	pp_text(&p, o->identity_id);
	pp_text(&p, identity_json);
	pp_int(&p, o->created);
	return insert_id(pgc(base), P_ORG_ADD, &p, "org add", &o->id);
}

/* Runs a query for at most one row; ERR_NOTFOUND when there is none. The
 * caller PQclear()s *out. */
static err_t one_row(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		     const char *what, PGresult **out)
{
	err_t rc;
	PGresult *r = run(c, id, p, what, &rc);
	*out = NULL;
	if (!r)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return ERR_NOTFOUND;
	}
	*out = r;
	return ERR_OK;
}

static err_t pg_org_get(struct store_conn *base, int64_t id, const char *name, struct org *o)
{
	struct pg_params p = {0};
	PGresult *r;
	if (name)
		pp_text(&p, name);
	else
		pp_int(&p, id);
	err_t rc = one_row(pgc(base), name ? P_ORG_GET_NAME : P_ORG_GET_ID, &p, "org get", &r);
	if (rc)
		return rc;
	org_from_row(r, 0, o);
	PQclear(r);
	return ERR_OK;
}

struct list_ctx {
	void *fn;
	void *ctx;
};

static err_t org_each(void *ctx, const PGresult *r, int i)
{
	struct list_ctx *l = ctx;
	struct org o;
	org_from_row(r, i, &o);
	return ((err_t(*)(void *, const struct org *))l->fn)(l->ctx, &o);
}

static err_t pg_org_list(struct store_conn *base, err_t (*fn)(void *, const struct org *),
			 void *ctx)
{
	struct list_ctx l = {.fn = (void *)fn, .ctx = ctx};
	return each_row(pgc(base), P_ORG_LIST, NULL, "org list", org_each, &l);
}

static err_t pg_org_identity(struct store_conn *base, int64_t id, char **json, size_t *len)
{
	struct pg_params p = {0};
	PGresult *r;
	pp_int(&p, id);
	err_t rc = one_row(pgc(base), P_ORG_IDENTITY, &p, "org identity", &r);
	if (rc)
		return rc;
	rc = pg_dup(r, 0, 0, json, len);
	PQclear(r);
	return rc;
}

static err_t pg_identity_find(struct store_conn *base, const char *identity_id, int64_t *org_id,
			      int64_t *user_id)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	*org_id = *user_id = 0;
	pp_text(&p, identity_id);
	err_t rc = one_int64(c, P_IDENTITY_ORG, &p, "identity org", org_id);
	if (rc != ERR_NOTFOUND)
		return rc;
	return one_int64(c, P_IDENTITY_USER, &p, "identity user", user_id);
}

/* ---- users ---- */

static void user_from_row(const PGresult *r, int i, struct user *u)
{
	u->id = pg_int(r, i, 0);
	u->org_id = pg_int(r, i, 1);
	pg_copy(u->name, sizeof(u->name), r, i, 2);
	pg_copy(u->identity_id, sizeof(u->identity_id), r, i, 3);
	u->roles = (unsigned)pg_int(r, i, 4);
	u->disabled = pg_bool(r, i, 5);
	pg_copy(u->pw_hash, sizeof(u->pw_hash), r, i, 6);
	u->created = pg_int(r, i, 7);
}

static err_t pg_user_add(struct store_conn *base, struct user *u)
{
	struct pg_params p = {0};
	pp_int(&p, u->org_id);
	pp_text(&p, u->name);
	pp_text(&p, u->identity_id);
	pp_int(&p, u->roles);
	pp_int(&p, u->disabled);
	pp_text(&p, u->pw_hash);
	pp_int(&p, u->created);
	return insert_id(pgc(base), P_USER_ADD, &p, "user add", &u->id);
}

static err_t pg_user_get(struct store_conn *base, int64_t id, const char *name, struct user *u)
{
	struct pg_params p = {0};
	PGresult *r;
	if (name)
		pp_text(&p, name);
	else
		pp_int(&p, id);
	err_t rc = one_row(pgc(base), name ? P_USER_GET_NAME : P_USER_GET_ID, &p, "user get", &r);
	if (rc)
		return rc;
	user_from_row(r, 0, u);
	PQclear(r);
	return ERR_OK;
}

static err_t user_each(void *ctx, const PGresult *r, int i)
{
	struct list_ctx *l = ctx;
	struct user u;
	user_from_row(r, i, &u);
	return ((err_t(*)(void *, const struct user *))l->fn)(l->ctx, &u);
}

static err_t pg_user_list(struct store_conn *base, err_t (*fn)(void *, const struct user *),
			  void *ctx)
{
	struct list_ctx l = {.fn = (void *)fn, .ctx = ctx};
	return each_row(pgc(base), P_USER_LIST, NULL, "user list", user_each, &l);
}

static err_t pg_user_set_disabled(struct store_conn *base, int64_t id, bool disabled)
{
	struct pg_params p = {0};
	pp_int(&p, id);
	pp_int(&p, disabled);
	return update_by_id(pgc(base), P_USER_DISABLE, &p, "user disable");
}

static err_t pg_user_set_password(struct store_conn *base, int64_t id, const char *pw_hash)
{
	struct pg_params p = {0};
	pp_int(&p, id);
	pp_text(&p, pw_hash);
	return update_by_id(pgc(base), P_USER_PASSWD, &p, "user passwd");
}

/* ---- tokens ---- */

static void token_from_row(const PGresult *r, int i, struct token *t)
{
	t->id = pg_int(r, i, 0);
	t->user_id = pg_int(r, i, 1);
	pg_copy(t->label, sizeof(t->label), r, i, 2);
	pg_copy(t->prefix, sizeof(t->prefix), r, i, 3);
	t->created = pg_int(r, i, 4);
	t->expires = pg_int(r, i, 5);
	t->revoked = pg_bool(r, i, 6);
}

static err_t pg_token_add(struct store_conn *base, struct token *t, const unsigned char hash[32])
{
	struct pg_params p = {0};
	char hex[65];
	pg_hex(hash, 32, hex);
	pp_int(&p, t->user_id);
	pp_text(&p, hex);
	pp_text(&p, t->label);
	pp_text(&p, t->prefix);
	pp_int(&p, t->created);
	pp_int(&p, t->expires);
	return insert_id(pgc(base), P_TOKEN_ADD, &p, "token add", &t->id);
}

static err_t pg_token_lookup(struct store_conn *base, const unsigned char hash[32], struct token *t)
{
	struct pg_params p = {0};
	PGresult *r;
	char hex[65];
	pg_hex(hash, 32, hex);
	pp_text(&p, hex);
	err_t rc = one_row(pgc(base), P_TOKEN_LOOKUP, &p, "token lookup", &r);
	if (rc)
		return rc;
	token_from_row(r, 0, t);
	PQclear(r);
	return ERR_OK;
}

static err_t token_each(void *ctx, const PGresult *r, int i)
{
	struct list_ctx *l = ctx;
	struct token t;
	token_from_row(r, i, &t);
	return ((err_t(*)(void *, const struct token *))l->fn)(l->ctx, &t);
}

static err_t pg_token_list(struct store_conn *base, int64_t user_id,
			   err_t (*fn)(void *, const struct token *), void *ctx)
{
	struct list_ctx l = {.fn = (void *)fn, .ctx = ctx};
	struct pg_params p = {0};
	pp_int(&p, user_id);
	return each_row(pgc(base), P_TOKEN_LIST, &p, "token list", token_each, &l);
}

static err_t pg_token_revoke(struct store_conn *base, int64_t id)
{
	struct pg_params p = {0};
	pp_int(&p, id);
	return update_by_id(pgc(base), P_TOKEN_REVOKE, &p, "token revoke");
}

/* ---- API roots, collections, grants ---- */

static void root_from_row(const PGresult *r, int i, struct api_root *a)
{
	a->id = pg_int(r, i, 0);
	pg_copy(a->name, sizeof(a->name), r, i, 1);
	pg_copy(a->title, sizeof(a->title), r, i, 2);
	pg_copy(a->description, sizeof(a->description), r, i, 3);
}

static err_t pg_root_add(struct store_conn *base, struct api_root *a)
{
	struct pg_params p = {0};
	pp_text(&p, a->name);
	pp_text(&p, a->title);
	pp_text(&p, a->description);
	return insert_id(pgc(base), P_ROOT_ADD, &p, "root add", &a->id);
}

static err_t pg_root_find(struct store_conn *base, const char *name, struct api_root *a)
{
	struct pg_params p = {0};
	PGresult *r;
	pp_text(&p, name);
	err_t rc = one_row(pgc(base), P_ROOT_FIND, &p, "root find", &r);
	if (rc)
		return rc;
	root_from_row(r, 0, a);
	PQclear(r);
	return ERR_OK;
}

static err_t root_each(void *ctx, const PGresult *r, int i)
{
	struct list_ctx *l = ctx;
	struct api_root a;
	root_from_row(r, i, &a);
	return ((err_t(*)(void *, const struct api_root *))l->fn)(l->ctx, &a);
}

static err_t pg_root_list(struct store_conn *base, err_t (*fn)(void *, const struct api_root *),
			  void *ctx)
{
	struct list_ctx l = {.fn = (void *)fn, .ctx = ctx};
	return each_row(pgc(base), P_ROOT_LIST, NULL, "root list", root_each, &l);
}

static void coll_from_row(const PGresult *r, int i, struct collection *col)
{
	col->id = pg_int(r, i, 0);
	col->root_id = pg_int(r, i, 1);
	pg_copy(col->uuid, sizeof(col->uuid), r, i, 2);
	pg_copy(col->title, sizeof(col->title), r, i, 3);
	pg_copy(col->description, sizeof(col->description), r, i, 4);
	pg_copy(col->alias, sizeof(col->alias), r, i, 5);
}

static err_t pg_collection_add(struct store_conn *base, struct collection *col)
{
	struct pg_params p = {0};
	pp_int(&p, col->root_id);
	pp_text(&p, col->uuid);
	pp_text(&p, col->title);
	pp_text(&p, col->description);
	pp_text(&p, col->alias);
	return insert_id(pgc(base), P_COLL_ADD, &p, "collection add", &col->id);
}

static err_t coll_one(struct pg_conn *c, enum pg_stmt_id id, const struct pg_params *p,
		      struct collection *col)
{
	PGresult *r;
	err_t rc = one_row(c, id, p, "collection get", &r);
	if (rc)
		return rc;
	coll_from_row(r, 0, col);
	PQclear(r);
	return ERR_OK;
}

static err_t pg_collection_get(struct store_conn *base, int64_t id, struct collection *col)
{
	struct pg_params p = {0};
	pp_int(&p, id);
	return coll_one(pgc(base), P_COLL_GET, &p, col);
}

static err_t pg_collection_find(struct store_conn *base, int64_t root_id, const char *key,
				struct collection *col)
{
	struct pg_params p = {0};
	pp_int(&p, root_id);
	pp_text(&p, key);
	return coll_one(pgc(base), P_COLL_FIND, &p, col);
}

static err_t coll_each(void *ctx, const PGresult *r, int i)
{
	struct list_ctx *l = ctx;
	struct collection col;
	coll_from_row(r, i, &col);
	return ((err_t(*)(void *, const struct collection *))l->fn)(l->ctx, &col);
}

static err_t pg_collection_list(struct store_conn *base, int64_t root_id,
				err_t (*fn)(void *, const struct collection *), void *ctx)
{
	struct list_ctx l = {.fn = (void *)fn, .ctx = ctx};
	struct pg_params p = {0};
	pp_int(&p, root_id);
	return each_row(pgc(base), P_COLL_LIST, &p, "collection list", coll_each, &l);
}

static err_t pg_grant_set(struct store_conn *base, const struct grant *g)
{
	struct pg_params p = {0};
	pp_int(&p, g->collection_id);
	pp_int(&p, g->org_id);
	pp_int(&p, g->can_read);
	pp_int(&p, g->can_write);
	return exec(pgc(base), P_GRANT_SET, &p, "grant set", NULL);
}

static err_t pg_grant_get(struct store_conn *base, int64_t collection_id, int64_t org_id,
			  struct grant *g)
{
	struct pg_params p = {0};
	PGresult *r;
	g->collection_id = collection_id;
	g->org_id = org_id;
	g->can_read = g->can_write = false;
	pp_int(&p, collection_id);
	pp_int(&p, org_id);
	err_t rc = one_row(pgc(base), P_GRANT_GET, &p, "grant get", &r);
	if (rc == ERR_NOTFOUND)
		return ERR_OK;
	if (rc)
		return rc;
	g->can_read = pg_bool(r, 0, 0);
	g->can_write = pg_bool(r, 0, 1);
	PQclear(r);
	return ERR_OK;
}

/* ---- objects ---- */

static err_t pg_next_date_added(struct store_conn *base, int64_t collection_id, int64_t now,
				int64_t *out)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	int64_t max = 0;
	pp_int(&p, collection_id);
	/*
	 * The collection's lock first, held to commit: the highest date_added
	 * read after it is final, and what this transaction adds sorts after
	 * everything committed before and before everything committed after.
	 */
	err_t rc = exec(c, P_COLL_LOCK, &p, "collection lock", NULL);
	if (!rc)
		rc = one_int64(c, P_OBJ_MAX_ADDED, &p, "max date_added", &max);
	if (rc)
		return rc;
	*out = now > max ? now : max + 1;
	return ERR_OK;
}

/* Whether version of stix_id is stored with the same bytes (SAME) or other
 * bytes (CONFLICT); ERR_NOTFOUND when it is not stored. */
static err_t same_version(struct pg_conn *c, int64_t collection_id, const struct obj_put *o,
			  int64_t version, enum obj_put_result *res)
{
	struct pg_params p = {0};
	PGresult *r;
	pp_int(&p, collection_id);
	pp_text(&p, o->stix_id);
	pp_int(&p, version);
	err_t rc = one_row(c, P_OBJ_SAME_VERSION, &p, "same version", &r);
	if (rc)
		return rc;
	size_t n = (size_t)PQgetlength(r, 0, 0);
	bool same = n == o->body_len && (n == 0 || !memcmp(PQgetvalue(r, 0, 0), o->body, n));
	PQclear(r);
	*res = same ? OBJ_PUT_SAME : OBJ_PUT_CONFLICT;
	return ERR_OK;
}

/* The parameters of P_OBJ_INSERT and P_OBJ_CLAIM_INSERT. */
static void put_params(struct pg_params *p, int64_t collection_id, const struct obj_put *o,
		       int64_t version, int64_t date_added, const char *body)
{
	*p = (struct pg_params){0};
	pp_int(p, collection_id);
	pp_text(p, o->stix_id);
	pp_text(p, o->type);
	pp_text(p, o->spec_version);
	pp_int(p, version);
	pp_int(p, date_added);
	pp_int(p, o->org_id);
	pp_int(p, o->scope_id);
	pp_int(p, o->tlp);
	pp_int(p, o->category);
	pp_text(p, body);
}

static err_t pg_object_put(struct store_conn *base, int64_t collection_id, const struct obj_put *o,
			   int64_t date_added, enum obj_put_result *res, int64_t *version_out,
			   int64_t *seq_out)
{
	struct pg_conn *c = pgc(base);
	struct pg_params p = {0};
	err_t rc;
	int64_t version = o->has_version ? o->version : date_added;
	*version_out = version;
	*seq_out = 0;

	/* The body goes to PostgreSQL as text: it must be NUL-free, which the
	 * JSON that stix/ validated always is. */
	if (memchr(o->body, '\0', o->body_len))
		return ERR_INVALID;
	char *body = malloc(o->body_len + 1);
	if (!body)
		return ERR_NOMEM;
	memcpy(body, o->body, o->body_len);
	body[o->body_len] = '\0';

	/* Ownership as in store_sqlite.c: the first organisation to share a
	 * versioned id owns it; SCOs have no owner. */
	if (o->has_version) {
		int64_t owner = 0;
		/* Most ids are new: claim and store at once. */
		put_params(&p, collection_id, o, version, date_added, body);
		rc = one_int64(c, P_OBJ_CLAIM_INSERT, &p, "object claim", seq_out);
		if (rc == ERR_OK) {
			*res = OBJ_PUT_ADDED;
			goto out;
		}
		if (rc != ERR_NOTFOUND)
			goto out;
		/* Claimed already: by whom? */
		p = (struct pg_params){0};
		pp_text(&p, o->stix_id);
		rc = one_int64(c, P_OWNER_GET, &p, "owner get", &owner);
		if (rc) {
			rc = rc == ERR_NOTFOUND ? ERR_STORE : rc;
			goto out;
		}
		if (owner != o->org_id) {
			*res = OBJ_PUT_NOT_OWNER;
			goto out;
		}
	}
	if (o->has_version) {
		rc = same_version(c, collection_id, o, version, res);
		if (rc != ERR_NOTFOUND)
			goto out;
	} else {
		p = (struct pg_params){0};
		pp_int(&p, collection_id);
		pp_text(&p, o->stix_id);
		pp_text(&p, body);
		pp_int(&p, o->org_id);
		rc = one_int64(c, P_OBJ_BODY_ANY, &p, "same body", version_out);
		if (rc == ERR_OK)
			*res = OBJ_PUT_SAME;
		if (rc != ERR_NOTFOUND)
			goto out;
	}
	put_params(&p, collection_id, o, version, date_added, body);
	rc = one_int64(c, P_OBJ_INSERT, &p, "object insert", seq_out);
	if (rc == ERR_NOTFOUND) {
		/* The same version, added by a transaction that committed while
		 * this one waited for its key: compare with it. */
		rc = same_version(c, collection_id, o, version, res);
		if (rc == ERR_NOTFOUND)
			rc = ERR_STORE;
		goto out;
	}
	if (!rc)
		*res = OBJ_PUT_ADDED;
out:
	free(body);
	return rc;
}

/*
 * The object query. Its parameters have fixed numbers whatever the shape, so
 * that every shape binds the same list (unused ones are typed and ignored):
 */
enum {
	QP_COLL = 1,	 /* bigint */
	QP_ID,		 /* text: the one id */
	QP_IDS,		 /* text[]: match[id] */
	QP_TYPES,	 /* text[] */
	QP_VERSIONS,	 /* bigint[] */
	QP_SPECS,	 /* text[] */
	QP_AFTER,	 /* bigint */
	QP_ORG,		 /* bigint: the requester's organisation */
	QP_PORG,	 /* bigint: its principal */
	QP_PUSER,	 /* bigint: the requester's principal */
	QP_USER_SCOPES,	 /* bigint[]: scopes naming the user (any TLP) */
	QP_GROUP_SCOPES, /* bigint[]: scopes naming its org or groups (not TLP:RED) */
	QP_CDATE,	 /* bigint */
	QP_CSEQ,	 /* bigint */
	QP_LIMIT,	 /* bigint: one row more than asked */
	QP__COUNT = QP_LIMIT,
};

static const Oid qp_types[QP__COUNT] = {
	20, 25, 1009, 1009, 1016, 1009, 20, 20, 20, 20, 1016, 1016, 20, 20, 20,
};

/* Beyond the shapes of store_int.h: a member's query as a union of branches. */
enum { Q_MERGED = 1 << Q_SHAPE_BITS };

#define MAX_SCOPES 64 /* more visible scopes than this: one predicate instead */

/* The visibility predicate of DESIGN.md §3.1 on the objects row aliased t
 * (see store_sqlite.c's vis_sql). */
static err_t vis_sql(struct buf *b, unsigned vis, const char *t)
{
	err_t rc = ERR_OK;
	if (vis == VIS_ALL)
		return buf_adds(b, "true");
	rc |= buf_addf(b, "(%s.org_id = $%d", t, QP_ORG);
	if (vis == VIS_MEMBER)
		rc |= buf_addf(b,
			       " OR %s.scope_id = ANY($%d) OR (%s.tlp <> %d AND %s.scope_id = "
			       "ANY($%d))",
			       t, QP_USER_SCOPES, t, STORE_TLP_RED, t, QP_GROUP_SCOPES);
	if (vis == VIS_MEMBER || vis == VIS_GRANTS)
		rc |= buf_addf(b,
			       " OR EXISTS (SELECT 1 FROM object_grants g WHERE g.collection_id = "
			       "%s.collection_id AND g.stix_id = %s.stix_id AND (g.principal = "
			       "$%d OR (%s.tlp <> %d AND g.principal = $%d)))",
			       t, t, QP_PUSER, t, STORE_TLP_RED, QP_PORG);
	rc |= buf_adds(b, ")");
	return rc ? ERR_NOMEM : ERR_OK;
}

/* The parameter numbers below are those of the QP_ enum. */
_Static_assert(QP_ID == 2 && QP_IDS == 3 && QP_TYPES == 4 && QP_VERSIONS == 5 && QP_SPECS == 6 &&
		       QP_AFTER == 7 && QP_CDATE == 13 && QP_CSEQ == 14,
	       "the dialect's parameter numbers");

static const struct sql_dialect pg_sql = {
	.one_id = "o.stix_id = $2",
	.ids = "o.stix_id = ANY($3)",
	.types = "o.type = ANY($4)",
	.versions = "o.version = ANY($5)",
	.specs = "o.spec_version = ANY($6)",
	.after = "o.date_added > $7",
	.cursor = "(o.date_added, o.seq) > ($13, $14)",
	.vis_sql = vis_sql,
};

/* The filters every branch shares, after its visibility condition. */
static err_t filters_sql(struct buf *b, unsigned shape)
{
	return store_filters_sql(b, shape, &pg_sql);
}

#define SELECT_COLS                                                                                \
	"o.seq, o.date_added, o.version, o.stix_id, o.type, o.spec_version, o.org_id, "            \
	"o.scope_id, o.tlp, o.category"

/* One branch of a merged query: the (date_added, seq) of its first rows. */
static err_t branch_sql(struct buf *b, unsigned shape, const char *cond)
{
	err_t rc = buf_addf(b,
			    "(SELECT o.date_added, o.seq FROM objects o WHERE o.collection_id = "
			    "$%d AND %s",
			    QP_COLL, cond);
	rc |= filters_sql(b, shape);
	rc |= buf_addf(b, " ORDER BY o.date_added, o.seq LIMIT $%d)", QP_LIMIT);
	return rc ? ERR_NOMEM : ERR_OK;
}

/*
 * Builds the object query of one shape. A single statement carries the whole
 * visibility predicate. A merged one (VIS_MEMBER, VIS_GRANTS) is a UNION ALL
 * of disjoint branches, each an ordered range scan of one index that stops
 * after a page - the provider's own rows, one branch per visible scope, the
 * granted rows - and the outer query sorts those few rows and fetches the
 * page's bodies: a page costs a few times its length, whether the requester
 * sees 1 % of the collection or all of it (DESIGN.md §3.1, §7).
 */
static err_t shape_sql(unsigned shape, size_t n_user, size_t n_group, struct buf *b)
{
	err_t rc = ERR_OK;
	unsigned vis = (shape >> Q_VIS_SHIFT) & 3;
	const char *body = (shape & Q_BODY) ? ", o.body" : "";

	if (shape & Q_DELETE) {
		rc |= buf_addf(b, "DELETE FROM objects o WHERE o.collection_id = $%d AND ",
			       QP_COLL);
		rc |= vis_sql(b, vis, "o");
		rc |= filters_sql(b, shape);
		return rc ? ERR_NOMEM : ERR_OK;
	}
	if (!(shape & Q_MERGED)) {
		rc |= buf_addf(b,
			       "SELECT " SELECT_COLS "%s FROM objects o WHERE o.collection_id "
			       "= $%d AND ",
			       body, QP_COLL);
		rc |= vis_sql(b, vis, "o");
		rc |= filters_sql(b, shape);
		rc |= buf_addf(b, " ORDER BY o.date_added, o.seq LIMIT $%d", QP_LIMIT);
		return rc ? ERR_NOMEM : ERR_OK;
	}
	char cond[256];
	rc |= buf_addf(b, "SELECT " SELECT_COLS "%s FROM (", body);
	snprintf(cond, sizeof(cond), "o.org_id = $%d", QP_ORG);
	rc |= branch_sql(b, shape, cond);
	for (size_t i = 0; i < n_user; i++) {
		snprintf(cond, sizeof(cond),
			 "o.scope_id = ($%d::bigint[])[%zu] AND o.org_id <> $%d", QP_USER_SCOPES,
			 i + 1, QP_ORG);
		rc |= buf_adds(b, " UNION ALL ");
		rc |= branch_sql(b, shape, cond);
	}
	for (size_t i = 0; i < n_group; i++) {
		snprintf(cond, sizeof(cond),
			 "o.scope_id = ($%d::bigint[])[%zu] AND o.tlp <> %d AND o.org_id <> $%d",
			 QP_GROUP_SCOPES, i + 1, STORE_TLP_RED, QP_ORG);
		rc |= buf_adds(b, " UNION ALL ");
		rc |= branch_sql(b, shape, cond);
	}
	/* Granted rows that no branch above returned. */
	rc |= buf_adds(b, " UNION ALL ");
	rc |= buf_addf(b,
		       "(SELECT o.date_added, o.seq FROM objects o WHERE o.collection_id = $%d "
		       "AND o.stix_id IN (SELECT g.stix_id FROM object_grants g WHERE "
		       "g.collection_id = $%d AND g.principal IN ($%d, $%d)) AND EXISTS (SELECT 1 "
		       "FROM object_grants g WHERE g.collection_id = o.collection_id AND "
		       "g.stix_id = o.stix_id AND (g.principal = $%d OR (o.tlp <> %d AND "
		       "g.principal = $%d))) AND o.org_id <> $%d AND NOT (o.scope_id = ANY($%d) OR "
		       "(o.tlp <> %d AND o.scope_id = ANY($%d)))",
		       QP_COLL, QP_COLL, QP_PUSER, QP_PORG, QP_PUSER, STORE_TLP_RED, QP_PORG,
		       QP_ORG, QP_USER_SCOPES, STORE_TLP_RED, QP_GROUP_SCOPES);
	rc |= filters_sql(b, shape);
	rc |= buf_addf(b, " ORDER BY o.date_added, o.seq LIMIT $%d)", QP_LIMIT);
	rc |= buf_addf(b,
		       " ORDER BY 1, 2 LIMIT $%d) AS page JOIN objects o ON o.seq = page.seq "
		       "ORDER BY o.date_added, o.seq",
		       QP_LIMIT);
	return rc ? ERR_NOMEM : ERR_OK;
}

/* A PostgreSQL array literal of strings: every element quoted, with '"' and
 * '\' escaped, so that no input can change the array's shape. */
static char *array_of_strings(const char *const *v, size_t n)
{
	struct buf b;
	buf_init(&b, (size_t)1 << 24);
	err_t rc = buf_addc(&b, '{');
	for (size_t i = 0; !rc && i < n; i++) {
		rc = buf_adds(&b, i ? ",\"" : "\"");
		for (const char *s = v[i]; !rc && *s; s++) {
			if (*s == '"' || *s == '\\')
				rc = buf_addc(&b, '\\');
			if (!rc)
				rc = buf_addc(&b, *s);
		}
		if (!rc)
			rc = buf_addc(&b, '"');
	}
	if (!rc)
		rc = buf_addc(&b, '}');
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static char *array_of_ints(const int64_t *v, size_t n)
{
	struct buf b;
	buf_init(&b, (size_t)1 << 24);
	err_t rc = buf_addc(&b, '{');
	for (size_t i = 0; !rc && i < n; i++)
		rc = buf_addf(&b, "%s%lld", i ? "," : "", (long long)v[i]);
	if (!rc)
		rc = buf_addc(&b, '}');
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* The scopes the requester reaches through its user (any TLP), and those it
 * reaches only through its organisation or groups (not TLP:RED), as
 * array literals in *user and *group (the caller frees them); *n the most
 * of either. */
static err_t visible_scopes(struct pg_conn *c, const struct obj_visibility *v, char **user,
			    char **group, size_t *n_user, size_t *n_group)
{
	struct pg_params p = {0};
	err_t rc = ERR_OK;
	*user = *group = NULL;
	*n_user = *n_group = 0;
	pp_int(&p, PRINCIPAL_ORG(v->org));
	pp_int(&p, v->party ? PRINCIPAL_PARTIES : -1);
	pp_int(&p, v->community ? PRINCIPAL_COMMUNITY : -1);
	pp_int(&p, PRINCIPAL_USER(v->user));
	PGresult *r = run(c, P_VISIBLE_SCOPES, &p, "visible scopes", &rc);
	if (!r)
		return rc;
	size_t n = (size_t)PQntuples(r);
	int64_t *u = calloc(n + 1, sizeof(*u)), *g = calloc(n + 1, sizeof(*g));
	for (size_t i = 0; u && g && i < n; i++) {
		if (pg_bool(r, (int)i, 1))
			u[(*n_user)++] = pg_int(r, (int)i, 0);
		else
			g[(*n_group)++] = pg_int(r, (int)i, 0);
	}
	PQclear(r);
	if (u && g) {
		*user = array_of_ints(u, *n_user);
		*group = array_of_ints(g, *n_group);
	}
	free(u);
	free(g);
	if (!*user || !*group) {
		free(*user);
		free(*group);
		*user = *group = NULL;
		return ERR_NOMEM;
	}
	return ERR_OK;
}

/* Whether the connection has prepared the statement of key; records it when
 * asked to. A full table simply means the next ones run unprepared. */
static bool shape_known(struct pg_conn *c, uint64_t key, bool add)
{
	for (size_t i = 0; i < c->n_shapes; i++)
		if (c->shape_keys[i] == key)
			return true;
	if (add && c->n_shapes < PG_SHAPES_MAX)
		c->shape_keys[c->n_shapes++] = key;
	return false;
}

/* Runs query q (or the delete it describes); the caller PQclear()s *out. */
static err_t run_query(struct pg_conn *c, const struct obj_query *q, bool del, PGresult **out)
{
	size_t n_user = 0, n_group = 0;
	unsigned shape = store_query_shape(q, del);
	char *ids = NULL, *types = NULL, *versions = NULL, *specs = NULL;
	char *uscopes = NULL, *gscopes = NULL;
	err_t rc = ERR_OK;
	PGresult *r = NULL;

	*out = NULL;
	if (q->vis.mode == VIS_MEMBER)
		rc = visible_scopes(c, &q->vis, &uscopes, &gscopes, &n_user, &n_group);
	else if (!(uscopes = strdup("{}")) || !(gscopes = strdup("{}")))
		rc = ERR_NOMEM;
	if (rc)
		goto out;
	if (n_user > MAX_SCOPES || n_group > MAX_SCOPES) {
		/* Very many scopes: one statement with the whole predicate. */
		n_user = n_group = 0;
	} else if (!del && (q->vis.mode == VIS_MEMBER || q->vis.mode == VIS_GRANTS)) {
		shape |= Q_MERGED;
	}
	if (!rc && (shape & Q_IDS) && !(ids = array_of_strings(q->ids, q->n_ids)))
		rc = ERR_NOMEM;
	if (!rc && (shape & Q_TYPES) && !(types = array_of_strings(q->types, q->n_types)))
		rc = ERR_NOMEM;
	if (!rc && (shape & Q_V_LIST) && !(versions = array_of_ints(q->versions, q->n_versions)))
		rc = ERR_NOMEM;
	if (!rc && (shape & Q_SPEC) &&
	    !(specs = array_of_strings(q->spec_versions, q->n_spec_versions)))
		rc = ERR_NOMEM;
	if (rc)
		goto out;

	char num[QP__COUNT][24];
	const char *v[QP__COUNT] = {0};
#define QNUM(i, x)                                                                                 \
	(snprintf(num[(i)-1], sizeof(num[0]), "%lld", (long long)(x)), v[(i)-1] = num[(i)-1])
	QNUM(QP_COLL, q->collection_id);
	v[QP_ID - 1] = q->stix_id;
	v[QP_IDS - 1] = ids;
	v[QP_TYPES - 1] = types;
	v[QP_VERSIONS - 1] = versions;
	v[QP_SPECS - 1] = specs;
	QNUM(QP_AFTER, q->added_after);
	QNUM(QP_ORG, q->vis.org);
	QNUM(QP_PORG, PRINCIPAL_ORG(q->vis.org));
	QNUM(QP_PUSER, PRINCIPAL_USER(q->vis.user));
	v[QP_USER_SCOPES - 1] = uscopes;
	v[QP_GROUP_SCOPES - 1] = gscopes;
	QNUM(QP_CDATE, q->cursor_date);
	QNUM(QP_CSEQ, q->cursor_seq);
	QNUM(QP_LIMIT, (int64_t)q->limit + 1);
#undef QNUM

	uint64_t key = (uint64_t)shape | (uint64_t)n_user << 16 | (uint64_t)n_group << 24;
	char name[48];
	bool known = shape_known(c, key, false);
	/* With the table full, a new shape runs as the unnamed statement,
	 * prepared for this one use. */
	bool keep = known || c->n_shapes < PG_SHAPES_MAX;
	if (keep)
		snprintf(name, sizeof(name), "q%llx", (unsigned long long)key);
	else
		name[0] = '\0';
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!known) {
			struct buf b;
			buf_init(&b, (size_t)1 << 20);
			rc = shape_sql(shape, n_user, n_group, &b);
			if (!rc) {
				r = PQprepare(c->db, name, buf_cstr(&b), QP__COUNT, qp_types);
				if (!result_ok(r))
					rc = pg_fail(c, r, "prepare object query");
				PQclear(r);
				r = NULL;
			}
			buf_release(&b);
			if (rc && attempt == 0 && pg_revive(c))
				continue;
			if (rc)
				goto out;
			if (keep) {
				shape_known(c, key, true);
				known = true;
			}
		}
		r = PQexecPrepared(c->db, name, QP__COUNT, v, NULL, NULL, 0);
		if (result_ok(r))
			break;
		if (attempt == 0 && PQstatus(c->db) != CONNECTION_OK && pg_revive(c)) {
			PQclear(r);
			r = NULL;
			known = false;
			continue;
		}
		rc = pg_fail(c, r, del ? "object delete" : "object query");
		PQclear(r);
		r = NULL;
		break;
	}
	*out = r;
out:
	free(ids);
	free(types);
	free(versions);
	free(specs);
	free(uscopes);
	free(gscopes);
	return rc;
}

static err_t pg_object_query(struct store_conn *base, const struct obj_query *q, obj_row_fn fn,
			     void *ctx, bool *more)
{
	struct pg_conn *c = pgc(base);
	PGresult *r = NULL;
	*more = false;
	err_t rc = run_query(c, q, false, &r);
	if (rc)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n && !rc; i++) {
		if ((size_t)i == q->limit) {
			*more = true;
			break;
		}
		struct obj_row row = {
			.seq = pg_int(r, i, 0),
			.date_added = pg_int(r, i, 1),
			.version = pg_int(r, i, 2),
			.stix_id = PQgetvalue(r, i, 3),
			.type = PQgetvalue(r, i, 4),
			.spec_version = PQgetvalue(r, i, 5),
			.org_id = pg_int(r, i, 6),
			.scope_id = pg_int(r, i, 7),
			.tlp = (int)pg_int(r, i, 8),
			.category = (int)pg_int(r, i, 9),
		};
		if (q->want_body) {
			row.body = PQgetvalue(r, i, 10);
			row.body_len = (size_t)PQgetlength(r, i, 10);
		}
		rc = fn(ctx, &row);
	}
	PQclear(r);
	return rc;
}

static err_t pg_object_delete(struct store_conn *base, const struct obj_query *q, size_t *n)
{
	struct pg_conn *c = pgc(base);
	PGresult *r = NULL;
	*n = 0;
	if (!q->stix_id)
		return ERR_INTERNAL;
	/* The collection's lock, as puts hold it: the delete trigger marks
	 * the versions left last and first knowing every version stored. */
	struct pg_params p = {0};
	pp_int(&p, q->collection_id);
	err_t rc = exec(c, P_COLL_LOCK, &p, "collection lock", NULL);
	if (!rc)
		rc = run_query(c, q, true, &r);
	if (rc)
		return rc;
	const char *t = PQcmdTuples(r);
	*n = *t ? (size_t)strtoull(t, NULL, 10) : 0;
	PQclear(r);
	return ERR_OK;
}

static err_t pg_object_count(struct store_conn *base, int64_t *n)
{
	return one_int64(pgc(base), P_OBJ_COUNT, NULL, "object count", n);
}

static err_t pg_object_seen(struct store_conn *base, int64_t collection_id, int64_t date_added,
			    int64_t seq, bool *seen)
{
	struct pg_params p = {0};
	int64_t n = 0;
	pp_int(&p, collection_id);
	pp_int(&p, date_added);
	pp_int(&p, seq);
	err_t rc = one_int64(pgc(base), P_OBJ_SEEN, &p, "object seen", &n);
	*seen = !rc && n > 0;
	return rc;
}

/* ---- status resources ---- */

static err_t pg_status_put(struct store_conn *base, const struct status_rec *st, int64_t expires)
{
	struct pg_params p = {0};
	char *doc = malloc(st->doc_len + 1);
	if (!doc)
		return ERR_NOMEM;
	memcpy(doc, st->doc, st->doc_len);
	doc[st->doc_len] = '\0';
	pp_text(&p, st->id);
	pp_int(&p, st->root_id);
	pp_int(&p, st->org_id);
	pp_int(&p, st->request_time);
	pp_int(&p, expires);
	pp_text(&p, doc);
	err_t rc = exec(pgc(base), P_STATUS_PUT, &p, "status put", NULL);
	free(doc);
	return rc;
}

static err_t pg_status_get(struct store_conn *base, const char *id, int64_t now,
			   struct status_rec *st, char **doc)
{
	struct pg_params p = {0};
	PGresult *r;
	pp_text(&p, id);
	pp_int(&p, now);
	err_t rc = one_row(pgc(base), P_STATUS_GET, &p, "status get", &r);
	if (rc)
		return rc;
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->root_id = pg_int(r, 0, 0);
	st->org_id = pg_int(r, 0, 1);
	st->request_time = pg_int(r, 0, 2);
	rc = pg_dup(r, 0, 3, doc, &st->doc_len);
	st->doc = *doc;
	PQclear(r);
	return rc;
}

static err_t pg_status_purge(struct store_conn *base, int64_t now)
{
	struct pg_params p = {0};
	pp_int(&p, now);
	return exec(pgc(base), P_STATUS_PURGE, &p, "status purge", NULL);
}

/* ---- replication positions (store.c's read-your-writes) ---- */

static err_t pg_wal_position(struct store_conn *base, int64_t *lsn)
{
	struct pg_conn *c = pgc(base);
	return one_int64(c, c->standby ? P_WAL_REPLAYED : P_WAL_WRITTEN, NULL, "wal position", lsn);
}

const struct store_be store_pg_be = {
	.name = "postgresql",
	.connect = pg_connect,
	.connect_standby = pg_connect_standby,
	.disconnect = pg_disconnect,
	.ping = pg_ping,
	.tx_begin = pg_tx_begin,
	.tx_commit = pg_tx_commit,
	.tx_rollback = pg_tx_rollback,
	.wal_position = pg_wal_position,
	.object_seen = pg_object_seen,
	.org_add = pg_org_add,
	.org_get = pg_org_get,
	.org_list = pg_org_list,
	.org_identity = pg_org_identity,
	.identity_find = pg_identity_find,
	.user_add = pg_user_add,
	.user_get = pg_user_get,
	.user_list = pg_user_list,
	.user_set_disabled = pg_user_set_disabled,
	.user_set_password = pg_user_set_password,
	.token_add = pg_token_add,
	.token_lookup = pg_token_lookup,
	.token_list = pg_token_list,
	.token_revoke = pg_token_revoke,
	.root_add = pg_root_add,
	.root_find = pg_root_find,
	.root_list = pg_root_list,
	.collection_add = pg_collection_add,
	.collection_get = pg_collection_get,
	.collection_find = pg_collection_find,
	.collection_list = pg_collection_list,
	.grant_set = pg_grant_set,
	.grant_get = pg_grant_get,
	.object_put = pg_object_put,
	.next_date_added = pg_next_date_added,
	.object_query = pg_object_query,
	.object_delete = pg_object_delete,
	.object_count = pg_object_count,
	.scope_get_or_add = pg_scope_get_or_add,
	.scope_members = pg_scope_members,
	.scope_marking_add = pg_scope_marking_add,
	.scope_marking_find = pg_scope_marking_find,
	.agreement_put = pg_agreement_put,
	.agreement_get = pg_agreement_get,
	.agreement_list = pg_agreement_list,
	.agreement_members = pg_agreement_members,
	.objection_add = pg_objection_add,
	.objection_list = pg_objection_list,
	.collection_set_defaults = pg_collection_set_defaults,
	.collection_defaults = pg_collection_defaults,
	.grant_object_add = pg_grant_object_add,
	.grant_object_revoke = pg_grant_object_revoke,
	.grant_object_list = pg_grant_object_list,
	.share_add = pg_share_add,
	.share_get = pg_share_get,
	.share_list = pg_share_list,
	.share_set_status = pg_share_set_status,
	.share_answer = pg_share_answer,
	.share_answers = pg_share_answers,
	.audit_append = pg_audit_append,
	.audit_list = pg_audit_list,
	.status_put = pg_status_put,
	.status_get = pg_status_get,
	.status_purge = pg_status_purge,
};
