/*
 * store_sqlite_int.h - what the files of the SQLite back end share: the
 * connection and small helpers around sqlite3 calls. Private to store/.
 */
#ifndef RENKEI_STORE_SQLITE_INT_H
#define RENKEI_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "store_int.h"

/* The statements of store_sqlite.c. */
enum stmt_id {
	S_BEGIN,
	S_BEGIN_READ,
	S_GEN_GET,
	S_GEN_BUMP,
	S_COMMIT,
	S_ROLLBACK,
	S_ORG_ADD,
	S_ORG_GET_ID,
	S_ORG_GET_NAME,
	S_ORG_LIST,
	S_ORG_IDENTITY,
	S_IDENTITY_ORG,
	S_IDENTITY_USER,
	S_USER_ADD,
	S_USER_GET_ID,
	S_USER_GET_NAME,
	S_USER_LIST,
	S_USER_DISABLE,
	S_USER_PASSWD,
	S_TOKEN_ADD,
	S_TOKEN_LOOKUP,
	S_TOKEN_LIST,
	S_TOKEN_REVOKE,
	S_ROOT_ADD,
	S_ROOT_FIND,
	S_ROOT_LIST,
	S_COLL_ADD,
	S_COLL_GET,
	S_COLL_FIND,
	S_COLL_LIST,
	S_GRANT_SET,
	S_GRANT_GET,
	S_OWNER_OTHER,
	S_OBJ_SAME_VERSION,
	S_OBJ_BODY_ANY,
	S_OBJ_INSERT,
	S_OBJ_MAX_ADDED,
	S_VISIBLE_SCOPES,
	S_OBJ_COUNT,
	S_STATUS_PUT,
	S_STATUS_GET,
	S_STATUS_PURGE,
	S_PING,
	S__COUNT
};

/* The statements of store_sqlite_share.c (agreements, scopes, grants,
 * share requests, audit), prepared with the others at connect time. */
enum share_stmt_id {
	SS_SCOPE_FIND,
	SS_SCOPE_ADD,
	SS_SCOPE_MEMBER_ADD,
	SS_SCOPE_MEMBERS,
	SS_MARKING_ADD,
	SS_MARKING_FIND,
	SS_AG_FIND_KEY,
	SS_AG_FIND_ROOT,
	SS_AG_INSERT,
	SS_AG_UPDATE,
	SS_AG_LIST,
	SS_AG_MEMBERS_DEL,
	SS_AG_MEMBER_ADD,
	SS_AG_MEMBERS,
	SS_AG_BUMP,
	SS_OBJECTION_ADD,
	SS_OBJECTIONS,
	SS_COLL_SET_DEFAULTS,
	SS_COLL_DEFAULTS,
	SS_GRANT_ADD,
	SS_GRANT_REVOKE,
	SS_GRANT_LIST,
	SS_SHARE_ADD,
	SS_SHARE_GET,
	SS_SHARE_LIST,
	SS_SHARE_STATUS,
	SS_SHARE_ANSWER,
	SS_SHARE_ANSWERS,
	SS_AUDIT_LAST,
	SS_AUDIT_ADD,
	SS_AUDIT_ALL,
	SS__COUNT
};

/* A kept statement of a second, third ... visible scope (store_sqlite.c). */
struct extra_stmt {
	size_t slot;  /* shape * BR__COUNT + branch */
	unsigned nth; /* 1: the second statement of that slot in a query */
	sqlite3_stmt *s;
};
#define EXTRA_STMTS 32

struct sqlite_conn {
	struct store_conn base;
	sqlite3 *db;
	sqlite3_stmt *stmt[S__COUNT];
	sqlite3_stmt **shapes; /* Q__SHAPES lazily prepared object queries */
	struct extra_stmt extra[EXTRA_STMTS];
	size_t n_extra;
	sqlite3_stmt *share[SS__COUNT]; /* store_sqlite_share.c's statements */
	bool holds_write_lock;		/* this connection's transaction holds write_lock */
	bool wrote_data;		/* its transaction changed more than the audit log */
	bool big_cache;			/* ... and stores objects, with a bigger cache */
	bool wal_long;			/* (the sweeper's) sq_maintain gave up kept snapshots */
};

/* Called with every statement before it runs: a statement that writes ends
 * the connection's read snapshot. */
void sq_before_step(struct sqlite_conn *c, sqlite3_stmt *s);

/* Prepares the statements of store_sqlite_share.c. */
err_t sqlite_share_prepare(struct sqlite_conn *c);
void sqlite_share_finalize(struct sqlite_conn *c);

/* The sharing half of the back end's table (store_sqlite_share.c). */
err_t sq_scope_get_or_add(struct store_conn *base, const struct scope_def *def, int64_t *id);
err_t sq_scope_members(struct store_conn *base, int64_t scope_id,
		       err_t (*fn)(void *, int64_t principal), void *ctx);
