/*
 * store_sqlite.c - the embedded back end: one SQLite file in WAL mode.
 *
 * Every statement is a static SQL text with bound parameters, prepared once
 * per connection and reset after use. The object query is assembled from
 * fixed fragments chosen by which filters are present (never from input),
 * and its prepared forms are cached per shape.
 *
 * Depends on common/ and <sqlite3.h>, which no other folder includes.
 */
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "store_sqlite_int.h"
#include "../common/banned.h"

/* is_last and is_first as they are (migration 4, and the delete trigger). */
#define EDGES_SET                                                                                  \
	"is_last = NOT EXISTS (SELECT 1 FROM objects o2 WHERE o2.collection_id = "                 \
	"objects.collection_id AND o2.stix_id = objects.stix_id AND o2.version > "                 \
	"objects.version), is_first = NOT EXISTS (SELECT 1 FROM objects o2 WHERE "                 \
	"o2.collection_id = objects.collection_id AND o2.stix_id = objects.stix_id AND "           \
	"o2.version < objects.version)"

/* Numbered migrations; the same numbers as the PostgreSQL back end's. */
static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE orgs("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" identity_id TEXT NOT NULL UNIQUE,"
	" identity TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE users("
	" id INTEGER PRIMARY KEY,"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" name TEXT NOT NULL UNIQUE,"
	" identity_id TEXT NOT NULL UNIQUE,"
	" roles INTEGER NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" pw_hash TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL);"
	"CREATE TABLE tokens("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id),"
	" hash BLOB NOT NULL UNIQUE,"
	" label TEXT NOT NULL,"
	" prefix TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL DEFAULT 0,"
	" revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE api_roots("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" description TEXT NOT NULL);"
	"CREATE TABLE collections("
	" id INTEGER PRIMARY KEY,"
	" root_id INTEGER NOT NULL REFERENCES api_roots(id),"
	" uuid TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" description TEXT NOT NULL,"
	" alias TEXT,"
	" default_scope_id INTEGER NOT NULL DEFAULT 0,"
	" default_category INTEGER NOT NULL DEFAULT -1,"
	" UNIQUE(root_id, alias));"
	"CREATE TABLE grants("
	" collection_id INTEGER NOT NULL REFERENCES collections(id),"
	" org_id INTEGER NOT NULL REFERENCES orgs(id),"
	" can_read INTEGER NOT NULL,"
	" can_write INTEGER NOT NULL,"
	" PRIMARY KEY(collection_id, org_id)) WITHOUT ROWID;"
	/* seq numbers the row (SEQ_IN_SCOPE); (date_added, seq) is the page order. scope_id,
	 * tlp and org_id are the visibility index of DESIGN.md §3.1. */
	"CREATE TABLE objects("
	" seq INTEGER PRIMARY KEY,"
	" collection_id INTEGER NOT NULL,"
	" stix_id TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" spec_version TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" date_added INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" scope_id INTEGER NOT NULL,"
	" tlp INTEGER NOT NULL,"
	" category INTEGER NOT NULL,"
	" body BLOB NOT NULL);"
	"CREATE UNIQUE INDEX objects_version ON objects(collection_id, stix_id, version);"
	"CREATE INDEX objects_added ON objects(collection_id, date_added, seq);"
	/* The branches of a member's query (store_sqlite.c, merged_query). */
	"CREATE INDEX objects_scope ON objects(collection_id, scope_id, date_added, seq);"
	"CREATE INDEX objects_provider ON objects(collection_id, org_id, date_added, seq);"
	/* DESIGN.md §3.2: an id belongs to the organisation that first shared it. */
	"CREATE TABLE object_owners("
	" stix_id TEXT PRIMARY KEY,"
	" org_id INTEGER NOT NULL) WITHOUT ROWID;"
	/* A scope is stored once and named by id (MISP's sharing groups). */
	"CREATE TABLE scopes("
	" id INTEGER PRIMARY KEY,"
	" canon TEXT NOT NULL UNIQUE);"
	"CREATE TABLE scope_members("
	" principal INTEGER NOT NULL,"
	" scope_id INTEGER NOT NULL,"
	" PRIMARY KEY(principal, scope_id)) WITHOUT ROWID;"
	"CREATE TABLE scope_markings("
	" stix_id TEXT PRIMARY KEY,"
	" org_id INTEGER NOT NULL,"
	" scope_id INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE object_grants("
	" id INTEGER PRIMARY KEY,"
	" collection_id INTEGER NOT NULL,"
	" stix_id TEXT NOT NULL,"
	" principal INTEGER NOT NULL,"
	" by_user INTEGER NOT NULL,"
	" request_id INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" UNIQUE(collection_id, stix_id, principal));"
	"CREATE TABLE agreements("
	" id INTEGER PRIMARY KEY,"
	" key TEXT NOT NULL UNIQUE,"
	" root_id INTEGER NOT NULL UNIQUE REFERENCES api_roots(id),"
	" definition TEXT NOT NULL,"
	" loaded INTEGER NOT NULL,"
	" generation INTEGER NOT NULL);"
	"CREATE TABLE agreement_members("
	" agreement_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" role INTEGER NOT NULL,"
	" label TEXT NOT NULL,"
	" PRIMARY KEY(agreement_id, org_id)) WITHOUT ROWID;"
	"CREATE TABLE objections("
	" id INTEGER PRIMARY KEY,"
	" agreement_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" user_id INTEGER NOT NULL,"
	" filed_on INTEGER NOT NULL,"
	" filed_at INTEGER NOT NULL,"
	" reason TEXT NOT NULL);"
	"CREATE TABLE share_requests("
	" id INTEGER PRIMARY KEY,"
	" uuid TEXT NOT NULL UNIQUE,"
	" collection_id INTEGER NOT NULL,"
	" stix_id TEXT NOT NULL,"
	" target_org INTEGER NOT NULL,"
	" target_user INTEGER NOT NULL,"
	" requester_user INTEGER NOT NULL,"
	" requester_org INTEGER NOT NULL,"
	" provider_org INTEGER NOT NULL,"
	" need INTEGER NOT NULL,"
	" required TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" decided INTEGER NOT NULL);"
	"CREATE TABLE share_answers("
	" request_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" user_id INTEGER NOT NULL,"
	" approve INTEGER NOT NULL,"
	" reason TEXT NOT NULL,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY(request_id, org_id)) WITHOUT ROWID;"
	/* DESIGN.md §3.8: each entry's hash covers the previous one's. */
	"CREATE TABLE audit("
	" seq INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" user_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev BLOB NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE INDEX audit_time ON audit(time);"
	"CREATE TABLE statuses("
	" id TEXT PRIMARY KEY,"
	" root_id INTEGER NOT NULL,"
	" org_id INTEGER NOT NULL,"
	" request_time INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX statuses_expires ON statuses(expires);",
	/* 2: the granted ids of a principal, found directly (the grants
	 * branch of a member's query) instead of among all of a collection's
	 * grants. */
	"CREATE INDEX object_grants_principal ON object_grants(collection_id, principal, "
	"stix_id);",
	/* 3: the data generation, moved by every transaction that changes
	 * anything but the audit log: a connection keeps its read snapshot
	 * (and page cache) from one request to the next while it is current
	 * (store.c, SNAPSHOT_MAX_AGE_NS). */
	"CREATE TABLE data_generation(n INTEGER NOT NULL);"
	"INSERT INTO data_generation VALUES(0);",
	/* 4: whether a version is known to be its id's last (first) in its
	 * collection: 1 when no later (earlier) version is stored, 0 when one
	 * may be. The object query then looks among the id's versions only
	 * for rows at 0 (store.c, edge_version_sql). */
	"ALTER TABLE objects ADD COLUMN is_last INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE objects ADD COLUMN is_first INTEGER NOT NULL DEFAULT 0;"
	"UPDATE objects SET " EDGES_SET ";"
	/* Kept by the database, whoever writes (a node not yet upgraded
	 * leaves its own rows at 0, which is safe): a new version is no
	 * longer last (first) for those before (after) it - unless it is
	 * both, and so the only one; after a delete, the versions left are
	 * looked at again. */
	"CREATE TRIGGER objects_edges_insert AFTER INSERT ON objects "
	"WHEN NEW.is_last = 0 OR NEW.is_first = 0 BEGIN "
	"UPDATE objects SET is_last = CASE WHEN version < NEW.version THEN 0 ELSE is_last END, "
	"is_first = CASE WHEN version > NEW.version THEN 0 ELSE is_first END WHERE "
	"collection_id = NEW.collection_id AND stix_id = NEW.stix_id AND ((version < "
	"NEW.version AND is_last = 1) OR (version > NEW.version AND is_first = 1)); END;"
	"CREATE TRIGGER objects_edges_delete AFTER DELETE ON objects BEGIN "
	"UPDATE objects SET " EDGES_SET " WHERE collection_id = OLD.collection_id AND "
	"stix_id = OLD.stix_id; END;",
	/* 5: the largest row number deleted in each range of numbers, so that
	 * none is given again (S_OBJ_INSERT, SEQ_IN_SCOPE). PostgreSQL's
	 * numbers come from a sequence: its migration 5 does nothing. */
	"CREATE TABLE objects_seq_freed(region INTEGER PRIMARY KEY, seq INTEGER NOT NULL);"
	"CREATE TRIGGER objects_seq_delete AFTER DELETE ON objects BEGIN "
	"INSERT INTO objects_seq_freed(region, seq) VALUES(OLD.seq >> 40, OLD.seq) "
	"ON CONFLICT(region) DO UPDATE SET seq = max(seq, excluded.seq); END;",
	/* 6: the owner of an id (DESIGN.md §3.2) is the provider of its stored
	 * versioned rows; object_owners keeps the owner of each id a versioned
	 * row of which was deleted, written by the database at the delete, so
	 * that an id whose every version is gone stays its provider's
	 * (S_OWNER_OTHER); the owners of ids still stored are taken out of it. A new id no longer
	 * claims a row in a second index keyed by random text: at 1 M objects that cost ingest half
	 * its speed (docs/PERFORMANCE.md). An unversioned row (an SCO: no created, no modified) has
	 * no owner; which rows are is read once from the bodies. */
	"ALTER TABLE objects ADD COLUMN unversioned INTEGER NOT NULL DEFAULT 0;"
	"UPDATE objects SET unversioned = 1 WHERE "
	"json_type(CAST(body AS TEXT), '$.created') IS NULL AND "
	"json_type(CAST(body AS TEXT), '$.modified') IS NULL;"
	"DELETE FROM object_owners WHERE EXISTS (SELECT 1 FROM objects INDEXED BY "
	"objects_version WHERE collection_id IN (SELECT id FROM collections) AND "
	"stix_id = object_owners.stix_id AND unversioned = 0);"
	"CREATE TRIGGER objects_owner_delete AFTER DELETE ON objects "
	"WHEN OLD.unversioned = 0 BEGIN "
	"INSERT INTO object_owners(stix_id, org_id) VALUES(OLD.stix_id, OLD.org_id) "
	"ON CONFLICT(stix_id) DO NOTHING; END;",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/*
 * The seq (rowid) of a new row of scope ?8: the next in the range of that
 * scope, [region << 40, (region + 1) << 40) with region = scope & (2^22 - 1),
 * found by one seek at the range's end. The table is stored in rowid order,
 * so the versions of one scope share table pages: a requester who sees one
 * scope of a hundred reads a page's rows from a few table pages, not one
 * table page per row (deep pages at 1 M objects, docs/PERFORMANCE.md), and
 * its disclosure names one run of numbers. A number is never given twice:
 * disclosures name rows by it, so the largest deleted of each range is kept
 * (objects_seq_freed, migration 5) and the next is past it too. Rows stored
 * before this rule keep their numbers (all in range 0).
 */
