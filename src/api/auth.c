/*
 * auth.c - HTTP Basic and Bearer authentication with a cache of verified
 * passwords and a per-address slow-down of failures.
 * Depends on store/, common/ (sec.h for every secret operation).
 */
#include "auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/sec.h"
#include "audit.h"
#include "../common/banned.h"

#define CACHE_SLOTS    1024
#define FAIL_SLOTS     1024
#define FAIL_WINDOW_US (15LL * 60 * 1000000) /* failures older than this are forgotten */
#define CRED_MAX       1024		     /* user:password after decoding */

struct cache_entry {
	unsigned char key[32]; /* keyed hash of "user\0password" */
	unsigned char pw[32];  /* keyed hash of the stored argon2id string */
	int64_t user_id;
	int64_t expires;
};

struct fail_entry {
	unsigned char key[16]; /* keyed hash of the remote address */
	unsigned count;
	int64_t last;
};

struct auth_state {
	pthread_mutex_t lock;
	unsigned char secret[32];   /* random per process: cache keys mean nothing outside */
	char dummy[SEC_PWHASH_MAX]; /* verified against for unknown users */
	struct cache_entry cache[CACHE_SLOTS];
	struct fail_entry fails[FAIL_SLOTS];
};

err_t auth_state_new(struct auth_state **out)
{
	struct auth_state *st = calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	pthread_mutex_init(&st->lock, NULL);
	sec_random(st->secret, sizeof(st->secret));
	*out = st;
	return ERR_OK;
}

void auth_state_free(struct auth_state *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	sec_wipe(st, sizeof(*st));
	free(st);
}

/*
 * An argon2id hash to verify against for unknown users, so that timing does
 * not tell which names exist. Made on first need, not at start: every CLI
 * command opens the hub, and only a server meets unknown users.
 */
static const char *dummy_hash(struct auth_state *st)
{
	pthread_mutex_lock(&st->lock);
	if (!st->dummy[0]) {
		char pw[SEC_UUID_LEN + 1];
		sec_uuid4(pw);
		if (sec_password_hash(pw, st->dummy))
			st->dummy[0] = '\0';
	}
	pthread_mutex_unlock(&st->lock);
	return st->dummy;
}

static unsigned slot_of(const unsigned char *h, unsigned slots)
{
	return (unsigned)(h[0] | h[1] << 8 | h[2] << 16) % slots;
}

/* Counts a failure from remote and says how long to hold the answer. */
static unsigned note_failure(struct auth_state *st, const char *remote, int64_t now)
{
	unsigned char h[32];
	sec_keyed_hash(st->secret, remote, strlen(remote), h);
	pthread_mutex_lock(&st->lock);
	struct fail_entry *e = &st->fails[slot_of(h, FAIL_SLOTS)];
	if (memcmp(e->key, h, sizeof(e->key)) || now - e->last > FAIL_WINDOW_US) {
		memcpy(e->key, h, sizeof(e->key));
		e->count = 0;
	}
	if (e->count < 1000)
		e->count++;
	e->last = now;
	unsigned n = e->count;
	pthread_mutex_unlock(&st->lock);
	/* 250 ms, doubling with each recent failure, at most 8 s. */
	unsigned shift = n > 6 ? 5 : n - 1;
	return 250u << shift;
}

static void clear_failures(struct auth_state *st, const char *remote)
{
	unsigned char h[32];
	sec_keyed_hash(st->secret, remote, strlen(remote), h);
	pthread_mutex_lock(&st->lock);
	struct fail_entry *e = &st->fails[slot_of(h, FAIL_SLOTS)];
	if (!memcmp(e->key, h, sizeof(e->key)))
		e->count = 0;
	pthread_mutex_unlock(&st->lock);
}

static err_t load_principal(struct store_conn *c, int64_t user_id, struct principal *who)
{
	err_t rc = store_user_get(c, user_id, &who->user);
	if (!rc)
		rc = store_org_get(c, who->user.org_id, &who->org);
	return rc;
}

static err_t check_token(struct app *app, struct store_conn *c, const char *tok, size_t len,
			 struct principal *who, const char **why)
{
	unsigned char h[32];
	struct token t;

	if (len < strlen(SEC_TOKEN_PREFIX) ||
	    strncmp(tok, SEC_TOKEN_PREFIX, strlen(SEC_TOKEN_PREFIX))) {
		*why = "not a renkei token";
		return ERR_UNAUTH;
	}
	sec_token_hash(tok, len, h);
	err_t rc = store_token_lookup(c, h, &t);
	if (rc == ERR_NOTFOUND) {
		*why = "unknown token";
		return ERR_UNAUTH;
	}
	if (rc)
		return rc;
	if (t.revoked) {
		*why = "revoked token";
		return ERR_UNAUTH;
	}
	if (t.expires && t.expires <= app_now(app)) {
		*why = "expired token";
		return ERR_UNAUTH;
	}
	rc = load_principal(c, t.user_id, who);
	if (rc)
		return rc == ERR_NOTFOUND ? ERR_UNAUTH : rc;
	return ERR_OK;
}

