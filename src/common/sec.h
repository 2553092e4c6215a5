/*
 * sec.h - the project's one door to libsodium: randomness, password hashing
 * (argon2id), API tokens, keyed hashes, UUIDs, base64url, constant-time
 * comparison and wiping. <sodium.h> is included in sec.c only.
 */
#ifndef RENKEI_SEC_H
#define RENKEI_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SEC_PWHASH_MAX	 160 /* an encoded argon2id hash, with room */
#define SEC_TOKEN_MAX	 72  /* "rk_" + 43 base64url characters + NUL, with room */
#define SEC_TOKEN_PREFIX "rk_"
#define SEC_UUID_LEN	 36

/* Initialises libsodium. Call once from main before threads start. */
err_t sec_init(void);

/* Fills p with n unpredictable bytes. */
void sec_random(void *p, size_t n);

/*
 * Hashes a password with argon2id (t=2, m=19 MiB: the OWASP baseline), into
 * an encoded string that carries its own salt and parameters.
 */
err_t sec_password_hash(const char *pw, char out[SEC_PWHASH_MAX]);

/* Whether pw matches the encoded hash; false for an empty or malformed hash. */
bool sec_password_verify(const char *hash, const char *pw);

/*
 * Makes a new API token: 256 random bits as "rk_" + base64url. out gets the
 * secret (to be shown once); hash gets its BLAKE2b-256 digest, which is all
 * the store keeps.
 */
void sec_token_new(char out[SEC_TOKEN_MAX], unsigned char hash[32]);

/* The digest of a presented token, to look it up. */
void sec_token_hash(const char *token, size_t len, unsigned char hash[32]);

/*
 * Makes a random password (144 bits as 24 base64url characters) that does
 * not begin with '-' or '_', so that it can follow an option on a command
 * line. out needs 25 bytes.
 */
err_t sec_password_new(char *out, size_t n);

/* A keyed BLAKE2b-256 of msg, for in-memory caches of verified secrets. */
void sec_keyed_hash(const unsigned char key[32], const void *msg, size_t len,
		    unsigned char out[32]);

/* A random (version 4) UUID in lower-case text form. */
void sec_uuid4(char out[SEC_UUID_LEN + 1]);

/* Constant-time equality of n bytes. */
bool sec_equal(const void *a, const void *b, size_t n);

/* Wipes n bytes so that the compiler cannot drop the write. */
void sec_wipe(void *p, size_t n);

/* Encodes n bytes as unpadded base64url into out (cap bytes with NUL). */
err_t sec_b64url_encode(const void *p, size_t n, char *out, size_t cap);

/* Decodes unpadded base64url text s[0..len) into out (at most cap bytes). */
err_t sec_b64url_decode(const char *s, size_t len, void *out, size_t cap, size_t *n);

/* Decodes standard padded base64 (HTTP Basic credentials) into out. */
err_t sec_b64_decode(const char *s, size_t len, void *out, size_t cap, size_t *n);

/* SHA-256 of msg. */
void sec_sha256(const void *msg, size_t len, unsigned char out[32]);

#endif
