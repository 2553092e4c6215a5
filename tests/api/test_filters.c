/*
 * test_filters.c - the query parameters of TAXII 2.1 §3.4 on the manifest
 * (§5.3) and objects (§5.4) endpoints, alone and combined: added_after
 * (exclusive), limit and next, match[id], match[type], match[version]
 * (last, first, all, timestamps), match[spec_version]; ascending date_added,
 * the X-TAXII-Date-Added-First/-Last headers and the manifest records.
 *
 * The data set is seven object versions posted in four requests to a
 * collection of its own, 'filters'; every object has its own date_added
 * (docs/decisions.md), so the records ascend strictly in this order:
 *
 *   record  request  object  version
 *   0       P1       A       2025-01-01T00:00:00.000Z      (indicator)
 *   1       P1       M       2025-01-15T00:00:00.000Z      (campaign)
 *   2       P2       A       2025-02-01T00:00:00.000Z
 *   3       P2       B       2025-02-01T00:00:00.000Z      (indicator)
 *   4       P3       A       2025-03-01T00:00:00.123456Z
 *   5       P3       C       2025-03-05T00:00:00.000Z      (campaign)
 *   6       P4       B       2025-04-01T00:00:00.000Z
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FC    RK_COLLS "filters/"
#define N_REC 7
/* Another user of the provider: outside the agreement's collections, only
 * the provider's organisation sees what it shared (DESIGN.md §3.1). */
#define READER "mod-reader"

struct rec {
	const char *obj; /* which object: A, M, B, C */
	const char *type;
	const char *version;
	int request;
};

static const struct rec recs[N_REC] = {
	{"A", "indicator", "2025-01-01T00:00:00.000Z", 1},
	{"M", "campaign", "2025-01-15T00:00:00.000Z", 1},
	{"A", "indicator", "2025-02-01T00:00:00.000Z", 2},
	{"B", "indicator", "2025-02-01T00:00:00.000Z", 2},
	{"A", "indicator", "2025-03-01T00:00:00.123456Z", 3},
	{"C", "campaign", "2025-03-05T00:00:00.000Z", 3},
	{"B", "indicator", "2025-04-01T00:00:00.000Z", 4},
};

struct fixture {
	struct rk_hub *h;
	char id[4][RK_ID_MAX]; /* A, M, B, C */
	char *body[N_REC];     /* each record's bytes as posted */
	char added[N_REC][64]; /* each record's date_added, from the manifest */
};

static int obj_index(const char *name)
{
	return name[0] == 'A' ? 0 : name[0] == 'M' ? 1 : name[0] == 'B' ? 2 : 3;
}

