/*
 * store.c - the back-end-neutral half of the store: choosing a back end from
 * the DSN, the connection pool, transactions, and dispatch through the
 * back end's table. Depends on common/ and the back ends.
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/sec.h"
#include "store_int.h"
#include "../common/banned.h"

/* A set of connections to one server, shared by all threads. */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n; /* connections in all */
	unsigned n_free;
	struct store_conn **all;
	struct store_conn **free_list;
};

/* Users whose last write a standby may not have replayed yet: the primary's
 * position after each write, by user id modulo the table's size. Two users
 * in one slot keep the later position, which only sends the other to the
 * primary a little longer than needed. */
#define WRITE_SLOTS 4096

struct store {
	const struct store_be *be;
	struct pool primary;
	struct pool standby; /* n == 0: no standby */
	pthread_mutex_t pos_lock;
	int64_t written[WRITE_SLOTS];
	int64_t replayed; /* the highest replay position a standby reported */
	uint64_t reads_primary, reads_standby;
	/* Kept read snapshots (back ends with read_begin): the connection
	 * that asks for the data generation, and the thread that ends the
	 * snapshots of idle connections. */
	struct store_conn *probe;
	struct store_conn *maint; /* the sweeper's, for be->maintain */
	pthread_mutex_t probe_lock;
	pthread_t sweeper;
	bool sweeping, stop;
	atomic_bool no_keep; /* be->maintain asks for snapshots to be given up */
	pthread_cond_t stop_cv;
};

/*
 * A request's read snapshot outlives the request: the next request on the
 * connection keeps it, with its page cache, while no data has changed
 * (SQLite empties a connection's page cache whenever another connection
 * commits, and every page served commits its disclosure). It is kept at
 * most this long, so that the WAL can be checkpointed behind it.
 */
#define SNAPSHOT_MAX_AGE_NS (100 * 1000000LL)

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Ends the kept snapshots of idle connections once they are too old, so
 * that a hub with no requests does not hold the WAL back from a writer in
 * another process; and runs the back end's housekeeping (be->maintain).
 */
static void *sweep_main(void *arg)
{
	struct store *s = arg;
	pthread_mutex_lock(&s->primary.lock);
	while (!s->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SNAPSHOT_MAX_AGE_NS;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		int rc = pthread_cond_timedwait(&s->stop_cv, &s->primary.lock, &until);
		if (rc && rc != ETIMEDOUT)
			break;
		int64_t now = mono_ns();
		bool none = atomic_load(&s->no_keep);
		/* The free connections are nobody's while the pool is locked. */
		for (unsigned i = 0; i < s->primary.n_free; i++) {
			struct store_conn *c = s->primary.free_list[i];
			if (c->in_read && (none || now - c->read_since > SNAPSHOT_MAX_AGE_NS))
				store_read_end(c);
		}
		if (s->maint) {
			pthread_mutex_unlock(&s->primary.lock);
			atomic_store(&s->no_keep, s->be->maintain(s->maint));
			pthread_mutex_lock(&s->primary.lock);
		}
	}
	pthread_mutex_unlock(&s->primary.lock);
	return NULL;
}

/* Appends text to out[*k], keeping room for the NUL. */
static void put_text(char *out, size_t n, size_t *k, const char *p, size_t len)
{
	while (len-- && *k + 1 < n)
		out[(*k)++] = *p++;
}

void store_dsn_public(const char *dsn, char *out, size_t n)
{
	size_t k = 0;
	const char *p = dsn;
	if (!n)
		return;
	const char *scheme = strstr(dsn, "://");
	if (scheme) {
		/* scheme://user:password@host... keeps scheme://user@host... */
		const char *auth = scheme + 3;
		size_t auth_len = strcspn(auth, "/?");
		const char *at = memchr(auth, '@', auth_len);
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			put_text(out, n, &k, dsn, (size_t)(colon - dsn));
			p = at;
		}
	}
	/* password=... in a URL's query or a key=value DSN */
	while (*p) {
		if (!strncmp(p, "password=", 9) && (p == dsn || strchr("?& ", p[-1]))) {
			put_text(out, n, &k, "password=***", 12);
			p += 9 + strcspn(p + 9, "& ");
			continue;
		}
		put_text(out, n, &k, p, 1);
		p++;
	}
	out[k] = '\0';
}

