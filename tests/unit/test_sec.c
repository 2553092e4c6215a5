/*
 * test_sec.c - unit tests of common/sec: password hashing, API tokens and
 * their digests, UUIDs, base64url and base64, hashes and comparison.
 *
 * Known-answer vectors come from RFC 4648 §10 and Python's hashlib. Random
 * outputs are checked by shape and over many draws. Depends on cmocka and
 * common/ only (libsodium stays behind sec.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/common/sec.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return true;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_init_twice(void **state)
{
	(void)state;
	assert_int_equal(sec_init(), ERR_OK);
	assert_int_equal(sec_init(), ERR_OK);
}

static void test_password(void **state)
{
	(void)state;
	char h1[SEC_PWHASH_MAX], h2[SEC_PWHASH_MAX];
	assert_int_equal(sec_password_hash("correct horse", h1), ERR_OK);
	assert_true(strlen(h1) < SEC_PWHASH_MAX);
	assert_true(!strncmp(h1, "$argon2id$", 10));
	assert_true(sec_password_verify(h1, "correct horse"));
	assert_false(sec_password_verify(h1, "correct hors"));
	assert_false(sec_password_verify(h1, "correct horse "));
	assert_false(sec_password_verify(h1, "Correct horse"));
	assert_false(sec_password_verify(h1, ""));
	/* a fresh salt each time: two hashes differ, both verify */
	assert_int_equal(sec_password_hash("correct horse", h2), ERR_OK);
	assert_string_not_equal(h1, h2);
	assert_true(sec_password_verify(h2, "correct horse"));

	/* the empty password hashes and verifies like any other */
	assert_int_equal(sec_password_hash("", h2), ERR_OK);
	assert_true(sec_password_verify(h2, ""));
	assert_false(sec_password_verify(h2, " "));

	/* a long password */
	char longpw[2000];
	memset(longpw, 'p', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	assert_int_equal(sec_password_hash(longpw, h2), ERR_OK);
	assert_true(sec_password_verify(h2, longpw));
	longpw[1000] = 'q';
	assert_false(sec_password_verify(h2, longpw));
}