static const char *rec_id(const struct fixture *f, int r)
{
	return f->id[obj_index(recs[r].obj)];
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rk_resp r;
	if (!f)
		return -1;
	*state = f; /* from here on, teardown frees what setup made */
	f->h = rk_hub_new();
	if (!f->h)
		return -1;
	if (rk_cli(f->h, NULL, NULL, "collection", "add", "--title", "filters", "--alias",
		   "filters", NULL) ||
	    rk_cli(f->h, NULL, NULL, "collection", "grant", "filters", "--org", "mod-dbp", "--read",
		   "--write", NULL) ||
	    rk_add_user(f->h, "mod-reader", "mod-dbp", "mod-reader-password") ||
	    rk_serve_start(f->h, NULL))
		return -1;
	for (int k = 0; k < 4; k++) {
		char u[37];
		static const char *const types[4] = {"indicator", "campaign", "indicator",
						     "campaign"};
		rk_uuid4(u);
		snprintf(f->id[k], sizeof(f->id[k]), "%s--%s", types[k], u);
	}
	for (int i = 0; i < N_REC; i++) {
		struct rk_obj o = {
			.type = recs[i].type,
			.id = rec_id(f, i),
			.created = "2025-01-01T00:00:00.000Z",
			.modified = recs[i].version,
		};
		f->body[i] = rk_stix(&o, NULL);
	}
	/* One POST per request group, in order. */
	for (int p = 1; p <= 4; p++) {
		char *objs[N_REC];
		size_t n = 0;
		for (int i = 0; i < N_REC; i++)
			if (recs[i].request == p)
				objs[n++] = f->body[i];
		char *env = rk_envelope(objs, n);
		rk_post(f->h, &r, "mod-analyst", env, FC "objects/");
		free(env);
		bool ok = r.status == 202 &&
			  json_integer_value(json_object_get(r.json, "success_count")) ==
				  (json_int_t)n;
		if (!ok)
			fprintf(stderr, "setup POST %d: %ld %s\n", p, r.status, r.body);
		rk_resp_release(&r);
		if (!ok)
			return -1;
	}
	rk_get(f->h, &r, READER, FC "manifest/?match[version]=all");
	json_t *list = json_object_get(r.json, "objects");
	if (r.status != 200 || json_array_size(list) != N_REC) {
		fprintf(stderr, "setup manifest: %ld %s\n", r.status, r.body);
		rk_resp_release(&r);
		return -1;
	}
	for (int i = 0; i < N_REC; i++)
		snprintf(f->added[i], sizeof(f->added[i]), "%s",
			 json_string_value(
				 json_object_get(json_array_get(list, (size_t)i), "date_added")));
	rk_resp_release(&r);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	int rc = f->h && f->h->pid > 0 ? rk_serve_stop(f->h) : 0;
	rk_hub_free(f->h);
	for (int i = 0; i < N_REC; i++)
		free(f->body[i]);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* ---- the data set itself ---- */

static void t_manifest_records(void **state)
{
	struct fixture *f = *state;
	struct rk_resp r;

	rk_get(f->h, &r, READER, FC "manifest/?match[version]=all");
	json_t *d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "objects");
	assert_int_equal(json_array_size(list), N_REC);
	assert_true(json_is_false(json_object_get(d, "more")));
	assert_null(json_object_get(d, "next"));
	for (int i = 0; i < N_REC; i++) {
		json_t *m = json_array_get(list, (size_t)i);
		/* §5.3.1: id, date_added, version, media_type. */
		assert_int_equal(json_object_size(m), 4);
		assert_string_equal(json_string_value(json_object_get(m, "id")), rec_id(f, i));
		assert_string_equal(json_string_value(json_object_get(m, "version")),
				    recs[i].version);
		assert_string_equal(json_string_value(json_object_get(m, "media_type")), RK_STIX);
		const char *da = json_string_value(json_object_get(m, "date_added"));
		/* DESIGN.md §4.1: microsecond precision, UTC, Z. */
		if (!rk_is_micro_ts(da))
			fprintf(stderr, "date_added '%s'\n", da);
		assert_true(rk_is_micro_ts(da));
		/* Ascending, and every object its own date_added. */
		if (i)
			assert_true(strcmp(f->added[i - 1], da) < 0);
	}
	assert_true(r.has_date_first && r.has_date_last);
	assert_string_equal(r.date_first, f->added[0]);
	assert_string_equal(r.date_last, f->added[N_REC - 1]);
	rk_resp_release(&r);
}

/* ---- one query on both endpoints ---- */

/*
 * Asserts that manifest and objects answer query with exactly the records
 * want[0..n) in that order: ids, versions, bytes, date headers; {} when
 * n is 0.
 */
