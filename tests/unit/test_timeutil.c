/*
 * test_timeutil.c - unit tests of common/timeutil: RFC 3339 parsing as STIX
 * 2.1 §3.2 allows it, formatting, and the civil-date arithmetic underneath.
 *
 * Data-driven: each table below is one record per case; a bug found later
 * becomes one more record. Depends on cmocka and common/ only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/common/timeutil.h"

#define US 1000000LL

/* A timestamp that must parse to us with frac fractional digits. */
struct parse_ok {
	const char *s;
	int64_t us;
	int frac;
};

static const struct parse_ok parse_ok[] = {
	{"1970-01-01T00:00:00Z", 0, 0},
	{"1970-01-01T00:00:00.000Z", 0, 3},
	{"1970-01-01T00:00:00.000000Z", 0, 6},
	{"1970-01-01T00:00:00.000000000Z", 0, 9},
	{"1970-01-01T00:00:00.1Z", 100000, 1},
	{"1970-01-01T00:00:00.123Z", 123000, 3},
	{"1970-01-01T00:00:00.123456Z", 123456, 6},
	/* beyond the microsecond the digits are truncated, not rounded */
	{"1970-01-01T00:00:00.123456789Z", 123456, 9},
	{"1970-01-01T00:00:00.999999999Z", 999999, 9},
	{"1969-12-31T23:59:59Z", -1 * US, 0},
	{"1969-12-31T23:59:59.500Z", -1 * US + 500000, 3},
	{"2016-04-06T20:03:00.000Z", 1459972980 * US, 3},
	{"2016-04-06T20:03:00Z", 1459972980 * US, 0},
	{"2024-02-29T12:34:56Z", 1709210096 * US, 0},
	{"2000-02-29T23:59:59.999999Z", 951868799 * US + 999999, 6},
	{"1600-02-29T00:00:00Z", -135081LL * 86400 * US, 0},
	{"0001-01-01T00:00:00Z", -62135596800 * US, 0},
	{"0001-01-01T00:00:00.000001Z", -62135596800 * US + 1, 6},
	{"9999-12-31T23:59:59Z", 253402300799 * US, 0},
	{"9999-12-31T23:59:59.999999999Z", 253402300799 * US + 999999, 9},
	{"2038-01-19T03:14:08Z", 2147483648LL * US, 0},
};

/* Text that must be refused. */
static const char *const parse_bad[] = {
	"",
	"Z",
	"2020-01-01",
	"2020-01-01T00:00:00",	     /* missing Z */
	"2020-01-01t00:00:00Z",	     /* lower-case t */
	"2020-01-01T00:00:00z",	     /* lower-case z */
	"2020-01-01 00:00:00Z",	     /* space for T */
	"2020-01-01T00:00:00+09:00", /* offsets are not allowed */
	"2020-01-01T00:00:00-00:00",
	"2020-01-01T00:00:00+00:00Z",
	"2020-01-01T00:00:00.000+09:00",
	"2020-00-01T00:00:00Z", /* month 0 */
	"2020-13-01T00:00:00Z", /* month 13 */
	"2020-01-00T00:00:00Z", /* day 0 */
	"2020-01-32T00:00:00Z",
	"2020-04-31T00:00:00Z",
	"2020-06-31T00:00:00Z",
	"2020-09-31T00:00:00Z",
	"2020-11-31T00:00:00Z",
	"2020-02-30T00:00:00Z",
	"2019-02-29T00:00:00Z", /* not a leap year */
	"1900-02-29T00:00:00Z", /* divisible by 100 */
	"2100-02-29T00:00:00Z",
	"2020-01-01T24:00:00Z", /* hour 24 */
	"2020-01-01T99:00:00Z",
	"2020-01-01T00:60:00Z", /* minute 60 */
	"2020-01-01T00:00:60Z", /* leap seconds are refused */
	"2016-12-31T23:59:60Z",
	"2020-01-01T00:00:61Z",
	"0000-01-01T00:00:00Z", /* year 0 */
	"10000-01-01T00:00:00Z",
	"-001-01-01T00:00:00Z",
	"+2020-01-01T00:00:00Z",
	"2020-1-01T00:00:00Z", /* one-digit month */
	"2020-01-1T00:00:00Z", /* one-digit day */
	"2020-01-01T0:00:00Z", /* one-digit hour */
	"2020-01-01T00:00:0Z", /* one-digit second */
	"2020-01-01T00:00Z",   /* no seconds */
	"2020/01/01T00:00:00Z",
	"2020-01-01T00-00-00Z",
	"2020-01-01T00:00:00.Z", /* empty fraction */
	"2020-01-01T00:00:00,5Z",
	"2020-01-01T00:00:00.5.5Z",
	"2020-01-01T00:00:00.-5Z",
	"2020-01-01T00:00:00.5 Z",
	"2020-01-01T00:00:00.abcZ",
	"2020-01-01T00:00:00ZZ", /* trailing junk */
	"2020-01-01T00:00:00Z ",
	"2020-01-01T00:00:00Zx",
	" 2020-01-01T00:00:00Z",
	"2020-01-01T00:00:00.000Zjunk",
	"2020-01-01T00:00:00 Z",
	"2020-01-01TT0:00:00Z",
	"2O20-01-01T00:00:00Z", /* letter O */
	"2020-0a-01T00:00:00Z",
	"2020-01-01T00:00:00.1e3Z",
	"2020-01-01T00:00:00.0x10Z",
};