#define SEQ_REGION "(?8 & 4194303)"
#define SEQ_IN_SCOPE                                                                               \
	"max(coalesce((SELECT seq FROM objects WHERE seq >= (" SEQ_REGION " << 40) AND seq < "     \
	"((" SEQ_REGION " + 1) << 40) ORDER BY seq DESC LIMIT 1), " SEQ_REGION " << 40), "         \
	"coalesce((SELECT seq FROM objects_seq_freed WHERE region = " SEQ_REGION "), 0)) + 1"

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN DEFERRED",
	[S_GEN_GET] = "SELECT n FROM data_generation",
	[S_GEN_BUMP] = "UPDATE data_generation SET n = n + 1",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_ORG_ADD] = "INSERT INTO orgs(name, title, identity_id, identity, created) VALUES(?1, "
		      "?2, ?3, ?4, ?5)",
	[S_ORG_GET_ID] = "SELECT id, name, title, identity_id, created FROM orgs WHERE id = ?1",
	[S_ORG_GET_NAME] = "SELECT id, name, title, identity_id, created FROM orgs WHERE name = ?1",
	[S_ORG_LIST] = "SELECT id, name, title, identity_id, created FROM orgs ORDER BY id",
	[S_ORG_IDENTITY] = "SELECT identity FROM orgs WHERE id = ?1",
	[S_IDENTITY_ORG] = "SELECT id FROM orgs WHERE identity_id = ?1",
	[S_IDENTITY_USER] = "SELECT id FROM users WHERE identity_id = ?1",
	[S_USER_ADD] = "INSERT INTO users(org_id, name, identity_id, roles, disabled, pw_hash, "
		       "created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_USER_GET_ID] = "SELECT id, org_id, name, identity_id, roles, disabled, pw_hash, created "
			  "FROM users WHERE id = ?1",
	[S_USER_GET_NAME] = "SELECT id, org_id, name, identity_id, roles, disabled, pw_hash, "
			    "created FROM users WHERE name = ?1",
	[S_USER_LIST] = "SELECT id, org_id, name, identity_id, roles, disabled, pw_hash, created "
			"FROM users ORDER BY id",
	[S_USER_DISABLE] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
	[S_USER_PASSWD] = "UPDATE users SET pw_hash = ?2 WHERE id = ?1",
	[S_TOKEN_ADD] = "INSERT INTO tokens(user_id, hash, label, prefix, created, expires) "
			"VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_TOKEN_LOOKUP] = "SELECT id, user_id, label, prefix, created, expires, revoked FROM "
			   "tokens WHERE hash = ?1",
	[S_TOKEN_LIST] = "SELECT id, user_id, label, prefix, created, expires, revoked FROM tokens "
			 "WHERE ?1 = 0 OR user_id = ?1 ORDER BY id",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked = 1 WHERE id = ?1",
	[S_ROOT_ADD] = "INSERT INTO api_roots(name, title, description) VALUES(?1, ?2, ?3)",
	[S_ROOT_FIND] = "SELECT id, name, title, description FROM api_roots WHERE name = ?1",
	[S_ROOT_LIST] = "SELECT id, name, title, description FROM api_roots ORDER BY id",
	[S_COLL_ADD] = "INSERT INTO collections(root_id, uuid, title, description, alias) "
		       "VALUES(?1, ?2, ?3, ?4, NULLIF(?5, ''))",
	[S_COLL_GET] = "SELECT id, root_id, uuid, title, description, coalesce(alias, '') FROM "
		       "collections WHERE id = ?1",
	[S_COLL_FIND] = "SELECT id, root_id, uuid, title, description, coalesce(alias, '') FROM "
			"collections WHERE root_id = ?1 AND (uuid = ?2 OR alias = ?2)",
	[S_COLL_LIST] = "SELECT id, root_id, uuid, title, description, coalesce(alias, '') FROM "
			"collections WHERE root_id = ?1 ORDER BY id",
	[S_GRANT_SET] = "INSERT INTO grants(collection_id, org_id, can_read, can_write) VALUES(?1, "
			"?2, ?3, ?4) "
			"ON CONFLICT(collection_id, org_id) DO UPDATE SET can_read = "
			"excluded.can_read, can_write = excluded.can_write",
	[S_GRANT_GET] =
		"SELECT can_read, can_write FROM grants WHERE collection_id = ?1 AND org_id = ?2",
	/* Another organisation's versioned row of the id, in any collection,
	 * or another owner kept for a deleted row of it (migration 6). */
	[S_OWNER_OTHER] = "SELECT org_id FROM objects INDEXED BY objects_version WHERE "
			  "collection_id IN (SELECT id FROM collections) AND stix_id = ?1 AND "
			  "unversioned = 0 AND org_id <> ?2 UNION ALL SELECT org_id FROM "
			  "object_owners WHERE stix_id = ?1 AND org_id <> ?2 LIMIT 1",
	[S_OBJ_SAME_VERSION] = "SELECT body FROM objects WHERE collection_id = ?1 AND stix_id = ?2 "
			       "AND version = ?3",
	[S_OBJ_BODY_ANY] = "SELECT version FROM objects WHERE collection_id = ?1 AND stix_id = ?2 "
			   "AND body = ?3 AND org_id = ?4 LIMIT 1",
	[S_OBJ_INSERT] =
		"INSERT INTO objects(seq, collection_id, stix_id, type, spec_version, version, "
		"date_added, org_id, scope_id, tlp, category, body, unversioned, is_last, "
		"is_first) VALUES(" SEQ_IN_SCOPE
		", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NOT EXISTS (SELECT 1 "
		"FROM objects WHERE collection_id = ?1 AND stix_id = ?2 AND version > ?5), "
		"NOT EXISTS (SELECT 1 FROM objects WHERE collection_id = ?1 AND stix_id = "
		"?2 AND version < ?5))",
	[S_OBJ_MAX_ADDED] = "SELECT max(date_added) FROM objects WHERE collection_id = ?1",
	[S_VISIBLE_SCOPES] =
		"SELECT scope_id, max(principal = ?4) FROM scope_members WHERE principal "
		"IN (?1, ?2, ?3, ?4) GROUP BY scope_id",
	[S_OBJ_COUNT] = "SELECT count(*) FROM objects",
	[S_STATUS_PUT] = "INSERT OR REPLACE INTO statuses(id, root_id, org_id, request_time, "
			 "expires, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_STATUS_GET] = "SELECT root_id, org_id, request_time, doc FROM statuses WHERE id = ?1 "
			 "AND expires > ?2",
	[S_STATUS_PURGE] = "DELETE FROM statuses WHERE expires <= ?1",
	[S_PING] = "SELECT count(*) FROM schema_version",
};

