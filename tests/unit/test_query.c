/*
 * test_query.c - unit tests of api/query: the TAXII 2.1 §3.4 query
 * parameters (added_after, limit, next, match[...]) and the pagination cursor.
 *
 * The cases are written as query strings ("limit=5&match[id]=a,b") that the
 * test splits on '&' and the first '='; a key without '=' has a NULL value.
 * Depends on cmocka, api/query and common/ only (no store, no HTTP).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/api/query.h"
#include "../../src/common/sec.h"
#include "../../src/store/store.h"

#define ALL_FLAGS                                                                                  \
	(QF_ADDED_AFTER | QF_LIMIT | QF_NEXT | QF_ID | QF_TYPE | QF_VERSION | QF_SPEC_VERSION)

#define TS_2020 1577836800000000LL /* 2020-01-01T00:00:00Z in microseconds */

/* A query string split in place into params; q is owned by the caller. */
struct parsed {
	char *copy;
	struct api_param params[API_MAX_PARAMS];
	size_t n;
};

static void split_query(struct parsed *p, const char *q)
{
	p->copy = strdup(q);
	assert_non_null(p->copy);
	p->n = 0;
	if (!*q)
		return;
	for (char *s = p->copy; s;) {
		char *amp = strchr(s, '&');
		if (amp)
			*amp++ = '\0';
		char *eq = strchr(s, '=');
		if (eq)
			*eq++ = '\0';
		assert_true(p->n < API_MAX_PARAMS);
		p->params[p->n].key = s;
		p->params[p->n].value = eq;
		p->n++;
		s = amp;
	}
}

/*
 * What the running case holds, so that the teardown can free it when a
 * failed assertion jumps out of the test (and LeakSanitizer stays quiet).
 */
static struct taxii_filter live; /* a copy of the filter's heap pointers */
static char *live_copy;

/* Releases what parse_q gave. */
static void done(struct parsed *p, struct taxii_filter *f)
{
	taxii_filter_release(f);
	free(p->copy);
	p->copy = NULL;
	memset(&live, 0, sizeof(live));
	live_copy = NULL;
}

static int teardown(void **state)
{
	(void)state;
	taxii_filter_release(&live);
	free(live_copy);
	live_copy = NULL;
	return 0;
}

/* Parses q with allowed into f; the caller calls done(p, f). */
static err_t parse_q(struct parsed *p, const char *q, unsigned allowed, struct taxii_filter *f,
		     char msg[QUERY_MSG_MAX])
{
	split_query(p, q);
	live_copy = p->copy;
	memset(msg, 'x', QUERY_MSG_MAX);
	msg[QUERY_MSG_MAX - 1] = '\0';
	err_t rc = taxii_filter_parse(p->params, p->n, allowed, f, msg);
	memcpy(live.copies, f->copies, sizeof(live.copies));
	return rc;
}

/* A query that must be refused, and a piece of the reason it must give. */
struct bad_case {
	const char *q;
	const char *msg_has;
};

