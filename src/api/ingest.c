/*
 * ingest.c - validation and storage of posted objects, and their status
 * resource (TAXII 2.1 §4.3, §5.5). Depends on stix/, store/, common/.
 */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/sec.h"
#include "../common/timeutil.h"
#include "../stix/stix.h"
#include "../common/banned.h"

void ingest_format_version(int64_t us, char out[TS_BUFSZ])
{
	if (us % 1000 == 0)
		ts_format_ms(us, out);
	else
		ts_format(us, out);
}

/* Appends a status-details record (§4.3.1: id and version required). */
static err_t add_detail(json_t *list, const char *id, const char *version, const char *message)
{
	json_t *d = json_pack("{s:s, s:s}", "id", id, "version", version);
	if (!d)
		return ERR_NOMEM;
	if (message && json_object_set_new(d, "message", json_string(message))) {
		json_decref(d);
		return ERR_NOMEM;
	}
	return json_array_append_new(list, d) ? ERR_NOMEM : ERR_OK;
}

/* The TAXII version of a validated object: modified, else created, else
 * the date it is added (the server's consistent choice for SCOs). */
static int64_t version_of(const struct stix_meta *m, int64_t date_added)
{
	return m->has_version ? m->version : date_added;
}

err_t ingest_envelope(struct app *app, struct store_conn *c, const struct ingest_who *who,
		      const struct collection *col, const char *body, size_t len, json_t **status,
		      char *msg, size_t msgsz)
{
	struct stix_span *spans = NULL;
	size_t n = 0, ok = 0, bad = 0;
	enum stix_envelope_kind kind;
	char smsg[STIX_MSG_MAX], vbuf[TS_BUFSZ], uuid[SEC_UUID_LEN + 1];
	json_t *st = NULL, *successes = NULL, *failures = NULL;
	char *doc = NULL;
	int64_t now = app_now(app), base = 0, date_added = 0, stored = 0;
	err_t rc;

	*status = NULL;
	rc = stix_envelope_split(body, len, &app->limits, &spans, &n, &kind, smsg);
	if (rc) {
		snprintf(msg, msgsz, "%s", smsg);
		return rc == ERR_NOMEM ? rc : (rc == ERR_TOOBIG ? ERR_TOOBIG : ERR_UNPROCESSABLE);
	}
	successes = json_array();
	failures = json_array();
	if (!successes || !failures) {
		rc = ERR_NOMEM;
		goto out;
	}

	rc = store_tx_begin(c);
	if (rc)
		goto out;
	rc = store_next_date_added(c, now, &base);
	for (size_t i = 0; i < n && !rc; i++) {
		struct stix_meta meta;
		const char *p = body + spans[i].off;
		json_t *obj = NULL;

		memset(&meta, 0, sizeof(meta));
		err_t vrc = stix_object_check(p, spans[i].len, &app->limits, &obj, &meta, smsg);
		if (vrc == ERR_NOMEM) {
			rc = vrc;
			break;
		}
		if (meta.has_version)
			ingest_format_version(meta.version, vbuf);
		else
			vbuf[0] = '\0';
		if (vrc) {
			char m2[STIX_MSG_MAX + 32];
			snprintf(m2, sizeof(m2), "object %zu: %s", i + 1, smsg);
			rc = add_detail(failures, meta.id, vbuf, m2);
			bad++;
			continue;
		}
		/* DESIGN.md §3.2: nobody posts in another organisation's name. */
		json_t *cbr = json_object_get(obj, "created_by_ref");
		if (cbr &&
		    (!json_is_string(cbr) || strcmp(json_string_value(cbr), who->org_identity))) {
			json_decref(obj);
			snprintf(smsg, sizeof(smsg),
				 "created_by_ref is not the identity of the posting organisation "
				 "(%s)",
				 who->org_identity);
			rc = add_detail(failures, meta.id, vbuf, smsg);
			bad++;
			continue;
		}
		json_decref(obj);

		struct obj_put put = {
			.stix_id = meta.id,
			.type = meta.type,
			.spec_version = meta.spec_version[0] ? meta.spec_version : "2.1",
			.version = meta.version,
			.has_version = meta.has_version,
			.org_id = who->org_id,
			.body = p,
			.body_len = spans[i].len,
		};
		enum obj_put_result res;
		date_added = who->one_date_added ? base : base + stored++;
		rc = store_object_put(c, col->id, &put, date_added, &res);
		if (rc)
			break;
		ingest_format_version(version_of(&meta, date_added), vbuf);
		switch (res) {
		case OBJ_PUT_ADDED:
			rc = add_detail(successes, meta.id, vbuf, NULL);
			ok++;
			break;
		case OBJ_PUT_SAME:
			/* §5.5: an exact duplicate MUST NOT be an error. */
			rc = add_detail(successes, meta.id, vbuf,
					"already stored; nothing changed");
			ok++;
			break;
		case OBJ_PUT_CONFLICT:
			rc = add_detail(failures, meta.id, vbuf,
					"another object with this id and version is stored; "
					"a change needs a later 'modified'");
			bad++;
			break;
		case OBJ_PUT_NOT_OWNER:
			rc = add_detail(failures, meta.id, vbuf,
					"this id was first shared by another organisation; only it "
					"may add versions (DESIGN.md §3.2)");
			bad++;
			break;
		}
	}
	if (rc)
		goto out;

	sec_uuid4(uuid);
	ts_format(now, vbuf);
	st = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id", uuid, "status", "complete",
		       "request_timestamp", vbuf, "total_count", (json_int_t)n, "success_count",
		       (json_int_t)ok, "failure_count", (json_int_t)bad, "pending_count",
		       (json_int_t)0);
	if (!st) {
		rc = ERR_NOMEM;
		goto out;
	}
	/* §2: empty lists are omitted, never sent as []. */
	if (ok && json_object_set(st, "successes", successes))
		rc = ERR_NOMEM;
	if (bad && json_object_set(st, "failures", failures))
		rc = ERR_NOMEM;
	if (rc)
		goto out;
	doc = json_dumps(st, JSON_COMPACT);
	if (!doc) {
		rc = ERR_NOMEM;
		goto out;
	}
	struct status_rec rec = {
		.root_id = who->root_id,
		.org_id = who->org_id,
		.request_time = now,
		.doc = doc,
		.doc_len = strlen(doc),
	};
	snprintf(rec.id, sizeof(rec.id), "%s", uuid);
	int64_t keep = (int64_t)app->cfg.status_retention_hours * 3600 * 1000000;
	/* Expired status resources go as new ones come: an indexed delete. */
	rc = store_status_purge(c, now);
	if (!rc)
		rc = store_status_put(c, &rec, now + keep);
out:
	rc = store_tx_end(c, rc);
	if (rc) {
		json_decref(st);
		st = NULL;
	}
	*status = st;
	free(doc);
	free(spans);
	json_decref(successes);
	json_decref(failures);
	return rc;
}