/* The prepared object queries of a connection: one per shape and branch. */
#define Q__SHAPES (1u << Q_SHAPE_BITS)

/*
 * A query of a requester who sees through scopes and grants (VIS_MEMBER,
 * VIS_GRANTS) runs as several branches, each an ordered range scan of one
 * index that returns only visible rows - the provider's own, each visible
 * scope, the grants - and sqlite_merge() merges them in (date_added, seq)
 * order. So a page costs a few times its length, whether the requester sees
 * 1 % of a collection or all of it (DESIGN.md §3.1, §7).
 */
enum branch {
	BR_ALL,		 /* one statement with the whole visibility predicate */
	BR_OWN,		 /* org_id = :org */
	BR_SCOPE,	 /* scope_id = :scope (named to the user: any TLP) */
	BR_SCOPE_NO_RED, /* scope_id = :scope AND not TLP:RED (named to org or group) */
	BR_GRANTS,	 /* granted objects */
	BR__COUNT
};

static sqlite3_stmt *stmt(struct sqlite_conn *c, enum stmt_id id)
{
	sqlite3_stmt *s = c->stmt[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sq_before_step(c, s);
	return s;
}

void sq_before_step(struct sqlite_conn *c, sqlite3_stmt *s)
{
	/* A write inside the read snapshot would upgrade it to a write
	 * transaction outside the write lock, and fail if the database moved
	 * since the snapshot began: end the snapshot, and write on its own. */
	if (sqlite3_stmt_readonly(s))
		return;
	if (c->base.in_read)
		store_read_end(&c->base);
	/* What the commit must tell other connections (sq_tx_commit). */
	if (s != c->stmt[S_BEGIN] && s != c->share[SS_AUDIT_ADD])
		c->wrote_data = true;
}

static err_t migrate(struct sqlite_conn *c)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc;
	char *errmsg = NULL;

	rc = sqlite3_exec(c->db,
			  "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)",
			  NULL, NULL, NULL);
	if (rc)
		return fail(c, rc, "schema_version");
	rc = sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_version", -1,
				&s, NULL);
	if (rc)
		return fail(c, rc, "schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > (int)N_MIGRATIONS) {
		log_error(
			"store: the database has schema version %d, newer than this renkei (%zu); "
			"refusing to run against it: upgrade renkei",
			version, N_MIGRATIONS);
		return ERR_CONFLICT;
	}
	for (size_t v = (size_t)version; v < N_MIGRATIONS; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "INSERT INTO schema_version VALUES(%zu)", v + 1);
		rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (!rc)
			rc = sqlite3_exec(c->db, migrations[v], NULL, NULL, &errmsg);
		if (!rc)
			rc = sqlite3_exec(c->db, bump, NULL, NULL, &errmsg);
		if (!rc)
			rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &errmsg);
		if (rc) {
			log_error("store: migration %zu failed: %s", v + 1,
				  errmsg ? errmsg : sqlite3_errmsg(c->db));
			sqlite3_free(errmsg);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return ERR_STORE;
		}
		if (version > 0)
			log_info("store: upgraded the schema to version %zu", v + 1);
	}
	return ERR_OK;
}

static void sq_disconnect(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	if (!c)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite_share_finalize(c);
	if (c->shapes) {
		for (size_t i = 0; i < (size_t)Q__SHAPES * BR__COUNT; i++)
			sqlite3_finalize(c->shapes[i]);
		free(c->shapes);
	}
	for (size_t i = 0; i < c->n_extra; i++)
		sqlite3_finalize(c->extra[i].s);
	sqlite3_close(c->db);
	free(c);
}

/*
 * Before SQLite starts: no memory statistics. Kept, they cost a process-wide
 * mutex on every allocation SQLite makes, which the serving threads fought
 * over (measured: about 6 % of a page's time in futex calls); renkei never
 * reads them.
 */
static void sq_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static err_t sq_connect(const char *dsn, bool create, struct store_conn **out)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	struct sqlite_conn *c = NULL;
	err_t err = ERR_OK;
	int rc;

	pthread_once(&configured, sq_configure);
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	c->base.be = &store_sqlite_be;
	c->shapes = calloc((size_t)Q__SHAPES * BR__COUNT, sizeof(*c->shapes));
	if (!c->shapes) {
		err = ERR_NOMEM;
		goto fail;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(dsn, &c->db, flags, NULL);
	if (rc) {
		if (!create && (rc & 0xff) == SQLITE_CANTOPEN) {
			log_error("store: no database at %s (run 'renkei init' first)", dsn);
			err = ERR_NOTFOUND;
		} else {
			err = fail(c, rc, "open");
		}
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, 10000);
	/*
	 * WAL lets readers run beside the one writer; synchronous=NORMAL in WAL
	 * mode keeps every committed transaction across a process crash (only
	 * an OS crash or power loss can lose the last ones). foreign_keys on for
	 * the integrity of the account tables. journal_size_limit: a WAL that
	 * starts over is cut back to 64 MB (sq_maintain). cache_size 2 MB a
	 * connection: now that connections keep their caches between requests,
	 * 8 MB each put the server at 92-97 MB resident at 100 k-1 M objects;
	 * with 2 MB it stays at 37-41 MB and serves as many pages (a deep page's
	 * rows come from the OS cache either way).
	 */
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			  "PRAGMA foreign_keys=ON; PRAGMA cache_size=-2000; "
			  "PRAGMA wal_autocheckpoint=16000; PRAGMA journal_size_limit=67108864;",
			  NULL, NULL, NULL);
	if (rc) {
		err = fail(c, rc, "pragmas");
		goto fail;
	}
	err = migrate(c);
	if (err)
		goto fail;
	/* Temporary tables and statement journals in memory, but only after
	 * the migrations: a migration is one transaction, and its statement
	 * journal can hold a whole table (96 MB for migration 6 at 1.4 M
	 * objects), so they keep SQLite's default, a file. */
	rc = sqlite3_exec(c->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	if (rc) {
		err = fail(c, rc, "temp_store");
		goto fail;
	}
	for (int i = 0; i < S__COUNT; i++) {
		rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&c->stmt[i], NULL);
		if (rc) {
			if (!create && (rc & 0xff) == SQLITE_ERROR)
				log_error("store: %s is not a renkei database", dsn);
			err = fail(c, rc, stmt_sql[i]);
			goto fail;
		}
	}
	err = sqlite_share_prepare(c);
	if (err)
		goto fail;
	*out = &c->base;
	return ERR_OK;