static void test_parse_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		const struct parse_ok *c = &parse_ok[i];
		int64_t us = -42;
		int frac = -1;
		err_t rc = ts_parse(c->s, strlen(c->s), &us, &frac);
		if (rc != ERR_OK || us != c->us || frac != c->frac)
			fail_msg("ts_parse(\"%s\"): rc %d us %lld frac %d; want 0 %lld %d", c->s,
				 (int)rc, (long long)us, frac, (long long)c->us, c->frac);
		/* frac_digits may be NULL */
		us = -42;
		assert_int_equal(ts_parse(c->s, strlen(c->s), &us, NULL), ERR_OK);
		assert_true(us == c->us);
	}
}

static void test_parse_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		const char *s = parse_bad[i];
		int64_t us = 12345;
		int frac = 77;
		err_t rc = ts_parse(s, strlen(s), &us, &frac);
		if (rc != ERR_INVALID)
			fail_msg("ts_parse(\"%s\") = %d, want ERR_INVALID", s, (int)rc);
		/* the contract: *us is untouched on failure */
		if (us != 12345)
			fail_msg("ts_parse(\"%s\") wrote *us on failure", s);
	}
}

/* Only len bytes count: no NUL needed, and an embedded NUL is refused. */
static void test_parse_len(void **state)
{
	(void)state;
	int64_t us = 0;
	static const char nul_in[] = "2020-01-01T00:00:00\0Z";
	static const char nul_frac[] = "2020-01-01T00:00:00.1\0"
				       "2Z";
	static const char nul_date[] = "2020-01-0\0T00:00:00Z";
	static const char longer[] = "2020-01-01T00:00:00.5Zjunk";

	assert_int_equal(ts_parse(nul_in, sizeof(nul_in) - 1, &us, NULL), ERR_INVALID);
	assert_int_equal(ts_parse(nul_frac, sizeof(nul_frac) - 1, &us, NULL), ERR_INVALID);
	assert_int_equal(ts_parse(nul_date, sizeof(nul_date) - 1, &us, NULL), ERR_INVALID);
	/* a prefix of a longer, unterminated string */
	assert_int_equal(ts_parse(longer, 22, &us, NULL), ERR_OK);
	assert_true(us == 1577836800 * US + 500000);
	assert_int_equal(ts_parse(longer, 23, &us, NULL), ERR_INVALID);
	assert_int_equal(ts_parse(longer, 21, &us, NULL), ERR_INVALID);
	assert_int_equal(ts_parse(longer, 0, &us, NULL), ERR_INVALID);
	/* every short prefix of a valid timestamp is refused */
	for (size_t n = 0; n < 22; n++)
		assert_int_equal(ts_parse(longer, n, &us, NULL), ERR_INVALID);
}