static err_t check_password(struct app *app, struct store_conn *c, const char *name, const char *pw,
			    struct principal *who, const char **why)
{
	struct auth_state *st = app->auth;
	unsigned char key[32], pwkey[32];
	struct buf b;
	int64_t now = app_now(app);
	err_t rc;

	rc = store_user_find(c, name, &who->user);
	if (rc == ERR_NOTFOUND) {
		/* Spend the same time as a real check, so that timing does not
		 * tell which user names exist. */
		sec_password_verify(dummy_hash(st), pw);
		*why = "unknown user";
		return ERR_UNAUTH;
	}
	if (rc)
		return rc;

	buf_init(&b, CRED_MAX * 2);
	if (buf_adds(&b, name) || buf_addc(&b, '\0') || buf_adds(&b, pw)) {
		buf_release(&b);
		return ERR_NOMEM;
	}
	sec_keyed_hash(st->secret, b.data, b.len, key);
	sec_wipe(b.data, b.len);
	buf_release(&b);
	sec_keyed_hash(st->secret, who->user.pw_hash, strlen(who->user.pw_hash), pwkey);

	bool hit = false;
	pthread_mutex_lock(&st->lock);
	struct cache_entry *e = &st->cache[slot_of(key, CACHE_SLOTS)];
	/* The stored hash is part of the entry: a changed password ends it. */
	if (e->expires > now && sec_equal(e->key, key, 32) && sec_equal(e->pw, pwkey, 32) &&
	    e->user_id == who->user.id)
		hit = true;
	pthread_mutex_unlock(&st->lock);

	if (!hit) {
		if (!sec_password_verify(who->user.pw_hash, pw)) {
			*why = "wrong password";
			return ERR_UNAUTH;
		}
		if (app->cfg.auth_cache_seconds) {
			pthread_mutex_lock(&st->lock);
			memcpy(e->key, key, 32);
			memcpy(e->pw, pwkey, 32);
			e->user_id = who->user.id;
			e->expires = now + (int64_t)app->cfg.auth_cache_seconds * 1000000;
			pthread_mutex_unlock(&st->lock);
		}
	}
	rc = store_org_get(c, who->user.org_id, &who->org);
	return rc == ERR_NOTFOUND ? ERR_UNAUTH : rc;
}

err_t auth_check(struct app *app, struct store_conn *c, const char *hdr, const char *remote,
		 struct principal *who, unsigned *delay_ms)
{
	const char *why = "no credentials";
	char cred[CRED_MAX + 1];
	char user_name[STORE_NAME_MAX] = "-";
	size_t n = 0;
	err_t rc = ERR_UNAUTH;

	*delay_ms = 0;
	memset(who, 0, sizeof(*who));
	if (!hdr) {
		/* Asking without credentials is how clients discover the scheme:
		 * answer 401 at once and count nothing. */
		return ERR_UNAUTH;
	}
	if (!strncasecmp(hdr, "Bearer ", 7)) {
		const char *tok = hdr + 7;
		while (*tok == ' ')
			tok++;
		rc = check_token(app, c, tok, strlen(tok), who, &why);
	} else if (!strncasecmp(hdr, "Basic ", 6)) {
		const char *b64 = hdr + 6;
		while (*b64 == ' ')
			b64++;
		if (sec_b64_decode(b64, strlen(b64), cred, CRED_MAX, &n)) {
			why = "malformed Basic credentials";
		} else {
			cred[n] = '\0';
			char *colon = memchr(cred, ':', n);
			if (!colon || strlen(cred) != n) {
				why = "malformed Basic credentials";
			} else {
				*colon = '\0';
				const char *pw = colon + 1;
				snprintf(user_name, sizeof(user_name), "%.100s", cred);
				/* A token may stand as the password, for clients that
				 * only know Basic (the OASIS client, many SIEM feeds). */
				if (!strncmp(pw, SEC_TOKEN_PREFIX, strlen(SEC_TOKEN_PREFIX)))
					rc = check_token(app, c, pw, strlen(pw), who, &why);
				else
					rc = check_password(app, c, cred, pw, who, &why);
			}
			sec_wipe(cred, sizeof(cred));
		}
	} else {
		why = "unsupported authorization scheme";
	}

	if (rc == ERR_OK && who->user.disabled) {
		why = "disabled account";
		rc = ERR_UNAUTH;
	}
	if (rc == ERR_OK) {
		clear_failures(app->auth, remote);
		return ERR_OK;
	}
	if (rc != ERR_UNAUTH)
		return rc;
	*delay_ms = note_failure(app->auth, remote, app_now(app));
	/* DESIGN.md §3.8: every failed login is an audit entry (never the secret);
	 * the name given is the client's bytes: kept printable ASCII. */
	for (char *p = user_name; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	err_t arc = audit_event(app, c, "auth.failure", 0, 0, user_name,
				json_pack("{s:s, s:s}", "remote", remote, "reason", why));
	if (arc)
		log_error("auth: could not audit a failed login (%s)", err_name(arc));
	log_warn("auth: failed login from %s as '%.64s': %s (answer held %u ms)", remote, user_name,
		 why, *delay_ms);
	memset(who, 0, sizeof(*who));
	return ERR_UNAUTH;
}