fail:
	sq_disconnect(&c->base);
	return err;
}

static err_t sq_ping(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	int64_t n;
	return one_int64(c, stmt(c, S_PING), "ping", &n);
}

/*
 * SQLite takes one writer at a time; a second one that finds the lock taken
 * sleeps in the busy handler (1, 2, 5, 10 ... 100 ms) and tries again, while
 * every page served writes its disclosure audit entry. Writers of this
 * process queue on a mutex instead and start the moment the previous one
 * commits; the busy handler is left for other processes (the CLI beside a
 * server).
 */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static void write_unlock(struct sqlite_conn *c)
{
	if (c->big_cache) {
		c->big_cache = false;
		sqlite3_exec(c->db, "PRAGMA cache_size=-2000", NULL, NULL, NULL);
	}
	if (c->holds_write_lock) {
		c->holds_write_lock = false;
		pthread_mutex_unlock(&write_lock);
	}
}

#define WAL_LONG 8192 /* frames: 32 MB of 4 KB pages */

/*
 * Copies the WAL back into the database without waiting for anyone
 * (PASSIVE): done here, every 100 ms, rather than by the writer whose
 * commit crosses wal_autocheckpoint, which would hold the write lock - and
 * the requests waiting for their disclosures - through the copy and its
 * fsync. wal_autocheckpoint stays as the safety net of a process without
 * this thread's help.
 */
static bool sq_maintain(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	int frames = 0;
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, NULL);
	if (rc && rc != SQLITE_BUSY)
		log_warn("store: checkpoint: %s", sqlite3_errmsg(c->db));
	/*
	 * The WAL starts over from its beginning only when a writer finds it
	 * all copied back and no reader inside it. Under a steady stream of
	 * disclosures that never happens by itself: the passive checkpoint
	 * never catches up with the writers, and kept snapshots are always
	 * inside the WAL (it grew by 6 GB in ten minutes of benchmark). So
	 * past WAL_LONG frames, kept snapshots are given up (the caller stops
	 * keeping them, and a request gives its snapshot up before it waits
	 * for its disclosure: store_read_yield), and on the next round this
	 * process's writers are held while a RESTART checkpoint copies the
	 * WAL back and waits for the readers to leave it, so that the next
	 * writer starts it over.
	 */
	if (frames <= WAL_LONG) {
		c->wal_long = false;
		return false;
	}
	if (c->wal_long) {
		/* Readers get 200 ms to leave (a long export in another
		 * process may not): then writers go on, and the next round
		 * tries again. */
		sqlite3_busy_timeout(c->db, 200);
		pthread_mutex_lock(&write_lock);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, &frames,
					       NULL);
		pthread_mutex_unlock(&write_lock);
		if (rc && rc != SQLITE_BUSY)
			log_warn("store: checkpoint: %s", sqlite3_errmsg(c->db));
		if (!rc) {
			c->wal_long = false;
			return false;
		}
	}
	c->wal_long = true;
	return true;
}

static err_t sq_generation(struct store_conn *base, int64_t *gen)
{
	struct sqlite_conn *c = sq(base);
	return one_int64(c, stmt(c, S_GEN_GET), "data generation", gen);
}

/*
 * A read snapshot is a deferred transaction: its first read takes the
 * shared lock and the WAL read mark, which every later read reuses. The
 * commit of a transaction that wrote nothing only releases them.
 */
static err_t sq_read_begin(struct store_conn *base, int64_t *gen)
{
	struct sqlite_conn *c = sq(base);
	err_t rc = exec_done(c, stmt(c, S_BEGIN_READ), "begin read");
	/* The first read fixes the snapshot: the generation it shows. */
	if (!rc && (rc = sq_generation(base, gen)) != ERR_OK)
		exec_done(c, stmt(c, S_ROLLBACK), "rollback read");
	return rc;
}

static void sq_read_end(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	if (sqlite3_get_autocommit(c->db))
		return;
	if (exec_done(c, stmt(c, S_COMMIT), "end read"))
		exec_done(c, stmt(c, S_ROLLBACK), "rollback read");
}

static err_t sq_tx_begin(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	pthread_mutex_lock(&write_lock);
	c->holds_write_lock = true;
	err_t rc = exec_done(c, stmt(c, S_BEGIN), "begin");
	if (rc)
		write_unlock(c);
	c->wrote_data = false;
	return rc;
}

static err_t sq_tx_commit(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	err_t rc = ERR_OK;
	/* Kept snapshots of the generation before are now out of date. */
	if (c->wrote_data)
		rc = exec_done(c, stmt(c, S_GEN_BUMP), "data generation");
	if (!rc)
		rc = exec_done(c, stmt(c, S_COMMIT), "commit");
	/* A failed COMMIT leaves the transaction open for the rollback. */
	if (!rc)
		write_unlock(c);
	return rc;
}

static void sq_tx_rollback(struct store_conn *base)
{
	struct sqlite_conn *c = sq(base);
	if (!sqlite3_get_autocommit(c->db))
		exec_done(c, stmt(c, S_ROLLBACK), "rollback");
	write_unlock(c);
}

/* ---- organisations ---- */

static void org_from_row(sqlite3_stmt *s, struct org *o)
{
	o->id = sqlite3_column_int64(s, 0);
	copy_col(o->name, sizeof(o->name), s, 1);
	copy_col(o->title, sizeof(o->title), s, 2);
	copy_col(o->identity_id, sizeof(o->identity_id), s, 3);
	o->created = sqlite3_column_int64(s, 4);
}

static err_t sq_org_add(struct store_conn *base, struct org *o, const char *identity_json)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ORG_ADD);
	bind_text(s, 1, o->name);
	bind_text(s, 2, o->title);
	bind_text(s, 3, o->identity_id);
	bind_text(s, 4, identity_json);
	sqlite3_bind_int64(s, 5, o->created);
	err_t rc = exec_done(c, s, "org add");
	if (!rc)
		o->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static err_t sq_org_get(struct store_conn *base, int64_t id, const char *name, struct org *o)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s;
	if (name) {
		s = stmt(c, S_ORG_GET_NAME);
		bind_text(s, 1, name);
	} else {
		s = stmt(c, S_ORG_GET_ID);
		sqlite3_bind_int64(s, 1, id);
	}
	err_t rc = one_row(c, s, "org get");
	if (rc)
		return rc;
	org_from_row(s, o);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_org_list(struct store_conn *base, err_t (*fn)(void *, const struct org *),
			 void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ORG_LIST);
	struct org o;
	int rc;
	err_t err = ERR_OK;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		org_from_row(s, &o);
		err = fn(ctx, &o);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(c, rc, "org list");
	sqlite3_reset(s);
	return err;
}

static err_t sq_org_identity(struct store_conn *base, int64_t id, char **json, size_t *len)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ORG_IDENTITY);
	sqlite3_bind_int64(s, 1, id);
	err_t rc = one_row(c, s, "org identity");
	if (rc)
		return rc;
	rc = dup_col(s, 0, json, len);
	sqlite3_reset(s);
	return rc;
}

static err_t sq_identity_find(struct store_conn *base, const char *identity_id, int64_t *org_id,
			      int64_t *user_id)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_IDENTITY_ORG);
	*org_id = *user_id = 0;
	bind_text(s, 1, identity_id);
	err_t rc = one_int64(c, s, "identity org", org_id);
	if (rc != ERR_NOTFOUND)
		return rc;
	s = stmt(c, S_IDENTITY_USER);
	bind_text(s, 1, identity_id);
	return one_int64(c, s, "identity user", user_id);
}

/* ---- users ---- */

static void user_from_row(sqlite3_stmt *s, struct user *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->org_id = sqlite3_column_int64(s, 1);
	copy_col(u->name, sizeof(u->name), s, 2);
	copy_col(u->identity_id, sizeof(u->identity_id), s, 3);
	u->roles = (unsigned)sqlite3_column_int(s, 4);
	u->disabled = sqlite3_column_int(s, 5) != 0;
	copy_col(u->pw_hash, sizeof(u->pw_hash), s, 6);
	u->created = sqlite3_column_int64(s, 7);
}

