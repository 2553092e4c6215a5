/*
 * audit.h - writing entries of the hash-chained audit log (DESIGN.md §3.8)
 * from the api layer: the entry of a change goes into the change's own
 * transaction; an event that changes nothing (a failed login) gets one of
 * its own.
 */
#ifndef RENKEI_AUDIT_H
#define RENKEI_AUDIT_H

#include <jansson.h>

#include "app.h"

/* Writes one entry inside the caller's transaction. detail is a JSON object
 * (stolen), serialised with sorted keys; NULL - what json_pack() returns
 * when it fails - is ERR_INVALID, and nothing is written. */
err_t audit_write(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail);

/* The same with the detail already written as that text. */
err_t audit_write_text(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		       int64_t org, const char *object, const char *detail);

/* The same for an event that changes nothing else (a failed login, a
 * disclosure), outside any transaction of c's: the entry is committed in a
 * transaction shared with the events other threads record at the same
 * moment (group commit, audit.c), and the call returns once it is. c must
 * not be inside a transaction (ERR_INTERNAL). */
err_t audit_event(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail);

/* The queue of audit_event: one per process (struct app). */
struct audit_queue;
/* The queue takes one connection of store's pool for its transactions. */
err_t audit_queue_new(struct store *store, struct audit_queue **out);
void audit_queue_free(struct audit_queue *q);
/* How many transactions audit_event wrote, and how many entries in them. */
void audit_queue_counts(struct audit_queue *q, uint64_t *batches, uint64_t *entries);

#endif
