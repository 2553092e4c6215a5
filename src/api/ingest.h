/*
 * ingest.h - taking a TAXII envelope or STIX bundle into a collection: the
 * one path by which objects enter the hub (TAXII POST and 'renkei import').
 *
 * Every object is validated on its own - as STIX 2.1, then against the
 * rules of the API root's agreement (DESIGN.md §3.2: the agreement in force,
 * the poster a member, the category one it may originate, one TLP marking
 * at most, one sharing scope at most) -; the valid ones are stored in one
 * transaction with their scope, TLP and category, the others are listed with a precise
 * message, and the TAXII status resource that says so is written in the
 * same transaction.
 */
#ifndef RENKEI_INGEST_H
#define RENKEI_INGEST_H

#include <jansson.h>

#include "../common/timeutil.h"
#include "app.h"

struct ingest_who {
	int64_t user_id; /* the poster (0: the command line), for the audit */
	int64_t org_id;
	const char *org_identity; /* the poster's identity id, for created_by_ref */
	int64_t root_id;
	/*
	 * false (TAXII POST): each object gets its own date_added, one
	 * microsecond after the previous, so that clients paging with
	 * added_after (TAXII 2.1 §3.5) never skip one. true ('renkei import
	 * --one-date-added'): the whole envelope shares one date_added.
	 */
	bool one_date_added;
};

/*
 * Ingests body[0..len) into col. On success (even when some objects were
 * refused) returns ERR_OK and hands the status resource to *status (caller
 * json_decref's it). Returns ERR_UNPROCESSABLE with a reason in msg when the
 * body is not an envelope at all, ERR_TOOBIG when it holds too many
 * objects, and a store error (nothing written) when the transaction failed.
 */
err_t ingest_envelope(struct app *app, struct store_conn *c, const struct ingest_who *who,
		      const struct collection *col, const char *body, size_t len, json_t **status,
		      char *msg, size_t msgsz);

/* Formats a version timestamp as STIX shows it: milliseconds when the value
 * has no finer part, microseconds otherwise. */
void ingest_format_version(int64_t us, char out[TS_BUFSZ]);

#endif
