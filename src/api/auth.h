/*
 * auth.h - who is asking: HTTP Basic (user and password, or a token as the
 * password) and Bearer tokens, checked against the store.
 *
 * Argon2id is slow on purpose, so a password verified recently is kept in
 * memory under a keyed hash (DESIGN.md §8) for auth_cache_seconds; tokens
 * are high-entropy and need only their fast hash. Failed attempts are
 * logged (never with the secret) and slowed down, more for each recent
 * failure from the same address.
 */
#ifndef RENKEI_AUTH_H
#define RENKEI_AUTH_H

#include <stdint.h>

#include "../store/store.h"
#include "app.h"

struct principal {
	struct user user;
	struct org org;
};

/* Creates the in-memory state (credential cache, failure counters). */
err_t auth_state_new(struct auth_state **out);
void auth_state_free(struct auth_state *st);

/*
 * Authenticates the Authorization header value hdr (NULL when absent).
 * On success fills *who. On failure returns ERR_UNAUTH and sets *delay_ms
 * to how long the answer should be held back; other errors are the store's.
 */
err_t auth_check(struct app *app, struct store_conn *c, const char *hdr, const char *remote,
		 struct principal *who, unsigned *delay_ms);

#endif