static const struct bad_case bad_cases[] = {
	/* repeated parameters (§3.4.1) */
	{"added_after=2020-01-01T00:00:00Z&added_after=2021-01-01T00:00:00Z", "more than once"},
	{"limit=5&limit=5", "more than once"},
	{"match[id]=a&match[id]=b", "more than once"},
	{"match[type]=indicator&match[type]=malware", "more than once"},
	{"match[version]=last&match[version]=first", "more than once"},
	{"match[spec_version]=2.1&match[spec_version]=2.0", "more than once"},
	{"next=AQAAAAAAAAAAAAAAAAAAAAA&next=AQAAAAAAAAAAAAAAAAAAAAA", "more than once"},
	/* empty values, and keys without '=' */
	{"added_after=", "empty"},
	{"added_after", "empty"},
	{"limit=", "empty"},
	{"limit", "empty"},
	{"next=", "empty"},
	{"match[id]=", "empty"},
	{"match[type]", "empty"},
	{"match[version]=", "empty"},
	{"match[spec_version]=", "empty"},
	/* empty items */
	{"match[id]=a,,b", "empty"},
	{"match[id]=a,", "empty"},
	{"match[id]=,a", "empty"},
	{"match[id]=,", "empty"},
	{"match[type]=indicator,,malware", "empty"},
	{"match[version]=last,,first", "empty"},
	{"match[spec_version]=2.1,,2.0", "empty"},
	/* duplicate values */
	{"match[id]=a,b,a", "twice"},
	{"match[type]=indicator,indicator", "twice"},
	{"match[spec_version]=2.1,2.1", "twice"},
	{"match[version]=last,last", "twice"},
	{"match[version]=all,all", "twice"},
	{"match[version]=2020-01-01T00:00:00Z,2020-01-01T00:00:00Z", "twice"},
	/* the same instant written two ways is still the same version */
	{"match[version]=2020-01-01T00:00:00Z,2020-01-01T00:00:00.000Z", "twice"},
	/* 'all' beside anything else */
	{"match[version]=all,last", "all"},
	{"match[version]=last,all", "all"},
	{"match[version]=first,all", "all"},
	{"match[version]=all,2020-01-01T00:00:00Z", "all"},
	{"match[version]=2020-01-01T00:00:00Z,all", "all"},
	/* bad versions and timestamps */
	{"match[version]=latest", "match[version]"},
	{"match[version]=LAST", "match[version]"},
	{"match[version]=2020-01-01T00:00:00", "match[version]"},
	{"match[version]=2020-01-01T00:00:00+00:00", "match[version]"},
	{"match[version]=last,2019-02-29T00:00:00Z", "match[version]"},
	{"added_after=2020-01-01", "added_after"},
	{"added_after=2020-01-01T00:00:00z", "added_after"},
	{"added_after=2020-01-01T00:00:00.Z", "added_after"},
	{"added_after=2020-01-01T00:00:60Z", "added_after"},
	{"added_after=2020-01-01T00:00:00+09:00", "added_after"},
	{"added_after=now", "added_after"},
	/* limits that are not positive whole numbers */
	{"limit=0", "limit"},
	{"limit=-1", "limit"},
	{"limit=abc", "limit"},
	{"limit=1e3", "limit"},
	{"limit=1.5", "limit"},
	{"limit=+5", "limit"},
	{"limit= 5", "limit"},
	{"limit=5 ", "limit"},
	{"limit=5x", "limit"},
	{"limit=0x10", "limit"},
	{"limit=-0", "limit"},
	/* cursors this server did not issue */
	{"next=garbage!", "next"},
	{"next=abc", "next"},
	{"next=AQAAAAAAAAAAAAAAAAAAAA", "next"},
	/* an error after valid parameters still fails the whole query */
	{"limit=5&match[id]=a&added_after=bad", "added_after"},
};

static void test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		err_t rc = parse_q(&p, bad_cases[i].q, ALL_FLAGS, &f, msg);
		if (rc != ERR_INVALID)
			fail_msg("\"%s\": rc %d, want ERR_INVALID", bad_cases[i].q, (int)rc);
		if (!strstr(msg, bad_cases[i].msg_has))
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", bad_cases[i].q, msg,
				 bad_cases[i].msg_has);
		assert_true(strlen(msg) < QUERY_MSG_MAX);
		assert_null(strchr(msg, '\n'));
		taxii_filter_release(&f); /* twice is harmless */
		done(&p, &f);
	}
}

static void test_parse_empty(void **state)
{
	(void)state;
	struct taxii_filter f;
	char msg[QUERY_MSG_MAX] = "junk";
	assert_int_equal(taxii_filter_parse(NULL, 0, ALL_FLAGS, &f, msg), ERR_OK);
	assert_string_equal(msg, "");
	assert_false(f.has_added_after);
	assert_false(f.has_limit);
	assert_false(f.has_next);
	assert_int_equal(f.n_ids, 0);
	assert_int_equal(f.n_types, 0);
	assert_int_equal(f.version_mode, 0);
	assert_int_equal(f.n_versions, 0);
	assert_int_equal(f.n_spec_versions, 0);
	taxii_filter_release(&f);
}

