/*
 * test_pagination.c - TAXII 2.1 §3.7 pagination over 10,000 objects that
 * share ONE date_added (renkei import --one-date-added): walking with
 * limit=500 and next, a server restart in the middle of the walk (the cursor
 * must stay valid), no duplicates, no gaps, the exact count; limit capped at
 * page_max, the page_default, and added_after around the shared instant.
 *
 * Runs the real `renkei serve` on a demo hub (harness.h) with a collection
 * 'bulk' of its own.
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

#define N_BULK 10000
#define BULK   RK_COLLS "bulk/"
#define READER "mod-reader" /* another user of the provider */

struct fixture {
	struct rk_hub *h;
	char (*ids)[RK_ID_MAX]; /* the imported ids, sorted */
	char added[64];		/* their one date_added */
};

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rk_sb env = {0};
	char path[RK_PATH_MAX + 32];
	char *out = NULL;

	if (!f)
		return -1;
	*state = f; /* from here on, teardown frees what setup made */
	f->ids = calloc(N_BULK, sizeof(*f->ids));
	f->h = rk_hub_new();
	if (!f->ids || !f->h)
		return -1;
	rk_sb_adds(&env, "{\"objects\":[");
	for (int i = 0; i < N_BULK; i++) {
		char name[64];
		snprintf(name, sizeof(name), "bulk indicator %05d 一括", i);
		struct rk_obj o = {.modified = "2025-08-01T00:00:00.000Z", .name = name};
		char *obj = rk_stix(&o, f->ids[i]);
		if (i)
			rk_sb_adds(&env, ",\n");
		rk_sb_adds(&env, obj);
		free(obj);
	}
	rk_sb_adds(&env, "]}");
	snprintf(path, sizeof(path), "%s/bulk.json", f->h->dir);
	int rc = rk_write_file(path, env.s, env.len);
	rk_sb_release(&env);
	if (rc ||
	    rk_cli(f->h, NULL, NULL, "collection", "add", "--title", "bulk", "--alias", "bulk",
		   NULL) ||
	    rk_cli(f->h, NULL, NULL, "collection", "grant", "bulk", "--org", "mod-dbp", "--read",
		   "--write", NULL) ||
	    rk_add_user(f->h, "mod-reader", "mod-dbp", "mod-reader-password"))
		return -1;
	rc = rk_cli(f->h, NULL, &out, "import", path, "--collection", "bulk", "--org", "mod-dbp",
		    "--one-date-added", NULL);
	json_t *st = out ? json_loads(out, 0, NULL) : NULL;
	bool ok = rc == 0 && st &&
		  json_integer_value(json_object_get(st, "success_count")) == N_BULK &&
		  json_integer_value(json_object_get(st, "failure_count")) == 0;
	if (!ok)
		fprintf(stderr, "import: exit %d: %.300s\n", rc, out ? out : "");
	json_decref(st);
	free(out);
	if (!ok || rk_serve_start(f->h, NULL))
		return -1;
	qsort(f->ids, N_BULK, sizeof(*f->ids), cmp_id);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	int rc = f->h && f->h->pid > 0 ? rk_serve_stop(f->h) : 0;
	rk_hub_free(f->h);
	free(f->ids);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Asserts that ids (a JSON array of strings) is exactly the imported set. */
static void assert_exact_set(struct fixture *f, json_t *ids)
{
	size_t n = json_array_size(ids);
	if (n != N_BULK)
		fprintf(stderr, "%zu ids, expected %d\n", n, N_BULK);
	assert_int_equal(n, N_BULK);
	char(*got)[RK_ID_MAX] = calloc(n, sizeof(*got));
	assert_non_null(got);
	for (size_t i = 0; i < n; i++) {
		assert_true(json_is_string(json_array_get(ids, i)));
		snprintf(got[i], RK_ID_MAX, "%s", json_string_value(json_array_get(ids, i)));
	}
	qsort(got, n, sizeof(*got), cmp_id);
	size_t dups = 0, missing = 0;
	for (size_t i = 1; i < n; i++)
		if (!strcmp(got[i - 1], got[i]))
			dups++;
	for (size_t i = 0; i < n; i++)
		if (strcmp(got[i], f->ids[i]))
			missing++;
	if (dups || missing)
		fprintf(stderr, "%zu duplicates, %zu positions differ from the imported set\n",
			dups, missing);
	assert_int_equal(dups, 0);
	assert_int_equal(missing, 0);
	free(got);
}

static void t_one_date_added(void **state)
{
	struct fixture *f = *state;
	struct rk_resp r;

	rk_get(f->h, &r, READER, BULK "manifest/?limit=1000");
	json_t *d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "objects");
	assert_int_equal(json_array_size(list), 1000);
	assert_true(json_is_true(json_object_get(d, "more")));
	assert_true(json_is_string(json_object_get(d, "next")));
	snprintf(f->added, sizeof(f->added), "%s",
		 json_string_value(json_object_get(json_array_get(list, 0), "date_added")));
	assert_true(rk_is_micro_ts(f->added));
	for (size_t i = 0; i < json_array_size(list); i++)
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(list, i), "date_added")),
			f->added);
	assert_string_equal(r.date_first, f->added);
	assert_string_equal(r.date_last, f->added);
	rk_resp_release(&r);

	/* added_after the shared instant: nothing (exclusive). */
	rk_get(f->h, &r, READER, BULK "objects/?added_after=%s", f->added);
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);
}

/* One page of the objects walk: appends its ids, returns its next ("" when
 * it is the last page) and asserts its shape. */
