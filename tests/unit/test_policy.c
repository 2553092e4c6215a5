/*
 * test_policy.c - unit tests of policy/: the agreement's term (term.h), the
 * sharing rules (policy.h) and agreement definition files (agreement.h).
 *
 * Most cases are records in files a reviewer can read like a table, one case
 * per line; each file's header explains its columns:
 *   <data>/policy/terms.test     term_status_at, term_nth, term_day_of,
 *                                term_add_months, term_day_parse/format
 *   <data>/policy/read.test      policy_may_read
 *   <data>/policy/share.test     policy_share_need, policy_may_originate
 *   <data>/policy/agreements/    valid-*.json must parse; bad-*.json must be
 *                                refused with the fragment in bad-*.msg
 * read.test and share.test run under agreements/valid-2024-12-27.json, the
 * seed agreement. A failing record is printed with its file, line number and
 * text, and every record runs even after one fails. A file, or a kind of
 * record, without any record fails: no test passes vacuously.
 *
 * The TLP ids of DESIGN.md §4.3 and the category names are tables below.
 * Depends on cmocka, common/ and policy/ only.
 *
 * Usage: test_policy [DATA_DIR]   (else $RENKEI_TEST_DATA, else "tests/data")
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/err.h"
#include "../../src/common/timeutil.h"
#include "../../src/policy/agreement.h"
#include "../../src/policy/policy.h"
#include "../../src/policy/term.h"

#include "../../src/common/banned.h"

#define SEED_FILE    "policy/agreements/valid-2024-12-27.json"
#define EXAMPLE_SEED "../../examples/agreement-2024-12-27.json" /* from <data> */
#define WARN_DAYS    60 /* terms.test's warning window: the seed agreement's */

/* ---------------------------------------------------------------------- */
/* Files and records                                                      */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

/* snprintf into a path buffer, failing the test rather than truncating. */
__attribute__((format(printf, 3, 4))) static void path_of(char *out, size_t len, const char *fmt,
							  ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long: %s...", out);
}

#define REC_MAX_LINE 1024
#define REC_MAX_TOK  48
#define REC_MAX_GRP  4

/* One record: a non-blank line of a .test file, "#" to the end being a comment. */
struct record {
	unsigned line;
	char text[REC_MAX_LINE]; /* as written, for messages */
	char buf[REC_MAX_LINE];	 /* the tokens point into it */
	char *tok[REC_MAX_TOK];
	size_t n;
};

/* The tokens of a record between "|" separators, after its kind keyword. */
struct group {
	char *const *tok;
	size_t n;
};

/*
 * Checks one record; returns true when it holds, else false with the reason
 * in why. ctx is what the caller of run_records passed.
 */
typedef bool (*record_fn)(const struct record *r, char *why, size_t len, void *ctx);