static void test_parse_all_params(void **state)
{
	(void)state;
	struct parsed p;
	struct taxii_filter f;
	char msg[QUERY_MSG_MAX], cursor[CURSOR_MAX], q[512];

	taxii_cursor_encode(TS_2020 + 5, 42, cursor);
	snprintf(q, sizeof(q),
		 "added_after=2020-01-01T00:00:00.123Z&limit=25&next=%s"
		 "&match[id]=indicator--1,malware--2&match[type]=indicator,malware,report"
		 "&match[version]=2020-01-01T00:00:00Z,last&match[spec_version]=2.1,2.0",
		 cursor);
	assert_int_equal(parse_q(&p, q, ALL_FLAGS, &f, msg), ERR_OK);
	assert_string_equal(msg, "");
	assert_true(f.has_added_after);
	assert_true(f.added_after == TS_2020 + 123000);
	assert_true(f.has_limit);
	assert_int_equal(f.limit, 25);
	assert_true(f.has_next);
	assert_true(f.next_date == TS_2020 + 5);
	assert_true(f.next_seq == 42);
	assert_int_equal(f.n_ids, 2);
	assert_string_equal(f.ids[0], "indicator--1");
	assert_string_equal(f.ids[1], "malware--2");
	assert_int_equal(f.n_types, 3);
	assert_string_equal(f.types[0], "indicator");
	assert_string_equal(f.types[2], "report");
	assert_int_equal(f.version_mode, VERSION_LIST | VERSION_LAST);
	assert_int_equal(f.n_versions, 1);
	assert_true(f.versions[0] == TS_2020);
	assert_int_equal(f.n_spec_versions, 2);
	assert_string_equal(f.spec_versions[0], "2.1");
	assert_string_equal(f.spec_versions[1], "2.0");
	/* the filter owns its strings: they outlive the caller's params */
	memset(p.copy, 'z', strlen(q));
	assert_string_equal(f.ids[1], "malware--2");
	done(&p, &f);
}

/* match[version] values and the VERSION_* bits they give. */
struct version_case {
	const char *q;
	unsigned mode;
	size_t n_versions;
};

static const struct version_case version_cases[] = {
	{"match[version]=last", VERSION_LAST, 0},
	{"match[version]=first", VERSION_FIRST, 0},
	{"match[version]=all", VERSION_ALL, 0},
	{"match[version]=last,first", VERSION_LAST | VERSION_FIRST, 0},
	{"match[version]=first,last", VERSION_LAST | VERSION_FIRST, 0},
	{"match[version]=2020-01-01T00:00:00Z", VERSION_LIST, 1},
	{"match[version]=2020-01-01T00:00:00.000001Z,2020-01-01T00:00:00Z", VERSION_LIST, 2},
	{"match[version]=first,2020-01-01T00:00:00Z,last",
	 VERSION_FIRST | VERSION_LIST | VERSION_LAST, 1},
	{"match[version]=2016-04-06T20:03:00.000Z,2016-04-06T20:03:00.001Z,first",
	 VERSION_LIST | VERSION_FIRST, 2},
};

static void test_parse_versions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		err_t rc = parse_q(&p, version_cases[i].q, ALL_FLAGS, &f, msg);
		if (rc != ERR_OK || f.version_mode != version_cases[i].mode ||
		    f.n_versions != version_cases[i].n_versions)
			fail_msg("\"%s\": rc %d mode %u n %zu (%s)", version_cases[i].q, (int)rc,
				 f.version_mode, f.n_versions, msg);
		done(&p, &f);
	}
	/* the parsed instants, in the order given */
	struct parsed p;
	struct taxii_filter f;
	char msg[QUERY_MSG_MAX];
	assert_int_equal(parse_q(&p, version_cases[6].q, ALL_FLAGS, &f, msg), ERR_OK);
	assert_true(f.versions[0] == TS_2020 + 1);
	assert_true(f.versions[1] == TS_2020);
	done(&p, &f);
}

/* A limit and what it parses to. */
struct limit_case {
	const char *q;
	size_t limit;
};

static const struct limit_case limit_cases[] = {
	{"limit=1", 1},	    {"limit=9", 9},	  {"limit=10", 10},
	{"limit=100", 100}, {"limit=1000", 1000}, {"limit=123456", 123456},
};

static void test_parse_limit(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		assert_int_equal(parse_q(&p, limit_cases[i].q, ALL_FLAGS, &f, msg), ERR_OK);
		assert_true(f.has_limit);
		assert_int_equal(f.limit, limit_cases[i].limit);
		done(&p, &f);
	}
}

/*
 * A huge limit is a positive whole number: it is capped (the server pages at
 * its own maximum anyway, §3.4.2), not refused. The cap is at least the
 * largest page_max a configuration may set (100000).
 */