static const struct store_be *be_for(const char *dsn)
{
	if (!strncmp(dsn, "postgresql://", 13) || !strncmp(dsn, "postgres://", 11))
		return &store_pg_be;
	return &store_sqlite_be;
}

static void pool_close(struct pool *p)
{
	if (!p->all && !p->free_list)
		return; /* never opened */
	for (unsigned i = 0; i < p->n; i++)
		p->all[i]->be->disconnect(p->all[i]);
	free(p->all);
	free(p->free_list);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	memset(p, 0, sizeof(*p));
}

/* Opens size connections with connect(dsn, first), first true only for the
 * first one (which creates or migrates the schema). */
static err_t pool_open(struct pool *p, unsigned size, const char *dsn, bool create,
		       err_t (*connect)(const char *, bool, struct store_conn **))
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->all = calloc(size, sizeof(*p->all));
	p->free_list = calloc(size, sizeof(*p->free_list));
	if (!p->all || !p->free_list)
		return ERR_NOMEM;
	for (unsigned i = 0; i < size; i++) {
		err_t rc = connect(dsn, create && i == 0, &p->all[i]);
		if (rc)
			return rc;
		p->n++;
		p->free_list[p->n_free++] = p->all[i];
	}
	return ERR_OK;
}

static struct store_conn *pool_get(struct pool *p)
{
	struct store_conn *c;
	pthread_mutex_lock(&p->lock);
	while (p->n_free == 0)
		pthread_cond_wait(&p->freed, &p->lock);
	c = p->free_list[--p->n_free];
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void pool_put(struct pool *p, struct store_conn *c)
{
	pthread_mutex_lock(&p->lock);
	p->free_list[p->n_free++] = c;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

static unsigned clamp_pool(unsigned n)
{
	return n < 1 ? 1 : n > 256 ? 256 : n;
}

err_t store_open(const char *dsn, bool create, unsigned pool_size, struct store **out)
{
	struct store *s = NULL;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->be = be_for(dsn);
	pthread_mutex_init(&s->pos_lock, NULL);
	pthread_mutex_init(&s->probe_lock, NULL);
	pthread_cond_init(&s->stop_cv, NULL);
	err_t rc = pool_open(&s->primary, clamp_pool(pool_size), dsn, create, s->be->connect);
	if (!rc && s->be->read_begin)
		rc = s->be->connect(dsn, false, &s->probe);
	if (!rc && s->be->read_begin && s->be->maintain)
		rc = s->be->connect(dsn, false, &s->maint);
	if (!rc && s->be->read_begin) {
		if (pthread_create(&s->sweeper, NULL, sweep_main, s))
			rc = ERR_NOMEM;
		else
			s->sweeping = true;
	}
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return ERR_OK;
}

static err_t connect_standby(const char *dsn, bool create, struct store_conn **out);
static const struct store_be *standby_be; /* set by store_open_standby before connecting */

static err_t connect_standby(const char *dsn, bool create, struct store_conn **out)
{
	(void)create;
	return standby_be->connect_standby(dsn, out);
}

err_t store_open_standby(struct store *s, const char *dsn, unsigned pool_size)
{
	if (be_for(dsn) != s->be || !s->be->connect_standby || !s->be->wal_position ||
	    !s->be->object_seen) {
		log_error("store: a read database needs the PostgreSQL back end on both sides");
		return ERR_INVALID;
	}
	standby_be = s->be;
	err_t rc = pool_open(&s->standby, clamp_pool(pool_size), dsn, false, connect_standby);
	if (rc)
		pool_close(&s->standby);
	return rc;
}

bool store_keeps_snapshots(const struct store *s)
{
	return s->be->read_begin != NULL;
}

bool store_has_standby(const struct store *s)
{
	return s->standby.n > 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->sweeping) {
		pthread_mutex_lock(&s->primary.lock);
		s->stop = true;
		pthread_cond_signal(&s->stop_cv);
		pthread_mutex_unlock(&s->primary.lock);
		pthread_join(s->sweeper, NULL);
	}
	if (s->probe)
		s->be->disconnect(s->probe);
	if (s->maint)
		s->be->disconnect(s->maint);
	pthread_mutex_destroy(&s->probe_lock);
	pthread_cond_destroy(&s->stop_cv);
	pool_close(&s->primary);
	pool_close(&s->standby);
	pthread_mutex_destroy(&s->pos_lock);
	free(s);
}

/* Whether c's kept snapshot still shows the data as it is now. */
static bool snapshot_current(struct store *s, struct store_conn *c)
{
	if (mono_ns() - c->read_since > SNAPSHOT_MAX_AGE_NS)
		return false;
	int64_t now_gen;
	pthread_mutex_lock(&s->probe_lock);
	err_t rc = s->be->generation(s->probe, &now_gen);
	pthread_mutex_unlock(&s->probe_lock);
	return !rc && now_gen == c->read_gen;
}

err_t store_conn_get(struct store *s, struct store_conn **out)
{
	struct store_conn *c = pool_get(&s->primary);
	if (c->in_read && (atomic_load(&s->no_keep) || !snapshot_current(s, c)))
		store_read_end(c);
	*out = c;
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
	if (atomic_load(&s->no_keep))
		store_read_end(c);
	pool_put(&s->primary, c); /* a read snapshot stays: store_conn_get */
}

void store_note_write(struct store *s, int64_t user_id)
{
	if (!store_has_standby(s) || user_id <= 0)
		return;
	struct store_conn *c = pool_get(&s->primary);
	int64_t pos = 0;
	err_t rc = s->be->wal_position(c, &pos);
	pool_put(&s->primary, c);
	if (rc)
		pos = INT64_MAX; /* unknown: the primary serves this user for now */
	size_t slot = (size_t)user_id % WRITE_SLOTS;
	pthread_mutex_lock(&s->pos_lock);
	if (pos > s->written[slot])
		s->written[slot] = pos;
	pthread_mutex_unlock(&s->pos_lock);
}

/*
 * Whether the standby connection c may answer this read: it has replayed the
 * user's last write, and the row the cursor points at.
 */
static bool standby_may_serve(struct store *s, struct store_conn *c, const struct read_hint *h)
{
	int64_t need = 0, replayed;
	if (h->user_id > 0) {
		pthread_mutex_lock(&s->pos_lock);
		need = s->written[(size_t)h->user_id % WRITE_SLOTS];
		replayed = s->replayed;
		pthread_mutex_unlock(&s->pos_lock);
		if (need > replayed) {
			if (s->be->wal_position(c, &replayed))
				return false;
			pthread_mutex_lock(&s->pos_lock);
			if (replayed > s->replayed)
				s->replayed = replayed;
			pthread_mutex_unlock(&s->pos_lock);
			if (need > replayed)
				return false;
		}
	}
	if (h->has_cursor) {
		bool seen = false;
		if (s->be->object_seen(c, h->collection_id, h->cursor_date, h->cursor_seq, &seen) ||
		    !seen)
			return false;
	}
	return true;
}

/* The standby was not asked (behind the reader): not an error of ours. */
#define NOT_TRIED ERR__COUNT

struct count_rows {
	obj_row_fn fn;
	void *ctx;
	size_t n;
};

static err_t count_row(void *ctx, const struct obj_row *row)
{
	struct count_rows *cr = ctx;
	cr->n++;
	return cr->fn(cr->ctx, row);
}

err_t store_read_query(struct store *s, struct store_conn *primary, const struct read_hint *h,
		       const struct obj_query *q, obj_row_fn fn, void *ctx, bool *more)
{
	if (store_has_standby(s) && !primary->in_tx) {
		struct store_conn *c = pool_get(&s->standby);
		struct count_rows cr = {.fn = fn, .ctx = ctx};
		err_t rc = NOT_TRIED;
		if (standby_may_serve(s, c, h))
			rc = c->be->object_query(c, q, count_row, &cr, more);
		pool_put(&s->standby, c);
		/* A standby may also cancel a query that conflicts with recovery
		 * (ERR_BUSY): before any row, the primary answers instead. */
		bool retry = rc == NOT_TRIED || ((rc == ERR_STORE || rc == ERR_BUSY) && cr.n == 0);
		if (!retry) {
			__atomic_add_fetch(&s->reads_standby, 1, __ATOMIC_RELAXED);
			return rc;
		}
		/* Behind, or failed before any row: the primary answers. */
	}
	__atomic_add_fetch(&s->reads_primary, 1, __ATOMIC_RELAXED);
	return primary->be->object_query(primary, q, fn, ctx, more);
}

err_t store_read_status(struct store *s, struct store_conn *primary, const struct read_hint *h,
			const char *id, int64_t now, struct status_rec *st, char **doc)
{
	if (store_has_standby(s)) {
		struct store_conn *c = pool_get(&s->standby);
		err_t rc = NOT_TRIED;
		if (standby_may_serve(s, c, h))
			rc = c->be->status_get(c, id, now, st, doc);
		pool_put(&s->standby, c);
		/* Not there yet (or failing): it may be newer than the standby. */
		if (rc == ERR_OK)
			return rc;
	}
	return primary->be->status_get(primary, id, now, st, doc);
}

void store_read_counts(struct store *s, uint64_t *primary, uint64_t *standby)
{
	*primary = __atomic_load_n(&s->reads_primary, __ATOMIC_RELAXED);
	*standby = __atomic_load_n(&s->reads_standby, __ATOMIC_RELAXED);
}

err_t store_ping(struct store_conn *c)
{
	return c->be->ping(c);
}

void store_read_begin(struct store_conn *c)
{
	if (!c || c->in_tx || c->in_read || !c->be->read_begin)
		return;
	/* Without a snapshot the reads still work, one statement at a time. */
	c->in_read = c->be->read_begin(c, &c->read_gen) == ERR_OK;
	c->read_since = mono_ns();
}

void store_read_yield(struct store *s, struct store_conn *c)
{
	if (atomic_load(&s->no_keep))
		store_read_end(c);
}

void store_read_end(struct store_conn *c)
{
	if (!c || !c->in_read)
		return;
	c->in_read = false;
	c->be->read_end(c);
}

err_t store_tx_begin(struct store_conn *c)
{
	if (c->in_tx)
		return ERR_INTERNAL;
	store_read_end(c);
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
	/* A snapshot is renewed when data changes, not when an event is
	 * recorded: the audit log is read as it is now. */
	store_read_end(c);
	return c->be->audit_list(c, f, fn, ctx);
}

unsigned store_query_shape(const struct obj_query *q, bool del)
{
	unsigned shape = 0, vm = q->version_mode ? q->version_mode : VERSION_LAST;
	if (q->stix_id)
		shape |= Q_ONE_ID;
	if (q->n_ids)
		shape |= Q_IDS;
	if (q->n_types)
		shape |= Q_TYPES;
	if (vm & VERSION_ALL)
		shape |= Q_V_ALL;
	else {
		if (vm & VERSION_LAST)
			shape |= Q_V_LAST;
		if (vm & VERSION_FIRST)
			shape |= Q_V_FIRST;
		if ((vm & VERSION_LIST) && q->n_versions)
			shape |= Q_V_LIST;
		if (!(shape & (Q_V_LAST | Q_V_FIRST | Q_V_LIST)))
			shape |= Q_V_LAST;
	}
	if (q->n_spec_versions)
		shape |= Q_SPEC;
	if (q->has_added_after)
		shape |= Q_AFTER;
	if (q->has_cursor)
		shape |= Q_CURSOR;
	if (del)
		shape |= Q_DELETE;
	else if (q->want_body)
		shape |= Q_BODY;
	shape |= ((unsigned)q->vis.mode & 3) << Q_VIS_SHIFT;
	return shape;
}

/* ---- the object query's filters, in both back ends' SQL ---- */

/*
 * "Last" and "first" among the versions the requester may see: a version it
 * may not see must not change what it gets, or the answer would tell that
 * the version exists. A row whose is_last (is_first) is 1 has no later
 * (earlier) version at all, so it is the last (first) for whoever sees it,
 * and the lookup among the id's versions - a random read of the
 * (collection, id, version) index per row, which at a million objects no
 * longer fits in the cache - is skipped (docs/decisions.md).
 */
static err_t edge_version_sql(struct buf *b, unsigned vis, const char *flag, const char *cmp,
			      const struct sql_dialect *d)
{
	err_t rc = buf_addf(b,
			    "(o.%s = 1 OR NOT EXISTS (SELECT 1 FROM objects o2 WHERE "
			    "o2.collection_id = o.collection_id AND o2.stix_id = o.stix_id AND "
			    "o2.version %s o.version AND ",
			    flag, cmp);
	if (!rc)
		rc = d->vis_sql(b, vis, "o2");
	if (!rc)
		rc = buf_adds(b, "))");
	return rc;
}

err_t store_filters_sql(struct buf *b, unsigned shape, const struct sql_dialect *d)
{
	unsigned vis = (shape >> Q_VIS_SHIFT) & 3;
	err_t rc = ERR_OK;
	if (shape & Q_ONE_ID)
		rc |= buf_addf(b, " AND %s", d->one_id);
	if (shape & Q_IDS)
		rc |= buf_addf(b, " AND %s", d->ids);
	if (shape & Q_TYPES)
		rc |= buf_addf(b, " AND %s", d->types);
	if (!(shape & Q_V_ALL)) {
		const char *sep = " AND (";
		if (shape & Q_V_LAST) {
			rc |= buf_adds(b, sep);
			rc |= edge_version_sql(b, vis, "is_last", ">", d);
			sep = " OR ";
		}
		if (shape & Q_V_FIRST) {
			rc |= buf_adds(b, sep);
			rc |= edge_version_sql(b, vis, "is_first", "<", d);
			sep = " OR ";
		}
		if (shape & Q_V_LIST) {
			rc |= buf_adds(b, sep);
			rc |= buf_adds(b, d->versions);
		}
		rc |= buf_adds(b, ")");
	}
	if (shape & Q_SPEC)
		rc |= buf_addf(b, " AND %s", d->specs);
	if (shape & Q_AFTER)
		rc |= buf_addf(b, " AND %s", d->after);
	if (shape & Q_CURSOR)
		rc |= buf_addf(b, " AND %s", d->cursor);
	return rc ? ERR_NOMEM : ERR_OK;
}

/* ---- scopes: the canonical form both back ends store ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted, without repeats, into a fresh array. */
static int64_t *sorted_unique(const int64_t *v, size_t n, size_t *out_n)
{
	int64_t *s = malloc((n ? n : 1) * sizeof(*s));
	size_t k = 0;
	if (!s)
		return NULL;
	if (n)
		memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_i64);
	for (size_t i = 0; i < n; i++)
		if (!k || s[k - 1] != s[i])
			s[k++] = s[i];
	*out_n = k;
	return s;
}

