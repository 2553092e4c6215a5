/*
 * store.c - the back-end-neutral half of the store: choosing a back end from
 * the DSN, the connection pool, transactions, and dispatch through the
 * back end's table. Depends on common/ and the back ends.
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "store_int.h"
#include "../common/banned.h"

struct store {
	const struct store_be *be;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n; /* connections in all */
	unsigned n_free;
	struct store_conn **all;
	struct store_conn **free_list;
};

static const struct store_be *be_for(const char *dsn)
{
	if (!strncmp(dsn, "postgresql://", 13) || !strncmp(dsn, "postgres://", 11))
		return NULL; /* NEEDSWORK: the PostgreSQL back end (issue 4). */
	return &store_sqlite_be;
}

err_t store_open(const char *dsn, bool create, unsigned pool_size, struct store **out)
{
	err_t rc = ERR_OK;
	struct store *s = NULL;

	*out = NULL;
	const struct store_be *be = be_for(dsn);
	if (!be) {
		log_error("store: no back end for this database setting yet");
		return ERR_INVALID;
	}
	if (pool_size < 1)
		pool_size = 1;
	if (pool_size > 256)
		pool_size = 256;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->be = be;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	s->all = calloc(pool_size, sizeof(*s->all));
	s->free_list = calloc(pool_size, sizeof(*s->free_list));
	if (!s->all || !s->free_list) {
		rc = ERR_NOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < pool_size; i++) {
		/* The first connection creates or migrates; the others find it done. */
		rc = be->connect(dsn, create && i == 0, &s->all[i]);
		if (rc)
			goto fail;
		s->n++;
		s->free_list[s->n_free++] = s->all[i];
	}
	*out = s;
	return ERR_OK;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		s->be->disconnect(s->all[i]);
	free(s->all);
	free(s->free_list);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->freed);
	free(s);
}

err_t store_conn_get(struct store *s, struct store_conn **out)
{
	pthread_mutex_lock(&s->lock);
	while (s->n_free == 0)
		pthread_cond_wait(&s->freed, &s->lock);
	*out = s->free_list[--s->n_free];
	pthread_mutex_unlock(&s->lock);
	return ERR_OK;
}

