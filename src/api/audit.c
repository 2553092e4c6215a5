/* audit.c - audit entries from the api layer (audit.h). */
#include "audit.h"

#include <pthread.h>
#include <stdlib.h>

#include "../common/banned.h"

/* An entry's detail as text: compact, keys sorted. detail is stolen. */
static err_t detail_text(json_t *detail, char **out)
{
	/* A detail that could not be built (json_pack refuses text that is
	 * not UTF-8) is an error, never a silent "{}". */
	if (!detail)
		return ERR_INVALID;
	*out = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	return *out ? ERR_OK : ERR_NOMEM;
}

err_t audit_write_text(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		       int64_t org, const char *object, const char *detail)
{
	struct audit_entry e = {
		.time = app_now(app),
		.kind = kind,
		.user_id = user,
		.org_id = org,
		.object = object ? object : "",
		.detail = detail,
	};
	return store_audit_append(c, &e);
}

err_t audit_write(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail)
{
	char *d;
	err_t rc = detail_text(detail, &d);
	if (rc)
		return rc;
	rc = audit_write_text(app, c, kind, user, org, object, d);
	free(d);
	return rc;
}

/*
 * Group commit. An event that changes nothing else still needs a
 * transaction, and on SQLite every transaction takes the one write lock and
 * makes the other connections drop their page caches: one transaction per
 * page served halved the pages served per second. So the events of
 * concurrent requests share one: a request queues its entry; if no
 * transaction is being written, it writes every queued entry in one (it
 * leads), otherwise it waits for the leader, and leads the next batch if
 * its entry was not in this one. Each request returns only once its entry is
 * committed, so "recorded before anything is sent" holds entry by entry.
 *
 * The batches go through a connection of their own: a request's connection
 * keeps its read snapshot (store_read_begin), which a write would end.
 *
 * On a back end that keeps no snapshots (PostgreSQL) each event is written
 * through the request's own connection in a transaction of its own: there
 * the one connection of the queue serialised whole transactions, round trips
 * included, that otherwise overlap up to the audit chain's lock (one object
 * by id: 2,900 -> 1,800 requests/s).
 */
struct audit_wait {
	struct audit_entry e;
	err_t rc;
	bool done;
	struct audit_wait *next;
};

struct audit_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct audit_wait *head, **tail;
	bool writing; /* a leader is writing a batch */
	struct store *store;
	struct store_conn *conn; /* the batches' (only the leader uses it); NULL: none */
	uint64_t batches, entries;
};

err_t audit_queue_new(struct store *store, struct audit_queue **out)
{
	struct audit_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return ERR_NOMEM;
	q->store = store;
	if (store_keeps_snapshots(store))
		store_conn_get(store, &q->conn);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->tail = &q->head;
	*out = q;
	return ERR_OK;
}

void audit_queue_free(struct audit_queue *q)
{
	if (!q)
		return;
	store_conn_put(q->store, q->conn);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

void audit_queue_counts(struct audit_queue *q, uint64_t *batches, uint64_t *entries)
{
	pthread_mutex_lock(&q->mu);
	*batches = q->batches;
	*entries = q->entries;
	pthread_mutex_unlock(&q->mu);
}

static err_t append_all(struct app *app, struct store_conn *c, struct audit_wait *batch)
{
	err_t rc = store_tx_begin(c);
	for (struct audit_wait *w = batch; !rc && w; w = w->next) {
		w->e.time = app_now(app);
		rc = store_audit_append(c, &w->e);
	}
	return store_tx_end(c, rc);
}

/* Writes a batch through c and sets each entry's result. */
static void write_batch(struct app *app, struct store_conn *c, struct audit_wait *batch)
{
	err_t rc = append_all(app, c, batch);
	if (rc && batch->next) {
		/* What failed may be one entry: the others must not be refused
		 * with it, so each is tried again on its own. */
		for (struct audit_wait *w = batch; w; w = w->next) {
			struct audit_wait *next = w->next;
			w->next = NULL;
			w->rc = append_all(app, c, w);
			w->next = next;
		}
		return;
	}
	for (struct audit_wait *w = batch; w; w = w->next)
		w->rc = rc;
}

err_t audit_event(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail)
{
	char *d;
	err_t rc = detail_text(detail, &d);
	if (rc)
		return rc;
	if (store_in_tx(c)) {
		free(d);
		return ERR_INTERNAL; /* the caller's transaction is not ours to share */
	}

	struct audit_queue *q = app->audit_q;
	store_read_yield(app->store, c);
	struct audit_wait me = {
		.e = {.kind = kind,
		      .user_id = user,
		      .org_id = org,
		      .object = object ? object : "",
		      .detail = d},
	};
	if (!q->conn) {
		me.rc = append_all(app, c, &me);
		pthread_mutex_lock(&q->mu);
		q->batches++;
		q->entries++;
		pthread_mutex_unlock(&q->mu);
		free(d);
		return me.rc;
	}
	pthread_mutex_lock(&q->mu);
	*q->tail = &me;
	q->tail = &me.next;
	while (!me.done) {
		if (q->writing) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		struct audit_wait *batch = q->head;
		q->head = NULL;
		q->tail = &q->head;
		q->writing = true;
		pthread_mutex_unlock(&q->mu);

		write_batch(app, q->conn, batch);

		pthread_mutex_lock(&q->mu);
		q->batches++;
		for (struct audit_wait *w = batch; w;) {
			struct audit_wait *next = w->next; /* w may be gone once done */
			q->entries++;
			w->done = true;
			w = next;
		}
		q->writing = false;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	free(d);
	return me.rc;
}
