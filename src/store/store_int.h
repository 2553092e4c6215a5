/*
 * store_int.h - what a storage back end implements (private to store/).
 *
 * Each back end fills one struct store_be; store.c dispatches every call of
 * store.h through it. A back end's connection struct begins with a
 * struct store_conn so that store.c can find the table.
 */
#ifndef RENKEI_STORE_INT_H
#define RENKEI_STORE_INT_H

#include "store.h"

struct store_conn {
	const struct store_be *be;
	bool in_tx;
};

struct store_be {
	const char *name;
	/* Opens one connection to dsn; migrates the schema when create is set. */
	err_t (*connect)(const char *dsn, bool create, struct store_conn **out);
	void (*disconnect)(struct store_conn *c);
	err_t (*tx_begin)(struct store_conn *c);
	err_t (*tx_commit)(struct store_conn *c);
	void (*tx_rollback)(struct store_conn *c);

	err_t (*org_add)(struct store_conn *c, struct org *o, const char *identity_json);
	err_t (*org_get)(struct store_conn *c, int64_t id, const char *name, struct org *o);
	err_t (*org_list)(struct store_conn *c, err_t (*fn)(void *, const struct org *), void *ctx);
	err_t (*org_identity)(struct store_conn *c, int64_t id, char **json, size_t *len);

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
	err_t (*collection_find)(struct store_conn *c, int64_t root_id, const char *key,
				 struct collection *col);
	err_t (*collection_list)(struct store_conn *c, int64_t root_id,
				 err_t (*fn)(void *, const struct collection *), void *ctx);
	err_t (*grant_set)(struct store_conn *c, const struct grant *g);
	err_t (*grant_get)(struct store_conn *c, int64_t collection_id, int64_t org_id,
			   struct grant *g);

	err_t (*object_put)(struct store_conn *c, int64_t collection_id, const struct obj_put *o,
			    int64_t date_added, enum obj_put_result *res);
	err_t (*next_date_added)(struct store_conn *c, int64_t now, int64_t *out);
	err_t (*object_query)(struct store_conn *c, const struct obj_query *q, obj_row_fn fn,
			      void *ctx, bool *more);
	err_t (*object_delete)(struct store_conn *c, const struct obj_query *q, size_t *n);
	err_t (*object_count)(struct store_conn *c, int64_t *n);

	err_t (*status_put)(struct store_conn *c, const struct status_rec *st, int64_t expires);
	err_t (*status_get)(struct store_conn *c, const char *id, int64_t now,
			    struct status_rec *st, char **doc);
	err_t (*status_purge)(struct store_conn *c, int64_t now);
};

extern const struct store_be store_sqlite_be;

#endif