static const char *const huge_limits[] = {
	"limit=100001",
	"limit=1000000000",
	"limit=1000000000000",
	"limit=9223372036854775807",
	"limit=18446744073709551615",
	"limit=18446744073709551616",
	"limit=99999999999999999999999999999999999999",
};

static void test_parse_limit_huge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(huge_limits) / sizeof(huge_limits[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		err_t rc = parse_q(&p, huge_limits[i], ALL_FLAGS, &f, msg);
		if (rc != ERR_OK || !f.has_limit || f.limit < 100000)
			fail_msg("\"%s\": rc %d has_limit %d limit %zu (%s); want a capped limit",
				 huge_limits[i], (int)rc, f.has_limit, f.limit, msg);
		done(&p, &f);
	}
}

/* Parameters outside `allowed` are skipped entirely, even when malformed. */
struct mask_case {
	const char *q;
	unsigned allowed;
};

static const struct mask_case mask_cases[] = {
	{"added_after=garbage", ALL_FLAGS & ~QF_ADDED_AFTER},
	{"limit=abc", ALL_FLAGS & ~QF_LIMIT},
	{"limit=0&limit=0", ALL_FLAGS & ~QF_LIMIT},
	{"next=!!", ALL_FLAGS & ~QF_NEXT},
	{"match[id]=a,a&match[id]=", ALL_FLAGS & ~QF_ID},
	{"match[type]=,", ALL_FLAGS & ~QF_TYPE},
	{"match[version]=all,last", ALL_FLAGS & ~QF_VERSION},
	{"match[spec_version]=", ALL_FLAGS & ~QF_SPEC_VERSION},
	{"added_after=x&limit=x&next=x&match[id]=&match[type]=&match[version]=x"
	 "&match[spec_version]=",
	 0},
	/* unknown parameters, including near misses, are ignored */
	{"foo=bar&match[foo]=x&Limit=0&LIMIT=abc&match[ID]=&match[id&match=x&=x&x=", ALL_FLAGS},
	{"match[id]x=&match[type] =&added_after =bad&limit[]=0", ALL_FLAGS},
};

static void test_parse_ignored(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		err_t rc = parse_q(&p, mask_cases[i].q, mask_cases[i].allowed, &f, msg);
		if (rc != ERR_OK)
			fail_msg("\"%s\" (allowed %#x): rc %d (%s), want ERR_OK", mask_cases[i].q,
				 mask_cases[i].allowed, (int)rc, msg);
		assert_false(f.has_added_after);
		assert_false(f.has_limit);
		assert_false(f.has_next);
		assert_int_equal(f.n_ids + f.n_types + f.n_versions + f.n_spec_versions, 0);
		assert_int_equal(f.version_mode, 0);
		done(&p, &f);
	}
	/* an allowed parameter beside ignored ones is still taken */
	struct parsed p;
	struct taxii_filter f;
	char msg[QUERY_MSG_MAX];
	assert_int_equal(parse_q(&p, "limit=abc&match[type]=indicator", QF_TYPE, &f, msg), ERR_OK);
	assert_false(f.has_limit);
	assert_int_equal(f.n_types, 1);
	done(&p, &f);
}

/* Builds "key=" + n comma-separated distinct values into a heap string. */
static char *many_values(const char *key, size_t n, bool timestamps)
{
	size_t cap = strlen(key) + 2 + n * 40;
	char *q = malloc(cap);
	assert_non_null(q);
	size_t len = (size_t)snprintf(q, cap, "%s=", key);
	for (size_t i = 0; i < n; i++) {
		char item[TS_BUFSZ + 2];
		if (timestamps) {
			char ts[TS_BUFSZ];
			ts_format(TS_2020 + (int64_t)i * 1000, ts);
			snprintf(item, sizeof(item), "%s%s", i ? "," : "", ts);
		} else {
			snprintf(item, sizeof(item), "%sv%zu", i ? "," : "", i);
		}
		len += (size_t)snprintf(q + len, cap - len, "%s", item);
	}
	return q;
}