static err_t sq_user_add(struct store_conn *base, struct user *u)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_USER_ADD);
	sqlite3_bind_int64(s, 1, u->org_id);
	bind_text(s, 2, u->name);
	bind_text(s, 3, u->identity_id);
	sqlite3_bind_int(s, 4, (int)u->roles);
	sqlite3_bind_int(s, 5, u->disabled);
	bind_text(s, 6, u->pw_hash);
	sqlite3_bind_int64(s, 7, u->created);
	err_t rc = exec_done(c, s, "user add");
	if (!rc)
		u->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static err_t sq_user_get(struct store_conn *base, int64_t id, const char *name, struct user *u)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s;
	if (name) {
		s = stmt(c, S_USER_GET_NAME);
		bind_text(s, 1, name);
	} else {
		s = stmt(c, S_USER_GET_ID);
		sqlite3_bind_int64(s, 1, id);
	}
	err_t rc = one_row(c, s, "user get");
	if (rc)
		return rc;
	user_from_row(s, u);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_user_list(struct store_conn *base, err_t (*fn)(void *, const struct user *),
			  void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_USER_LIST);
	struct user u;
	int rc;
	err_t err = ERR_OK;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		user_from_row(s, &u);
		err = fn(ctx, &u);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(c, rc, "user list");
	sqlite3_reset(s);
	return err;
}

static err_t sq_user_set_disabled(struct store_conn *base, int64_t id, bool disabled)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_USER_DISABLE);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, disabled);
	return update_by_id(c, s, "user disable");
}

static err_t sq_user_set_password(struct store_conn *base, int64_t id, const char *pw_hash)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_USER_PASSWD);
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, pw_hash);
	return update_by_id(c, s, "user passwd");
}

/* ---- tokens ---- */

static void token_from_row(sqlite3_stmt *s, struct token *t)
{
	t->id = sqlite3_column_int64(s, 0);
	t->user_id = sqlite3_column_int64(s, 1);
	copy_col(t->label, sizeof(t->label), s, 2);
	copy_col(t->prefix, sizeof(t->prefix), s, 3);
	t->created = sqlite3_column_int64(s, 4);
	t->expires = sqlite3_column_int64(s, 5);
	t->revoked = sqlite3_column_int(s, 6) != 0;
}

static err_t sq_token_add(struct store_conn *base, struct token *t, const unsigned char hash[32])
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_TOKEN_ADD);
	sqlite3_bind_int64(s, 1, t->user_id);
	sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	bind_text(s, 3, t->label);
	bind_text(s, 4, t->prefix);
	sqlite3_bind_int64(s, 5, t->created);
	sqlite3_bind_int64(s, 6, t->expires);
	err_t rc = exec_done(c, s, "token add");
	if (!rc)
		t->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static err_t sq_token_lookup(struct store_conn *base, const unsigned char hash[32], struct token *t)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_TOKEN_LOOKUP);
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	err_t rc = one_row(c, s, "token lookup");
	if (rc)
		return rc;
	token_from_row(s, t);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_token_list(struct store_conn *base, int64_t user_id,
			   err_t (*fn)(void *, const struct token *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_TOKEN_LIST);
	struct token t;
	int rc;
	err_t err = ERR_OK;
	sqlite3_bind_int64(s, 1, user_id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		token_from_row(s, &t);
		err = fn(ctx, &t);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(c, rc, "token list");
	sqlite3_reset(s);
	return err;
}

static err_t sq_token_revoke(struct store_conn *base, int64_t id)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_TOKEN_REVOKE);
	sqlite3_bind_int64(s, 1, id);
	return update_by_id(c, s, "token revoke");
}

/* ---- API roots, collections, grants ---- */

static void root_from_row(sqlite3_stmt *s, struct api_root *r)
{
	r->id = sqlite3_column_int64(s, 0);
	copy_col(r->name, sizeof(r->name), s, 1);
	copy_col(r->title, sizeof(r->title), s, 2);
	copy_col(r->description, sizeof(r->description), s, 3);
}

static err_t sq_root_add(struct store_conn *base, struct api_root *r)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ROOT_ADD);
	bind_text(s, 1, r->name);
	bind_text(s, 2, r->title);
	bind_text(s, 3, r->description);
	err_t rc = exec_done(c, s, "root add");
	if (!rc)
		r->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static err_t sq_root_find(struct store_conn *base, const char *name, struct api_root *r)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ROOT_FIND);
	bind_text(s, 1, name);
	err_t rc = one_row(c, s, "root find");
	if (rc)
		return rc;
	root_from_row(s, r);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_root_list(struct store_conn *base, err_t (*fn)(void *, const struct api_root *),
			  void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_ROOT_LIST);
	struct api_root r;
	int rc;
	err_t err = ERR_OK;
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		root_from_row(s, &r);
		err = fn(ctx, &r);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(c, rc, "root list");
	sqlite3_reset(s);
	return err;
}

static void coll_from_row(sqlite3_stmt *s, struct collection *col)
{
	col->id = sqlite3_column_int64(s, 0);
	col->root_id = sqlite3_column_int64(s, 1);
	copy_col(col->uuid, sizeof(col->uuid), s, 2);
	copy_col(col->title, sizeof(col->title), s, 3);
	copy_col(col->description, sizeof(col->description), s, 4);
	copy_col(col->alias, sizeof(col->alias), s, 5);
}

static err_t sq_collection_add(struct store_conn *base, struct collection *col)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_COLL_ADD);
	sqlite3_bind_int64(s, 1, col->root_id);
	bind_text(s, 2, col->uuid);
	bind_text(s, 3, col->title);
	bind_text(s, 4, col->description);
	bind_text(s, 5, col->alias);
	err_t rc = exec_done(c, s, "collection add");
	if (!rc)
		col->id = sqlite3_last_insert_rowid(c->db);
	return rc;
}

static err_t sq_collection_get(struct store_conn *base, int64_t id, struct collection *col)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_COLL_GET);
	sqlite3_bind_int64(s, 1, id);
	err_t rc = one_row(c, s, "collection get");
	if (rc)
		return rc;
	coll_from_row(s, col);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_collection_find(struct store_conn *base, int64_t root_id, const char *key,
				struct collection *col)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_COLL_FIND);
	sqlite3_bind_int64(s, 1, root_id);
	bind_text(s, 2, key);
	err_t rc = one_row(c, s, "collection find");
	if (rc)
		return rc;
	coll_from_row(s, col);
	sqlite3_reset(s);
	return ERR_OK;
}

static err_t sq_collection_list(struct store_conn *base, int64_t root_id,
				err_t (*fn)(void *, const struct collection *), void *ctx)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_COLL_LIST);
	struct collection col;
	int rc;
	err_t err = ERR_OK;
	sqlite3_bind_int64(s, 1, root_id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		coll_from_row(s, &col);
		err = fn(ctx, &col);
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(c, rc, "collection list");
	sqlite3_reset(s);
	return err;
}

static err_t sq_grant_set(struct store_conn *base, const struct grant *g)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_GRANT_SET);
	sqlite3_bind_int64(s, 1, g->collection_id);
	sqlite3_bind_int64(s, 2, g->org_id);
	sqlite3_bind_int(s, 3, g->can_read);
	sqlite3_bind_int(s, 4, g->can_write);
	return exec_done(c, s, "grant set");
}

static err_t sq_grant_get(struct store_conn *base, int64_t collection_id, int64_t org_id,
			  struct grant *g)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_GRANT_GET);
	sqlite3_bind_int64(s, 1, collection_id);
	sqlite3_bind_int64(s, 2, org_id);
	g->collection_id = collection_id;
	g->org_id = org_id;
	g->can_read = g->can_write = false;
	err_t rc = one_row(c, s, "grant get");
	if (rc == ERR_NOTFOUND)
		return ERR_OK;
	if (rc)
		return rc;
	g->can_read = sqlite3_column_int(s, 0) != 0;
	g->can_write = sqlite3_column_int(s, 1) != 0;
	sqlite3_reset(s);
	return ERR_OK;
}

/* ---- objects ---- */

static err_t sq_next_date_added(struct store_conn *base, int64_t collection_id, int64_t now,
				int64_t *out)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_OBJ_MAX_ADDED);
	sqlite3_bind_int64(s, 1, collection_id);
	int rc = sqlite3_step(s);
	int64_t max = 0;
	if (rc == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return fail(c, rc, "max date_added");
	/* Never go back in time, and never repeat the last request's date, so that
	 * ascending date_added is commit order and added_after can resume. */
	*out = now > max ? now : max + 1;
	return ERR_OK;
}