void store_conn_put(struct store *s, struct store_conn *c)
{
	if (!c)
		return;
	if (c->in_tx) {
		/* A caller forgot to end its transaction: never leak it to the next. */
		log_error("store: connection returned inside a transaction; rolled back");
		c->be->tx_rollback(c);
		c->in_tx = false;
	}
	pthread_mutex_lock(&s->lock);
	s->free_list[s->n_free++] = c;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

err_t store_tx_begin(struct store_conn *c)
{
	if (c->in_tx)
		return ERR_INTERNAL;
	err_t rc = c->be->tx_begin(c);
	if (!rc)
		c->in_tx = true;
	return rc;
}

bool store_in_tx(const struct store_conn *c)
{
	return c->in_tx;
}

err_t store_tx_end(struct store_conn *c, err_t rc)
{
	if (!c || !c->in_tx)
		return rc;
	c->in_tx = false;
	if (rc) {
		c->be->tx_rollback(c);
		return rc;
	}
	rc = c->be->tx_commit(c);
	if (rc)
		c->be->tx_rollback(c);
	return rc;
}

err_t store_org_add(struct store_conn *c, struct org *o, const char *identity_json)
{
	return c->be->org_add(c, o, identity_json);
}

err_t store_org_get(struct store_conn *c, int64_t id, struct org *o)
{
	return c->be->org_get(c, id, NULL, o);
}

err_t store_org_find(struct store_conn *c, const char *name, struct org *o)
{
	return c->be->org_get(c, 0, name, o);
}

err_t store_org_list(struct store_conn *c, err_t (*fn)(void *, const struct org *), void *ctx)
{
	return c->be->org_list(c, fn, ctx);
}

err_t store_org_identity(struct store_conn *c, int64_t id, char **json, size_t *len)
{
	return c->be->org_identity(c, id, json, len);
}

err_t store_identity_find(struct store_conn *c, const char *identity_id, int64_t *org_id,
			  int64_t *user_id)
{
	return c->be->identity_find(c, identity_id, org_id, user_id);
}

err_t store_user_add(struct store_conn *c, struct user *u)
{
	return c->be->user_add(c, u);
}

err_t store_user_get(struct store_conn *c, int64_t id, struct user *u)
{
	return c->be->user_get(c, id, NULL, u);
}

err_t store_user_find(struct store_conn *c, const char *name, struct user *u)
{
	return c->be->user_get(c, 0, name, u);
}

err_t store_user_list(struct store_conn *c, err_t (*fn)(void *, const struct user *), void *ctx)
{
	return c->be->user_list(c, fn, ctx);
}

err_t store_user_set_disabled(struct store_conn *c, int64_t id, bool disabled)
{
	return c->be->user_set_disabled(c, id, disabled);
}

err_t store_user_set_password(struct store_conn *c, int64_t id, const char *pw_hash)
{
	return c->be->user_set_password(c, id, pw_hash);
}

err_t store_token_add(struct store_conn *c, struct token *t, const unsigned char hash[32])
{
	return c->be->token_add(c, t, hash);
}

err_t store_token_lookup(struct store_conn *c, const unsigned char hash[32], struct token *t)
{
	return c->be->token_lookup(c, hash, t);
}

err_t store_token_list(struct store_conn *c, int64_t user_id,
		       err_t (*fn)(void *, const struct token *), void *ctx)
{
	return c->be->token_list(c, user_id, fn, ctx);
}

err_t store_token_revoke(struct store_conn *c, int64_t id)
{
	return c->be->token_revoke(c, id);
}

err_t store_root_add(struct store_conn *c, struct api_root *r)
{
	return c->be->root_add(c, r);
}

err_t store_root_find(struct store_conn *c, const char *name, struct api_root *r)
{
	return c->be->root_find(c, name, r);
}

err_t store_root_list(struct store_conn *c, err_t (*fn)(void *, const struct api_root *), void *ctx)
{
	return c->be->root_list(c, fn, ctx);
}

err_t store_collection_add(struct store_conn *c, struct collection *col)
{
	return c->be->collection_add(c, col);
}

err_t store_collection_get(struct store_conn *c, int64_t id, struct collection *col)
{
	return c->be->collection_get(c, id, col);
}

err_t store_collection_find(struct store_conn *c, int64_t root_id, const char *key,
			    struct collection *col)
{
	return c->be->collection_find(c, root_id, key, col);
}

err_t store_collection_list(struct store_conn *c, int64_t root_id,
			    err_t (*fn)(void *, const struct collection *), void *ctx)
{
	return c->be->collection_list(c, root_id, fn, ctx);
}

err_t store_grant_set(struct store_conn *c, const struct grant *g)
{
	return c->be->grant_set(c, g);
}

err_t store_grant_get(struct store_conn *c, int64_t collection_id, int64_t org_id, struct grant *g)
{
	return c->be->grant_get(c, collection_id, org_id, g);
}

err_t store_object_put(struct store_conn *c, int64_t collection_id, const struct obj_put *o,
		       int64_t date_added, enum obj_put_result *res, int64_t *version, int64_t *seq)
{
	if (!c->in_tx)
		return ERR_INTERNAL;
	return c->be->object_put(c, collection_id, o, date_added, res, version, seq);
}

err_t store_next_date_added(struct store_conn *c, int64_t collection_id, int64_t now, int64_t *out)
{
	return c->be->next_date_added(c, collection_id, now, out);
}

err_t store_object_query(struct store_conn *c, const struct obj_query *q, obj_row_fn fn, void *ctx,
			 bool *more)
{
	return c->be->object_query(c, q, fn, ctx, more);
}

err_t store_object_delete(struct store_conn *c, const struct obj_query *q, size_t *n)
{
	if (!c->in_tx)
		return ERR_INTERNAL;
	return c->be->object_delete(c, q, n);
}

err_t store_object_count(struct store_conn *c, int64_t *n)
{
	return c->be->object_count(c, n);
}

err_t store_status_put(struct store_conn *c, const struct status_rec *st, int64_t expires)
{
	return c->be->status_put(c, st, expires);
}

err_t store_status_get(struct store_conn *c, const char *id, int64_t now, struct status_rec *st,
		       char **doc)
{
	return c->be->status_get(c, id, now, st, doc);
}

err_t store_status_purge(struct store_conn *c, int64_t now)
{
	return c->be->status_purge(c, now);
}

err_t store_scope_get_or_add(struct store_conn *c, const struct scope_def *def, int64_t *id)
{
	return c->be->scope_get_or_add(c, def, id);
}

err_t store_scope_members(struct store_conn *c, int64_t scope_id,
			  err_t (*fn)(void *, int64_t principal), void *ctx)
{
	return c->be->scope_members(c, scope_id, fn, ctx);
}

err_t store_scope_marking_add(struct store_conn *c, const char *stix_id, int64_t org_id,
			      int64_t scope_id)
{
	return c->be->scope_marking_add(c, stix_id, org_id, scope_id);
}

err_t store_scope_marking_find(struct store_conn *c, const char *stix_id, int64_t *org_id,
			       int64_t *scope_id)
{
	return c->be->scope_marking_find(c, stix_id, org_id, scope_id);
}

err_t store_agreement_put(struct store_conn *c, struct agreement_row *a, const char *definition,
			  const struct agreement_member *members, size_t n_members)
{
	return c->be->agreement_put(c, a, definition, members, n_members);
}

err_t store_agreement_get(struct store_conn *c, const char *key, int64_t root_id,
			  struct agreement_row *a, char **definition)
{
	return c->be->agreement_get(c, key, root_id, a, definition);
}

err_t store_agreement_list(struct store_conn *c, err_t (*fn)(void *, const struct agreement_row *),
			   void *ctx)
{
	return c->be->agreement_list(c, fn, ctx);
}

err_t store_agreement_members(struct store_conn *c, int64_t agreement_id,
			      err_t (*fn)(void *, const struct agreement_member *), void *ctx)
{
	return c->be->agreement_members(c, agreement_id, fn, ctx);
}

err_t store_objection_add(struct store_conn *c, int64_t agreement_id, struct objection *o)
{
	return c->be->objection_add(c, agreement_id, o);
}

err_t store_objection_list(struct store_conn *c, int64_t agreement_id,
			   err_t (*fn)(void *, const struct objection *), void *ctx)
{
	return c->be->objection_list(c, agreement_id, fn, ctx);
}

err_t store_collection_set_defaults(struct store_conn *c, int64_t collection_id, int64_t scope_id,
				    int category)
{
	return c->be->collection_set_defaults(c, collection_id, scope_id, category);
}

err_t store_collection_defaults(struct store_conn *c, int64_t collection_id, int64_t *scope_id,
				int *category)
{
	return c->be->collection_defaults(c, collection_id, scope_id, category);
}

err_t store_grant_object_add(struct store_conn *c, struct object_grant *g)
{
	return c->be->grant_object_add(c, g);
}

err_t store_grant_object_revoke(struct store_conn *c, int64_t collection_id, const char *stix_id,
				int64_t principal)
{
	return c->be->grant_object_revoke(c, collection_id, stix_id, principal);
}

err_t store_grant_object_list(struct store_conn *c, int64_t collection_id, const char *stix_id,
			      err_t (*fn)(void *, const struct object_grant *), void *ctx)
{
	return c->be->grant_object_list(c, collection_id, stix_id, fn, ctx);
}

err_t store_share_add(struct store_conn *c, struct share_request *r)
{
	return c->be->share_add(c, r);
}

err_t store_share_get(struct store_conn *c, const char *uuid, struct share_request *r)
{
	return c->be->share_get(c, uuid, r);
}

err_t store_share_list(struct store_conn *c, int64_t filed_by_org, int status,
		       err_t (*fn)(void *, const struct share_request *), void *ctx)
{
	return c->be->share_list(c, filed_by_org, status, fn, ctx);
}

err_t store_share_set_status(struct store_conn *c, int64_t id, int status, int64_t decided)
{
	return c->be->share_set_status(c, id, status, decided);
}

err_t store_share_answer(struct store_conn *c, const struct share_approval *a)
{
	return c->be->share_answer(c, a);
}

err_t store_share_answers(struct store_conn *c, int64_t request_id,
			  err_t (*fn)(void *, const struct share_approval *), void *ctx)
{
	return c->be->share_answers(c, request_id, fn, ctx);
}

err_t store_audit_append(struct store_conn *c, struct audit_entry *e)
{
	if (!c->in_tx)
		return ERR_INTERNAL;
	return c->be->audit_append(c, e);
}

err_t store_audit_list(struct store_conn *c, const struct audit_filter *f,
		       err_t (*fn)(void *, const struct audit_row *), void *ctx)
{
	return c->be->audit_list(c, f, fn, ctx);
}

err_t store_audit_verify(struct store_conn *c, int64_t *broken, int64_t *n)
{
	return c->be->audit_verify(c, broken, n);
}
