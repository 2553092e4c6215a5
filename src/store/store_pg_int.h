/*
 * store_pg_int.h - what the files of the PostgreSQL back end share: the
 * connection, parameter lists and small helpers around libpq calls.
 * Private to store/.
 *
 * Conventions (docs/postgresql.md):
 * - every statement is a static SQL text with $n parameters, prepared once
 *   per connection under a fixed name and run with PQexecPrepared;
 * - parameters and results travel as text; byte strings (hashes) as hex,
 *   decoded and encoded in SQL (decode($1, 'hex'), encode(x, 'hex'));
 * - an INSERT that can meet a unique key uses ON CONFLICT DO NOTHING and
 *   reports ERR_EXISTS when it inserted nothing, so a transaction is never
 *   aborted by a key that is merely taken.
 */
#ifndef RENKEI_STORE_PG_INT_H
#define RENKEI_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "store_int.h"

#define PG_MAX_PARAMS 20
/* Fixed statement ids: store_pg.c uses 0..99, store_pg_share.c 100..199. */
#define PG_STMT_MAX   200
#define PG_SHARE_BASE 100
/* Object-query shapes prepared per connection, at most. */
#define PG_SHAPES_MAX 256

/*
 * Advisory locks, pg_advisory_xact_lock(class, key), held to the end of the
 * transaction: the audit chain's (one chain for every node), the schema's
 * while a node migrates it, and one per collection while a transaction adds
 * objects to it, so that date_added and seq follow commit order.
 */
#define PG_LOCK_CLASS	   7266293
#define PG_LOCK_AUDIT	   1
#define PG_LOCK_MIGRATE	   2
#define PG_LOCK_COLLECTION 7266294 /* class; the key is the collection's id */

struct pg_conn {
	struct store_conn base;
	PGconn *db;
	bool standby;				     /* a read-only connection to a hot standby */
	unsigned char prepared[PG_STMT_MAX / 8 + 1]; /* which fixed statements are prepared */
	uint64_t shape_keys[PG_SHAPES_MAX];	     /* which object-query shapes are prepared */
	size_t n_shapes;
};

/* The parameters of one statement, as text. */
struct pg_params {
	int n;
	const char *v[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24]; /* room for integers */
};

static inline struct pg_conn *pgc(struct store_conn *c)
{
	return (struct pg_conn *)c;
}