static void check(struct fixture *f, const char *query, const int *want, int n)
{
	struct rk_resp r;

	rk_get(f->h, &r, READER, FC "manifest/%s%s", query[0] ? "?" : "", query);
	json_t *d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "objects");
	if (json_array_size(list) != (size_t)n)
		fprintf(stderr, "manifest?%s: %zu records, expected %d: %s\n", query,
			json_array_size(list), n, r.body);
	assert_int_equal(json_array_size(list), n);
	if (n == 0) {
		assert_int_equal(json_object_size(d), 0);
	} else {
		assert_true(json_is_false(json_object_get(d, "more")));
		for (int i = 0; i < n; i++) {
			json_t *m = json_array_get(list, (size_t)i);
			int w = want[i];
			if (strcmp(json_string_value(json_object_get(m, "id")), rec_id(f, w)) ||
			    strcmp(json_string_value(json_object_get(m, "version")),
				   recs[w].version))
				fprintf(stderr, "manifest?%s: record %d is not record %d: %s\n",
					query, i, w, r.body);
			assert_string_equal(json_string_value(json_object_get(m, "id")),
					    rec_id(f, w));
			assert_string_equal(json_string_value(json_object_get(m, "version")),
					    recs[w].version);
			assert_string_equal(json_string_value(json_object_get(m, "date_added")),
					    f->added[w]);
		}
		/* §3.2: the headers are the first and last record's date_added. */
		assert_string_equal(r.date_first, f->added[want[0]]);
		assert_string_equal(r.date_last, f->added[want[n - 1]]);
	}
	rk_resp_release(&r);

	rk_get(f->h, &r, READER, FC "objects/%s%s", query[0] ? "?" : "", query);
	d = rk_assert_ok(&r);
	list = json_object_get(d, "objects");
	if (json_array_size(list) != (size_t)n)
		fprintf(stderr, "objects?%s: %zu objects, expected %d: %s\n", query,
			json_array_size(list), n, r.body);
	assert_int_equal(json_array_size(list), n);
	if (n == 0) {
		assert_int_equal(json_object_size(d), 0);
	} else {
		const char *prev = r.body;
		for (int i = 0; i < n; i++) {
			/* The posted bytes, in order. */
			const char *at = strstr(prev, f->body[want[i]]);
			if (!at)
				fprintf(stderr,
					"objects?%s: record %d (%d) missing or out of order\n",
					query, i, want[i]);
			assert_non_null(at);
			prev = at + 1;
		}
		assert_string_equal(r.date_first, f->added[want[0]]);
		assert_string_equal(r.date_last, f->added[want[n - 1]]);
	}
	rk_resp_release(&r);
}

#define CHECK(f, q, ...)                                                                           \
	do {                                                                                       \
		static const int want_[] = {__VA_ARGS__};                                          \
		check((f), (q), want_, (int)(sizeof(want_) / sizeof(want_[0])));                   \
	} while (0)
#define CHECK_NONE(f, q) check((f), (q), NULL, 0)

static void t_match_version(void **state)
{
	struct fixture *f = *state;
	CHECK(f, "", 1, 4, 5, 6); /* last by default */
	CHECK(f, "match[version]=last", 1, 4, 5, 6);
	CHECK(f, "match[version]=first", 0, 1, 3, 5);
	CHECK(f, "match[version]=all", 0, 1, 2, 3, 4, 5, 6);
	CHECK(f, "match[version]=first,last", 0, 1, 3, 4, 5, 6);
	CHECK(f, "match[version]=last,first", 0, 1, 3, 4, 5, 6);
	CHECK(f, "match[version]=2025-02-01T00:00:00.000Z", 2, 3);
	CHECK(f, "match[version]=2025-03-01T00:00:00.123456Z", 4);
	CHECK(f, "match[version]=2025-01-15T00:00:00.000Z,2025-04-01T00:00:00.000Z", 1, 6);
	CHECK(f, "match[version]=first,2025-02-01T00:00:00.000Z", 0, 1, 2, 3, 5);
	CHECK(f, "match[version]=last,2025-01-01T00:00:00.000Z", 0, 1, 4, 5, 6);
	CHECK_NONE(f, "match[version]=2024-01-01T00:00:00.000Z");
}