err_t store_scope_canon(const struct scope_def *def, struct scope_canon *sc)
{
	int64_t *orgs = NULL, *users = NULL;
	size_t no = 0, nu = 0;
	err_t rc = ERR_OK;

	memset(sc, 0, sizeof(*sc));
	buf_init(&sc->text, 1 << 20);
	orgs = sorted_unique(def->orgs, def->n_orgs, &no);
	users = sorted_unique(def->users, def->n_users, &nu);
	sc->members = malloc((2 + no + nu) * sizeof(*sc->members));
	if (!orgs || !users || !sc->members) {
		rc = ERR_NOMEM;
		goto out;
	}
	/* One canonical text per distinct scope, so that equal scopes share a row. */
	rc = buf_addf(&sc->text, "g=%u;o=", def->groups & 3);
	for (size_t i = 0; !rc && i < no; i++)
		rc = buf_addf(&sc->text, "%s%lld", i ? "," : "", (long long)orgs[i]);
	if (!rc)
		rc = buf_adds(&sc->text, ";u=");
	for (size_t i = 0; !rc && i < nu; i++)
		rc = buf_addf(&sc->text, "%s%lld", i ? "," : "", (long long)users[i]);
	if (def->groups & 1)
		sc->members[sc->n_members++] = PRINCIPAL_PARTIES;
	if (def->groups & 2)
		sc->members[sc->n_members++] = PRINCIPAL_COMMUNITY;
	for (size_t i = 0; i < no; i++)
		sc->members[sc->n_members++] = PRINCIPAL_ORG(orgs[i]);
	for (size_t i = 0; i < nu; i++)
		sc->members[sc->n_members++] = PRINCIPAL_USER(users[i]);
out:
	free(orgs);
	free(users);
	if (rc)
		store_scope_canon_release(sc);
	return rc;
}