static err_t sq_object_put(struct store_conn *base, int64_t collection_id, const struct obj_put *o,
			   int64_t date_added, enum obj_put_result *res, int64_t *version_out,
			   int64_t *seq_out)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s;
	err_t rc;
	int64_t version = o->has_version ? o->version : date_added;
	/*
	 * A transaction that stores objects (an envelope: up to max_objects
	 * rows and their index entries) gets a 4 MB cache until it ends
	 * (write_unlock): in 2 MB the pages it dirtied were spilled into the
	 * WAL before the commit and written again when dirtied again. One
	 * writer holds the write lock at a time, so one connection at a time
	 * has the bigger cache. 8 MB was faster still, but left up to 8 MB
	 * more in each worker thread's malloc arena after it (57 MB resident).
	 */
	if (!c->big_cache) {
		c->big_cache = true;
		sqlite3_exec(c->db, "PRAGMA cache_size=-4000", NULL, NULL, NULL);
	}
	*version_out = version;
	*seq_out = 0;

	/*
	 * Ownership: the organisation that first shared an id owns it: the
	 * provider of its versioned rows in any collection, or, once they are
	 * all deleted, the one object_owners kept at the deletes (migration 6). Not for
	 * unversioned objects (SCOs): their ids are derived from their values,
	 * so two organisations that observed the same address share the same
	 * id; each posts its own copy, with its own scope, and refusing the
	 * second would also tell it that somebody shared the first.
	 */
	if (o->has_version) {
		s = stmt(c, S_OWNER_OTHER);
		bind_text(s, 1, o->stix_id);
		sqlite3_bind_int64(s, 2, o->org_id);
		rc = one_row(c, s, "owner");
		if (rc == ERR_OK) {
			sqlite3_reset(s);
			*res = OBJ_PUT_NOT_OWNER;
			return ERR_OK;
		}
		if (rc != ERR_NOTFOUND)
			return rc;
		s = stmt(c, S_OBJ_SAME_VERSION);
		sqlite3_bind_int64(s, 1, collection_id);
		bind_text(s, 2, o->stix_id);
		sqlite3_bind_int64(s, 3, version);
		rc = one_row(c, s, "same version");
		if (rc == ERR_OK) {
			size_t n = (size_t)sqlite3_column_bytes(s, 0);
			const void *p = sqlite3_column_blob(s, 0);
			bool same = n == o->body_len && (n == 0 || !memcmp(p, o->body, n));
			sqlite3_reset(s);
			*res = same ? OBJ_PUT_SAME : OBJ_PUT_CONFLICT;
			return ERR_OK;
		}
		if (rc != ERR_NOTFOUND)
			return rc;
	} else {
		/* Unversioned objects (SCOs): identical bytes are the same object. */
		s = stmt(c, S_OBJ_BODY_ANY);
		sqlite3_bind_int64(s, 1, collection_id);
		bind_text(s, 2, o->stix_id);
		sqlite3_bind_blob(s, 3, o->body, (int)o->body_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, o->org_id);
		rc = one_int64(c, s, "same body", version_out);
		if (rc == ERR_OK) {
			*res = OBJ_PUT_SAME;
			return ERR_OK;
		}
		if (rc != ERR_NOTFOUND)
			return rc;
	}

	s = stmt(c, S_OBJ_INSERT);
	sqlite3_bind_int64(s, 1, collection_id);
	bind_text(s, 2, o->stix_id);
	bind_text(s, 3, o->type);
	bind_text(s, 4, o->spec_version);
	sqlite3_bind_int64(s, 5, version);
	sqlite3_bind_int64(s, 6, date_added);
	sqlite3_bind_int64(s, 7, o->org_id);
	sqlite3_bind_int64(s, 8, o->scope_id);
	sqlite3_bind_int(s, 9, o->tlp);
	sqlite3_bind_int(s, 10, o->category);
	sqlite3_bind_blob(s, 11, o->body, (int)o->body_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 12, !o->has_version);
	rc = exec_done(c, s, "object insert");
	if (rc == ERR_EXISTS) /* the unique (collection, id, version) index */
		rc = ERR_STORE;
	if (!rc) {
		*res = OBJ_PUT_ADDED;
		*seq_out = sqlite3_last_insert_rowid(c->db);
	}
	return rc;
}

/*
 * The visibility predicate of DESIGN.md §3.1 on the objects row aliased t:
 * the provider sees its own; with VIS_MEMBER a scope naming the requester's
 * organisation or one of its groups (unless the version is TLP:RED), or
 * naming the requester; with VIS_GRANTS or VIS_MEMBER a grant on the object
 * to the requester, or to its organisation (unless TLP:RED).
 */
static err_t vis_sql(struct buf *b, unsigned vis, const char *t)
{
	err_t rc = ERR_OK;
	if (vis == VIS_ALL)
		return buf_adds(b, "1");
	rc |= buf_addf(b, "(%s.org_id = :org", t);
	if (vis == VIS_MEMBER)
		rc |= buf_addf(b,
			       " OR (%s.tlp != %d AND %s.scope_id IN (SELECT scope_id FROM "
			       "scope_members WHERE principal IN (:porg, :pgroup1, :pgroup2)))"
			       " OR %s.scope_id IN (SELECT scope_id FROM scope_members WHERE "
			       "principal = :puser)",
			       t, STORE_TLP_RED, t, t);
	if (vis == VIS_MEMBER || vis == VIS_GRANTS)
		rc |= buf_addf(
			b,
			" OR EXISTS (SELECT 1 FROM object_grants g WHERE g.collection_id = "
			"%s.collection_id AND g.stix_id = %s.stix_id AND (g.principal = :puser "
			"OR (%s.tlp != %d AND g.principal = :porg)))",
			t, t, t, STORE_TLP_RED);
	rc |= buf_adds(b, ")");
	return rc ? ERR_NOMEM : ERR_OK;
}

static const struct sql_dialect sqlite_sql = {
	.one_id = "o.stix_id = :id",
	.ids = "o.stix_id IN (SELECT value FROM json_each(:ids))",
	.types = "o.type IN (SELECT value FROM json_each(:types))",
	.versions = "o.version IN (SELECT value FROM json_each(:versions))",
	.specs = "o.spec_version IN (SELECT value FROM json_each(:specs))",
	.after = "o.date_added > :after",
	.cursor = "(o.date_added, o.seq) > (:cdate, :cseq)",
	.vis_sql = vis_sql,
};

#define SELECT_COLS                                                                                \
	"SELECT seq, date_added, version, stix_id, type, spec_version, org_id, "                   \
	"scope_id, tlp, category"

/* Builds the object query of one shape from fixed fragments. */
static err_t shape_sql(unsigned shape, enum branch br, struct buf *b)
{
	unsigned vis = (shape >> Q_VIS_SHIFT) & 3;
	err_t rc = ERR_OK;
	/*
	 * With ids given (or the granted ids of the grants branch), the
	 * (collection, id, version) index finds the few rows at once; left to
	 * itself the planner prefers an index in page order and scans the whole
	 * collection for them (it has no statistics to know better).
	 */
	const char *from = (shape & (Q_ONE_ID | Q_IDS)) || br == BR_GRANTS
				   ? "objects AS o INDEXED BY objects_version"
				   : "objects AS o";
	if (shape & Q_DELETE)
		rc |= buf_addf(b, "DELETE FROM %s WHERE o.collection_id = :coll", from);
	else if (shape & Q_BODY)
		rc |= buf_addf(b, SELECT_COLS ", body FROM %s WHERE o.collection_id = :coll", from);
	else
		rc |= buf_addf(b, SELECT_COLS " FROM %s WHERE o.collection_id = :coll", from);
	rc |= buf_adds(b, " AND ");
	switch (br) {
	case BR_ALL: rc |= vis_sql(b, vis, "o"); break;
	case BR_OWN: rc |= buf_adds(b, "o.org_id = :org"); break;
	case BR_SCOPE: rc |= buf_adds(b, "o.scope_id = :scope"); break;
	case BR_SCOPE_NO_RED:
		rc |= buf_addf(b, "o.scope_id = :scope AND o.tlp != %d", STORE_TLP_RED);
		break;
	case BR_GRANTS:
		/* The IN drives the lookup by id; the EXISTS applies the TLP:RED rule. */
		rc |= buf_addf(
			b,
			"o.stix_id IN (SELECT g.stix_id FROM object_grants g WHERE "
			"g.collection_id = :coll AND g.principal IN (:puser, :porg)) AND "
			"EXISTS (SELECT 1 FROM object_grants g WHERE g.collection_id = "
			"o.collection_id AND g.stix_id = o.stix_id AND (g.principal = :puser "
			"OR (o.tlp != %d AND g.principal = :porg)))",
			STORE_TLP_RED);
		break;
	default: break;
	}
	rc |= store_filters_sql(b, shape, &sqlite_sql);
	if (!(shape & Q_DELETE))
		rc |= buf_adds(b, " ORDER BY o.date_added, o.seq LIMIT :limit");
	return rc ? ERR_NOMEM : ERR_OK;
}