static void t_match_type_and_id(void **state)
{
	struct fixture *f = *state;
	char q[512];

	CHECK(f, "match[type]=campaign", 1, 5);
	CHECK(f, "match[type]=indicator", 4, 6);
	CHECK(f, "match[type]=indicator,campaign", 1, 4, 5, 6);
	CHECK(f, "match[type]=indicator&match[version]=all", 0, 2, 3, 4, 6);
	CHECK(f, "match[type]=campaign&match[version]=first", 1, 5);
	CHECK_NONE(f, "match[type]=malware");
	CHECK_NONE(f, "match[type]=Indicator");

	snprintf(q, sizeof(q), "match[id]=%s", f->id[0]);
	CHECK(f, q, 4);
	snprintf(q, sizeof(q), "match[id]=%s,%s", f->id[0], f->id[2]);
	CHECK(f, q, 4, 6);
	snprintf(q, sizeof(q), "match[id]=%s&match[version]=all", f->id[0]);
	CHECK(f, q, 0, 2, 4);
	snprintf(q, sizeof(q), "match[id]=%s&match[version]=2025-02-01T00:00:00.000Z", f->id[0]);
	CHECK(f, q, 2);
	snprintf(q, sizeof(q), "match[id]=%s&match[version]=first", f->id[2]);
	CHECK(f, q, 3);
	/* Fields are ANDed. */
	snprintf(q, sizeof(q), "match[id]=%s&match[type]=campaign", f->id[0]);
	CHECK_NONE(f, q);
	snprintf(q, sizeof(q), "match[id]=%s,%s&match[type]=campaign&match[version]=all", f->id[0],
		 f->id[1]);
	CHECK(f, q, 1);
	CHECK_NONE(f, "match[id]=indicator--00000000-0000-4000-8000-000000000000");
}

static void t_added_after(void **state)
{
	struct fixture *f = *state;
	char q[512], before[64];

	/* Exclusive: the record at added_after itself is not "after" it. */
	snprintf(q, sizeof(q), "added_after=%s&match[version]=all", f->added[2]);
	CHECK(f, q, 3, 4, 5, 6);
	snprintf(q, sizeof(q), "added_after=%s&match[version]=all", f->added[3]);
	CHECK(f, q, 4, 5, 6);
	snprintf(q, sizeof(q), "added_after=%s", f->added[2]);
	CHECK(f, q, 4, 5, 6);
	snprintf(q, sizeof(q), "added_after=%s", f->added[4]);
	CHECK(f, q, 5, 6);
	snprintf(q, sizeof(q), "added_after=%s", f->added[6]);
	CHECK_NONE(f, q);
	rk_ts_shift(f->added[6], -1, before);
	snprintf(q, sizeof(q), "added_after=%s", before);
	CHECK(f, q, 6);
	rk_ts_shift(f->added[0], -1, before);
	snprintf(q, sizeof(q), "added_after=%s&match[version]=all", before);
	CHECK(f, q, 0, 1, 2, 3, 4, 5, 6);
	snprintf(q, sizeof(q), "added_after=%s&match[version]=all", f->added[0]);
	CHECK(f, q, 1, 2, 3, 4, 5, 6);
	CHECK(f, "added_after=2000-01-01T00:00:00Z", 1, 4, 5, 6);
	CHECK_NONE(f, "added_after=2999-01-01T00:00:00.000Z");
	/* Combined with everything else. */
	snprintf(q, sizeof(q), "added_after=%s&match[type]=indicator&match[version]=first",
		 f->added[0]);
	CHECK(f, q, 3);
	snprintf(q, sizeof(q), "added_after=%s&match[id]=%s&match[version]=all", f->added[0],
		 f->id[0]);
	CHECK(f, q, 2, 4);
}

static void t_match_spec_version(void **state)
{
	struct fixture *f = *state;
	CHECK(f, "match[spec_version]=2.1", 1, 4, 5, 6);
	CHECK(f, "match[spec_version]=2.0,2.1", 1, 4, 5, 6);
	CHECK(f, "match[spec_version]=2.1&match[version]=all&match[type]=campaign", 1, 5);
	CHECK_NONE(f, "match[spec_version]=2.0");
	CHECK_NONE(f, "match[spec_version]=2.0&match[version]=all");
}

