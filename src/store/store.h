/*
 * store.h - the storage interface every other layer sees (DESIGN.md §5).
 *
 * One interface, several back ends behind a table of function pointers (git's
 * ref_storage_be, curl's TLS back ends): store_sqlite.c now, store_pg.c next.
 * A struct store is shared by all threads; each thread does its work through a
 * struct store_conn taken from the store's pool and given back afterwards.
 *
 * Nothing here knows HTTP, STIX validation or the sharing rules: the store
 * keeps rows and answers filtered, ordered queries. Back-end error text goes
 * to the log; callers only ever see an err_t.
 */
#ifndef RENKEI_STORE_H
#define RENKEI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

struct store;
struct store_conn;

/* Roles of a user, as a bit set. */
enum {
	ROLE_READER = 1 << 0,
	ROLE_ANALYST = 1 << 1,
	ROLE_APPROVER = 1 << 2,
	ROLE_ADMIN = 1 << 3,
	ROLE_AUDITOR = 1 << 4,
};

#define STORE_NAME_MAX	128
#define STORE_TITLE_MAX 512

struct org {
	int64_t id;
	char name[STORE_NAME_MAX];   /* short unique handle, e.g. "ipa" */
	char title[STORE_TITLE_MAX]; /* display name, any language */
	char identity_id[96];	     /* identity--UUID */
	int64_t created;
};

struct user {
	int64_t id;
	int64_t org_id;
	char name[STORE_NAME_MAX];
	char identity_id[96];
	unsigned roles;
	bool disabled;
	char pw_hash[160]; /* argon2id encoded string; "" when none */
	int64_t created;
};

struct token {
	int64_t id;
	int64_t user_id;
	char label[STORE_NAME_MAX];
	char prefix[16];	  /* first characters, shown to tell tokens apart */
	int64_t created, expires; /* expires 0: never */
	bool revoked;
};

struct api_root {
	int64_t id;
	char name[STORE_NAME_MAX]; /* URL path segment */
	char title[STORE_TITLE_MAX];
	char description[STORE_TITLE_MAX];
};

struct collection {
	int64_t id;
	int64_t root_id;
	char uuid[40];
	char title[STORE_TITLE_MAX];
	char description[STORE_TITLE_MAX];
	char alias[STORE_NAME_MAX]; /* "" when none */
};

struct grant {
	int64_t collection_id;
	int64_t org_id;
	bool can_read, can_write;
};

/* One stored object version, as queries return it. Pointers live until the
 * callback returns. */
struct obj_row {
	int64_t seq;	    /* insertion order, unique in the store */
	int64_t date_added; /* microseconds */
	int64_t version;    /* microseconds */
	const char *stix_id;
	const char *type;
	const char *spec_version;
	int64_t org_id;	  /* provider */
	const char *body; /* exact bytes received; NULL unless asked for */
	size_t body_len;
};

/* An object version to store. */
struct obj_put {
	const char *stix_id;
	const char *type;
	const char *spec_version;
	int64_t version;
	bool has_version; /* false: the version is the date added */
	int64_t org_id;
	const char *body;
	size_t body_len;
};

enum obj_put_result {
	OBJ_PUT_ADDED,	   /* a new version was stored */
	OBJ_PUT_SAME,	   /* identical bytes were already there: nothing done */
	OBJ_PUT_CONFLICT,  /* same id and version, different bytes: refused */
	OBJ_PUT_NOT_OWNER, /* id first shared by another organisation: refused */
};

/* Which versions of an object a query wants (TAXII 2.1 match[version]). */
enum {
	VERSION_LAST = 1 << 0,
	VERSION_FIRST = 1 << 1,
	VERSION_ALL = 1 << 2,
	VERSION_LIST = 1 << 3, /* the explicit timestamps in versions[] */
};

struct obj_query {
	int64_t collection_id;
	const char *stix_id;	/* one object only (object/versions endpoints) */
	const char *const *ids; /* match[id], n_ids of them */
	size_t n_ids;
	const char *const *types; /* match[type] */
	size_t n_types;
	unsigned version_mode;	 /* VERSION_* bits; 0 means VERSION_LAST */
	const int64_t *versions; /* with VERSION_LIST */
	size_t n_versions;
	const char *const *spec_versions; /* match[spec_version]; none: any */
	size_t n_spec_versions;
	bool has_added_after;
	int64_t added_after; /* exclusive */
	bool has_cursor;     /* resume after (cursor_date, cursor_seq) */
	int64_t cursor_date, cursor_seq;
	size_t limit; /* rows wanted; the store fetches one more to set *more */
	bool want_body;
};

typedef err_t (*obj_row_fn)(void *ctx, const struct obj_row *row);

struct status_rec {
	char id[40]; /* UUID */
	int64_t root_id;
	int64_t org_id; /* who posted: only that organisation reads it */
	int64_t request_time;
	const char *doc; /* the status resource as JSON text */
	size_t doc_len;
};