/* A very long fraction is fine and counted; the value stays truncated. */
static void test_parse_long_fraction(void **state)
{
	(void)state;
	char s[2100] = "2020-01-01T00:00:00.";
	size_t n = strlen(s);
	for (size_t i = 0; i < 2000; i++)
		s[n++] = '9';
	s[n++] = 'Z';
	s[n] = '\0';
	int64_t us = 0;
	int frac = 0;
	assert_int_equal(ts_parse(s, n, &us, &frac), ERR_OK);
	assert_true(us == 1577836800 * US + 999999);
	assert_true(frac >= 6);
}

/* ts_format and ts_format_ms output for a given instant. */
struct fmt_case {
	int64_t us;
	const char *full;
	const char *ms;
};

static const struct fmt_case fmt_cases[] = {
	{0, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000Z"},
	{1, "1970-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.000Z"},
	{999999, "1970-01-01T00:00:00.999999Z", "1970-01-01T00:00:00.999Z"},
	{-1, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999Z"},
	{-1 * US, "1969-12-31T23:59:59.000000Z", "1969-12-31T23:59:59.000Z"},
	{1459972980 * US + 123456, "2016-04-06T20:03:00.123456Z", "2016-04-06T20:03:00.123Z"},
	{1709210096 * US, "2024-02-29T12:34:56.000000Z", "2024-02-29T12:34:56.000Z"},
	{-62135596800 * US, "0001-01-01T00:00:00.000000Z", "0001-01-01T00:00:00.000Z"},
	{253402300799 * US + 999999, "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999Z"},
};

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		char out[TS_BUFSZ];
		ts_format(fmt_cases[i].us, out);
		assert_string_equal(out, fmt_cases[i].full);
		ts_format_ms(fmt_cases[i].us, out);
		assert_string_equal(out, fmt_cases[i].ms);
	}
}

/* Extreme instants must not overflow the buffer or crash. */
static void test_format_extremes(void **state)
{
	(void)state;
	char out[TS_BUFSZ];
	ts_format(INT64_MAX, out);
	assert_true(strlen(out) < TS_BUFSZ);
	ts_format(INT64_MIN, out);
	assert_true(strlen(out) < TS_BUFSZ);
	ts_format_ms(INT64_MIN + 1, out);
	assert_true(strlen(out) < TS_BUFSZ);
}

/* format(parse(s)) == s for canonical strings; parse(format(us)) == us. */
static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		char out[TS_BUFSZ];
		int64_t back = 0;
		ts_format(parse_ok[i].us, out);
		assert_int_equal(ts_parse(out, strlen(out), &back, NULL), ERR_OK);
		assert_true(back == parse_ok[i].us);
		if (parse_ok[i].frac == 6)
			assert_string_equal(out, parse_ok[i].s);
		ts_format_ms(parse_ok[i].us, out);
		assert_int_equal(ts_parse(out, strlen(out), &back, NULL), ERR_OK);
		/* millisecond precision: truncated toward the past */
		int64_t r = parse_ok[i].us % 1000;
		if (r < 0)
			r += 1000;
		assert_true(back == parse_ok[i].us - r);
		if (parse_ok[i].frac == 3)
			assert_string_equal(out, parse_ok[i].s);
	}
	/* A sweep from 0001 to 9999 with an odd step hits every field. */
	const int64_t lo = -62135596800 * US, hi = 253402300799 * US + 999999;
	const int64_t step = 86400 * US * 13 + 3600 * US * 7 + 61 * US + 123457;
	for (int64_t us = lo; us <= hi; us += step) {
		char out[TS_BUFSZ];
		int64_t back = 0;
		int frac = 0;
		ts_format(us, out);
		assert_int_equal(strlen(out), 27);
		if (ts_parse(out, strlen(out), &back, &frac) != ERR_OK || back != us || frac != 6)
			fail_msg("round trip of %lld via \"%s\" gave %lld", (long long)us, out,
				 (long long)back);
	}
}