static bool tokenize(struct record *r)
{
	char *p = r->buf, *hash = strchr(r->buf, '#');

	if (hash)
		*hash = '\0';
	r->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return true;
		if (r->n == REC_MAX_TOK)
			return false;
		r->tok[r->n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/*
 * Runs fn on every record of <data>/<name> whose first token is kind (every
 * record when kind is NULL). With kinds non-NULL, a record whose first token
 * is not one of them fails (a misspelt kind would otherwise skip silently).
 * Fails the test when a record fails, or when no record ran.
 */
static void run_records(const char *data, const char *name, const char *const *kinds,
			const char *kind, record_fn fn, void *ctx)
{
	char path[1024], why[1024];
	struct record *r = calloc(1, sizeof(*r));
	char *line = NULL;
	size_t cap = 0, records = 0, failed = 0;
	const char *what;
	unsigned no = 0;
	ssize_t len;
	FILE *f;

	assert_non_null(r);
	path_of(path, sizeof(path), "%s/%s", data, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		bool ok;

		no++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		r->line = no;
		snprintf(r->text, sizeof(r->text), "%s", line);
		snprintf(r->buf, sizeof(r->buf), "%s", line);
		why[0] = '\0';
		if ((size_t)len >= sizeof(r->buf)) {
			ok = false;
			snprintf(why, sizeof(why), "line longer than %d bytes", REC_MAX_LINE - 1);
		} else if (!tokenize(r)) {
			ok = false;
			snprintf(why, sizeof(why), "more than %d tokens", REC_MAX_TOK);
		} else if (r->n == 0) {
			continue;
		} else if (kinds && !in_list(r->tok[0], kinds)) {
			ok = false;
			snprintf(why, sizeof(why), "unknown kind of record '%s'", r->tok[0]);
		} else if (kind && strcmp(r->tok[0], kind)) {
			continue;
		} else {
			records++;
			ok = fn(r, why, sizeof(why), ctx);
		}
		if (!ok) {
			failed++;
			print_error("%s:%u: %s\n    %s\n", name, no, r->text, why);
		}
	}
	free(line);
	fclose(f);
	free(r);
	what = kind ? kind : "read";
	if (records == 0)
		fail_msg("%s: no %s records: the test would pass vacuously", name, what);
	print_message("%s: %zu %s records, %zu failed\n", name, records, what, failed);
	if (failed)
		fail_msg("%s: %zu of %zu %s records failed", name, failed, records, what);
}

/*
 * Splits the tokens of r from index first into want groups at "|" tokens,
 * each with at least the number of tokens in min[] (exactly, when exact).
 */
static bool split(const struct record *r, size_t first, struct group *g, size_t want,
		  const size_t *min, const bool *exact, char *why, size_t len)
{
	size_t k = 0;

	g[0].tok = &r->tok[first];
	g[0].n = 0;
	for (size_t i = first; i < r->n; i++) {
		if (strcmp(r->tok[i], "|")) {
			g[k].n++;
			continue;
		}
		if (++k == want)
			break;
		g[k].tok = &r->tok[i + 1];
		g[k].n = 0;
	}
	if (k + 1 != want) {
		snprintf(why, len, "malformed record: %zu '|'-separated groups, %zu expected",
			 k + 1, want);
		return false;
	}
	for (k = 0; k < want; k++)
		if (g[k].n < min[k] || (exact[k] && g[k].n != min[k])) {
			snprintf(why, len, "malformed record: group %zu has %zu tokens", k + 1,
				 g[k].n);
			return false;
		}
	return true;
}

static bool parse_day(const char *s, day_t *d)
{
	return term_day_parse(s, d) == ERR_OK;
}

/* A day, or an RFC 3339 instant made a day in Japan. */
static bool parse_when(const char *s, day_t *d)
{
	int64_t us;

	if (!strchr(s, 'T'))
		return parse_day(s, d);
	if (ts_parse(s, strlen(s), &us, NULL))
		return false;
	*d = term_day_of(us);
	return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_yes_no(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "allow"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "deny"))
		*out = false;
	else
		return false;
	return true;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

#define MAX_OBJECTIONS 8

/* Days, as tokens and/or separated by commas; a lone "-" for none. */
static bool parse_days(char *const *tok, size_t n, day_t *out, size_t *count)
{
	*count = 0;
	if (n == 1 && !strcmp(tok[0], "-"))
		return true;
	for (size_t i = 0; i < n; i++) {
		char item[32];
		const char *p = tok[i];

		while (*p) {
			size_t k = strcspn(p, ",");
			if (k == 0 || k >= sizeof(item) || *count == MAX_OBJECTIONS)
				return false;
			memcpy(item, p, k);
			item[k] = '\0';
			if (!parse_day(item, &out[(*count)++]))
				return false;
			p += k;
			if (*p == ',')
				p++;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* terms.test                                                             */

static const char *const term_kinds[] = {"term", "day", "add", "parse", NULL};

static void fmt_day(day_t d, char out[16])
{
	term_day_format(d, out);
}

/* "NO START END DEADLINE" of a term. */
static void fmt_term(const struct term *t, char *out, size_t len)
{
	char s[16], e[16], dl[16];

	fmt_day(t->start, s);
	fmt_day(t->end, e);
	fmt_day(t->deadline, dl);
	snprintf(out, len, "%u %s %s %s", t->number, s, e, dl);
}

/* The tokens of g joined by single spaces. */
static void join(const struct group *g, size_t from, size_t count, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = from; i < from + count && i < g->n; i++) {
		int k = snprintf(out + used, len - used, "%s%s", i > from ? " " : "", g->tok[i]);
		if (k < 0 || (size_t)k >= len - used)
			return;
		used += (size_t)k;
	}
}

static bool check_term(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {4, 2, 9};
	static const bool exact[] = {true, false, true};
	struct group g[3];
	struct term_rule rule;
	day_t today, objections[MAX_OBJECTIONS];
	size_t n_obj;
	long v[3], no;
	struct term_status st;
	char got[256], want[256], t[96], ends[16];

	(void)ctx;
	if (!split(r, 1, g, 3, min, exact, why, len))
		return false;
	if (!parse_day(g[0].tok[0], &rule.signed_on) || !parse_long(g[0].tok[1], 1, 1200, &v[0]) ||
	    !parse_long(g[0].tok[2], 0, 1200, &v[1]) || !parse_long(g[0].tok[3], 0, 1200, &v[2]) ||
	    !parse_when(g[1].tok[0], &today) ||
	    !parse_days(g[1].tok + 1, g[1].n - 1, objections, &n_obj) ||
	    !parse_long(g[2].tok[0], 1, 100000, &no)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	rule.term_months = (unsigned)v[0];
	rule.renewal_months = (unsigned)v[1];
	rule.notice_months = (unsigned)v[2];

	term_status_at(&rule, objections, n_obj, today, WARN_DAYS, &st);
	fmt_term(&st.current, t, sizeof(t));
	if (st.ending)
		fmt_day(st.ends_on, ends);
	else
		snprintf(ends, sizeof(ends), "-");
	snprintf(got, sizeof(got), "%s %s %s %s %lld %s", t, yes_no(st.in_force), yes_no(st.ending),
		 ends, (long long)st.days_left, yes_no(st.warn));
	join(&g[2], 0, g[2].n, want, sizeof(want));
	if (strcmp(got, want)) {
		snprintf(why, len, "term_status_at:\n    expected: %s\n         got: %s", want,
			 got);
		return false;
	}
	/* term_nth(NO) must be the current term found by term_at. */
	struct term nth = term_nth(&rule, (unsigned)no);
	fmt_term(&nth, got, sizeof(got));
	join(&g[2], 0, 4, want, sizeof(want));
	if (strcmp(got, want)) {
		snprintf(why, len, "term_nth(%ld):\n    expected: %s\n         got: %s", no, want,
			 got);
		return false;
	}
	return true;
}

static bool check_day_of(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {1, 1};
	static const bool exact[] = {true, true};
	struct group g[2];
	int64_t us;
	day_t want, got;
	char s[16];

	(void)ctx;
	if (!split(r, 1, g, 2, min, exact, why, len))
		return false;
	if (ts_parse(g[0].tok[0], strlen(g[0].tok[0]), &us, NULL) ||
	    !parse_day(g[1].tok[0], &want)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	got = term_day_of(us);
	if (got != want) {
		fmt_day(got, s);
		snprintf(why, len, "term_day_of: expected %s, got %s (%lld)", g[1].tok[0], s,
			 (long long)got);
		return false;
	}
	return true;
}

static bool check_add_months(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {2, 1};
	static const bool exact[] = {true, true};
	struct group g[2];
	day_t from, want, got;
	long m;
	char s[16];

	(void)ctx;
	if (!split(r, 1, g, 2, min, exact, why, len))
		return false;
	if (!parse_day(g[0].tok[0], &from) || !parse_long(g[0].tok[1], -12000, 12000, &m) ||
	    !parse_day(g[1].tok[0], &want)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	got = term_add_months(from, (int)m);
	if (got != want) {
		fmt_day(got, s);
		snprintf(why, len, "term_add_months: expected %s, got %s", g[1].tok[0], s);
		return false;
	}
	return true;
}

static bool check_day_parse(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {1, 1};
	static const bool exact[] = {true, true};
	struct group g[2];
	day_t got = 0;
	long want;
	char s[16];
	err_t rc;

	(void)ctx;
	if (!split(r, 1, g, 2, min, exact, why, len))
		return false;
	rc = term_day_parse(g[0].tok[0], &got);
	if (!strcmp(g[1].tok[0], "invalid")) {
		if (rc != ERR_INVALID) {
			snprintf(why, len, "term_day_parse: expected invalid, got %s (%lld)",
				 err_name(rc), (long long)got);
			return false;
		}
		return true;
	}
	if (!parse_long(g[1].tok[0], -1000000, 3000000, &want)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	if (rc != ERR_OK || got != want) {
		snprintf(why, len, "term_day_parse: expected %ld, got %s %lld", want, err_name(rc),
			 (long long)got);
		return false;
	}
	fmt_day(got, s);
	if (strcmp(s, g[0].tok[0])) {
		snprintf(why, len, "term_day_format(%ld): expected %s, got %s", want, g[0].tok[0],
			 s);
		return false;
	}
	return true;
}

static void test_terms(void **state)
{
	run_records(*state, "policy/terms.test", term_kinds, "term", check_term, NULL);
}

static void test_day_of(void **state)
{
	run_records(*state, "policy/terms.test", term_kinds, "day", check_day_of, NULL);
}

static void test_add_months(void **state)
{
	run_records(*state, "policy/terms.test", term_kinds, "add", check_add_months, NULL);
}

static void test_day_parse(void **state)
{
	run_records(*state, "policy/terms.test", term_kinds, "parse", check_day_parse, NULL);
}

/* ---------------------------------------------------------------------- */
/* The world of read.test and share.test: the seed agreement, with ids    */

#define MAX_NAMES    128
#define MAX_AUDIENCE 16
#define USER_BASE    100000

struct world {
	struct agreement_def *def;
	struct agreement_rules rules;
	char orgs[MAX_NAMES][AG_NAME_MAX]; /* org id = index + 1 */
	size_t n_orgs;
	char users[MAX_NAMES][2 * AG_NAME_MAX]; /* "org/name"; id = USER_BASE + index */
	size_t n_users;
};

/* The id of a name in table (added on first sight), or 0 when full or too long. */
static int64_t name_id(char (*table)[2 * AG_NAME_MAX], size_t *n, size_t width, const char *name)
{
	size_t i;

	if (strlen(name) >= width)
		return 0;
	for (i = 0; i < *n; i++)
		if (!strcmp(table[i], name))
			return (int64_t)i + 1;
	if (*n == MAX_NAMES)
		return 0;
	snprintf(table[*n], width, "%s", name);
	return (int64_t)++(*n);
}

static int64_t org_id(struct world *w, const char *handle)
{
	size_t i;

	if (!*handle || strlen(handle) >= AG_NAME_MAX || strchr(handle, '/'))
		return 0;
	for (i = 0; i < w->n_orgs; i++)
		if (!strcmp(w->orgs[i], handle))
			return (int64_t)i + 1;
	if (w->n_orgs == MAX_NAMES)
		return 0;
	snprintf(w->orgs[w->n_orgs], AG_NAME_MAX, "%s", handle);
	return (int64_t)++w->n_orgs;
}

/* "org/name": the organisation's id in *org and the person's id; 0 if malformed. */
static int64_t user_id(struct world *w, const char *s, int64_t *org)
{
	const char *slash = strchr(s, '/');
	char h[AG_NAME_MAX];
	int64_t id;

	if (!slash || slash == s || !slash[1] || (size_t)(slash - s) >= sizeof(h))
		return 0;
	memcpy(h, s, (size_t)(slash - s));
	h[slash - s] = '\0';
	*org = org_id(w, h);
	id = name_id(w->users, &w->n_users, sizeof(w->users[0]), s);
	return *org && id ? USER_BASE + id : 0;
}

static void ids_of(struct world *w, char (*handles)[AG_NAME_MAX], size_t n, int64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = org_id(w, handles[i]);
		assert_true(out[i] > 0);
	}
}

/* The seed agreement as policy.h's rules, organisations named by ids. */
static void world_load(struct world *w, const char *data)
{
	char path[1024], msg[AG_MSG_MAX] = "";
	size_t len = 0;
	char *json;
	struct agreement_rules *a = &w->rules;

	path_of(path, sizeof(path), "%s/%s", data, SEED_FILE);
	json = read_all(path, &len);
	if (!json)
		fail_msg("%s: cannot read", path);
	w->def = calloc(1, sizeof(*w->def));
	assert_non_null(w->def);
	if (agreement_parse(json, len, w->def, msg) != ERR_OK)
		fail_msg("%s: %s", path, msg);
	free(json);

	const struct agreement_def *d = w->def;
	a->term.signed_on = d->signed_on;
	a->term.term_months = d->term_months;
	a->term.renewal_months = d->renewal_months;
	a->term.notice_months = d->notice_months;
	ids_of(w, w->def->parties, d->n_parties, a->parties);
	a->n_parties = d->n_parties;
	ids_of(w, w->def->community, d->n_community, a->community);
	a->n_community = d->n_community;
	ids_of(w, w->def->escalation, d->n_escalation, a->escalation);
	a->n_escalation = d->n_escalation;
	for (int c = 0; c < CAT__COUNT; c++) {
		a->originate[c].members = d->categories[c].members;
		a->originate[c].parties = d->categories[c].parties;
		ids_of(w, w->def->categories[c].orgs, d->categories[c].n_orgs,
		       a->originate[c].orgs);
		a->originate[c].n_orgs = d->categories[c].n_orgs;
	}
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	world_load(w, *state);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	if (w)
		free(w->def);
	free(w);
	return 0;
}

/* The data directory, for the tests that run in a world. */
static const char *data_dir;

static bool parse_tlp(const char *s, enum tlp *out)
{
	static const struct {
		const char *name;
		enum tlp tlp;
	} names[] = {
		{"unmarked", TLP_UNMARKED},
		{"clear", TLP_CLEAR},
		{"green", TLP_GREEN},
		{"amber", TLP_AMBER},
		{"amber+strict", TLP_AMBER_STRICT},
		{"red", TLP_RED},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, s)) {
			*out = names[i].tlp;
			return true;
		}
	return false;
}

struct audience_buf {
	int64_t orgs[MAX_AUDIENCE], users[MAX_AUDIENCE];
	struct audience au;
};

/* "@parties,towa-power,towa-power/sato" or "-". */
static bool parse_audience(struct world *w, const char *s, bool groups_ok, struct audience_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->au.orgs = b->orgs;
	b->au.users = b->users;
	if (!strcmp(s, "-"))
		return true;
	while (*s) {
		char item[2 * AG_NAME_MAX];
		size_t k = strcspn(s, ",");
		int64_t org;

		if (k == 0 || k >= sizeof(item))
			return false;
		memcpy(item, s, k);
		item[k] = '\0';
		s += k + (s[k] == ',');
		if (groups_ok && !strcmp(item, "@parties")) {
			b->au.groups |= GROUP_PARTIES;
		} else if (groups_ok && !strcmp(item, "@community")) {
			b->au.groups |= GROUP_COMMUNITY;
		} else if (strchr(item, '/')) {
			if (b->au.n_users == MAX_AUDIENCE ||
			    !(b->users[b->au.n_users++] = user_id(w, item, &org)))
				return false;
		} else {
			if (b->au.n_orgs == MAX_AUDIENCE ||
			    !(b->orgs[b->au.n_orgs++] = org_id(w, item)))
				return false;
		}
	}
	return true;
}

/* PROVIDER TLP SCOPE GRANTS of read.test and share.test. */
static bool parse_object(struct world *w, const struct group *g, struct object_view *o,
			 struct audience_buf *scope, struct audience_buf *grants)
{
	memset(o, 0, sizeof(*o));
	o->provider = org_id(w, g->tok[0]);
	if (!o->provider || !parse_tlp(g->tok[1], &o->tlp) ||
	    !parse_audience(w, g->tok[2], true, scope) ||
	    !parse_audience(w, g->tok[3], false, grants))
		return false;
	o->scope = scope->au;
	o->grants = grants->au;
	return true;
}

/* DAY OBJECTIONS: the day, with the objections set in the world's rules. */
static bool parse_situation(struct world *w, const struct group *g, day_t *day,
			    day_t objections[MAX_OBJECTIONS])
{
	if (!parse_day(g->tok[0], day) ||
	    !parse_days(&g->tok[1], 1, objections, &w->rules.n_objections))
		return false;
	w->rules.objections = objections;
	return true;
}

/* ---------------------------------------------------------------------- */
/* read.test                                                              */

static bool check_read(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {4, 1, 2, 1};
	static const bool exact[] = {true, true, true, true};
	struct world *w = ctx;
	struct group g[4];
	struct audience_buf scope, grants;
	struct object_view o;
	struct subject s;
	day_t day, objections[MAX_OBJECTIONS];
	bool want, got;

	if (!split(r, 0, g, 4, min, exact, why, len))
		return false;
	if (!parse_object(w, &g[0], &o, &scope, &grants) ||
	    !(s.user = user_id(w, g[1].tok[0], &s.org)) ||
	    !parse_situation(w, &g[2], &day, objections) || !parse_yes_no(g[3].tok[0], &want)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	got = policy_may_read(&w->rules, &s, &o, day);
	w->rules.objections = NULL;
	w->rules.n_objections = 0;
	if (got != want) {
		snprintf(why, len, "policy_may_read: expected %s, got %s", want ? "allow" : "deny",
			 got ? "allow" : "deny");
		return false;
	}
	return true;
}

static void test_read(void **state)
{
	struct world *w = *state;

	run_records(data_dir, "policy/read.test", NULL, NULL, check_read, w);
}

/* ---------------------------------------------------------------------- */
/* share.test                                                             */

static const char *const share_kinds[] = {"share", "originate", NULL};

static const char *const share_names[] = {
	[SHARE_ALREADY] = "already",   [SHARE_GRANT_NOW] = "grant-now",
	[SHARE_PROVIDER] = "provider", [SHARE_ALL_PARTIES] = "all-parties",
	[SHARE_REFUSED] = "refused",
};

static const char *share_name(enum share_need n)
{
	return (unsigned)n < sizeof(share_names) / sizeof(share_names[0]) ? share_names[n]
									  : "(out of range)";
}

static bool check_share(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {4, 1, 2, 1};
	static const bool exact[] = {true, true, true, true};
	struct world *w = ctx;
	struct group g[4];
	struct audience_buf scope, grants;
	struct object_view o;
	struct share_target t = {0, 0};
	day_t day, objections[MAX_OBJECTIONS];
	enum share_need got;
	const char *target = NULL;

	if (!split(r, 1, g, 4, min, exact, why, len))
		return false;
	target = g[1].tok[0];
	if (strchr(target, '/'))
		t.user = user_id(w, target, &t.org);
	else
		t.org = org_id(w, target);
	if (!parse_object(w, &g[0], &o, &scope, &grants) || !t.org ||
	    (strchr(target, '/') && !t.user) || !parse_situation(w, &g[2], &day, objections)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	got = policy_share_need(&w->rules, &o, &t, day);
	w->rules.objections = NULL;
	w->rules.n_objections = 0;
	if (strcmp(share_name(got), g[3].tok[0])) {
		snprintf(why, len, "policy_share_need: expected %s, got %s", g[3].tok[0],
			 share_name(got));
		return false;
	}
	return true;
}

static bool check_originate(const struct record *r, char *why, size_t len, void *ctx)
{
	static const size_t min[] = {2, 1};
	static const bool exact[] = {true, true};
	struct world *w = ctx;
	struct group g[2];
	int64_t org;
	enum category c;
	bool want, got;

	if (!split(r, 1, g, 2, min, exact, why, len))
		return false;
	org = org_id(w, g[0].tok[0]);
	c = policy_category_parse(g[0].tok[1]);
	if (!org || (c == CAT_NONE && strcmp(g[0].tok[1], "none")) ||
	    !parse_yes_no(g[1].tok[0], &want)) {
		snprintf(why, len, "malformed record");
		return false;
	}
	got = policy_may_originate(&w->rules, org, c);
	if (got != want) {
		snprintf(why, len, "policy_may_originate: expected %s, got %s", yes_no(want),
			 yes_no(got));
		return false;
	}
	return true;
}

static void test_share(void **state)
{
	run_records(data_dir, "policy/share.test", share_kinds, "share", check_share, *state);
}

static void test_originate(void **state)
{
	run_records(data_dir, "policy/share.test", share_kinds, "originate", check_originate,
		    *state);
}

/* The roles of the seed agreement, as the membership functions see them. */
static void test_seed_roles(void **state)
{
	static const struct {
		const char *org;
		bool party, community, escalation;
	} roles[] = {
		{"mod-dbp", true, false, false},    {"meti-cipb", true, false, false},
		{"ipa", true, false, false},	    {"jsdf-cyber", false, true, false},
		{"towa-power", false, true, false}, {"hokushin-hi", false, true, false},
		{"cas", false, false, true},	    {"acme", false, false, false},
	};
	struct world *w = *state;

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		int64_t id = org_id(w, roles[i].org);
		if (policy_is_party(&w->rules, id) != roles[i].party ||
		    policy_is_community(&w->rules, id) != roles[i].community ||
		    policy_is_member(&w->rules, id) != (roles[i].party || roles[i].community) ||
		    policy_is_escalation_body(&w->rules, id) != roles[i].escalation)
			fail_msg("roles of %s", roles[i].org);
	}
}

/* ---------------------------------------------------------------------- */
/* agreements/                                                            */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of dir's entries ending in ext. */
static char **list_files(const char *dir, const char *ext, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0, el = strlen(ext);

	*n = 0;
	if (!d)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		size_t k = strlen(e->d_name);
		if (k <= el || strcmp(e->d_name + k - el, ext))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[*n] = strdup(e->d_name);
		assert_non_null(v[*n]);
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

/* A message is one non-empty line: no control characters. */
static bool one_line(const char *msg)
{
	size_t n = strnlen(msg, AG_MSG_MAX);

	if (n == 0 || n == AG_MSG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			return false;
	return true;
}

static day_t day_of_text(const char *s)
{
	day_t d = 0;

	assert_int_equal(term_day_parse(s, &d), ERR_OK);
	return d;
}

static void check_seed(const struct agreement_def *d)
{
	static const char *const parties[] = {"mod-dbp", "meti-cipb", "ipa"};
	static const char *const labels[] = {"甲", "乙", "丙"};
	static const char *const community[] = {"jsdf-cyber", "towa-power", "hokushin-hi"};

	assert_string_equal(d->key, "mod-meti-ipa-2024");
	assert_int_equal(d->signed_on, day_of_text("2024-12-27"));
	assert_int_equal(d->term_months, 12);
	assert_int_equal(d->renewal_months, 12);
	assert_int_equal(d->notice_months, 1);
	assert_int_equal(d->warn_days, 60);
	assert_int_equal(d->n_parties, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(d->parties[i], parties[i]);
		assert_string_equal(d->labels[i], labels[i]);
		assert_string_equal(d->community[i], community[i]);
	}
	assert_int_equal(d->n_community, 3);
	assert_int_equal(d->n_escalation, 1);
	assert_string_equal(d->escalation[0], "cas");
	for (int c = CAT_ATTACK_METHODS; c <= CAT_THREAT_INTELLIGENCE; c++)
		assert_true(d->categories[c].members && !d->categories[c].parties &&
			    !d->categories[c].n_orgs);
	for (int c = CAT_RECURRENCE_PREVENTION; c <= CAT_COUNTERMEASURES; c++)
		assert_true(!d->categories[c].members && d->categories[c].parties &&
			    !d->categories[c].n_orgs);
	assert_false(d->categories[CAT_RESEARCH].members || d->categories[CAT_RESEARCH].parties);
	assert_int_equal(d->categories[CAT_RESEARCH].n_orgs, 1);
	assert_string_equal(d->categories[CAT_RESEARCH].orgs[0], "meti-cipb");
	assert_string_equal(d->categories[CAT_RESEARCH].article, "Art. 2.2 (5)");
	assert_string_equal(d->root_name, "kyotei-2024");
	assert_int_equal(d->n_collections, 3);
	assert_string_equal(d->collections[0].alias, "threat-sharing");
	assert_int_equal(d->collections[0].default_scope.groups, GROUP_PARTIES);
	assert_int_equal(d->collections[0].default_category, CAT_THREAT_INTELLIGENCE);
	assert_true(d->collections[0].n_grants >= 6);
	assert_string_equal(d->collections[1].alias, "advisories");
	assert_int_equal(d->collections[1].default_scope.groups, GROUP_PARTIES | GROUP_COMMUNITY);
	assert_int_equal(d->collections[1].default_category, CAT_COUNTERMEASURES);
	assert_string_equal(d->collections[1].grants[3].org, "jsdf-cyber");
	assert_true(d->collections[1].grants[3].read && !d->collections[1].grants[3].write);
	assert_string_equal(d->collections[2].alias, "research");
	assert_int_equal(d->collections[2].default_category, CAT_RESEARCH);
	assert_true(d->collections[2].n_grants >= 3);
}

/* The defaults of what valid-minimal.json leaves out. */
static void check_minimal(const struct agreement_def *d)
{
	assert_string_equal(d->key, "mini");
	assert_string_equal(d->title_en, "");
	assert_int_equal(d->signed_on, day_of_text("2025-04-01"));
	assert_int_equal(d->term_months, 12);
	assert_int_equal(d->renewal_months, 12);
	assert_int_equal(d->notice_months, 1);
	assert_int_equal(d->warn_days, 60);
	assert_int_equal(d->n_parties, 2);
	assert_string_equal(d->labels[1], "乙");
	assert_string_equal(d->categories[CAT_ATTACK_METHODS].article, "Art. 2.2 (1)");
	assert_string_equal(d->categories[CAT_RESEARCH].article, "Art. 2.2 (5)");
	assert_string_equal(d->root_description, "");
	assert_int_equal(d->n_collections, 1);
	assert_string_equal(d->collections[0].description, "");
	assert_int_equal(d->collections[0].default_scope.n_orgs, 0);
}

static void check_custom_term(const struct agreement_def *d)
{
	assert_int_equal(d->term_months, 24);
	assert_int_equal(d->renewal_months, 6);
	assert_int_equal(d->notice_months, 2);
	assert_int_equal(d->warn_days, 30);
	assert_string_equal(d->title_en, "Two years, then half-yearly");
	assert_int_equal(d->n_collections, 2);
	assert_int_equal(d->collections[1].default_scope.groups, GROUP_PARTIES | GROUP_COMMUNITY);
	assert_int_equal(d->collections[1].default_scope.n_orgs, 1);
	assert_string_equal(d->collections[1].default_scope.orgs[0], "delta");
	assert_int_equal(d->collections[1].default_category, CAT_RESEARCH);
	assert_int_equal(d->collections[1].n_grants, 0);
}

static const struct {
	const char *file;
	void (*check)(const struct agreement_def *d);
} valid_checks[] = {
	{"valid-2024-12-27.json", check_seed},
	{"valid-minimal.json", check_minimal},
	{"valid-custom-term.json", check_custom_term},
};

/* What holds for every accepted definition. */
static void check_valid(const char *name, const struct agreement_def *d)
{
	assert_true(d->n_parties >= 1 && d->n_parties <= AG_MAX_ORGS);
	assert_true(d->term_months >= 1 && d->notice_months < d->term_months);
	assert_true(d->renewal_months >= 1 && d->notice_months < d->renewal_months);
	for (int c = 0; c < CAT__COUNT; c++)
		assert_true(d->categories[c].members || d->categories[c].parties ||
			    d->categories[c].n_orgs);
	assert_true(d->n_collections >= 1);
	for (size_t i = 0; i < sizeof(valid_checks) / sizeof(valid_checks[0]); i++)
		if (!strcmp(name, valid_checks[i].file))
			valid_checks[i].check(d);
}

/* One agreements/ case; returns whether it held, printing why not. */
static bool agreement_case(const char *dir, const char *name, struct agreement_def *d)
{
	char path[1024], msg[AG_MSG_MAX];
	char *json, *want = NULL;
	size_t len = 0, wlen = 0, base = strlen(name) - strlen(".json");
	bool valid = !strncmp(name, "valid-", 6), ok = true;
	err_t rc;

	path_of(path, sizeof(path), "%s/%s", dir, name);
	json = read_all(path, &len);
	assert_non_null(json);
	path_of(path, sizeof(path), "%s/%.*s.msg", dir, (int)base, name);
	want = read_all(path, &wlen);
	if (want)
		want[strcspn(want, "\r\n")] = '\0';
	memset(msg, 0, sizeof(msg));
	rc = agreement_parse(json, len, d, msg);
	if (valid) {
		if (want) {
			print_error("%s: a valid-* file has a .msg\n", name);
			ok = false;
		} else if (rc != ERR_OK) {
			print_error("%s: expected it to parse, got %s: %s\n", name, err_name(rc),
				    msg);
			ok = false;
		} else {
			check_valid(name, d);
		}
	} else if (strncmp(name, "bad-", 4) || !want || !*want) {
		print_error("%s: neither valid-*.json nor bad-*.json with a non-empty .msg\n",
			    name);
		ok = false;
	} else if (rc != ERR_INVALID) {
		print_error("%s: expected ERR_INVALID (%s), got %s\n", name, want, err_name(rc));
		ok = false;
	} else if (!strstr(msg, want)) {
		print_error("%s: message \"%s\" lacks \"%s\"\n", name, msg, want);
		ok = false;
	} else if (!one_line(msg)) {
		print_error("%s: message is not one line of text: \"%s\"\n", name, msg);
		ok = false;
	}
	free(want);
	free(json);
	return ok;
}

static void test_agreement_files(void **state)
{
	const char *data = *state;
	char dir[1024];
	size_t n, n_valid = 0, n_bad = 0, failed = 0;
	char **names;
	struct agreement_def *d = malloc(sizeof(*d));

	assert_non_null(d);
	path_of(dir, sizeof(dir), "%s/policy/agreements", data);
	names = list_files(dir, ".json", &n);
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(names[i], "valid-", 6))
			n_valid++;
		else
			n_bad++;
		if (!agreement_case(dir, names[i], d))
			failed++;
		free(names[i]);
	}
	free(names);
	free(d);
	print_message("policy/agreements: %zu valid, %zu bad, %zu failed\n", n_valid, n_bad,
		      failed);
	if (!n_valid || !n_bad)
		fail_msg("policy/agreements: %zu valid and %zu bad files: the test would pass "
			 "vacuously",
			 n_valid, n_bad);
	if (failed)
		fail_msg("policy/agreements: %zu of %zu files failed", failed, n);
}

static struct agreement_def *parse_file(const char *path)
{
	struct agreement_def *d = calloc(1, sizeof(*d));
	char msg[AG_MSG_MAX] = "";
	size_t len = 0;
	char *json = read_all(path, &len);

	assert_non_null(d);
	if (!json) {
		free(d);
		return NULL;
	}
	if (agreement_parse(json, len, d, msg) != ERR_OK)
		fail_msg("%s: %s", path, msg);
	free(json);
	return d;
}

#define SAME(field)                                                                                \
	do {                                                                                       \
		if (memcmp(&a->field, &b->field, sizeof(a->field)))                                \
			fail_msg("%s: '%s' differs from examples/", SEED_FILE, #field);            \
	} while (0)

/*
 * valid-2024-12-27.json is the seed agreement of examples/ in everything the
 * rules read (its collections may move on: read.test and share.test do not
 * depend on them).
 */
static void test_seed_is_example(void **state)
{
	char path[1024];
	struct agreement_def *a, *b;

	path_of(path, sizeof(path), "%s/%s", (const char *)*state, EXAMPLE_SEED);
	b = parse_file(path);
	if (!b)
		skip(); /* a data directory outside the repository */
	path_of(path, sizeof(path), "%s/%s", (const char *)*state, SEED_FILE);
	a = parse_file(path);
	assert_non_null(a);
	SAME(key);
	SAME(signed_on);
	SAME(term_months);
	SAME(renewal_months);
	SAME(notice_months);
	SAME(warn_days);
	SAME(n_parties);
	SAME(parties);
	SAME(labels);
	SAME(n_community);
	SAME(community);
	SAME(n_escalation);
	SAME(escalation);
	SAME(categories);
	free(a);
	free(b);
}

/* Inputs that only C can make: NUL bytes, lengths that cut the text short. */
static void test_agreement_bytes(void **state)
{
	const char *data = *state;
	char path[1024], msg[AG_MSG_MAX];
	size_t len = 0;
	char *json;
	struct agreement_def *d = malloc(sizeof(*d));

	assert_non_null(d);
	path_of(path, sizeof(path), "%s/%s", data, SEED_FILE);
	json = read_all(path, &len);
	assert_non_null(json);
	/* Every prefix of the seed short of its closing brace is refused with a
	 * message, and nothing past the prefix is read (ASan watches). */
	size_t last = (size_t)(strrchr(json, '}') - json);
	for (size_t k = 0; k < last; k += 7) {
		char *copy = malloc(k ? k : 1);
		assert_non_null(copy);
		memcpy(copy, json, k);
		msg[0] = '\0';
		assert_int_equal(agreement_parse(copy, k, d, msg), ERR_INVALID);
		assert_true(msg[0] != '\0');
		free(copy);
	}
	/* A NUL byte inside is not the end of the text. */
	json[10] = '\0';
	assert_int_equal(agreement_parse(json, len, d, msg), ERR_INVALID);
	free(json);
	free(d);
}

/* ---------------------------------------------------------------------- */
/* Tables: TLP ids (DESIGN.md §4.3), categories (§3.6)                    */

static void test_tlp_ids(void **state)
{
	static const struct {
		const char *id;
		enum tlp tlp;
	} ids[] = {
		/* TLP 2.0 (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d) */
		{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR},
		{"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN},
		{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER},
		{"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP_AMBER_STRICT},
		{"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED},
		/* TLP 1.0 (STIX 2.1 core) */
		{"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR},
		{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN},
		{"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER},
		{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED},
		/* OpenCTI's AMBER+STRICT */
		{"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", TLP_AMBER_STRICT},
		/* Not TLP */
		{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8488", TLP_UNMARKED},
		{"MARKING-DEFINITION--94868C89-83C2-464B-929B-A1A8AA3C8487", TLP_UNMARKED},
		{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487 ", TLP_UNMARKED},
		{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c848", TLP_UNMARKED},
		{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d", TLP_UNMARKED},
		{"marking-definition--895f0377-2635-4adc-a078-037972c6a4dc", TLP_UNMARKED},
		{"marking-definition--", TLP_UNMARKED},
		{"", TLP_UNMARKED},
	};
	static const char *const names[] = {
		[TLP_UNMARKED] = "unmarked",
		[TLP_CLEAR] = "clear",
		[TLP_GREEN] = "green",
		[TLP_AMBER] = "amber",
		[TLP_AMBER_STRICT] = "amber+strict",
		[TLP_RED] = "red",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (policy_tlp_of_marking(ids[i].id) != ids[i].tlp)
			fail_msg("policy_tlp_of_marking(\"%s\") = %d, expected %d", ids[i].id,
				 policy_tlp_of_marking(ids[i].id), ids[i].tlp);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(policy_tlp_name((enum tlp)i), names[i]);
	assert_string_equal(policy_tlp_name((enum tlp)6), "unmarked");
	assert_string_equal(policy_tlp_name((enum tlp) - 1), "unmarked");
}

static void test_categories(void **state)
{
	static const struct {
		const char *key, *article;
		enum category c;
	} cats[] = {
		{"attack-methods", "Art. 2.2 (1)", CAT_ATTACK_METHODS},
		{"threat-intelligence", "Art. 2.2 (2)", CAT_THREAT_INTELLIGENCE},
		{"recurrence-prevention", "Art. 2.2 (3)", CAT_RECURRENCE_PREVENTION},
		{"countermeasures", "Art. 2.2 (4)", CAT_COUNTERMEASURES},
		{"research", "Art. 2.2 (5)", CAT_RESEARCH},
	};
	static const char *const unknown[] = {
		"",
		"none",
		"Research",
		"research ",
		" research",
		"attack_methods",
		"threat-intel",
		"research\n",
		"countermeasure",
		"r&d",
	};

	(void)state;
	assert_int_equal(CAT__COUNT, 5);
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		assert_int_equal(policy_category_parse(cats[i].key), cats[i].c);
		assert_string_equal(policy_category_key(cats[i].c), cats[i].key);
		assert_string_equal(policy_category_article(cats[i].c), cats[i].article);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (policy_category_parse(unknown[i]) != CAT_NONE)
			fail_msg("policy_category_parse(\"%s\") is a category", unknown[i]);
	assert_string_equal(policy_category_key(CAT_NONE), "none");
	assert_string_equal(policy_category_key(CAT__COUNT), "none");
	assert_string_equal(policy_category_article(CAT_NONE), "Art. 2.2");
	assert_string_equal(policy_category_article(CAT__COUNT), "Art. 2.2");
}

/* ---------------------------------------------------------------------- */

static int data_setup(void **state)
{
	*state = (void *)data_dir;
	return world_setup(state);
}

int main(int argc, char **argv)
{
	data_dir = argc > 1 ? argv[1] : getenv("RENKEI_TEST_DATA");
	if (!data_dir)
		data_dir = "tests/data";
	void *data = (void *)data_dir;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_terms, data),
		cmocka_unit_test_prestate(test_day_of, data),
		cmocka_unit_test_prestate(test_add_months, data),
		cmocka_unit_test_prestate(test_day_parse, data),
		cmocka_unit_test_setup_teardown(test_read, data_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_share, data_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_originate, data_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_seed_roles, data_setup, world_teardown),
		cmocka_unit_test_prestate(test_agreement_files, data),
		cmocka_unit_test_prestate(test_seed_is_example, data),
		cmocka_unit_test_prestate(test_agreement_bytes, data),
		cmocka_unit_test(test_tlp_ids),
		cmocka_unit_test(test_categories),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