void store_scope_canon_release(struct scope_canon *sc)
{
	buf_release(&sc->text);
	free(sc->members);
	sc->members = NULL;
	sc->n_members = 0;
}

/*
 * The hash of an entry: SHA-256 over the previous entry's hash and the
 * entry's fields, each as decimal or text followed by a NUL, so that no
 * two different entries hash the same text.
 */
err_t store_audit_hash(const unsigned char prev[32], int64_t seq, int64_t time, const char *kind,
		       int64_t user, int64_t org, const char *object, const char *detail,
		       unsigned char out[32])
{
	struct buf b;
	buf_init(&b, (size_t)1 << 26);
	err_t rc = buf_add(&b, prev, 32);
	if (!rc)
		rc = buf_addf(&b, "%lld", (long long)seq);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_addf(&b, "%lld", (long long)time);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_adds(&b, kind);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_addf(&b, "%lld", (long long)user);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_addf(&b, "%lld", (long long)org);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_adds(&b, object);
	if (!rc)
		rc = buf_addc(&b, '\0');
	if (!rc)
		rc = buf_adds(&b, detail);
	if (!rc)
		sec_sha256(b.data, b.len, out);
	buf_release(&b);
	return rc;
}

struct verify_ctx {
	unsigned char prev[32];
	int64_t expect_seq;
	int64_t broken;
	int64_t n;
};

static err_t verify_row(void *ctx, const struct audit_row *r)
{
	struct verify_ctx *v = ctx;
	unsigned char h[32];
	v->n++;
	if (v->broken)
		return ERR_OK;
	err_t rc = store_audit_hash(v->prev, r->seq, r->time, r->kind, r->user_id, r->org_id,
				    r->object, r->detail, h);
	if (rc)
		return rc;
	if (r->seq != v->expect_seq || memcmp(r->prev, v->prev, 32) || memcmp(r->hash, h, 32)) {
		v->broken = r->seq;
		return ERR_OK;
	}
	memcpy(v->prev, h, 32);
	v->expect_seq++;
	return ERR_OK;
}

/* Walks the whole chain through the back end's audit_list. */
err_t store_audit_verify(struct store_conn *c, int64_t *broken, int64_t *n)
{
	struct verify_ctx v = {.expect_seq = 1};
	struct audit_filter f = {0};
	store_read_end(c);
	err_t rc = c->be->audit_list(c, &f, verify_row, &v);
	*broken = v.broken;
	*n = v.n;
	return rc;
}
