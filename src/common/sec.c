/* sec.c - libsodium behind sec.h. The only file that includes <sodium.h>. */
#include "sec.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

err_t sec_init(void)
{
	return sodium_init() < 0 ? ERR_INTERNAL : ERR_OK;
}

void sec_random(void *p, size_t n)
{
	randombytes_buf(p, n);
}

/* OWASP's argon2id baseline: 19 MiB of memory, 2 passes, 1 lane. */
#define PW_OPS 2
#define PW_MEM (19u * 1024u * 1024u)

err_t sec_password_hash(const char *pw, char out[SEC_PWHASH_MAX])
{
	_Static_assert(SEC_PWHASH_MAX >= crypto_pwhash_STRBYTES, "room for argon2id strings");
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), PW_OPS, PW_MEM,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ERR_NOMEM;
	return ERR_OK;
}

bool sec_password_verify(const char *hash, const char *pw)
{
	if (!hash[0] || strlen(hash) >= crypto_pwhash_STRBYTES)
		return false;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void sec_token_hash(const char *token, size_t len, unsigned char hash[32])
{
	crypto_generichash(hash, 32, (const unsigned char *)token, len, NULL, 0);
}

void sec_token_new(char out[SEC_TOKEN_MAX], unsigned char hash[32])
{
	unsigned char raw[32];
	char b64[64];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	snprintf(out, SEC_TOKEN_MAX, "%s%s", SEC_TOKEN_PREFIX, b64);
	sodium_memzero(b64, sizeof(b64));
	sec_token_hash(out, strlen(out), hash);
}

err_t sec_password_new(char *out, size_t n)
{
	unsigned char raw[18];
	do
		randombytes_buf(raw, sizeof(raw));
	while ((raw[0] >> 2) >= 62); /* the first character would be '-' or '_' */
	err_t rc = sec_b64url_encode(raw, sizeof(raw), out, n);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

void sec_keyed_hash(const unsigned char key[32], const void *msg, size_t len, unsigned char out[32])
{
	crypto_generichash(out, 32, msg, len, key, 32);
}

void sec_uuid4(char out[SEC_UUID_LEN + 1])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, SEC_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

bool sec_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void sec_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

err_t sec_b64url_encode(const void *p, size_t n, char *out, size_t cap)
{
	if (sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > cap)
		return ERR_TOOBIG;
	sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return ERR_OK;
}

/* Whether every byte of s[0..len) is one of alphabet's. libsodium 1.0.18
 * reads bytes above 0x7f as digits, so they are refused before it sees them. */
static bool only(const char *s, size_t len, const char *alphabet)
{
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(alphabet, s[i]))
			return false;
	return true;
}

#define B64_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

err_t sec_b64url_decode(const char *s, size_t len, void *out, size_t cap, size_t *n)
{
	const char *end = NULL;
	if (!only(s, len, B64_DIGITS "-_"))
		return ERR_INVALID;
	if (sodium_base642bin(out, cap, s, len, NULL, n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return ERR_INVALID;
	if (end != s + len)
		return ERR_INVALID;
	return ERR_OK;
}

err_t sec_b64_decode(const char *s, size_t len, void *out, size_t cap, size_t *n)
{
	const char *end = NULL;
	if (!only(s, len, B64_DIGITS "+/="))
		return ERR_INVALID;
	if (sodium_base642bin(out, cap, s, len, NULL, n, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
		return ERR_INVALID;
	if (end != s + len)
		return ERR_INVALID;
	return ERR_OK;
}

void sec_sha256(const void *msg, size_t len, unsigned char out[32])
{
	crypto_hash_sha256(out, msg, len);
}
