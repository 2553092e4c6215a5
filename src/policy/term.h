/*
 * term.h - the term of an agreement (DESIGN.md §3.7, Art. 4 of the 2024-12-27
 * agreement): terms of a year counted from the signing day as the Civil Code
 * counts periods that include their first day, renewal a year at a time, the
 * objection deadline a month before each term's end, and the day the
 * agreement ends once a party objects.
 *
 * Pure: dates are days since 1970-01-01 on the calendar of Japan (Asia/Tokyo,
 * UTC+9 without daylight saving); "today" is always an argument.
 */
#ifndef RENKEI_TERM_H
#define RENKEI_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* A calendar day: days since 1970-01-01. */
typedef int64_t day_t;

struct term_rule {
	day_t signed_on;	 /* the signing day D: term 1 starts on it */
	unsigned term_months;	 /* the first term: 12 in the demo agreement */
	unsigned renewal_months; /* each renewal ("a year at a time"); 0: term_months */
	unsigned notice_months;	 /* 1: objections by the day a month before the end */
};

struct term {
	unsigned number;  /* 1 for the term that starts on the signing day */
	day_t start, end; /* both included */
	day_t deadline;	  /* the last day to object for this term */
};

struct term_status {
	bool started;		  /* today >= signing day */
	bool in_force;		  /* started, and not ended by an objection */
	bool ending;		  /* an objection on file fixes the last day */
	day_t ends_on;		  /* with ending: the agreement's last day */
	struct term current;	  /* the term containing today (term 1 before D) */
	int64_t days_left;	  /* days from today to current.end, 0 on the last day */
	int64_t days_to_deadline; /* to current.deadline; negative once passed */
	bool warn;		  /* within warn_days before the deadline, not yet ending */
};

/* The day of the instant us (microseconds since the epoch) in Japan. */
day_t term_day_of(int64_t us);

/* Parses "YYYY-MM-DD" into a day; ERR_INVALID otherwise. */
err_t term_day_parse(const char *s, day_t *out);

/* Formats a day as "YYYY-MM-DD" (out has room for 16 bytes). */
void term_day_format(day_t d, char out[16]);

/*
 * The day m months after day d that bears d's day of the month, or that
 * month's last day when it has none (m may be negative).
 */
day_t term_add_months(day_t d, int m);

/* Term number k (1-based) of the rule. */
struct term term_nth(const struct term_rule *r, unsigned k);

/* The term that contains day (term 1 for days before the signing day). */
struct term term_at(const struct term_rule *r, day_t day);

/*
 * The last day of the agreement given one objection filed on day filed:
 * the end of the term in which it was filed when filed on or before that
 * term's deadline, else the end of the next term. An objection filed
 * before the signing day counts for term 1.
 */
day_t term_end_after_objection(const struct term_rule *r, day_t filed);

/*
 * Where the agreement stands on day today, given the days on which
 * objections were filed (the earliest resulting end wins) and the number of
 * days before a deadline from which to warn.
 */
void term_status_at(const struct term_rule *r, const day_t *objections, size_t n, day_t today,
		    unsigned warn_days, struct term_status *out);

#endif
