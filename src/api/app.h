/*
 * app.h - the process: everything that lives as long as renkei runs, in one
 * struct created by main() and passed down (no other mutable globals).
 */
#ifndef RENKEI_APP_H
#define RENKEI_APP_H

#include <stdint.h>

#include "../common/config.h"
#include "../stix/stix.h"
#include "../store/store.h"

struct audit_queue;
struct auth_state;
struct metrics;
struct rules_cache;

struct app {
	struct config cfg;
	struct store *store;
	struct stix_limits limits;
	struct auth_state *auth;
	struct metrics *metrics;
	struct rules_cache *rules;   /* agreements.c: the rules of each API root */
	struct audit_queue *audit_q; /* audit.c: entries waiting for a group commit */
	int64_t fixed_now;	     /* test_clock, in microseconds; 0: the wall clock */
};

/*
 * Opens the store named by cfg and builds the process state around it.
 * create: initialise a new store (renkei init); otherwise it must exist.
 * On failure returns the error, leaves nothing allocated, and writes a
 * one-line reason into msg.
 */
err_t app_open(struct app *app, const struct config *cfg, bool create, char *msg, size_t n);

/* Releases everything app_open made. NULL-safe on a zeroed app. */
void app_close(struct app *app);

/* The current time for the rules and for date_added: the injected test
 * clock when configured, the wall clock otherwise. */
int64_t app_now(const struct app *app);

#endif