/* ---- limit and next ---- */

/*
 * Walks endpoint ("manifest" or "objects") with query and limit, asserting
 * the pages' sizes, more/next, headers, and that the records joined are want.
 */
static void walk(struct fixture *f, const char *endpoint, const char *query, unsigned limit,
		 const int *want, int n)
{
	char next[512] = "";
	int got = 0, pages = 0;

	for (;;) {
		struct rk_resp r;
		rk_get(f->h, &r, READER, FC "%s/?%s%slimit=%u%s%s", endpoint, query,
		       query[0] ? "&" : "", limit, next[0] ? "&next=" : "", next);
		json_t *d = rk_assert_ok(&r);
		json_t *list = json_object_get(d, "objects");
		size_t size = json_array_size(list);
		int left = n - got;
		size_t expect = (size_t)(left < (int)limit ? left : (int)limit);
		if (size != expect)
			fprintf(stderr, "%s?%s limit=%u page %d: %zu, expected %zu: %s\n", endpoint,
				query, limit, pages, size, expect, r.body);
		assert_int_equal(size, expect);
		pages++;
		if (size == 0) {
			assert_int_equal(json_object_size(d), 0);
			rk_resp_release(&r);
			break;
		}
		for (size_t i = 0; i < size; i++) {
			json_t *o = json_array_get(list, i);
			assert_string_equal(json_string_value(json_object_get(o, "id")),
					    rec_id(f, want[got + (int)i]));
			if (!strcmp(endpoint, "manifest"))
				assert_string_equal(
					json_string_value(json_object_get(o, "version")),
					recs[want[got + (int)i]].version);
			else
				assert_non_null(strstr(r.body, f->body[want[got + (int)i]]));
		}
		assert_string_equal(r.date_first, f->added[want[got]]);
		assert_string_equal(r.date_last, f->added[want[got + (int)size - 1]]);
		got += (int)size;
		json_t *more = json_object_get(d, "more");
		json_t *nx = json_object_get(d, "next");
		if (got < n) {
			/* §3.7: more, and the next page's key. */
			assert_true(json_is_true(more));
			assert_true(json_is_string(nx));
			snprintf(next, sizeof(next), "%s", json_string_value(nx));
			rk_resp_release(&r);
			continue;
		}
		assert_true(json_is_false(more));
		assert_null(nx);
		rk_resp_release(&r);
		break;
	}
	assert_int_equal(got, n);
	int expect_pages = n == 0 ? 1 : (n + (int)limit - 1) / (int)limit;
	assert_int_equal(pages, expect_pages);
}

#define WALK(f, ep, q, lim, ...)                                                                   \
	do {                                                                                       \
		static const int want_[] = {__VA_ARGS__};                                          \
		walk((f), (ep), (q), (lim), want_, (int)(sizeof(want_) / sizeof(want_[0])));       \
	} while (0)

static void t_limit_and_next(void **state)
{
	struct fixture *f = *state;
	static const char *const eps[] = {"manifest", "objects"};

	for (int e = 0; e < 2; e++) {
		for (unsigned lim = 1; lim <= 8; lim++)
			WALK(f, eps[e], "match[version]=all", lim, 0, 1, 2, 3, 4, 5, 6);
		WALK(f, eps[e], "", 1, 1, 4, 5, 6);
		WALK(f, eps[e], "", 3, 1, 4, 5, 6);
		WALK(f, eps[e], "match[type]=indicator&match[version]=all", 2, 0, 2, 3, 4, 6);
		WALK(f, eps[e], "match[version]=first", 3, 0, 1, 3, 5);
	}
	char q[256];
	snprintf(q, sizeof(q), "added_after=%s&match[version]=all", f->added[1]);
	WALK(f, "objects", q, 2, 2, 3, 4, 5, 6);
	snprintf(q, sizeof(q), "match[id]=%s,%s&match[version]=all", f->id[0], f->id[2]);
	WALK(f, "manifest", q, 2, 0, 2, 3, 4, 6);
}