err_t sq_scope_marking_add(struct store_conn *base, const char *stix_id, int64_t org_id,
			   int64_t scope_id);
err_t sq_scope_marking_find(struct store_conn *base, const char *stix_id, int64_t *org_id,
			    int64_t *scope_id);
err_t sq_agreement_put(struct store_conn *base, struct agreement_row *a, const char *definition,
		       const struct agreement_member *members, size_t n_members);
err_t sq_agreement_get(struct store_conn *base, const char *key, int64_t root_id,
		       struct agreement_row *a, char **definition);
err_t sq_agreement_list(struct store_conn *base, err_t (*fn)(void *, const struct agreement_row *),
			void *ctx);
err_t sq_agreement_members(struct store_conn *base, int64_t agreement_id,
			   err_t (*fn)(void *, const struct agreement_member *), void *ctx);
err_t sq_objection_add(struct store_conn *base, int64_t agreement_id, struct objection *o);
err_t sq_objection_list(struct store_conn *base, int64_t agreement_id,
			err_t (*fn)(void *, const struct objection *), void *ctx);
err_t sq_collection_set_defaults(struct store_conn *base, int64_t collection_id, int64_t scope_id,
				 int category);
err_t sq_collection_defaults(struct store_conn *base, int64_t collection_id, int64_t *scope_id,
			     int *category);
err_t sq_grant_object_add(struct store_conn *base, struct object_grant *g);
err_t sq_grant_object_revoke(struct store_conn *base, int64_t collection_id, const char *stix_id,
			     int64_t principal);
err_t sq_grant_object_list(struct store_conn *base, int64_t collection_id, const char *stix_id,
			   err_t (*fn)(void *, const struct object_grant *), void *ctx);
err_t sq_share_add(struct store_conn *base, struct share_request *r);
err_t sq_share_get(struct store_conn *base, const char *uuid, struct share_request *r);
err_t sq_share_list(struct store_conn *base, int64_t filed_by_org, int status,
		    err_t (*fn)(void *, const struct share_request *), void *ctx);
err_t sq_share_set_status(struct store_conn *base, int64_t id, int status, int64_t decided);
err_t sq_share_answer(struct store_conn *base, const struct share_approval *a);
err_t sq_share_answers(struct store_conn *base, int64_t request_id,
		       err_t (*fn)(void *, const struct share_approval *), void *ctx);
err_t sq_audit_append(struct store_conn *base, struct audit_entry *e);
err_t sq_audit_list(struct store_conn *base, const struct audit_filter *f,
		    err_t (*fn)(void *, const struct audit_row *), void *ctx);

static inline struct sqlite_conn *sq(struct store_conn *c)
{
	return (struct sqlite_conn *)c;
}

/* Maps a SQLite result code to ours, logging the detail (never sent out). */
static inline err_t fail(struct sqlite_conn *c, int src, const char *what)
{
	int prim = src & 0xff;
	/* A unique key taken is the caller's "exists"; any other constraint
	 * failing is our bug, and goes to the log like every store error. */
	if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ERR_EXISTS;
	log_error("sqlite: %s: %s", what, c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return ERR_BUSY;
	if (prim == SQLITE_NOMEM)
		return ERR_NOMEM;
	return ERR_STORE;
}

static inline void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static inline void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(dst, n, "%s", v ? (const char *)v : "");
}

/* Runs a statement that returns no rows. */
static inline err_t exec_done(struct sqlite_conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(c, rc, what);
	return ERR_OK;
}

/* Steps s for one row; ERR_NOTFOUND when there is none. */
static inline err_t one_row(struct sqlite_conn *c, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return ERR_OK;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return ERR_NOTFOUND;
	return fail(c, rc, what);
}

/* Steps s for one row and reads its first column as an integer into *out;
 * ERR_NOTFOUND when there is no row. s is reset either way. */
static inline err_t one_int64(struct sqlite_conn *c, sqlite3_stmt *s, const char *what,
			      int64_t *out)
{
	err_t rc = one_row(c, s, what);
	if (rc)
		return rc;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return ERR_OK;
}

/* Copies a text or blob column into a fresh malloc'd, NUL-terminated buffer. */
static inline err_t dup_col(sqlite3_stmt *s, int col, char **out, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	char *d = malloc(n + 1);
	if (!d)
		return ERR_NOMEM;
	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	*out = d;
	if (len)
		*len = n;
	return ERR_OK;
}

/* Runs an UPDATE by id; ERR_NOTFOUND when it touched nothing. */
static inline err_t update_by_id(struct sqlite_conn *c, sqlite3_stmt *s, const char *what)
{
	err_t rc = exec_done(c, s, what);
	if (!rc && sqlite3_changes(c->db) == 0)
		return ERR_NOTFOUND;
	return rc;
}

#endif