static void test_parse_max_values(void **state)
{
	(void)state;
	static const char *const keys[] = {"match[id]", "match[type]", "match[version]",
					   "match[spec_version]"};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		bool ts = !strcmp(keys[k], "match[version]");
		for (size_t n = QUERY_MAX_VALUES - 1; n <= QUERY_MAX_VALUES + 1; n++) {
			char *q = many_values(keys[k], n, ts);
			struct parsed p;
			struct taxii_filter f;
			char msg[QUERY_MSG_MAX];
			err_t rc = parse_q(&p, q, ALL_FLAGS, &f, msg);
			size_t got = f.n_ids + f.n_types + f.n_versions + f.n_spec_versions;
			if (n <= QUERY_MAX_VALUES) {
				if (rc != ERR_OK || got != n)
					fail_msg("%s with %zu values: rc %d, %zu kept (%s)",
						 keys[k], n, (int)rc, got, msg);
			} else {
				if (rc != ERR_INVALID || !strstr(msg, "more than"))
					fail_msg("%s with %zu values: rc %d (%s)", keys[k], n,
						 (int)rc, msg);
			}
			done(&p, &f);
			free(q);
		}
	}
}

/* A cursor in a query decodes into next_date/next_seq. */
static void test_parse_next(void **state)
{
	(void)state;
	static const int64_t vals[][2] = {{0, 0}, {TS_2020, 1}, {INT64_MAX, INT64_MAX}};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char cursor[CURSOR_MAX], q[128], msg[QUERY_MSG_MAX];
		struct parsed p;
		struct taxii_filter f;
		taxii_cursor_encode(vals[i][0], vals[i][1], cursor);
		snprintf(q, sizeof(q), "next=%s", cursor);
		assert_int_equal(parse_q(&p, q, ALL_FLAGS, &f, msg), ERR_OK);
		assert_true(f.has_next);
		assert_true(f.next_date == vals[i][0]);
		assert_true(f.next_seq == vals[i][1]);
		done(&p, &f);
	}
}

/*
 * Whether s is one line of well-formed UTF-8 without control characters:
 * what reply_error can hand to jansson for the 400 body (jansson refuses
 * invalid UTF-8, and the body would come out empty).
 */
static bool one_line_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t more;
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80)
			more = 0;
		else if (*p >= 0xc2 && *p <= 0xdf)
			more = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			more = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			more = 3;
		else
			return false;
		p++;
		for (size_t i = 0; i < more; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/*
 * The reason quotes the client's value; it must stay one line of valid
 * UTF-8 when the value holds control characters or bytes that are not
 * UTF-8, and when the quote is cut inside a multi-byte character.
 */
#define A39	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A59	A39 "aaaaaaaaaaaaaaaaaaaa"
#define E_ACUTE "\xc3\xa9" /* 'é' in UTF-8 */

static const char *const reason_cases[] = {
	"limit=5\nmatch[id]=x",
	"limit=\xff",
	"limit=" A39 E_ACUTE, /* the 40-byte quote ends inside the 'é' */
	"added_after=\x80",
	"added_after=2020-01-01T00:00:00Z\r\n",
	"added_after=" A39 E_ACUTE,
	"match[version]=" A39 E_ACUTE,
	"match[version]=\x1b[31m",
	"match[id]=" A59 E_ACUTE "," A59 E_ACUTE, /* the 60-byte quote likewise */
	"match[type]=\xfe\xfe,\xfe\xfe",
};

static void test_parse_reason_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++) {
		struct parsed p;
		struct taxii_filter f;
		char msg[QUERY_MSG_MAX];
		assert_int_equal(parse_q(&p, reason_cases[i], ALL_FLAGS, &f, msg), ERR_INVALID);
		if (!one_line_utf8(msg))
			fail_msg("case %zu: reason \"%s\" is not one line of UTF-8", i, msg);
		done(&p, &f);
	}
}