static void t_next_with_new_data(void **state)
{
	struct fixture *f = *state;
	struct rk_resp r;

	/* A page's next, then more objects added: the walk goes on from where
	 * it was and sees the new one at the end, nothing twice. */
	rk_get(f->h, &r, READER, FC "manifest/?match[version]=all&limit=4");
	json_t *d = rk_assert_ok(&r);
	char next[512];
	snprintf(next, sizeof(next), "%s", json_string_value(json_object_get(d, "next")));
	rk_resp_release(&r);

	struct rk_obj o = {.type = "campaign", .modified = "2025-06-01T00:00:00.000Z"};
	char id[RK_ID_MAX];
	char *obj = rk_stix(&o, id);
	char *env = rk_envelope(&obj, 1);
	rk_post(f->h, &r, "mod-analyst", env, FC "objects/");
	assert_int_equal(r.status, 202);
	rk_resp_release(&r);

	rk_get(f->h, &r, READER, FC "manifest/?match[version]=all&limit=10&next=%s", next);
	d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "objects");
	assert_int_equal(json_array_size(list), 4);
	for (int i = 0; i < 3; i++)
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(list, (size_t)i), "id")),
			rec_id(f, 4 + i));
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "id")), id);
	rk_resp_release(&r);

	/* Take it away again: the other tests count on seven records. */
	rk_delete(f->h, &r, "mod-analyst", FC "objects/%s/", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	free(obj);
	free(env);
}

/* §3.5: a client may page with added_after = X-TAXII-Date-Added-Last
 * instead of next; it must neither skip nor repeat a record. */
static void t_paging_by_added_after(void **state)
{
	struct fixture *f = *state;
	char after[64] = "2000-01-01T00:00:00.000000Z";
	int got = 0;

	for (int pages = 0; pages < 20; pages++) {
		struct rk_resp r;
		rk_get(f->h, &r, READER, FC "manifest/?match[version]=all&limit=2&added_after=%s",
		       after);
		json_t *d = rk_assert_ok(&r);
		json_t *list = json_object_get(d, "objects");
		if (!json_array_size(list)) {
			assert_int_equal(json_object_size(d), 0);
			rk_resp_release(&r);
			break;
		}
		for (size_t i = 0; i < json_array_size(list); i++) {
			assert_true(got < N_REC);
			assert_string_equal(
				json_string_value(json_object_get(json_array_get(list, i), "id")),
				rec_id(f, got));
			got++;
		}
		assert_true(r.has_date_last);
		snprintf(after, sizeof(after), "%s", r.date_last);
		rk_resp_release(&r);
	}
	assert_int_equal(got, N_REC);
}

static void t_bad_filters(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"limit=0",
		"limit=abc",
		"limit=-1",
		"limit=10x",
		"match[version]=all,first",
		"match[version]=all,2025-02-01T00:00:00.000Z",
		"match[version]=latest",
		"added_after=2025-02-30T00:00:00Z",
		"next=%2F%2F%2F",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int e = 0; e < 2; e++) {
			struct rk_resp r;
			rk_get(f->h, &r, READER, FC "%s/?%s", e ? "objects" : "manifest", bad[i]);
			if (r.status != 400)
				fprintf(stderr, "?%s: %ld\n", bad[i], r.status);
			rk_assert_error(&r, 400);
			rk_resp_release(&r);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_manifest_records),	cmocka_unit_test(t_match_version),
		cmocka_unit_test(t_match_type_and_id),	cmocka_unit_test(t_added_after),
		cmocka_unit_test(t_match_spec_version), cmocka_unit_test(t_limit_and_next),
		cmocka_unit_test(t_next_with_new_data), cmocka_unit_test(t_paging_by_added_after),
		cmocka_unit_test(t_bad_filters),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