/* Hashes that are empty, malformed, damaged or too long never verify. */
static void test_password_bad_hash(void **state)
{
	(void)state;
	char h[SEC_PWHASH_MAX], m[SEC_PWHASH_MAX * 2];
	assert_int_equal(sec_password_hash("pw", h), ERR_OK);
	size_t n = strlen(h);

	static const char *const bad[] = {
		"",
		"pw",
		"$",
		"$argon2id$",
		"$argon2id$v=19$m=19456,t=2,p=1$",
		"$argon2id$v=19$m=19456,t=2,p=1$$",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
		"$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"plaintext-password",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sec_password_verify(bad[i], "pw"))
			fail_msg("hash \"%s\" verified", bad[i]);
	/* every truncation of a good hash */
	for (size_t k = 0; k < n; k++) {
		memcpy(m, h, k);
		m[k] = '\0';
		assert_false(sec_password_verify(m, "pw"));
	}
	/* the last character of the digest changed */
	memcpy(m, h, n + 1);
	m[n - 1] = m[n - 1] == 'A' ? 'B' : 'A';
	assert_false(sec_password_verify(m, "pw"));
	/* the memory cost lowered: the parameters are part of what is checked */
	char *cost = strstr(h, "m=19456");
	assert_non_null(cost);
	memcpy(m, h, n + 1);
	m[cost - h + 2] = '8';
	assert_false(sec_password_verify(m, "pw"));
	/* a hash padded past the longest encoding */
	memcpy(m, h, n);
	memset(m + n, 'A', sizeof(m) - n - 1);
	m[sizeof(m) - 1] = '\0';
	assert_false(sec_password_verify(m, "pw"));
}

#define N_TOKENS 1000

static void test_token(void **state)
{
	(void)state;
	static char tok[N_TOKENS][SEC_TOKEN_MAX];
	unsigned char hash[32], again[32], raw[64];
	unsigned ones[256] = {0};
	size_t plen = strlen(SEC_TOKEN_PREFIX);

	assert_string_equal(SEC_TOKEN_PREFIX, "rk_");
	for (size_t i = 0; i < N_TOKENS; i++) {
		const char *t = tok[i];
		size_t n = 0;
		sec_token_new(tok[i], hash);
		/* "rk_" + 43 base64url characters: 256 bits, unpadded */
		assert_int_equal(strlen(t), plen + 43);
		assert_true(!strncmp(t, SEC_TOKEN_PREFIX, plen));
		assert_true(all_in(t + plen, 43, B64URL));
		assert_int_equal(sec_b64url_decode(t + plen, 43, raw, sizeof(raw), &n), ERR_OK);
		assert_int_equal(n, 32);
		for (size_t bit = 0; bit < 256; bit++)
			ones[bit] += (raw[bit / 8] >> (bit % 8)) & 1;
		/* the hash it gives is the digest of the whole token text */
		sec_token_hash(t, strlen(t), again);
		assert_memory_equal(hash, again, 32);
		/* never the same token twice */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(tok[j], t);
	}
	/* each of the 256 bits is random: seen both set and clear */
	for (size_t bit = 0; bit < 256; bit++)
		if (ones[bit] == 0 || ones[bit] == N_TOKENS)
			fail_msg("token bit %zu is always %d", bit, ones[bit] != 0);
}

static void test_token_hash(void **state)
{
	(void)state;
	unsigned char h[32], h2[32];
	char x[65];
	/* BLAKE2b-256, unkeyed (hashlib.blake2b(digest_size=32)) */
	sec_token_hash("", 0, h);
	hex(h, 32, x);
	assert_string_equal(x, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	sec_token_hash("rk_test", 7, h);
	hex(h, 32, x);
	assert_string_equal(x, "33078519204f3d49eecd9b6fd05a1f85d1eda93af13856737276baf924b33a37");
	/* only len bytes count */
	sec_token_hash("rk_test-and-more", 7, h2);
	assert_memory_equal(h, h2, 32);
	sec_token_hash("rk_tesT", 7, h2);
	assert_memory_not_equal(h, h2, 32);
	/* stable */
	sec_token_hash("rk_test", 7, h2);
	assert_memory_equal(h, h2, 32);
}

static void test_hashes(void **state)
{
	(void)state;
	unsigned char h[32], key[32];
	char x[65];
	sec_sha256("abc", 3, h);
	hex(h, 32, x);
	assert_string_equal(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	for (unsigned i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	sec_keyed_hash(key, "msg", 3, h);
	hex(h, 32, x);
	assert_string_equal(x, "1d904774ce6fb8767d0218a21f891cf55a4b90f3c9716487ca294c162ded89f4");

	assert_true(sec_equal("abcd", "abcd", 4));
	assert_false(sec_equal("abcd", "abce", 4));
	assert_true(sec_equal("abcd", "abce", 3));
	assert_true(sec_equal("", "", 0));
	unsigned char w[16];
	memset(w, 0xaa, sizeof(w));
	sec_wipe(w, sizeof(w));
	for (size_t i = 0; i < sizeof(w); i++)
		assert_int_equal(w[i], 0);
	unsigned char r1[32] = {0}, r2[32] = {0};
	sec_random(r1, sizeof(r1));
	sec_random(r2, sizeof(r2));
	assert_memory_not_equal(r1, r2, sizeof(r1));
}

#define N_UUIDS 1000

static void test_uuid4(void **state)
{
	(void)state;
	static char u[N_UUIDS][SEC_UUID_LEN + 1];
	unsigned variants[4] = {0};
	for (size_t i = 0; i < N_UUIDS; i++) {
		memset(u[i], 'x', sizeof(u[i]));
		sec_uuid4(u[i]);
		const char *s = u[i];
		assert_int_equal(strlen(s), SEC_UUID_LEN);
		for (size_t k = 0; k < SEC_UUID_LEN; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				assert_int_equal(s[k], '-');
			else if (!strchr("0123456789abcdef", s[k]))
				fail_msg("uuid \"%s\": '%c' at %zu", s, s[k], k);
		}
		assert_int_equal(s[14], '4');	       /* version 4 */
		const char *v = strchr("89ab", s[19]); /* RFC 4122 variant 10xx */
		if (!v)
			fail_msg("uuid \"%s\": variant nibble '%c'", s, s[19]);
		variants[v - "89ab"]++;
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(u[j], s);
	}
	for (size_t k = 0; k < 4; k++)
		assert_true(variants[k] > 0);
}

/* RFC 4648 §10 vectors, and the two characters where url and standard differ. */
struct b64_vec {
	const char *raw;
	size_t len;
	const char *url; /* unpadded base64url */
	const char *std; /* padded standard base64 */
};

static const struct b64_vec b64_vecs[] = {
	{"", 0, "", ""},
	{"f", 1, "Zg", "Zg=="},
	{"fo", 2, "Zm8", "Zm8="},
	{"foo", 3, "Zm9v", "Zm9v"},
	{"foob", 4, "Zm9vYg", "Zm9vYg=="},
	{"fooba", 5, "Zm9vYmE", "Zm9vYmE="},
	{"foobar", 6, "Zm9vYmFy", "Zm9vYmFy"},
	{"\xfb\xff", 2, "-_8", "+/8="},
	{"\xff\xff\xff", 3, "____", "////"},
	{"\x00\x00", 2, "AAA", "AAA="},
	{"user:pass", 9, "dXNlcjpwYXNz", "dXNlcjpwYXNz"},
	{"a\0b", 3, "YQBi", "YQBi"},
};

static void test_b64_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(b64_vecs) / sizeof(b64_vecs[0]); i++) {
		const struct b64_vec *v = &b64_vecs[i];
		char enc[64];
		unsigned char dec[64];
		size_t n = 99;
		assert_int_equal(sec_b64url_encode(v->raw, v->len, enc, sizeof(enc)), ERR_OK);
		assert_string_equal(enc, v->url);
		assert_int_equal(sec_b64url_decode(v->url, strlen(v->url), dec, sizeof(dec), &n),
				 ERR_OK);
		assert_int_equal(n, v->len);
		assert_memory_equal(dec, v->raw, v->len);
		n = 99;
		assert_int_equal(sec_b64_decode(v->std, strlen(v->std), dec, sizeof(dec), &n),
				 ERR_OK);
		assert_int_equal(n, v->len);
		assert_memory_equal(dec, v->raw, v->len);
	}
}

static void test_b64url_round_trip(void **state)
{
	(void)state;
	unsigned char raw[300], dec[300];
	char enc[420];
	for (size_t len = 0; len <= sizeof(raw); len++) {
		size_t n = 0;
		sec_random(raw, len);
		assert_int_equal(sec_b64url_encode(raw, len, enc, sizeof(enc)), ERR_OK);
		assert_int_equal(strlen(enc), (len * 8 + 5) / 6);
		assert_true(all_in(enc, strlen(enc), B64URL));
		assert_int_equal(sec_b64url_decode(enc, strlen(enc), dec, len, &n), ERR_OK);
		assert_int_equal(n, len);
		assert_memory_equal(dec, raw, len);
		if (len) /* one byte too little room */
			assert_int_equal(sec_b64url_decode(enc, strlen(enc), dec, len - 1, &n),
					 ERR_INVALID);
	}
	/* the output buffer must hold the text and its NUL */
	char small[5];
	assert_int_equal(sec_b64url_encode("foo", 3, small, 5), ERR_OK);
	assert_string_equal(small, "Zm9v");
	assert_int_equal(sec_b64url_encode("foo", 3, small, 4), ERR_TOOBIG);
	assert_int_equal(sec_b64url_encode("foob", 4, small, 5), ERR_TOOBIG);
}

static const char *const b64url_bad[] = {
	"Z",		    /* 6 bits: not a whole byte */
	"Zm9vY",	    /* likewise after 3 bytes */
	"Zh",		    /* non-zero unused bits: "f" is only "Zg" */
	"Zm9",		    /* "fo" is only "Zm8" */
	"Zg==",		    /* no padding in base64url */
	"Zm8=",	  "Zm9v+A", /* standard alphabet */
	"Zm9v/A", "Zm9v Yg", " Zm9v", "Zm9v\n", "Zm9v.", "Zm9v%2B", "Zm9v\x7f",
};

/* Bytes 0x80..0xff are outside the alphabet too. */
static const char *const b64_high[] = {
	"\x80\x80\x80\x80",
	"Zm9\xff",
	"\xc3\xa9Zm",
	"Zm9vYm\xbf",
};

static void test_b64url_rejects(void **state)
{
	(void)state;
	unsigned char dec[64];
	size_t n;
	for (size_t i = 0; i < sizeof(b64url_bad) / sizeof(b64url_bad[0]); i++)
		if (sec_b64url_decode(b64url_bad[i], strlen(b64url_bad[i]), dec, sizeof(dec), &n) !=
		    ERR_INVALID)
			fail_msg("base64url \"%s\" accepted", b64url_bad[i]);
	/* an embedded NUL within len */
	assert_int_equal(sec_b64url_decode("Zm\0v", 4, dec, sizeof(dec), &n), ERR_INVALID);
	/* only len bytes are read */
	assert_int_equal(sec_b64url_decode("Zm9v!!", 4, dec, sizeof(dec), &n), ERR_OK);
	assert_int_equal(n, 3);
}

static void test_b64url_rejects_high_bytes(void **state)
{
	(void)state;
	unsigned char dec[64];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(b64_high) / sizeof(b64_high[0]); i++)
		if (sec_b64url_decode(b64_high[i], strlen(b64_high[i]), dec, sizeof(dec), &n) !=
		    ERR_INVALID)
			fail_msg("base64url with byte(s) >= 0x80 (case %zu) accepted as %zu bytes",
				 i, n);
}

static const char *const b64_bad[] = {
	"Zg",						       /* padding is required */
	"Zg=",		"Zg===",  "Zm9vYg", "Zm9vYg=", "Zh==", /* non-zero unused bits */
	"Zm9vYg==x",					       /* data after the padding */
	"Zm9vYg==Zg==", "=",	  "====",   "Zm9v-_8",	       /* base64url alphabet */
	"Zm 9v",	"Zm9v\n", "Z",	    "Zm9vY",
};

static void test_b64_rejects(void **state)
{
	(void)state;
	unsigned char dec[64];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(b64_bad) / sizeof(b64_bad[0]); i++)
		if (sec_b64_decode(b64_bad[i], strlen(b64_bad[i]), dec, sizeof(dec), &n) !=
		    ERR_INVALID)
			fail_msg("base64 \"%s\" accepted", b64_bad[i]);
	assert_int_equal(sec_b64_decode("Zm9vYmFy", 8, dec, 5, &n), ERR_INVALID);
	assert_int_equal(sec_b64_decode("Zm9v\0mFy", 8, dec, sizeof(dec), &n), ERR_INVALID);
}

static void test_b64_rejects_high_bytes(void **state)
{
	(void)state;
	unsigned char dec[64];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(b64_high) / sizeof(b64_high[0]); i++)
		if (sec_b64_decode(b64_high[i], strlen(b64_high[i]), dec, sizeof(dec), &n) !=
		    ERR_INVALID)
			fail_msg("base64 with byte(s) >= 0x80 (case %zu) accepted as %zu bytes", i,
				 n);
}

static int setup(void **state)
{
	(void)state;
	return sec_init() == ERR_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_twice),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_bad_hash),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_hash),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_uuid4),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64url_round_trip),
		cmocka_unit_test(test_b64url_rejects),
		cmocka_unit_test(test_b64url_rejects_high_bytes),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_b64_rejects_high_bytes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