static bool is_b64url(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static void check_round_trip(int64_t date, int64_t seq)
{
	char c[CURSOR_MAX];
	int64_t d = -1, s = -1;
	taxii_cursor_encode(date, seq, c);
	assert_int_equal(strlen(c), 23); /* 17 bytes, unpadded base64url */
	assert_true(is_b64url(c));
	if (taxii_cursor_decode(c, strlen(c), &d, &s) != ERR_OK || d != date || s != seq)
		fail_msg("cursor (%lld, %lld) -> \"%s\" -> (%lld, %lld)", (long long)date,
			 (long long)seq, c, (long long)d, (long long)s);
}

static void test_cursor_round_trip(void **state)
{
	(void)state;
	static const int64_t edge[] = {
		0,	   1,	      255,	     256,	65535,		TS_2020,
		INT32_MAX, INT64_MAX, INT64_MAX - 1, 1LL << 62, (1LL << 56) - 1};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		for (size_t j = 0; j < sizeof(edge) / sizeof(edge[0]); j++)
			check_round_trip(edge[i], edge[j]);
	/* many pseudo-random non-negative values (a fixed 64-bit LCG) */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t a = (int64_t)(x >> 1);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t b = (int64_t)(x >> (1 + x % 63)); /* 1..63 bits shorter */
		check_round_trip(a, b);
	}
	/* different positions give different cursors */
	char c1[CURSOR_MAX], c2[CURSOR_MAX];
	taxii_cursor_encode(1, 2, c1);
	taxii_cursor_encode(2, 1, c2);
	assert_string_not_equal(c1, c2);
}

/* Encodes raw bytes as base64url, for hand-made cursors. */
static void b64(const unsigned char *raw, size_t n, char *out, size_t cap)
{
	assert_int_equal(sec_b64url_encode(raw, n, out, cap), ERR_OK);
}

static void test_cursor_rejects(void **state)
{
	(void)state;
	static const char *const garbage[] = {
		"",
		"A",
		"AQ",
		"garbage",
		"!!!!!!!!!!!!!!!!!!!!!!!",
		"AQAAAAAAAAAAAAAAAAAAAA",   /* 22 chars: 16 bytes and a bit */
		"AQAAAAAAAAAAAAAAAAAAAAA=", /* padding is not base64url here */
		"AQAAAAAAAAAAAAAAAAAAAAA ", /* trailing space */
		" AQAAAAAAAAAAAAAAAAAAAAA", /* leading space */
		"AQAAAAAAAAAAAAAAAAAAAAAA", /* 24 chars: 18 bytes */
		"AQAAAAAAAAAAAAAAAAAAAAAAAA",
		"AQAAAAAAAAAAAAAAAAAAA+A", /* '+' is standard base64, not url */
		"AQAAAAAAAAAAAAAAAAAAA/A",
		"AQAAAAAAAAAAAAAAAAAAA.A",
		"AQAAAAAAAAAAAAAAAAAAA\xc3\xa9",
		"AQAAAAAAAAAAAAAAAAA%3D",
	};
	int64_t d = 7, s = 7;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		if (taxii_cursor_decode(garbage[i], strlen(garbage[i]), &d, &s) != ERR_INVALID)
			fail_msg("cursor \"%s\" accepted", garbage[i]);
	assert_true(d == 7 && s == 7);

	/* every truncation of a valid cursor */
	char c[CURSOR_MAX];
	taxii_cursor_encode(TS_2020, 99, c);
	for (size_t n = 0; n < strlen(c); n++)
		assert_int_equal(taxii_cursor_decode(c, n, &d, &s), ERR_INVALID);
	/* an embedded NUL within len */
	char nul[CURSOR_MAX + 1];
	memcpy(nul, c, sizeof(c));
	nul[10] = '\0';
	assert_int_equal(taxii_cursor_decode(nul, strlen(c), &d, &s), ERR_INVALID);

	/* wrong format byte */
	unsigned char raw[17] = {0};
	char text[CURSOR_MAX * 2];
	for (unsigned v = 0; v < 256; v++) {
		if (v == 1)
			continue;
		raw[0] = (unsigned char)v;
		b64(raw, sizeof(raw), text, sizeof(text));
		assert_int_equal(taxii_cursor_decode(text, strlen(text), &d, &s), ERR_INVALID);
	}
	raw[0] = 1;
	b64(raw, sizeof(raw), text, sizeof(text));
	assert_int_equal(taxii_cursor_decode(text, strlen(text), &d, &s), ERR_OK);
	assert_true(d == 0 && s == 0);

	/* values past INT64_MAX (the sign bit) in either field */
	raw[1] = 0x80;
	b64(raw, sizeof(raw), text, sizeof(text));
	assert_int_equal(taxii_cursor_decode(text, strlen(text), &d, &s), ERR_INVALID);
	raw[1] = 0;
	raw[9] = 0xff;
	b64(raw, sizeof(raw), text, sizeof(text));
	assert_int_equal(taxii_cursor_decode(text, strlen(text), &d, &s), ERR_INVALID);
	raw[9] = 0;

	/* wrong lengths of otherwise well-formed bytes */
	unsigned char big[64] = {1};
	for (size_t n = 0; n < sizeof(big); n++) {
		if (n == 17)
			continue;
		b64(big, n, text, sizeof(text));
		assert_int_equal(taxii_cursor_decode(text, strlen(text), &d, &s), ERR_INVALID);
	}

	/* overlong text, however it starts */
	char longer[CURSOR_MAX * 4];
	memset(longer, 'A', sizeof(longer));
	memcpy(longer, c, strlen(c));
	for (size_t n = CURSOR_MAX - 2; n < sizeof(longer); n++)
		assert_int_equal(taxii_cursor_decode(longer, n, &d, &s), ERR_INVALID);

	/* every single-character ASCII substitution outside the alphabet */
	for (size_t pos = 0; pos < strlen(c); pos++) {
		for (int ch = 1; ch < 128; ch++) {
			char m[CURSOR_MAX];
			memcpy(m, c, sizeof(m));
			m[pos] = (char)ch;
			if (is_b64url((char[]){(char)ch, '\0'}))
				continue;
			if (taxii_cursor_decode(m, strlen(c), &d, &s) != ERR_INVALID)
				fail_msg("cursor with byte %d at %zu accepted", ch, pos);
		}
	}
}

