/*
 * timeutil.c - RFC 3339 timestamps and civil-date arithmetic.
 * Depends only on libc. The civil-date conversions use the well-known
 * era-based day counting (400-year cycles of 146097 days).
 */
#include "timeutil.h"

#include <stdio.h>
#include <time.h>

#include "banned.h"

bool ts_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned ts_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ts_is_leap(y))
		return 29;
	return mdays[m - 1];
}

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Shift the year to start in March so that the leap day comes last. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;						/* [0, 399] */
	int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;			/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

err_t ts_parse(const char *s, size_t len, int64_t *us, int *frac_digits)
{
	unsigned Y, M, D, h, mi, sec;
	int64_t frac = 0;
	int nfrac = 0;

	/* YYYY-MM-DDTHH:MM:SS is 19 bytes, then an optional fraction, then Z. */
	if (len < 20 || s[len - 1] != 'Z')
		return ERR_INVALID;
	if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return ERR_INVALID;
	if (len > 20) {
		if (s[19] != '.' || len == 21)
			return ERR_INVALID;
		for (size_t i = 20; i < len - 1; i++) {
			if (s[i] < '0' || s[i] > '9')
				return ERR_INVALID;
			if (nfrac < 6)
				frac = frac * 10 + (s[i] - '0');
			if (nfrac < 1000)
				nfrac++;
		}
		for (int i = nfrac; i < 6; i++)
			frac *= 10;
	}
	if (Y < 1 || M < 1 || M > 12 || D < 1 || D > ts_days_in_month(Y, M) || h > 23 || mi > 59 ||
	    sec > 59)
		return ERR_INVALID;

	int64_t days = ts_days_from_civil(Y, M, D);
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
	if (frac_digits)
		*frac_digits = nfrac;
	return ERR_OK;
}

static void split(int64_t us, int64_t *days, unsigned *secs, unsigned *micro)
{
	int64_t s = us / 1000000, u = us % 1000000;
	if (u < 0) {
		u += 1000000;
		s--;
	}
	int64_t d = s / 86400, r = s % 86400;
	if (r < 0) {
		r += 86400;
		d--;
	}
	*days = d;
	*secs = (unsigned)r;
	*micro = (unsigned)u;
}

static void put2(char *o, unsigned v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
}

/*
 * Written digit by digit for the years 0-9999 (a version is formatted for
 * every object posted and every row served; snprintf was a visible part of
 * both); other years through snprintf, with their sign and width.
 */
static void format(int64_t us, char out[TS_BUFSZ], bool millis)
{
	int64_t days, y;
	unsigned secs, micro, m, d;

	split(us, &days, &secs, &micro);
	ts_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		if (millis)
			snprintf(out, TS_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
				 (long long)y, m, d, secs / 3600, secs / 60 % 60, secs % 60,
				 micro / 1000);
		else
			snprintf(out, TS_BUFSZ, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ",
				 (long long)y, m, d, secs / 3600, secs / 60 % 60, secs % 60, micro);
		return;
	}
	put2(out, (unsigned)(y / 100));
	put2(out + 2, (unsigned)(y % 100));
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, secs / 3600);
	out[13] = ':';
	put2(out + 14, secs / 60 % 60);
	out[16] = ':';
	put2(out + 17, secs % 60);
	out[19] = '.';
	unsigned frac = millis ? micro / 1000 : micro;
	size_t nd = millis ? 3 : 6;
	for (size_t i = nd; i > 0; i--) {
		out[20 + i - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	out[20 + nd] = 'Z';
	out[21 + nd] = '\0';
}

void ts_format(int64_t us, char out[TS_BUFSZ])
{
	format(us, out, false);
}

void ts_format_ms(int64_t us, char out[TS_BUFSZ])
{
	format(us, out, true);
}

int64_t ts_now_us(void)
{
	struct timespec tv;
	clock_gettime(CLOCK_REALTIME, &tv);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_nsec / 1000;
}