static void objects_page(struct fixture *f, const char *query, unsigned limit, size_t want,
			 json_t *ids, char next[512])
{
	struct rk_resp r;
	if (next[0])
		rk_get(f->h, &r, READER, BULK "objects/?%slimit=%u&next=%s", query, limit, next);
	else
		rk_get(f->h, &r, READER, BULK "objects/?%slimit=%u", query, limit);
	json_t *d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "objects");
	if (json_array_size(list) != want)
		fprintf(stderr, "page of %zu objects, expected %zu\n", json_array_size(list), want);
	assert_int_equal(json_array_size(list), want);
	for (size_t i = 0; i < json_array_size(list); i++)
		json_array_append(ids, json_object_get(json_array_get(list, i), "id"));
	if (f->added[0]) {
		assert_string_equal(r.date_first, f->added);
		assert_string_equal(r.date_last, f->added);
	}
	json_t *nx = json_object_get(d, "next");
	if (json_is_true(json_object_get(d, "more"))) {
		assert_true(json_is_string(nx));
		snprintf(next, 512, "%s", json_string_value(nx));
	} else {
		assert_true(json_is_false(json_object_get(d, "more")));
		assert_null(nx);
		next[0] = '\0';
	}
	rk_resp_release(&r);
}

static void t_walk_across_restart(void **state)
{
	struct fixture *f = *state;
	json_t *ids = json_array();
	char next[512] = "";
	int pages = 0;

	for (;;) {
		objects_page(f, "", 500, 500, ids, next);
		pages++;
		if (pages == 10) {
			/* The cursor is self-contained: a new process takes it. */
			assert_int_equal(rk_serve_restart(f->h), 0);
		}
		if (!next[0])
			break;
		assert_true(pages < 20);
	}
	assert_int_equal(pages, 20);
	assert_exact_set(f, ids);
	json_decref(ids);

	/* The manifest walks the same way. */
	ids = json_array();
	assert_int_equal(rk_walk(f->h, READER, BULK "manifest/", 500, ids, 100), 20);
	assert_exact_set(f, ids);
	json_decref(ids);
}

static void t_added_after_before_the_instant(void **state)
{
	struct fixture *f = *state;
	char q[128];
	/* One microsecond before: every object, paged with next. */
	char before[64];
	rk_ts_shift(f->added, -1, before);
	snprintf(q, sizeof(q), BULK "objects/?added_after=%s", before);
	json_t *ids = json_array();
	assert_int_equal(rk_walk(f->h, READER, q, 1000, ids, 100), 10);
	assert_exact_set(f, ids);
	json_decref(ids);
}

static void t_page_max_caps_limit(void **state)
{
	struct fixture *f = *state;
	json_t *ids = json_array();
	char next[512] = "";
	int pages = 0;

	assert_int_equal(rk_serve_stop(f->h), 0);
	assert_int_equal(rk_serve_start(f->h, "--page-max", "300", "--page-default", "120", NULL),
			 0);
	/* §3.4.1: a limit above the server's maximum gets the maximum. */
	for (;;) {
		size_t want = pages < 33 ? 300 : N_BULK - 33 * 300;
		objects_page(f, "", 500, want, ids, next);
		pages++;
		if (!next[0])
			break;
		assert_true(pages < 34);
	}
	assert_int_equal(pages, 34);
	assert_exact_set(f, ids);
	json_decref(ids);

	/* Without a limit: the page_default. */
	struct rk_resp r;
	rk_get(f->h, &r, READER, BULK "manifest/");
	json_t *d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 120);
	assert_true(json_is_true(json_object_get(d, "more")));
	rk_resp_release(&r);
	rk_get(f->h, &r, READER, BULK "manifest/?limit=100000");
	d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 300);
	rk_resp_release(&r);

	/* A cursor issued under one page_max is good under another. */
	rk_get(f->h, &r, READER, BULK "manifest/?limit=250");
	d = rk_assert_ok(&r);
	snprintf(next, sizeof(next), "%s", json_string_value(json_object_get(d, "next")));
	rk_resp_release(&r);
	assert_int_equal(rk_serve_stop(f->h), 0);
	assert_int_equal(rk_serve_start(f->h, NULL), 0);
	ids = json_array();
	size_t total = 250;
	while (next[0]) {
		size_t left = N_BULK - total;
		objects_page(f, "", 1000, left < 1000 ? left : 1000, ids, next);
		total += left < 1000 ? left : 1000;
	}
	assert_int_equal(total, N_BULK);
	assert_int_equal(json_array_size(ids), N_BULK - 250);
	json_decref(ids);
}

/* A page also ends at the server's byte budget (max_page_bytes) before the
 * limit: more and next must then still lead through every object once. */
static void t_page_bytes_cap(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(rk_serve_stop(f->h), 0);
	assert_int_equal(rk_serve_start(f->h, "--max-page-bytes", "65536", NULL), 0);
	json_t *ids = json_array();
	long pages = rk_walk(f->h, READER, BULK "objects/", 500, ids, 1000);
	if (pages < 21)
		fprintf(stderr, "%ld pages: the byte budget did not cut any\n", pages);
	assert_true(pages >= 21);
	assert_exact_set(f, ids);
	json_decref(ids);
	assert_int_equal(rk_serve_stop(f->h), 0);
	assert_int_equal(rk_serve_start(f->h, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_one_date_added),
		cmocka_unit_test(t_walk_across_restart),
		cmocka_unit_test(t_added_after_before_the_instant),
		cmocka_unit_test(t_page_max_caps_limit),
		cmocka_unit_test(t_page_bytes_cap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
