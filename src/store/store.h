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
	int64_t scope_id; /* its audience (0: none beyond the provider) */
	int tlp;	  /* enum tlp of policy.h */
	int category;	  /* enum category of policy.h; -1 when none */
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
	int64_t scope_id;
	int tlp;
	int category;
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

/*
 * Principals, as scopes and grants name them: an organisation, a user, or a
 * group of the agreement. Encoded in one integer so that one index serves.
 */
#define PRINCIPAL_ORG(id)    ((int64_t)(id)*4)
#define PRINCIPAL_USER(id)   ((int64_t)(id)*4 + 1)
#define PRINCIPAL_PARTIES    2
#define PRINCIPAL_COMMUNITY  6
#define PRINCIPAL_IS_ORG(p)  ((p) % 4 == 0)
#define PRINCIPAL_IS_USER(p) ((p) % 4 == 1)
#define PRINCIPAL_ID(p)	     ((p) / 4)

/* The TLP value of RED in struct obj_put / obj_row (enum tlp of policy.h). */
#define STORE_TLP_RED 5

/*
 * Who is asking, as the store filters for it (DESIGN.md §3.1). The api layer
 * decides the mode from the agreement's rules; the store applies it inside
 * every query, so that nothing invisible is fetched, counted or paged over.
 */
enum vis_mode {
	VIS_ALL = 0, /* no filter: an API root without an agreement, or the operator */
	VIS_OWN,     /* only what the organisation provided (agreement not in force) */
	VIS_GRANTS,  /* own, plus what is granted (an escalation body) */
	VIS_MEMBER,  /* own, plus scope and grants (a party or community member) */
};

struct obj_visibility {
	enum vis_mode mode;
	int64_t org;	       /* the requester's organisation */
	int64_t user;	       /* the requester */
	bool party, community; /* which groups of the agreement the organisation is in */
};

