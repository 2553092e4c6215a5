/*
 * timeutil.h - timestamps as int64 microseconds since the Unix epoch (UTC),
 * parsed from and formatted to RFC 3339 as STIX 2.1 and TAXII 2.1 use it.
 *
 * Pure: no clock except ts_now_us(), which callers inject where rules need time.
 */
#ifndef RENKEI_TIMEUTIL_H
#define RENKEI_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" plus NUL, with room that the compiler can prove. */
#define TS_BUFSZ 72

/*
 * Parses an RFC 3339 UTC timestamp of exactly the form STIX 2.1 §3.2 allows:
 * "YYYY-MM-DDTHH:MM:SS[.f+]Z", an upper-case T and Z, no offset. s need not be
 * NUL-terminated; all len bytes must form the timestamp. Fractions beyond the
 * microsecond are truncated. Years 0001..9999; leap seconds (60) are refused.
 * On success stores the instant in *us and, when frac_digits is non-NULL, the
 * number of fractional digits that were given. Returns ERR_INVALID otherwise,
 * leaving *us untouched.
 */
err_t ts_parse(const char *s, size_t len, int64_t *us, int *frac_digits);

/* Formats us as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (always 6 digits) into out. */
void ts_format(int64_t us, char out[TS_BUFSZ]);

/* Formats us with millisecond precision, "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void ts_format_ms(int64_t us, char out[TS_BUFSZ]);

/* The wall clock, in microseconds since the epoch. */
int64_t ts_now_us(void);

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12). */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

/* The inverse of ts_days_from_civil. */
void ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Whether y is a Gregorian leap year. */
bool ts_is_leap(int64_t y);

/* Number of days in month m (1..12) of year y. */
unsigned ts_days_in_month(int64_t y, unsigned m);

#endif