/* Opens the store named by dsn: a file path (SQLite) or, later,
 * "postgresql://..." (PostgreSQL). Creates or upgrades the schema when
 * create is true; otherwise refuses a store that does not exist yet.
 * pool_size connections are kept for concurrent use. */
err_t store_open(const char *dsn, bool create, unsigned pool_size, struct store **out);

/* Closes every connection. NULL-safe. */
void store_close(struct store *s);

/* A connection for the calling thread; blocks while all are in use. */
err_t store_conn_get(struct store *s, struct store_conn **out);
void store_conn_put(struct store *s, struct store_conn *c);

/* Transactions. store_tx_end commits when rc is ERR_OK and rolls back
 * otherwise; it returns the commit's error, or rc. Writes outside a
 * transaction are each their own. Begin takes the write lock at once. */
err_t store_tx_begin(struct store_conn *c);
err_t store_tx_end(struct store_conn *c, err_t rc);

/* Organisations. Names are unique (ERR_EXISTS). */
err_t store_org_add(struct store_conn *c, struct org *o, const char *identity_json);
err_t store_org_get(struct store_conn *c, int64_t id, struct org *o);
err_t store_org_find(struct store_conn *c, const char *name, struct org *o);
err_t store_org_list(struct store_conn *c, err_t (*fn)(void *, const struct org *), void *ctx);
/* The organisation's STIX identity as stored: malloc'd, caller frees. */
err_t store_org_identity(struct store_conn *c, int64_t id, char **json, size_t *len);

/* Users. Names are unique across the hub. */
err_t store_user_add(struct store_conn *c, struct user *u);
err_t store_user_get(struct store_conn *c, int64_t id, struct user *u);
err_t store_user_find(struct store_conn *c, const char *name, struct user *u);
err_t store_user_list(struct store_conn *c, err_t (*fn)(void *, const struct user *), void *ctx);
err_t store_user_set_disabled(struct store_conn *c, int64_t id, bool disabled);
err_t store_user_set_password(struct store_conn *c, int64_t id, const char *pw_hash);

/* Tokens, stored by a hash of the secret only. */
err_t store_token_add(struct store_conn *c, struct token *t, const unsigned char hash[32]);
err_t store_token_lookup(struct store_conn *c, const unsigned char hash[32], struct token *t);
err_t store_token_list(struct store_conn *c, int64_t user_id,
		       err_t (*fn)(void *, const struct token *), void *ctx);
err_t store_token_revoke(struct store_conn *c, int64_t id);

/* API roots and collections. */
err_t store_root_add(struct store_conn *c, struct api_root *r);
err_t store_root_find(struct store_conn *c, const char *name, struct api_root *r);
err_t store_root_list(struct store_conn *c, err_t (*fn)(void *, const struct api_root *),
		      void *ctx);
err_t store_collection_add(struct store_conn *c, struct collection *col);
/* Finds a collection of root_id by its UUID or its alias. */
err_t store_collection_find(struct store_conn *c, int64_t root_id, const char *key,
			    struct collection *col);
err_t store_collection_list(struct store_conn *c, int64_t root_id,
			    err_t (*fn)(void *, const struct collection *), void *ctx);
err_t store_grant_set(struct store_conn *c, const struct grant *g);
/* The grant of org on collection; a zero grant (no rights) when none. */
err_t store_grant_get(struct store_conn *c, int64_t collection_id, int64_t org_id, struct grant *g);

/* Objects. store_object_put must run inside a transaction; date_added is the
 * value to use for a new version (monotonic: see store_next_date_added). */
err_t store_object_put(struct store_conn *c, int64_t collection_id, const struct obj_put *o,
		       int64_t date_added, enum obj_put_result *res);
/* A date_added for the current write transaction: now, but never earlier than
 * what is already stored, so that date order and insertion order agree. */
err_t store_next_date_added(struct store_conn *c, int64_t now, int64_t *out);
/* Calls fn for each matching row in ascending (date_added, seq) order, at
 * most q->limit times; sets *more when a further row exists. */
err_t store_object_query(struct store_conn *c, const struct obj_query *q, obj_row_fn fn, void *ctx,
			 bool *more);
/* Deletes the versions of stix_id in collection that q selects (q->stix_id,
 * version and spec_version fields); *n gets the count. Inside a transaction. */
err_t store_object_delete(struct store_conn *c, const struct obj_query *q, size_t *n);
/* Counts all stored object versions (for /metrics). */
err_t store_object_count(struct store_conn *c, int64_t *n);

/* Status resources. */
err_t store_status_put(struct store_conn *c, const struct status_rec *st, int64_t expires);
/* Reads a status; *doc is malloc'd, caller frees. Expired ones are not found. */
err_t store_status_get(struct store_conn *c, const char *id, int64_t now, struct status_rec *st,
		       char **doc);
err_t store_status_purge(struct store_conn *c, int64_t now);

#endif
