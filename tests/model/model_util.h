/*
 * model_util.h - what the model-based test (test_model.c) needs beside the
 * API harness: a seeded random generator, UUIDs drawn from it, calendar-day
 * arithmetic in the proleptic Gregorian calendar, the agreement's term as
 * DESIGN.md §3.7 states it (independently of src/policy/term.c), and HTTP
 * helpers that authenticate with a bearer token and speak JSON.
 *
 * Depends on the API harness (tests/api/harness.h), jansson, libcurl and
 * POSIX only, never on src/: the model must not share code with the server.
 */
#ifndef RENKEI_TESTS_MODEL_UTIL_H
#define RENKEI_TESTS_MODEL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../api/harness.h"

/* ---- random numbers (splitmix64: small, fast, reproducible) ---- */

struct mu_rng {
	uint64_t s;
};

void mu_rng_seed(struct mu_rng *r, uint64_t seed);
uint64_t mu_rng_next(struct mu_rng *r);
/* A number in [0, n); 0 when n is 0. */
unsigned mu_rng_below(struct mu_rng *r, unsigned n);
/* True with probability pct/100. */
bool mu_rng_chance(struct mu_rng *r, unsigned pct);
/* A version 4 UUID drawn from r, lower case, into out. */
void mu_rng_uuid(struct mu_rng *r, char out[37]);

/* ---- calendar days (day 0 is 1970-01-01) ---- */

int mu_days_from_civil(int y, int m, int d);
void mu_civil_from_days(int z, int *y, int *m, int *d);
int mu_days_in_month(int y, int m);
/* "YYYY-MM-DD" into out (at least 11 bytes). */
void mu_day_format(int day, char *out);
/* Parses "YYYY-MM-DD"; returns false when s is not one. */
bool mu_day_parse(const char *s, int *day);
/*
 * The RFC 3339 UTC timestamp (milliseconds, 'Z') of second sec (0..86399)
 * of day in Japan time (UTC+9, no daylight saving), into out (>= 32 bytes).
 */
void mu_jst_timestamp(int day, int sec, char *out);

/* ---- the agreement's term, DESIGN.md §3.7 ---- */

struct mu_term {
	int signed_on;	    /* day D: term 1 starts on it */
	int months;	    /* length of term 1 */
	int renewal_months; /* length of every later term */
	int notice_months;  /* the deadline is this many months before a term's last day */
};

/* Term k (k >= 1): its first day, last day and objection deadline. */
void mu_term_k(const struct mu_term *t, int k, int *start, int *end, int *deadline);
/* The number of the term that contains day (>= signed_on), from 1. */
int mu_term_containing(const struct mu_term *t, int day);
/* The last day of the agreement after an objection filed on day filed
 * (>= signed_on): the end of its term when filed by that term's deadline,
 * else the end of the next term. */
int mu_objection_end(const struct mu_term *t, int filed);

/* ---- HTTP with a bearer token, on a kept-alive connection ---- */

/* One libcurl handle, reused request after request (HTTP keep-alive), for
 * one thread: thousands of comparisons must not use up ephemeral ports. */
struct mu_conn;

/* A new connection (NULL when out of memory); mu_conn_free() ends it. */
struct mu_conn *mu_conn_new(void);
void mu_conn_free(struct mu_conn *c);

/*
 * One request on c to h's server, as auth ("Bearer ..." or NULL) to path (a
 * printf format; '[' and ']' are %-encoded): method NULL means GET, or POST
 * when body is set; accept NULL sends the TAXII media type; ctype NULL sends
 * the TAXII media type with a body. Fills *r (rk_resp_release() it).
 * Returns 0 when an answer came, -1 when the transfer failed.
 */
int mu_req(struct mu_conn *c, const struct rk_hub *h, struct rk_resp *r, const char *auth,
	   const char *method, const char *accept, const char *ctype, const char *body,
	   const char *fmt, ...) RK_PRINTF(9, 10);

/* ---- JSON ---- */

/* Whether the JSON array a holds the string s. */
bool mu_json_has_string(const json_t *a, const char *s);
/* The string member key of o, or "" when absent or not a string. */
const char *mu_json_str(const json_t *o, const char *key);

#endif