/*
 * Bytes 0x80-0xff are not base64url either. (libsodium 1.0.18 takes them for
 * '_' when they reach it as a signed char: see test_sec.c.)
 */
static void test_cursor_rejects_high_bytes(void **state)
{
	(void)state;
	char c[CURSOR_MAX];
	int64_t d = 7, s = 7;
	taxii_cursor_encode(TS_2020, 99, c);
	for (size_t pos = 0; pos < strlen(c); pos++) {
		for (int ch = 128; ch < 256; ch++) {
			char m[CURSOR_MAX];
			memcpy(m, c, sizeof(m));
			m[pos] = (char)ch;
			if (taxii_cursor_decode(m, strlen(c), &d, &s) != ERR_INVALID)
				fail_msg("cursor \"%s\" with byte %#x at %zu accepted as (%lld, "
					 "%lld)",
					 c, (unsigned)ch, pos, (long long)d, (long long)s);
		}
	}
}

/*
 * A cursor has one spelling: the 2 unused low bits of the last character must
 * be zero, so that a client cannot mint several tokens for one position.
 */
static void test_cursor_canonical(void **state)
{
	(void)state;
	char c[CURSOR_MAX];
	int64_t d, s;
	taxii_cursor_encode(TS_2020, 3, c);
	size_t n = strlen(c);
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *at = strchr(alphabet, c[n - 1]);
	assert_non_null(at);
	size_t idx = (size_t)(at - alphabet);
	for (size_t low = 1; low < 4; low++) {
		char m[CURSOR_MAX];
		memcpy(m, c, sizeof(m));
		m[n - 1] = alphabet[(idx & ~(size_t)3) | low];
		assert_int_equal(taxii_cursor_decode(m, n, &d, &s), ERR_INVALID);
	}
}

static int setup(void **state)
{
	(void)state;
	return sec_init() == ERR_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_parse_errors, teardown),
		cmocka_unit_test_teardown(test_parse_empty, teardown),
		cmocka_unit_test_teardown(test_parse_all_params, teardown),
		cmocka_unit_test_teardown(test_parse_versions, teardown),
		cmocka_unit_test_teardown(test_parse_limit, teardown),
		cmocka_unit_test_teardown(test_parse_limit_huge, teardown),
		cmocka_unit_test_teardown(test_parse_ignored, teardown),
		cmocka_unit_test_teardown(test_parse_max_values, teardown),
		cmocka_unit_test_teardown(test_parse_next, teardown),
		cmocka_unit_test_teardown(test_parse_reason_text, teardown),
		cmocka_unit_test_teardown(test_cursor_round_trip, teardown),
		cmocka_unit_test_teardown(test_cursor_rejects, teardown),
		cmocka_unit_test_teardown(test_cursor_rejects_high_bytes, teardown),
		cmocka_unit_test_teardown(test_cursor_canonical, teardown),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