/* A JSON array of strings, as json_each() reads it. */
static char *json_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static char *json_ints(const int64_t *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static void bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);
	if (i)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_named_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);
	if (i)
		sqlite3_bind_int64(s, i, v);
}

/*
 * Where the nth statement (n >= 1) of one (shape, branch) in one query is
 * kept - the statement of a second, third ... visible scope - or NULL when
 * the connection's table of them is full.
 */
static sqlite3_stmt **extra_slot(struct sqlite_conn *c, size_t slot, unsigned nth)
{
	for (size_t i = 0; i < c->n_extra; i++)
		if (c->extra[i].slot == slot && c->extra[i].nth == nth)
			return &c->extra[i].s;
	if (c->n_extra == EXTRA_STMTS)
		return NULL;
	c->extra[c->n_extra] = (struct extra_stmt){.slot = slot, .nth = nth};
	return &c->extra[c->n_extra++].s;
}

/*
 * Prepares and binds query q as branch br, the nth of its kind in the query
 * (one per visible scope). Statements are kept for the connection: the
 * first of each (shape, branch) in the table of shapes, later ones in a
 * small table of extras; when that is full, the statement is made for the
 * occasion and *temp says the caller must finalize it.
 */
static err_t prepare_branch(struct sqlite_conn *c, const struct obj_query *q, bool del,
			    enum branch br, int64_t scope, unsigned nth, sqlite3_stmt **out,
			    bool *temp)
{
	unsigned shape = store_query_shape(q, del);
	size_t slot = (size_t)shape * BR__COUNT + br;
	sqlite3_stmt **keep = nth ? extra_slot(c, slot, nth) : &c->shapes[slot];
	sqlite3_stmt *s = keep ? *keep : NULL;
	bool fresh = !keep;
	char *ids = NULL, *types = NULL, *versions = NULL, *specs = NULL;
	err_t rc = ERR_OK;

	*out = NULL;
	*temp = false;
	if (!s) {
		struct buf b;
		buf_init(&b, 8192);
		rc = shape_sql(shape, br, &b);
		if (!rc) {
			int src =
				sqlite3_prepare_v3(c->db, buf_cstr(&b), -1,
						   fresh ? 0 : SQLITE_PREPARE_PERSISTENT, &s, NULL);
			if (src)
				rc = fail(c, src, "prepare object query");
		}
		buf_release(&b);
		if (rc)
			return rc;
		if (fresh)
			*temp = true;
		else
			*keep = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	sq_before_step(c, s);

	if ((shape & Q_IDS) && !(ids = json_strings(q->ids, q->n_ids)))
		rc = ERR_NOMEM;
	if ((shape & Q_TYPES) && !(types = json_strings(q->types, q->n_types)))
		rc = ERR_NOMEM;
	if ((shape & Q_V_LIST) && !(versions = json_ints(q->versions, q->n_versions)))
		rc = ERR_NOMEM;
	if ((shape & Q_SPEC) && !(specs = json_strings(q->spec_versions, q->n_spec_versions)))
		rc = ERR_NOMEM;
	if (!rc) {
		bind_named_int(s, ":coll", q->collection_id);
		if (q->stix_id)
			bind_named_text(s, ":id", q->stix_id);
		if (ids)
			bind_named_text(s, ":ids", ids);
		if (types)
			bind_named_text(s, ":types", types);
		if (versions)
			bind_named_text(s, ":versions", versions);
		if (specs)
			bind_named_text(s, ":specs", specs);
		bind_named_int(s, ":after", q->added_after);
		bind_named_int(s, ":org", q->vis.org);
		bind_named_int(s, ":porg", PRINCIPAL_ORG(q->vis.org));
		bind_named_int(s, ":puser", PRINCIPAL_USER(q->vis.user));
		/* -1 names no principal: a group the organisation is not in. */
		bind_named_int(s, ":pgroup1", q->vis.party ? PRINCIPAL_PARTIES : -1);
		bind_named_int(s, ":pgroup2", q->vis.community ? PRINCIPAL_COMMUNITY : -1);
		bind_named_int(s, ":scope", scope);
		bind_named_int(s, ":cdate", q->cursor_date);
		bind_named_int(s, ":cseq", q->cursor_seq);
		/* One row more than asked for tells whether there is more. */
		bind_named_int(s, ":limit", (int64_t)q->limit + 1);
	}
	free(ids);
	free(types);
	free(versions);
	free(specs);
	if (rc && *temp) {
		sqlite3_finalize(s);
		*temp = false;
		return rc;
	}
	*out = s;
	return rc;
}

static err_t prepare_query(struct sqlite_conn *c, const struct obj_query *q, bool del,
			   sqlite3_stmt **out)
{
	bool temp;
	return prepare_branch(c, q, del, BR_ALL, 0, 0, out, &temp);
}

static bool row_of(sqlite3_stmt *s, bool body, struct obj_row *row)
{
	*row = (struct obj_row){
		.seq = sqlite3_column_int64(s, 0),
		.date_added = sqlite3_column_int64(s, 1),
		.version = sqlite3_column_int64(s, 2),
		.stix_id = (const char *)sqlite3_column_text(s, 3),
		.type = (const char *)sqlite3_column_text(s, 4),
		.spec_version = (const char *)sqlite3_column_text(s, 5),
		.org_id = sqlite3_column_int64(s, 6),
		.scope_id = sqlite3_column_int64(s, 7),
		.tlp = sqlite3_column_int(s, 8),
		.category = sqlite3_column_int(s, 9),
	};
	if (body) {
		row->body = sqlite3_column_blob(s, 10);
		row->body_len = (size_t)sqlite3_column_bytes(s, 10);
	}
	return row->stix_id && row->type && row->spec_version;
}

#define MAX_BRANCHES 66 /* own, grants and up to 64 visible scopes */

struct branch_run {
	sqlite3_stmt *s;
	bool temp; /* finalize after use */
	bool has;  /* a row is current */
	int64_t date, seq;
};

/* The scopes the requester reaches: through its user (any TLP), or only
 * through its organisation or groups (not TLP:RED). */
static err_t visible_scopes(struct sqlite_conn *c, const struct obj_visibility *v, int64_t *scopes,
			    bool *by_user, size_t *n)
{
	sqlite3_stmt *s = stmt(c, S_VISIBLE_SCOPES);
	int src;
	*n = 0;
	sqlite3_bind_int64(s, 1, PRINCIPAL_ORG(v->org));
	sqlite3_bind_int64(s, 2, v->party ? PRINCIPAL_PARTIES : -1);
	sqlite3_bind_int64(s, 3, v->community ? PRINCIPAL_COMMUNITY : -1);
	sqlite3_bind_int64(s, 4, PRINCIPAL_USER(v->user));
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == MAX_BRANCHES - 2) {
			sqlite3_reset(s);
			return ERR_TOOBIG;
		}
		scopes[*n] = sqlite3_column_int64(s, 0);
		by_user[*n] = sqlite3_column_int(s, 1) != 0;
		(*n)++;
	}
	sqlite3_reset(s);
	return src == SQLITE_DONE ? ERR_OK : fail(c, src, "visible scopes");
}

static void branch_step(struct sqlite_conn *c, struct branch_run *b, err_t *rc)
{
	int src = sqlite3_step(b->s);
	b->has = src == SQLITE_ROW;
	if (b->has) {
		b->date = sqlite3_column_int64(b->s, 1);
		b->seq = sqlite3_column_int64(b->s, 0);
	} else if (src != SQLITE_DONE && !*rc) {
		*rc = fail(c, src, "object query branch");
	}
}

