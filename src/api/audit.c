/* audit.c - audit entries from the api layer (audit.h). */
#include "audit.h"

#include <stdlib.h>

#include "../common/banned.h"

err_t audit_write(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail)
{
	/* A detail that could not be built (json_pack refuses text that is
	 * not UTF-8) is an error, never a silent "{}". */
	if (!detail)
		return ERR_INVALID;
	char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	if (!d)
		return ERR_NOMEM;
	struct audit_entry e = {
		.time = app_now(app),
		.kind = kind,
		.user_id = user,
		.org_id = org,
		.object = object ? object : "",
		.detail = d,
	};
	err_t rc = store_audit_append(c, &e);
	free(d);
	return rc;
}

err_t audit_event(struct app *app, struct store_conn *c, const char *kind, int64_t user,
		  int64_t org, const char *object, json_t *detail)
{
	if (!detail)
		return ERR_INVALID;
	err_t rc = store_tx_begin(c);
	if (rc) {
		json_decref(detail);
		return rc;
	}
	rc = audit_write(app, c, kind, user, org, object, detail);
	return store_tx_end(c, rc);
}
