/* app.c - building and tearing down struct app. */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../common/sec.h"
#include "../common/timeutil.h"
#include "agreements.h"
#include "audit.h"
#include "auth.h"
#include "metrics.h"
#include "../common/banned.h"

err_t app_open(struct app *app, const struct config *cfg, bool create, char *msg, size_t n)
{
	err_t rc;

	memset(app, 0, sizeof(*app));
	app->cfg = *cfg;
	config_finish(&app->cfg);
	if (sec_init()) {
		snprintf(msg, n, "libsodium failed to initialise");
		return ERR_INTERNAL;
	}
	if (app->cfg.test_clock[0]) {
		const char *t = app->cfg.test_clock;
		if (ts_parse(t, strlen(t), &app->fixed_now, NULL)) {
			snprintf(msg, n,
				 "test_clock: not a timestamp like 2026-11-26T00:00:00.000Z");
			return ERR_INVALID;
		}
		log_warn("test_clock is set: the hub's clock stands still at %s", t);
	}
	stix_limits_default(&app->limits);
	app->limits.max_object_bytes = app->cfg.max_object_bytes;
	app->limits.max_depth = app->cfg.max_depth;
	app->limits.max_objects = app->cfg.max_objects;

	char shown[CONFIG_PATH_MAX];
	store_dsn_public(app->cfg.database, shown, sizeof(shown));
	/* A connection per worker thread, one for the audit queue's group
	 * commits, and two for the rest (the CLI, /metrics). */
	rc = store_open(app->cfg.database, create, app->cfg.threads + 3, &app->store);
	if (!rc && app->cfg.read_database[0]) {
		/* The standby serves object queries: one connection per worker. */
		rc = store_open_standby(app->store, app->cfg.read_database, app->cfg.threads + 1);
		if (rc) {
			store_dsn_public(app->cfg.read_database, shown, sizeof(shown));
			snprintf(msg, n, "cannot use the read database %s (%s; see the log)", shown,
				 err_name(rc));
			goto fail;
		}
	}
	if (rc) {
		if (rc == ERR_NOTFOUND)
			snprintf(msg, n, "no hub at %s: run 'renkei init' first", shown);
		else if (rc == ERR_CONFLICT)
			snprintf(msg, n, "%s was written by a newer renkei; upgrade renkei", shown);
		else
			snprintf(msg, n, "cannot open the database %s (%s; see the log)", shown,
				 err_name(rc));
		goto fail;
	}
	rc = auth_state_new(&app->auth);
	if (!rc)
		rc = metrics_new(&app->metrics);
	if (!rc)
		rc = agreements_cache_new(app);
	if (!rc)
		rc = audit_queue_new(app->store, &app->audit_q);
	if (rc) {
		snprintf(msg, n, "out of memory");
		goto fail;
	}
	return ERR_OK;
fail:
	app_close(app);
	return rc;
}

void app_close(struct app *app)
{
	audit_queue_free(app->audit_q); /* gives its connection back first */
	app->audit_q = NULL;
	store_close(app->store);
	auth_state_free(app->auth);
	metrics_free(app->metrics);
	agreements_cache_free(app);
	app->store = NULL;
	app->auth = NULL;
	app->metrics = NULL;
}

int64_t app_now(const struct app *app)
{
	return app->fixed_now ? app->fixed_now : ts_now_us();
}
