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

/* The same in a transaction of its own. */
err_t audit_event(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail);

#endif
