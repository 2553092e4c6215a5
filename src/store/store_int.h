/*
 * store_int.h - what a storage back end implements (private to store/).
 *
 * Each back end fills one struct store_be; store.c dispatches every call of
 * store.h through it. A back end's connection struct begins with a
 * struct store_conn so that store.c can find the table.
 */
#ifndef RENKEI_STORE_INT_H
#define RENKEI_STORE_INT_H

#include "../common/buf.h"
#include "store.h"

struct store_conn {
	const struct store_be *be;
	bool in_tx;
	bool in_read;	    /* inside a read snapshot (store_read_begin) */
	int64_t read_gen;   /* the data generation the snapshot shows */
	int64_t read_since; /* when it began (CLOCK_MONOTONIC, ns) */
};

/* Ends c's read snapshot, if it has one (for a back end that is about to
 * write through c). */
void store_read_end(struct store_conn *c);

struct store_be {
	const char *name;
	/* Opens one connection to dsn; migrates the schema when create is set. */
	err_t (*connect)(const char *dsn, bool create, struct store_conn **out);
	/* Opens one read-only connection to a hot standby of the database
	 * (NULL: the back end has none). */
	err_t (*connect_standby)(const char *dsn, struct store_conn **out);
	void (*disconnect)(struct store_conn *c);
	/* Whether the database answers, as cheaply as it can be asked. */
	err_t (*ping)(struct store_conn *c);
	/* A read snapshot: every read until read_end sees one state of the
	 * database, and pays for the locks once (NULL: the back end has
	 * none, and each statement is its own). read_begin gives the data
	 * generation the snapshot shows; generation gives the current one,
	 * read outside any snapshot. Every transaction that changes anything
	 * but the audit log moves the generation, so a snapshot of the
	 * current generation shows the data as it is now. */
	err_t (*read_begin)(struct store_conn *c, int64_t *gen);
	void (*read_end)(struct store_conn *c);
	err_t (*generation)(struct store_conn *c, int64_t *gen);
	/* Housekeeping that should not delay a request (SQLite: copying the
	 * WAL back into the database), run on a connection of its own every
	 * 100 ms by the store's sweeper thread; NULL: none. Returns true
	 * while kept snapshots should be given up (SQLite: the WAL has grown
	 * long, and cannot start over while any reader holds a snapshot in
	 * it). */
	bool (*maintain)(struct store_conn *c);
	err_t (*tx_begin)(struct store_conn *c);
	err_t (*tx_commit)(struct store_conn *c);
	void (*tx_rollback)(struct store_conn *c);
	/* With standbys: how far the primary has written, or how far a standby
	 * has replayed, as one growing number. */
	err_t (*wal_position)(struct store_conn *c, int64_t *pos);
	/* Whether the row (collection, date_added, seq) is there. */
	err_t (*object_seen)(struct store_conn *c, int64_t collection_id, int64_t date_added,
			     int64_t seq, bool *seen);

	err_t (*org_add)(struct store_conn *c, struct org *o, const char *identity_json);
	err_t (*org_get)(struct store_conn *c, int64_t id, const char *name, struct org *o);
	err_t (*org_list)(struct store_conn *c, err_t (*fn)(void *, const struct org *), void *ctx);
	err_t (*org_identity)(struct store_conn *c, int64_t id, char **json, size_t *len);

	err_t (*identity_find)(struct store_conn *c, const char *identity_id, int64_t *org_id,
			       int64_t *user_id);
	err_t (*user_add)(struct store_conn *c, struct user *u);
	err_t (*user_get)(struct store_conn *c, int64_t id, const char *name, struct user *u);
	err_t (*user_list)(struct store_conn *c, err_t (*fn)(void *, const struct user *),
			   void *ctx);
	err_t (*user_set_disabled)(struct store_conn *c, int64_t id, bool disabled);
	err_t (*user_set_password)(struct store_conn *c, int64_t id, const char *pw_hash);