static inline void pp_int(struct pg_params *p, int64_t v)
{
	if (p->n >= PG_MAX_PARAMS)
		return;
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

/* Text; NULL is SQL NULL. */
static inline void pp_text(struct pg_params *p, const char *s)
{
	if (p->n >= PG_MAX_PARAMS)
		return;
	p->v[p->n++] = s;
}

/*
 * Runs fixed statement id (sql its text), preparing it on the connection's
 * first use. Returns the result of a statement that succeeded, which the
 * caller PQclear()s; NULL with *rc set otherwise: ERR_EXISTS for a unique
 * key taken, ERR_BUSY for a serialization failure or deadlock, ERR_STORE
 * for the rest (the detail goes to the log, never to a client).
 */
PGresult *pg_run(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
		 const char *what, err_t *rc);

/* Runs a statement that returns no rows; *changed (when not NULL) is the
 * number of rows it touched. */
err_t pg_exec(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
	      const char *what, int64_t *changed);

/* Runs a statement for its first row's first column as an integer;
 * ERR_NOTFOUND when there is no row. */
err_t pg_one_int64(struct pg_conn *c, int id, const char *sql, const struct pg_params *p,
		   const char *what, int64_t *out);

/* Runs text sql once, without a prepared statement or parameters. */
err_t pg_simple(struct pg_conn *c, const char *sql, const char *what);

/* Maps a failed result to our error, logging the detail. */
err_t pg_fail(struct pg_conn *c, const PGresult *r, const char *what);

static inline int64_t pg_int(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static inline bool pg_bool(const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);
	return v[0] == 't' || (v[0] >= '1' && v[0] <= '9');
}

static inline void pg_copy(char *dst, size_t n, const PGresult *r, int row, int col)
{
	snprintf(dst, n, "%s", PQgetvalue(r, row, col));
}

/* Copies a column into a fresh malloc'd, NUL-terminated buffer. */
static inline err_t pg_dup(const PGresult *r, int row, int col, char **out, size_t *len)
{
	size_t n = (size_t)PQgetlength(r, row, col);
	char *d = malloc(n + 1);
	if (!d)
		return ERR_NOMEM;
	memcpy(d, PQgetvalue(r, row, col), n);
	d[n] = '\0';
	*out = d;
	if (len)
		*len = n;
	return ERR_OK;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes), and back: false when
 * the text is not exactly 2n hex digits. */
void pg_hex(const unsigned char *v, size_t n, char *out);
bool pg_unhex(const char *s, unsigned char *v, size_t n);

/* The sharing half of the back end's table (store_pg_share.c). */
err_t pg_scope_get_or_add(struct store_conn *base, const struct scope_def *def, int64_t *id);
err_t pg_scope_members(struct store_conn *base, int64_t scope_id,
		       err_t (*fn)(void *, int64_t principal), void *ctx);
err_t pg_scope_marking_add(struct store_conn *base, const char *stix_id, int64_t org_id,
			   int64_t scope_id);
err_t pg_scope_marking_find(struct store_conn *base, const char *stix_id, int64_t *org_id,
			    int64_t *scope_id);
err_t pg_agreement_put(struct store_conn *base, struct agreement_row *a, const char *definition,
		       const struct agreement_member *members, size_t n_members);
err_t pg_agreement_get(struct store_conn *base, const char *key, int64_t root_id,
		       struct agreement_row *a, char **definition);
err_t pg_agreement_list(struct store_conn *base, err_t (*fn)(void *, const struct agreement_row *),
			void *ctx);
err_t pg_agreement_members(struct store_conn *base, int64_t agreement_id,
			   err_t (*fn)(void *, const struct agreement_member *), void *ctx);
err_t pg_objection_add(struct store_conn *base, int64_t agreement_id, struct objection *o);
err_t pg_objection_list(struct store_conn *base, int64_t agreement_id,
			err_t (*fn)(void *, const struct objection *), void *ctx);
err_t pg_collection_set_defaults(struct store_conn *base, int64_t collection_id, int64_t scope_id,
				 int category);
err_t pg_collection_defaults(struct store_conn *base, int64_t collection_id, int64_t *scope_id,
			     int *category);
err_t pg_grant_object_add(struct store_conn *base, struct object_grant *g);
err_t pg_grant_object_revoke(struct store_conn *base, int64_t collection_id, const char *stix_id,
			     int64_t principal);
err_t pg_grant_object_list(struct store_conn *base, int64_t collection_id, const char *stix_id,
			   err_t (*fn)(void *, const struct object_grant *), void *ctx);
err_t pg_share_add(struct store_conn *base, struct share_request *r);
err_t pg_share_get(struct store_conn *base, const char *uuid, struct share_request *r);
err_t pg_share_list(struct store_conn *base, int64_t filed_by_org, int status,
		    err_t (*fn)(void *, const struct share_request *), void *ctx);
err_t pg_share_set_status(struct store_conn *base, int64_t id, int status, int64_t decided);
err_t pg_share_answer(struct store_conn *base, const struct share_approval *a);
err_t pg_share_answers(struct store_conn *base, int64_t request_id,
		       err_t (*fn)(void *, const struct share_approval *), void *ctx);
err_t pg_audit_append(struct store_conn *base, struct audit_entry *e);
err_t pg_audit_list(struct store_conn *base, const struct audit_filter *f,
		    err_t (*fn)(void *, const struct audit_row *), void *ctx);

#endif