/* The query as one statement with the whole visibility predicate. */
static err_t single_query(struct sqlite_conn *c, const struct obj_query *q, obj_row_fn fn,
			  void *ctx, bool *more)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	int src;
	err_t rc = prepare_query(c, q, false, &s);
	if (rc)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		struct obj_row row;
		if (n == q->limit) {
			*more = true;
			break;
		}
		if (!row_of(s, q->want_body, &row)) {
			rc = ERR_NOMEM;
			break;
		}
		rc = fn(ctx, &row);
		if (rc)
			break;
		n++;
	}
	if (!rc && src != SQLITE_ROW && src != SQLITE_DONE)
		rc = fail(c, src, "object query");
	sqlite3_reset(s);
	return rc;
}

/* The merge of the branches of a VIS_MEMBER or VIS_GRANTS query. */
static err_t merged_query(struct sqlite_conn *c, const struct obj_query *q, obj_row_fn fn,
			  void *ctx, bool *more)
{
	struct branch_run br[MAX_BRANCHES];
	int64_t scopes[MAX_BRANCHES];
	bool by_user[MAX_BRANCHES];
	size_t nb = 0, ns = 0, n = 0;
	int64_t last_seq = -1;
	err_t rc = ERR_OK;

	memset(br, 0, sizeof(br));
	if (q->vis.mode == VIS_MEMBER)
		rc = visible_scopes(c, &q->vis, scopes, by_user, &ns);
	if (rc == ERR_TOOBIG) {
		/* Very many scopes: one statement with the whole predicate. */
		rc = ERR_OK;
		goto single;
	}
	if (rc)
		return rc;
	unsigned nth[BR__COUNT] = {0};
	rc = prepare_branch(c, q, false, BR_OWN, 0, 0, &br[nb].s, &br[nb].temp);
	nb += !rc;
	if (!rc) {
		rc = prepare_branch(c, q, false, BR_GRANTS, 0, 0, &br[nb].s, &br[nb].temp);
		nb += !rc;
	}
	for (size_t i = 0; !rc && i < ns; i++) {
		enum branch kind = by_user[i] ? BR_SCOPE : BR_SCOPE_NO_RED;
		rc = prepare_branch(c, q, false, kind, scopes[i], nth[kind]++, &br[nb].s,
				    &br[nb].temp);
		nb += !rc;
	}
	for (size_t i = 0; !rc && i < nb; i++)
		branch_step(c, &br[i], &rc);
	while (!rc) {
		struct branch_run *min = NULL;
		for (size_t i = 0; i < nb; i++)
			if (br[i].has && (!min || br[i].date < min->date ||
					  (br[i].date == min->date && br[i].seq < min->seq)))
				min = &br[i];
		if (!min)
			break;
		if (min->seq != last_seq) { /* a row seen through two branches counts once */
			if (n == q->limit) {
				*more = true;
				break;
			}
			struct obj_row row;
			if (!row_of(min->s, q->want_body, &row)) {
				rc = ERR_NOMEM;
				break;
			}
			last_seq = row.seq;
			rc = fn(ctx, &row);
			if (rc)
				break;
			n++;
		}
		branch_step(c, min, &rc);
	}
	for (size_t i = 0; i < nb; i++) {
		if (br[i].temp)
			sqlite3_finalize(br[i].s);
		else
			sqlite3_reset(br[i].s);
	}
	return rc;
single:
	return single_query(c, q, fn, ctx, more);
}

static err_t sq_object_query(struct store_conn *base, const struct obj_query *q, obj_row_fn fn,
			     void *ctx, bool *more)
{
	struct sqlite_conn *c = sq(base);
	*more = false;
	if (q->vis.mode == VIS_MEMBER || q->vis.mode == VIS_GRANTS)
		return merged_query(c, q, fn, ctx, more);
	return single_query(c, q, fn, ctx, more);
}

static err_t sq_object_delete(struct store_conn *base, const struct obj_query *q, size_t *n)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = NULL;
	err_t rc;

	*n = 0;
	if (!q->stix_id)
		return ERR_INTERNAL;
	rc = prepare_query(c, q, true, &s);
	if (rc)
		return rc;
	rc = exec_done(c, s, "object delete");
	if (rc)
		return rc;
	*n = (size_t)sqlite3_changes(c->db);
	return ERR_OK;
}

static err_t sq_object_count(struct store_conn *base, int64_t *n)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_OBJ_COUNT);
	return one_int64(c, s, "object count", n);
}

/* ---- status resources ---- */

static err_t sq_status_put(struct store_conn *base, const struct status_rec *st, int64_t expires)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_STATUS_PUT);
	bind_text(s, 1, st->id);
	sqlite3_bind_int64(s, 2, st->root_id);
	sqlite3_bind_int64(s, 3, st->org_id);
	sqlite3_bind_int64(s, 4, st->request_time);
	sqlite3_bind_int64(s, 5, expires);
	sqlite3_bind_text(s, 6, st->doc, (int)st->doc_len, SQLITE_STATIC);
	return exec_done(c, s, "status put");
}

static err_t sq_status_get(struct store_conn *base, const char *id, int64_t now,
			   struct status_rec *st, char **doc)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_STATUS_GET);
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	err_t rc = one_row(c, s, "status get");
	if (rc)
		return rc;
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->root_id = sqlite3_column_int64(s, 0);
	st->org_id = sqlite3_column_int64(s, 1);
	st->request_time = sqlite3_column_int64(s, 2);
	rc = dup_col(s, 3, doc, &st->doc_len);
	st->doc = *doc;
	sqlite3_reset(s);
	return rc;
}

static err_t sq_status_purge(struct store_conn *base, int64_t now)
{
	struct sqlite_conn *c = sq(base);
	sqlite3_stmt *s = stmt(c, S_STATUS_PURGE);
	sqlite3_bind_int64(s, 1, now);
	return exec_done(c, s, "status purge");
}

const struct store_be store_sqlite_be = {
	.name = "sqlite",
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.ping = sq_ping,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.generation = sq_generation,
	.maintain = sq_maintain,
	.tx_begin = sq_tx_begin,
	.tx_commit = sq_tx_commit,
	.tx_rollback = sq_tx_rollback,
	.org_add = sq_org_add,
	.org_get = sq_org_get,
	.org_list = sq_org_list,
	.org_identity = sq_org_identity,
	.identity_find = sq_identity_find,
	.user_add = sq_user_add,
	.user_get = sq_user_get,
	.user_list = sq_user_list,
	.user_set_disabled = sq_user_set_disabled,
	.user_set_password = sq_user_set_password,
	.token_add = sq_token_add,
	.token_lookup = sq_token_lookup,
	.token_list = sq_token_list,
	.token_revoke = sq_token_revoke,
	.root_add = sq_root_add,
	.root_find = sq_root_find,
	.root_list = sq_root_list,
	.collection_add = sq_collection_add,
	.collection_get = sq_collection_get,
	.collection_find = sq_collection_find,
	.collection_list = sq_collection_list,
	.grant_set = sq_grant_set,
	.grant_get = sq_grant_get,
	.object_put = sq_object_put,
	.next_date_added = sq_next_date_added,
	.object_query = sq_object_query,
	.object_delete = sq_object_delete,
	.object_count = sq_object_count,
	.scope_get_or_add = sq_scope_get_or_add,
	.scope_members = sq_scope_members,
	.scope_marking_add = sq_scope_marking_add,
	.scope_marking_find = sq_scope_marking_find,
	.agreement_put = sq_agreement_put,
	.agreement_get = sq_agreement_get,
	.agreement_list = sq_agreement_list,
	.agreement_members = sq_agreement_members,
	.objection_add = sq_objection_add,
	.objection_list = sq_objection_list,
	.collection_set_defaults = sq_collection_set_defaults,
	.collection_defaults = sq_collection_defaults,
	.grant_object_add = sq_grant_object_add,
	.grant_object_revoke = sq_grant_object_revoke,
	.grant_object_list = sq_grant_object_list,
	.share_add = sq_share_add,
	.share_get = sq_share_get,
	.share_list = sq_share_list,
	.share_set_status = sq_share_set_status,
	.share_answer = sq_share_answer,
	.share_answers = sq_share_answers,
	.audit_append = sq_audit_append,
	.audit_list = sq_audit_list,
	.status_put = sq_status_put,
	.status_get = sq_status_get,
	.status_purge = sq_status_purge,
};