struct obj_query {
	struct obj_visibility vis;
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

/* Opens the store named by dsn: a file path (SQLite) or
 * "postgresql://..." (PostgreSQL). Creates or upgrades the schema when
 * create is true; otherwise refuses a store that does not exist yet.
 * pool_size connections are kept for concurrent use. */
err_t store_open(const char *dsn, bool create, unsigned pool_size, struct store **out);

/* ERR_OK when the database answers (for /healthz). */
err_t store_ping(struct store_conn *c);

/* dsn as it may be shown and logged: without a password. */
void store_dsn_public(const char *dsn, char *out, size_t n);

/* Closes every connection. NULL-safe. */
void store_close(struct store *s);

/*
 * Hot standbys (PostgreSQL; docs/postgresql.md). store_open_standby opens
 * pool_size read-only connections to a standby of s's database; from then
 * on store_read_query and store_read_status answer from the standby when it
 * has what the reader must see - the reader's own last write (recorded with
 * store_note_write after each write request) and the row its cursor points
 * at - and from the primary connection otherwise.
 */
err_t store_open_standby(struct store *s, const char *dsn, unsigned pool_size);
bool store_has_standby(const struct store *s);

struct read_hint {
	int64_t user_id; /* the reader; 0: none */
	int64_t collection_id;
	bool has_cursor; /* the request resumes after this row */
	int64_t cursor_date, cursor_seq;
};

/* Remembers how far the primary has written after a write by user_id. */
void store_note_write(struct store *s, int64_t user_id);
/* store_object_query, on the standby when it may answer (see above);
 * primary is the caller's connection to the primary. */
err_t store_read_query(struct store *s, struct store_conn *primary, const struct read_hint *h,
		       const struct obj_query *q, obj_row_fn fn, void *ctx, bool *more);
/* store_status_get, likewise; a status the standby lacks comes from the primary. */
err_t store_read_status(struct store *s, struct store_conn *primary, const struct read_hint *h,
			const char *id, int64_t now, struct status_rec *st, char **doc);
/* How many object queries each side answered (for /metrics). */
void store_read_counts(struct store *s, uint64_t *primary, uint64_t *standby);

/* A connection for the calling thread; blocks while all are in use. */
err_t store_conn_get(struct store *s, struct store_conn **out);
void store_conn_put(struct store *s, struct store_conn *c);

/* A read snapshot for the reads of one request: they all see one state of
 * the database, and take the database's read locks once instead of once per
 * statement (on SQLite, about a tenth of a page's cost). A write through c
 * - a transaction, or a write statement on its own - ends the snapshot
 * first, and so does store_conn_put. On a back end without snapshots it
 * does nothing. */
void store_read_begin(struct store_conn *c);

/* Called before c's thread waits for another connection's write: gives c's
 * read snapshot up when the store needs the readers out of its log (SQLite:
 * a long WAL, store_sqlite.c sq_maintain), so that the wait cannot hold the
 * log back. */
void store_read_yield(struct store *s, struct store_conn *c);

/* Whether connections keep read snapshots between requests (SQLite): a
 * write through another connection then costs every reader its page cache,
 * and writes that change no data are best gathered into few commits. */
bool store_keeps_snapshots(const struct store *s);

/* Transactions. store_tx_end commits when rc is ERR_OK and rolls back
 * otherwise; it returns the commit's error, or rc. Writes outside a
 * transaction are each their own. Begin takes the write lock at once. */
err_t store_tx_begin(struct store_conn *c);
err_t store_tx_end(struct store_conn *c, err_t rc);
/* Whether c is inside a transaction. */
bool store_in_tx(const struct store_conn *c);

/* Organisations. Names are unique (ERR_EXISTS). */
err_t store_org_add(struct store_conn *c, struct org *o, const char *identity_json);
err_t store_org_get(struct store_conn *c, int64_t id, struct org *o);
err_t store_org_find(struct store_conn *c, const char *name, struct org *o);
err_t store_org_list(struct store_conn *c, err_t (*fn)(void *, const struct org *), void *ctx);
/* The organisation's STIX identity as stored: malloc'd, caller frees. */
err_t store_org_identity(struct store_conn *c, int64_t id, char **json, size_t *len);

/* Which organisation or user has the STIX identity identity_id: sets one of
 * *org_id / *user_id (the other 0); ERR_NOTFOUND when neither. */
err_t store_identity_find(struct store_conn *c, const char *identity_id, int64_t *org_id,
			  int64_t *user_id);

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
/* The collection with the store's id. */
err_t store_collection_get(struct store_conn *c, int64_t id, struct collection *col);
/* Finds a collection of root_id by its UUID or its alias. */
err_t store_collection_find(struct store_conn *c, int64_t root_id, const char *key,
			    struct collection *col);
err_t store_collection_list(struct store_conn *c, int64_t root_id,
			    err_t (*fn)(void *, const struct collection *), void *ctx);
err_t store_grant_set(struct store_conn *c, const struct grant *g);
/* The grant of org on collection; a zero grant (no rights) when none. */
err_t store_grant_get(struct store_conn *c, int64_t collection_id, int64_t org_id, struct grant *g);

/* Objects. store_object_put must run inside a transaction; date_added is the
 * value to use for a new version (monotonic: see store_next_date_added).
 * *version gets the version stored: o's, or the stored one of an identical
 * unversioned object (OBJ_PUT_SAME), or date_added for a new unversioned one;
 * *seq the new row's insertion number (0 when nothing was added). */
err_t store_object_put(struct store_conn *c, int64_t collection_id, const struct obj_put *o,
		       int64_t date_added, enum obj_put_result *res, int64_t *version,
		       int64_t *seq);
/* A date_added for the current write transaction in a collection: now, but
 * never earlier than what the collection holds, so that date order and
 * insertion order agree there (pages are per collection). */
err_t store_next_date_added(struct store_conn *c, int64_t collection_id, int64_t now, int64_t *out);
/* Calls fn for each matching row in ascending (date_added, seq) order, at
 * most q->limit times; sets *more when a further row exists. */
err_t store_object_query(struct store_conn *c, const struct obj_query *q, obj_row_fn fn, void *ctx,
			 bool *more);
/* Deletes the versions of stix_id in collection that q selects (q->stix_id,
 * version and spec_version fields); *n gets the count. Inside a transaction. */
err_t store_object_delete(struct store_conn *c, const struct obj_query *q, size_t *n);
/* Counts all stored object versions (for /metrics). */
err_t store_object_count(struct store_conn *c, int64_t *n);

/* ---- scopes (DESIGN.md §3.1, §4.4) ---- */

/* A scope: the groups, organisations and users it names. */
struct scope_def {
	unsigned groups; /* 1 parties, 2 community */
	const int64_t *orgs;
	size_t n_orgs;
	const int64_t *users;
	size_t n_users;
};

/* The id of the scope naming exactly def, adding it when new (inside a
 * transaction). Scopes are shared: most objects use a handful. */
err_t store_scope_get_or_add(struct store_conn *c, const struct scope_def *def, int64_t *id);

/* The principals a scope names (PRINCIPAL_*), through fn. */
err_t store_scope_members(struct store_conn *c, int64_t scope_id,
			  err_t (*fn)(void *, int64_t principal), void *ctx);

/* Remembers that the marking-definition stix_id of org defines scope_id. */
err_t store_scope_marking_add(struct store_conn *c, const char *stix_id, int64_t org_id,
			      int64_t scope_id);
/* ERR_NOTFOUND when stix_id is not a known scope marking. */
err_t store_scope_marking_find(struct store_conn *c, const char *stix_id, int64_t *org_id,
			       int64_t *scope_id);

/* ---- agreements ---- */

struct agreement_row {
	int64_t id;
	char key[STORE_NAME_MAX];
	int64_t root_id;
	int64_t loaded;	    /* when the definition was (last) loaded */
	int64_t generation; /* bumped by every change of definition or objections */
};

enum { MEMBER_PARTY = 1, MEMBER_COMMUNITY = 2, MEMBER_ESCALATION = 3 };

struct agreement_member {
	int64_t org_id;
	int role; /* MEMBER_* */
	char label[16];
};

struct objection {
	int64_t id;
	int64_t org_id, user_id;
	int64_t filed_on; /* the day (Japan) it was filed */
	int64_t filed_at; /* microseconds */
	char reason[STORE_TITLE_MAX];
};

/* Adds or replaces the agreement key of root_id (definition as JSON text,
 * members replaced); bumps its generation. Inside a transaction. */
err_t store_agreement_put(struct store_conn *c, struct agreement_row *a, const char *definition,
			  const struct agreement_member *members, size_t n_members);
/* By key, or (key NULL) by API root. definition: malloc'd JSON, may be NULL. */
err_t store_agreement_get(struct store_conn *c, const char *key, int64_t root_id,
			  struct agreement_row *a, char **definition);
err_t store_agreement_list(struct store_conn *c, err_t (*fn)(void *, const struct agreement_row *),
			   void *ctx);
err_t store_agreement_members(struct store_conn *c, int64_t agreement_id,
			      err_t (*fn)(void *, const struct agreement_member *), void *ctx);
/* Files an objection and bumps the agreement's generation. */
err_t store_objection_add(struct store_conn *c, int64_t agreement_id, struct objection *o);
err_t store_objection_list(struct store_conn *c, int64_t agreement_id,
			   err_t (*fn)(void *, const struct objection *), void *ctx);
/* A collection's default scope and category (from its agreement). */
err_t store_collection_set_defaults(struct store_conn *c, int64_t collection_id, int64_t scope_id,
				    int category);
err_t store_collection_defaults(struct store_conn *c, int64_t collection_id, int64_t *scope_id,
				int *category);

/* ---- grants on objects (§3.4) ---- */

struct object_grant {
	int64_t id;
	int64_t collection_id;
	char stix_id[STORE_NAME_MAX * 3];
	int64_t principal;  /* PRINCIPAL_ORG or PRINCIPAL_USER */
	int64_t by_user;    /* who granted (the approver or the provider's user) */
	int64_t request_id; /* the share request it answers, 0 for a direct grant */
	int64_t created;
};

/* Adds a grant; ERR_EXISTS when the principal already holds one. */
err_t store_grant_object_add(struct store_conn *c, struct object_grant *g);
/* Removes the grant of principal on the object; ERR_NOTFOUND when none. */
err_t store_grant_object_revoke(struct store_conn *c, int64_t collection_id, const char *stix_id,
				int64_t principal);
err_t store_grant_object_list(struct store_conn *c, int64_t collection_id, const char *stix_id,
			      err_t (*fn)(void *, const struct object_grant *), void *ctx);

/* ---- share requests (§3.4, §3.5) ---- */

enum { SHARE_NEED_PROVIDER = 1, SHARE_NEED_ALL_PARTIES = 2 };
enum { SHARE_PENDING = 0, SHARE_APPROVED = 1, SHARE_DENIED = 2 };

struct share_request {
	int64_t id;
	char uuid[40];
	int64_t collection_id;
	char stix_id[STORE_NAME_MAX * 3];
	int64_t target_org, target_user; /* target_user 0: the whole organisation */
	int64_t requester_user, requester_org;
	int64_t provider_org;
	int need;	     /* SHARE_NEED_* */
	char required[1024]; /* organisations whose approval it needs: a JSON array of ids */
	int status;	     /* SHARE_PENDING, ... */
	char reason[STORE_TITLE_MAX];
	int64_t created, decided;
};

struct share_approval {
	int64_t request_id;
	int64_t org_id, user_id;
	bool approve;
	char reason[STORE_TITLE_MAX];
	int64_t time;
};

err_t store_share_add(struct store_conn *c, struct share_request *r);
err_t store_share_get(struct store_conn *c, const char *uuid, struct share_request *r);
/* Requests filed by org (filed_by) or, when filed_by is 0, all of them. */
err_t store_share_list(struct store_conn *c, int64_t filed_by_org, int status,
		       err_t (*fn)(void *, const struct share_request *), void *ctx);
err_t store_share_set_status(struct store_conn *c, int64_t id, int status, int64_t decided);
/* Records one organisation's answer; ERR_EXISTS when it answered already. */
err_t store_share_answer(struct store_conn *c, const struct share_approval *a);
err_t store_share_answers(struct store_conn *c, int64_t request_id,
			  err_t (*fn)(void *, const struct share_approval *), void *ctx);

/* ---- the audit chain (§3.8) ---- */

struct audit_entry {
	int64_t seq; /* set by append */
	int64_t time;
	const char *kind;	 /* "object.add", "share.request", ... */
	int64_t user_id, org_id; /* the actor; 0 for the system */
	const char *object;	 /* what it is about (a STIX id, a name), or "" */
	const char *detail;	 /* JSON text */
	unsigned char hash[32];
};

/* Appends e to the chain: its hash covers the previous entry's hash and
 * every field of e. Must run inside the transaction of the change it
 * records. Sets e->seq and e->hash. */
err_t store_audit_append(struct store_conn *c, struct audit_entry *e);

struct audit_filter {
	int64_t from, to;   /* times, 0: open */
	int64_t org_id;	    /* 0: any */
	const char *object; /* NULL: any */
	const char *kind;   /* NULL: any; a prefix ("share.") matches */
	int64_t after_seq;  /* resume after this entry */
	size_t limit;
};

struct audit_row {
	int64_t seq, time, user_id, org_id;
	const char *kind, *object, *detail;
	const unsigned char *prev, *hash; /* 32 bytes each */
};

err_t store_audit_list(struct store_conn *c, const struct audit_filter *f,
		       err_t (*fn)(void *, const struct audit_row *), void *ctx);

/* Recomputes the whole chain. *broken is 0 when it holds, else the seq of
 * the first entry whose hash or link does not match; *n counts entries. */
err_t store_audit_verify(struct store_conn *c, int64_t *broken, int64_t *n);

/* Status resources. */
err_t store_status_put(struct store_conn *c, const struct status_rec *st, int64_t expires);
/* Reads a status; *doc is malloc'd, caller frees. Expired ones are not found. */
err_t store_status_get(struct store_conn *c, const char *id, int64_t now, struct status_rec *st,
		       char **doc);
err_t store_status_purge(struct store_conn *c, int64_t now);

#endif