	err_t (*token_add)(struct store_conn *c, struct token *t, const unsigned char hash[32]);
	err_t (*token_lookup)(struct store_conn *c, const unsigned char hash[32], struct token *t);
	err_t (*token_list)(struct store_conn *c, int64_t user_id,
			    err_t (*fn)(void *, const struct token *), void *ctx);
	err_t (*token_revoke)(struct store_conn *c, int64_t id);

	err_t (*root_add)(struct store_conn *c, struct api_root *r);
	err_t (*root_find)(struct store_conn *c, const char *name, struct api_root *r);
	err_t (*root_list)(struct store_conn *c, err_t (*fn)(void *, const struct api_root *),
			   void *ctx);
	err_t (*collection_add)(struct store_conn *c, struct collection *col);
	err_t (*collection_get)(struct store_conn *c, int64_t id, struct collection *col);
	err_t (*collection_find)(struct store_conn *c, int64_t root_id, const char *key,
				 struct collection *col);
	err_t (*collection_list)(struct store_conn *c, int64_t root_id,
				 err_t (*fn)(void *, const struct collection *), void *ctx);
	err_t (*grant_set)(struct store_conn *c, const struct grant *g);
	err_t (*grant_get)(struct store_conn *c, int64_t collection_id, int64_t org_id,
			   struct grant *g);

	err_t (*object_put)(struct store_conn *c, int64_t collection_id, const struct obj_put *o,
			    int64_t date_added, enum obj_put_result *res, int64_t *version,
			    int64_t *seq);
	err_t (*next_date_added)(struct store_conn *c, int64_t collection_id, int64_t now,
				 int64_t *out);
	err_t (*object_query)(struct store_conn *c, const struct obj_query *q, obj_row_fn fn,
			      void *ctx, bool *more);
	err_t (*object_delete)(struct store_conn *c, const struct obj_query *q, size_t *n);
	err_t (*object_count)(struct store_conn *c, int64_t *n);

	err_t (*scope_get_or_add)(struct store_conn *c, const struct scope_def *def, int64_t *id);
	err_t (*scope_members)(struct store_conn *c, int64_t scope_id,
			       err_t (*fn)(void *, int64_t principal), void *ctx);
	err_t (*scope_marking_add)(struct store_conn *c, const char *stix_id, int64_t org_id,
				   int64_t scope_id);
	err_t (*scope_marking_find)(struct store_conn *c, const char *stix_id, int64_t *org_id,
				    int64_t *scope_id);
	err_t (*agreement_put)(struct store_conn *c, struct agreement_row *a,
			       const char *definition, const struct agreement_member *members,
			       size_t n_members);
	err_t (*agreement_get)(struct store_conn *c, const char *key, int64_t root_id,
			       struct agreement_row *a, char **definition);
	err_t (*agreement_list)(struct store_conn *c,
				err_t (*fn)(void *, const struct agreement_row *), void *ctx);
	err_t (*agreement_members)(struct store_conn *c, int64_t agreement_id,
				   err_t (*fn)(void *, const struct agreement_member *), void *ctx);
	err_t (*objection_add)(struct store_conn *c, int64_t agreement_id, struct objection *o);
	err_t (*objection_list)(struct store_conn *c, int64_t agreement_id,
				err_t (*fn)(void *, const struct objection *), void *ctx);
	err_t (*collection_set_defaults)(struct store_conn *c, int64_t collection_id,
					 int64_t scope_id, int category);
	err_t (*collection_defaults)(struct store_conn *c, int64_t collection_id, int64_t *scope_id,
				     int *category);
	err_t (*grant_object_add)(struct store_conn *c, struct object_grant *g);
	err_t (*grant_object_revoke)(struct store_conn *c, int64_t collection_id,
				     const char *stix_id, int64_t principal);
	err_t (*grant_object_list)(struct store_conn *c, int64_t collection_id, const char *stix_id,
				   err_t (*fn)(void *, const struct object_grant *), void *ctx);
	err_t (*share_add)(struct store_conn *c, struct share_request *r);
	err_t (*share_get)(struct store_conn *c, const char *uuid, struct share_request *r);
	err_t (*share_list)(struct store_conn *c, int64_t filed_by_org, int status,
			    err_t (*fn)(void *, const struct share_request *), void *ctx);
	err_t (*share_set_status)(struct store_conn *c, int64_t id, int status, int64_t decided);
	err_t (*share_answer)(struct store_conn *c, const struct share_approval *a);
	err_t (*share_answers)(struct store_conn *c, int64_t request_id,
			       err_t (*fn)(void *, const struct share_approval *), void *ctx);
	err_t (*audit_append)(struct store_conn *c, struct audit_entry *e);
	err_t (*audit_list)(struct store_conn *c, const struct audit_filter *f,
			    err_t (*fn)(void *, const struct audit_row *), void *ctx);

