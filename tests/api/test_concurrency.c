/*
 * test_concurrency.c - many writers and readers at once: 8 threads each
 * POST 20 envelopes of 50 new objects (8,000 objects) to one collection as
 * six organisations, while 2 threads keep reading the manifest. Every POST
 * must be a 202 with 50 successes, every read a 200, and afterwards the
 * manifest must hold every object exactly once, in strictly ascending
 * date_added (each object has its own; docs/decisions.md).
 *
 * Runs the real `renkei serve` on a demo hub (harness.h). The threads record
 * what they saw; only the main thread asserts (cmocka is not thread-safe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N_THREADS 8
#define N_POSTS	  20
#define N_OBJS	  50
#define N_READERS 2
#define TS	  RK_COLLS "threat-sharing/"
#define TOTAL	  (N_THREADS * N_POSTS * N_OBJS)

static const char *const writers[] = {"mod-analyst", "meti-analyst", "ipa-analyst",
				      "sdf-analyst", "towa-analyst", "hokushin-analyst"};

struct writer {
	struct rk_hub *h;
	int n;
	char (*ids)[RK_ID_MAX]; /* N_POSTS * N_OBJS */
	int bad;		/* POSTs that were not 202 with N_OBJS successes */
	char first_error[800];
	char status_id[64]; /* of its last POST */
};

struct reader {
	struct rk_hub *h;
	atomic_bool *stop;
	int reads, bad;
	char first_error[800];
};

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	if (rk_serve_start(h, "--threads", "4", NULL)) {
		rk_hub_free(h);
		return -1;
	}
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct rk_hub *h = *state;
	if (!h)
		return 0;
	int rc = h->pid > 0 ? rk_serve_stop(h) : 0;
	rk_hub_free(h);
	return rc == 0 ? 0 : -1;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	const struct rk_cred *c = rk_cred(w->h, writers[w->n % 6]);

	for (int p = 0; p < N_POSTS; p++) {
		char *objs[N_OBJS];
		for (int i = 0; i < N_OBJS; i++) {
			char name[64];
			snprintf(name, sizeof(name), "thread %d post %d object %d 並行", w->n, p,
				 i);
			struct rk_obj o = {.modified = "2025-11-01T00:00:00.000Z", .name = name};
			objs[i] = rk_stix(&o, w->ids[p * N_OBJS + i]);
		}
		char *env = rk_envelope(objs, N_OBJS);
		struct rk_resp r;
		/* Bearer for some threads, Basic with a password for the others. */
		struct rk_req rq = {.path = TS "objects/",
				    .auth = w->n % 2 ? c->bearer : c->basic,
				    .body = env,
				    .len = strlen(env)};
		rk_request(w->h, &rq, &r);
		bool ok = r.status == 202 &&
			  json_integer_value(json_object_get(r.json, "success_count")) == N_OBJS &&
			  json_integer_value(json_object_get(r.json, "failure_count")) == 0;
		if (!ok && !w->bad++)
			snprintf(w->first_error, sizeof(w->first_error), "POST %d: %ld %s %.300s",
				 p, r.status, r.error, r.body);
		if (ok)
			snprintf(w->status_id, sizeof(w->status_id), "%s",
				 json_string_value(json_object_get(r.json, "id")));
		rk_resp_release(&r);
		free(env);
		for (int i = 0; i < N_OBJS; i++)
			free(objs[i]);
	}
	return NULL;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	while (!atomic_load(rd->stop)) {
		struct rk_resp r;
		rk_get(rd->h, &r, "ipa-analyst", TS "manifest/?limit=200&match[version]=all");
		rd->reads++;
		if (r.status != 200 && !rd->bad++)
			snprintf(rd->first_error, sizeof(rd->first_error), "%ld %s %.300s",
				 r.status, r.error, r.body);
		rk_resp_release(&r);
	}
	return NULL;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Walks the whole manifest of threat-sharing; returns every record's id
 * (malloc'd, *n of them), asserting strictly ascending date_added. */
static char (*walk_manifest(struct rk_hub *h, size_t *n))[RK_ID_MAX]
{
	char next[512] = "", prev[64] = "";
	size_t cap = TOTAL + 1000, got = 0;
	char(*ids)[RK_ID_MAX] = calloc(cap, sizeof(*ids));
	assert_non_null(ids);
	for (int pages = 0; pages < 1000; pages++) {
		struct rk_resp r;
		rk_get(h, &r, "mod-analyst", TS "manifest/?match[version]=all&limit=1000%s%s",
		       next[0] ? "&next=" : "", next);
		json_t *d = rk_assert_ok(&r);
		json_t *list = json_object_get(d, "objects");
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *m = json_array_get(list, i);
			const char *da = json_string_value(json_object_get(m, "date_added"));
			assert_non_null(da);
			if (prev[0] && strcmp(prev, da) >= 0)
				fprintf(stderr, "date_added %s after %s\n", da, prev);
			assert_true(!prev[0] || strcmp(prev, da) < 0);
			snprintf(prev, sizeof(prev), "%s", da);
			assert_true(got < cap);
			snprintf(ids[got++], RK_ID_MAX, "%s",
				 json_string_value(json_object_get(m, "id")));
		}
		json_t *nx = json_object_get(d, "next");
		bool more = json_is_true(json_object_get(d, "more"));
		if (more)
			snprintf(next, sizeof(next), "%s", json_string_value(nx));
		rk_resp_release(&r);
		if (!more)
			break;
	}
	*n = got;
	return ids;
}