/* Known dates against days since 1970-01-01 (checked with Python's datetime). */
struct civil_case {
	int64_t y;
	unsigned m, d;
	int64_t days;
};

static const struct civil_case civil_cases[] = {
	{1970, 1, 1, 0},     {1969, 12, 31, -1},      {2000, 1, 1, 10957},    {2000, 2, 29, 11016},
	{2000, 3, 1, 11017}, {1900, 2, 28, -25509},   {1900, 3, 1, -25508},   {2024, 2, 29, 19782},
	{1, 1, 1, -719162},  {9999, 12, 31, 2932896}, {1600, 2, 29, -135081}, {2038, 1, 19, 24855},
	{2100, 3, 1, 47541}, {1583, 1, 1, -141349},
};

static void test_civil_known(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(civil_cases) / sizeof(civil_cases[0]); i++) {
		const struct civil_case *c = &civil_cases[i];
		int64_t y;
		unsigned m, d;
		assert_true(ts_days_from_civil(c->y, c->m, c->d) == c->days);
		ts_civil_from_days(c->days, &y, &m, &d);
		assert_true(y == c->y);
		assert_int_equal(m, c->m);
		assert_int_equal(d, c->d);
	}
}

/*
 * Walks every day from year -1200 to 12000 (past both ends of what ts_parse
 * takes, and across negative eras): the conversions are inverses and
 * consecutive days are consecutive dates.
 */
static void test_civil_inverse(void **state)
{
	(void)state;
	int64_t y = -1200;
	unsigned m = 1, d = 1;
	int64_t day = ts_days_from_civil(y, m, d);
	while (y < 12000) {
		int64_t yy;
		unsigned mm, dd;
		if (ts_days_from_civil(y, m, d) != day)
			fail_msg("days_from_civil(%lld-%u-%u) != %lld", (long long)y, m, d,
				 (long long)day);
		ts_civil_from_days(day, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			fail_msg("civil_from_days(%lld) = %lld-%u-%u, want %lld-%u-%u",
				 (long long)day, (long long)yy, mm, dd, (long long)y, m, d);
		day++;
		if (++d > ts_days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

struct leap_case {
	int64_t y;
	bool leap;
};

static const struct leap_case leap_cases[] = {
	{2024, true}, {2023, false}, {2000, true}, {1900, false}, {2100, false},
	{1600, true}, {2400, true},  {1, false},   {4, true},	  {0, true},
	{-4, true},   {-100, false}, {-400, true}, {9999, false}, {9996, true},
};

static void test_is_leap(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(leap_cases) / sizeof(leap_cases[0]); i++)
		if (ts_is_leap(leap_cases[i].y) != leap_cases[i].leap)
			fail_msg("ts_is_leap(%lld) != %d", (long long)leap_cases[i].y,
				 leap_cases[i].leap);
}

static void test_days_in_month(void **state)
{
	(void)state;
	static const unsigned common[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (unsigned m = 1; m <= 12; m++) {
		assert_int_equal(ts_days_in_month(2023, m), common[m - 1]);
		assert_int_equal(ts_days_in_month(2024, m), m == 2 ? 29 : common[m - 1]);
	}
	assert_int_equal(ts_days_in_month(1900, 2), 28);
	assert_int_equal(ts_days_in_month(2000, 2), 29);
	assert_int_equal(ts_days_in_month(2023, 0), 0);
	assert_int_equal(ts_days_in_month(2023, 13), 0);
	assert_int_equal(ts_days_in_month(2023, 1000), 0);
}

/* ts_now_us is the only clock; it is after 2020 and runs forward. */
static void test_now(void **state)
{
	(void)state;
	int64_t a = ts_now_us(), b = ts_now_us();
	assert_true(a > 1577836800 * US);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_len),     cmocka_unit_test(test_parse_long_fraction),
		cmocka_unit_test(test_format),	      cmocka_unit_test(test_format_extremes),
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_civil_known),
		cmocka_unit_test(test_civil_inverse), cmocka_unit_test(test_is_leap),
		cmocka_unit_test(test_days_in_month), cmocka_unit_test(test_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