	err_t (*status_put)(struct store_conn *c, const struct status_rec *st, int64_t expires);
	err_t (*status_get)(struct store_conn *c, const char *id, int64_t now,
			    struct status_rec *st, char **doc);
	err_t (*status_purge)(struct store_conn *c, int64_t now);
};

/*
 * The hash of an audit entry (DESIGN.md §3.8), the same on every back end:
 * SHA-256 over the previous entry's hash and the entry's fields.
 */
err_t store_audit_hash(const unsigned char prev[32], int64_t seq, int64_t time, const char *kind,
		       int64_t user, int64_t org, const char *object, const char *detail,
		       unsigned char out[32]);

/*
 * Object-query shapes: one bit per optional fragment of the query, chosen by
 * which filters are present (never by their values), so that each back end
 * builds and prepares one statement per shape.
 */
enum {
	Q_ONE_ID = 1 << 0,
	Q_IDS = 1 << 1,
	Q_TYPES = 1 << 2,
	Q_V_LAST = 1 << 3,
	Q_V_FIRST = 1 << 4,
	Q_V_LIST = 1 << 5,
	Q_V_ALL = 1 << 6,
	Q_SPEC = 1 << 7,
	Q_AFTER = 1 << 8,
	Q_CURSOR = 1 << 9,
	Q_BODY = 1 << 10,
	Q_DELETE = 1 << 11,
	Q_VIS_SHIFT = 12, /* two bits: enum vis_mode */
	Q_SHAPE_BITS = 14,
};

/* The shape of q (a delete when del). */
unsigned store_query_shape(const struct obj_query *q, bool del);

/*
 * How a back end's SQL names the object query's parameters and matches a
 * list; store_filters_sql() writes the filters of a shape with it, after a
 * WHERE clause on the objects row aliased o. vis_sql writes the visibility
 * predicate of DESIGN.md §3.1 (enum vis_mode vis) on the row aliased t.
 */
struct sql_dialect {
	const char *one_id;			    /* o.stix_id = <id> */
	const char *ids, *types, *versions, *specs; /* o.<column> in <list> */
	const char *after;			    /* o.date_added > <after> */
	const char *cursor;			    /* (o.date_added, o.seq) > (<date>, <seq>) */
	err_t (*vis_sql)(struct buf *b, unsigned vis, const char *t);
};
err_t store_filters_sql(struct buf *b, unsigned shape, const struct sql_dialect *d);

/* A scope in the canonical form every back end stores: one text per
 * distinct scope (equal scopes share a row), and its members as principals
 * (PRINCIPAL_*), each once. */
struct scope_canon {
	struct buf text;
	int64_t *members;
	size_t n_members;
};
err_t store_scope_canon(const struct scope_def *def, struct scope_canon *sc);
void store_scope_canon_release(struct scope_canon *sc);

extern const struct store_be store_sqlite_be;
extern const struct store_be store_pg_be;

#endif