static void t_concurrent_posts(void **state)
{
	struct rk_hub *h = *state;
	struct writer w[N_THREADS];
	struct reader rd[N_READERS];
	pthread_t wt[N_THREADS], rt[N_READERS];
	atomic_bool stop = false;
	size_t before = 0;

	free(walk_manifest(h, &before));
	memset(w, 0, sizeof(w));
	memset(rd, 0, sizeof(rd));
	for (int i = 0; i < N_READERS; i++) {
		rd[i].h = h;
		rd[i].stop = &stop;
		assert_int_equal(pthread_create(&rt[i], NULL, reader_main, &rd[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++) {
		w[i].h = h;
		w[i].n = i;
		w[i].ids = calloc(N_POSTS * N_OBJS, sizeof(*w[i].ids));
		assert_non_null(w[i].ids);
		assert_int_equal(pthread_create(&wt[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < N_READERS; i++)
		pthread_join(rt[i], NULL);

	int bad = 0;
	for (int i = 0; i < N_THREADS; i++) {
		if (w[i].bad)
			fprintf(stderr, "writer %d: %d bad POSTs; first: %s\n", i, w[i].bad,
				w[i].first_error);
		bad += w[i].bad;
	}
	for (int i = 0; i < N_READERS; i++) {
		if (rd[i].bad)
			fprintf(stderr, "reader %d: %d of %d reads bad; first: %s\n", i, rd[i].bad,
				rd[i].reads, rd[i].first_error);
		bad += rd[i].bad;
	}
	assert_int_equal(bad, 0);

	/* Every status resource is there, for its organisation. */
	for (int i = 0; i < N_THREADS; i++) {
		struct rk_resp r;
		rk_get(h, &r, writers[i % 6], RK_ROOT "status/%s/", w[i].status_id);
		json_t *st = rk_assert_ok(&r);
		assert_int_equal(json_integer_value(json_object_get(st, "success_count")), N_OBJS);
		rk_resp_release(&r);
	}

	/* The manifest: the old records and exactly the 8,000 new ones. */
	size_t n = 0;
	char(*got)[RK_ID_MAX] = walk_manifest(h, &n);
	if (n != before + TOTAL)
		fprintf(stderr, "%zu records, expected %zu + %d\n", n, before, TOTAL);
	assert_int_equal(n, before + TOTAL);
	qsort(got, n, sizeof(*got), cmp_id);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(got[i - 1], got[i]) != 0);
	int missing = 0;
	for (int i = 0; i < N_THREADS; i++) {
		for (int k = 0; k < N_POSTS * N_OBJS; k++)
			if (!bsearch(w[i].ids[k], got, n, sizeof(*got), cmp_id))
				missing++;
		free(w[i].ids);
	}
	assert_int_equal(missing, 0);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_concurrent_posts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
