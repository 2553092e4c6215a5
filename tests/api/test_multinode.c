/*
 * test_multinode.c - two `renkei serve` processes on one database (DESIGN.md
 * §5: several stateless nodes on one PostgreSQL; on SQLite, two processes on
 * one WAL file). While six writers (three a node, six organisations) POST
 * envelopes of new indicators (with short pauses) through both nodes, two pagers walk
 * threat-sharing with `limit` and `next`, switching node at every page (a
 * cursor from one node is used on the other), and start again with
 * `added_after` = the last X-TAXII-Date-Added-Last they saw, until the
 * writers are done. Then: each pager saw every posted object exactly once (a
 * late commit was neither skipped nor repeated), every status is complete
 * with all its objects on either node, a full walk through each node gives
 * the same objects in the same order, and the audit chain is one intact
 * chain.
 *
 * Runs the real binary twice on one demo hub (harness.h: rk_hub_node). The
 * threads record what they saw; only the main thread asserts (cmocka is not
 * thread-safe).
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
#include <unistd.h>

#include "harness.h"

#define N_WRITERS 6 /* three a node */
#define N_POSTS	  20
#define N_OBJS	  5
#define N_PAGERS  2
#define PAGE	  7 /* small, so that most pages end in a cursor */
#define TS	  RK_COLLS "threat-sharing/"
#define TOTAL	  (N_WRITERS * N_POSTS * N_OBJS)
#define SEEN_MAX  (TOTAL * 4 + 4096)
#define READER	  "mod-analyst" /* a party: sees every object of the parties' scope */

static const char *const writers[] = {"mod-analyst", "meti-analyst", "ipa-analyst",
				      "sdf-analyst", "towa-analyst", "hokushin-analyst"};

struct fixture {
	struct rk_hub *node[2];
};

struct writer {
	struct rk_hub *h;
	int n;
	char (*ids)[RK_ID_MAX];	  /* N_POSTS * N_OBJS */
	char status[N_POSTS][64]; /* the id of each POST's status */
	int bad;		  /* POSTs that were not 202 with N_OBJS successes */
	char first_error[800];
};

struct pager {
	struct rk_hub **node;
	int first; /* the node of its first page */
	atomic_int *writers_left;
	char (*seen)[RK_ID_MAX]; /* every id of every page, in order */
	size_t n_seen;
	int passes, full_passes, pages, bad; /* full: that found something */
	char first_error[800];
	char pass_log[2048]; /* " [added_after:+objects]" of each pass that found some */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	*state = f;
	f->node[0] = rk_hub_new();
	if (!f->node[0])
		return -1;
	f->node[1] = rk_hub_node(f->node[0]);
	if (!f->node[1])
		return -1;
	if (rk_serve_start(f->node[0], "--threads", "4", NULL) ||
	    rk_serve_start(f->node[1], "--threads", "4", NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = 0;
	if (!f)
		return 0;
	for (int i = 1; i >= 0; i--) {
		if (f->node[i] && f->node[i]->pid > 0 && rk_serve_stop(f->node[i]) != 0)
			rc = -1;
		rk_hub_free(f->node[i]); /* the second node first: it shares the first's hub */
	}
	free(f);
	return rc;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	const struct rk_cred *c = rk_cred(w->h, writers[w->n]);

	for (int p = 0; p < N_POSTS; p++) {
		char *objs[N_OBJS];
		for (int i = 0; i < N_OBJS; i++) {
			char name[80];
			snprintf(name, sizeof(name), "writer %d post %d object %d 複数ノード", w->n,
				 p, i);
			struct rk_obj o = {.modified = "2025-12-01T00:00:00.000Z", .name = name};
			objs[i] = rk_stix(&o, w->ids[p * N_OBJS + i]);
		}
		char *env = rk_envelope(objs, N_OBJS);
		struct rk_resp r;
		struct rk_req rq = {.path = TS "objects/",
				    .auth = p % 2 ? c->bearer : c->basic,
				    .body = env,
				    .len = strlen(env)};
		rk_request(w->h, &rq, &r);
		const char *sid = json_string_value(json_object_get(r.json, "id"));
		bool ok = r.status == 202 && sid &&
			  json_integer_value(json_object_get(r.json, "success_count")) == N_OBJS &&
			  json_integer_value(json_object_get(r.json, "failure_count")) == 0;
		if (!ok && !w->bad++)
			snprintf(w->first_error, sizeof(w->first_error), "POST %d: %ld %s %.300s",
				 p, r.status, r.error, r.body);
		snprintf(w->status[p], sizeof(w->status[p]), "%s", sid ? sid : "");
		rk_resp_release(&r);
		free(env);
		for (int i = 0; i < N_OBJS; i++)
			free(objs[i]);
		/* A pause of 5-25 ms, so that the pagers' passes fall between and
		 * across the commits rather than after them all. */
		usleep((useconds_t)(5000 + (w->n * 7919 + p * 104729) % 20000));
	}
	return NULL;
}

/* One page as READER through node k; records its ids, the next cursor
 * ("" at the end) and the page's X-TAXII-Date-Added-Last. -1 on an answer
 * that is not a good page. */
static int page(struct pager *pg, int k, const char *added_after, char next[512], char last[64])
{
	struct rk_sb q = {0};
	struct rk_resp r;
	int rc = 0;

	rk_sb_addf(&q, TS "objects/?limit=%d", PAGE);
	if (added_after[0])
		rk_sb_addf(&q, "&added_after=%s", added_after);
	if (next[0])
		rk_sb_addf(&q, "&next=%s", next);
	rk_get(pg->node[k], &r, READER, "%s", q.s);
	pg->pages++;
	json_t *list = json_object_get(r.json, "objects");
	bool more = json_is_true(json_object_get(r.json, "more"));
	const char *nx = json_string_value(json_object_get(r.json, "next"));
	if (r.status != 200 || (more && !nx) || (json_array_size(list) && !r.has_date_last)) {
		if (!pg->bad++)
			snprintf(pg->first_error, sizeof(pg->first_error),
				 "node %d GET %s: %ld %s %.300s", k + 1, q.s, r.status, r.error,
				 r.body);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(list, i), "id"));
		if (pg->n_seen < SEEN_MAX)
			snprintf(pg->seen[pg->n_seen++], RK_ID_MAX, "%s", id ? id : "?");
	}
	if (json_array_size(list))
		snprintf(last, 64, "%s", r.date_last);
	snprintf(next, 512, "%s", more ? nx : "");
out:
	rk_resp_release(&r);
	rk_sb_release(&q);
	return rc;
}

static void *pager_main(void *arg)
{
	struct pager *pg = arg;
	char added_after[64] = "", last[64] = "";
	int k = pg->first;
	size_t log_len = 0;

	for (;;) {
		/* A pass that starts after the last writer ended is the last. */
		bool final = atomic_load(pg->writers_left) == 0;
		char next[512] = "";
		size_t before = pg->n_seen;
		pg->passes++;
		do {
			if (page(pg, k, added_after, next, last))
				return NULL;
			k = 1 - k; /* the next page through the other node */
		} while (next[0]);
		if (pg->n_seen > before) {
			pg->full_passes++;
			if (log_len < sizeof(pg->pass_log) - 100)
				log_len += (size_t)snprintf(
					pg->pass_log + log_len, sizeof(pg->pass_log) - log_len,
					" [%s:+%zu]", added_after[0] ? added_after : "-",
					pg->n_seen - before);
		}
		snprintf(added_after, sizeof(added_after), "%s", last);
		if (final || pg->n_seen >= SEEN_MAX)
			return NULL;
		if (pg->n_seen == before)
			usleep(2000); /* nothing new: give the writers a moment */
	}
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Prints, for a missing id, where the manifest puts it (for a post-mortem). */
static void explain_missing(struct rk_hub *h, const char *id)
{
	struct rk_resp r;
	rk_get(h, &r, READER, TS "manifest/?match[id]=%s", id);
	json_t *m = json_array_get(json_object_get(r.json, "objects"), 0);
	fprintf(stderr, "  %s: date_added %s\n", id,
		m ? json_string_value(json_object_get(m, "date_added")) : "(not in the manifest)");
	rk_resp_release(&r);
}

/* Whether st is a complete status of one whole envelope. */
static bool status_complete(json_t *st)
{
	const char *s = json_string_value(json_object_get(st, "status"));
	return s && !strcmp(s, "complete") &&
	       json_integer_value(json_object_get(st, "success_count")) == N_OBJS &&
	       json_integer_value(json_object_get(st, "total_count")) == N_OBJS;
}

/* Walks threat-sharing through one node only; returns the ids in order. */
static json_t *walk_all(struct rk_hub *h)
{
	json_t *ids = json_array();
	assert_non_null(ids);
	long pages = rk_walk(h, READER, TS "objects/", 50, ids, 10000);
	assert_true(pages > 0);
	return ids;
}

static void t_two_nodes(void **state)
{
	struct fixture *f = *state;
	struct writer w[N_WRITERS];
	struct pager pg[N_PAGERS];
	pthread_t wt[N_WRITERS], pt[N_PAGERS];
	atomic_int writers_left = N_WRITERS;
	char(*posted)[RK_ID_MAX] = calloc(TOTAL, sizeof(*posted));

	assert_non_null(posted);
	memset(w, 0, sizeof(w));
	memset(pg, 0, sizeof(pg));
	json_t *before = walk_all(f->node[0]);

	for (int i = 0; i < N_PAGERS; i++) {
		pg[i].node = f->node;
		pg[i].first = i % 2;
		pg[i].writers_left = &writers_left;
		pg[i].seen = calloc(SEEN_MAX, sizeof(*pg[i].seen));
		assert_non_null(pg[i].seen);
	}
	for (int i = 0; i < N_WRITERS; i++) {
		w[i].h = f->node[i % 2];
		w[i].n = i;
		w[i].ids = posted + (size_t)i * N_POSTS * N_OBJS;
	}
	for (int i = 0; i < N_PAGERS; i++)
		assert_int_equal(pthread_create(&pt[i], NULL, pager_main, &pg[i]), 0);
	for (int i = 0; i < N_WRITERS; i++)
		assert_int_equal(pthread_create(&wt[i], NULL, writer_main, &w[i]), 0);
	for (int i = 0; i < N_WRITERS; i++) {
		pthread_join(wt[i], NULL);
		atomic_fetch_sub(&writers_left, 1);
	}
	for (int i = 0; i < N_PAGERS; i++)
		pthread_join(pt[i], NULL);

	int bad = 0;
	for (int i = 0; i < N_WRITERS; i++) {
		if (w[i].bad)
			fprintf(stderr, "writer %d (node %d): %d bad POSTs; first: %s\n", i,
				i % 2 + 1, w[i].bad, w[i].first_error);
		bad += w[i].bad;
	}
	for (int i = 0; i < N_PAGERS; i++) {
		fprintf(stderr, "pager %d: %d passes (%d found objects), %d pages, %zu objects\n",
			i, pg[i].passes, pg[i].full_passes, pg[i].pages, pg[i].n_seen);
		if (pg[i].bad)
			fprintf(stderr, "pager %d: %d bad pages; first: %s\n", i, pg[i].bad,
				pg[i].first_error);
		bad += pg[i].bad;
	}
	assert_int_equal(bad, 0);

	/* Each pager saw each posted object exactly once, and nothing twice. */
	char(*sorted_posted)[RK_ID_MAX] = calloc(TOTAL, sizeof(*sorted_posted));
	assert_non_null(sorted_posted);
	memcpy(sorted_posted, posted, TOTAL * sizeof(*posted));
	qsort(sorted_posted, TOTAL, sizeof(*sorted_posted), cmp_id);
	for (int i = 0; i < N_PAGERS; i++) {
		size_t n = pg[i].n_seen, dups = 0, missing = 0, shown = 0;
		assert_true(n < SEEN_MAX);
		qsort(pg[i].seen, n, sizeof(*pg[i].seen), cmp_id);
		for (size_t k = 1; k < n; k++)
			if (!strcmp(pg[i].seen[k - 1], pg[i].seen[k]) && dups++ < 5)
				fprintf(stderr, "pager %d saw %s twice\n", i, pg[i].seen[k]);
		for (size_t k = 0; k < TOTAL; k++) {
			if (bsearch(sorted_posted[k], pg[i].seen, n, sizeof(*pg[i].seen), cmp_id))
				continue;
			if (!missing++)
				fprintf(stderr, "pager %d never saw these posted objects:\n", i);
			if (shown++ < 5)
				explain_missing(f->node[0], sorted_posted[k]);
		}
		if (missing || dups)
			fprintf(stderr,
				"pager %d: %zu of %d posted objects missing, %zu repeated; its "
				"passes:%s\n",
				i, missing, TOTAL, dups, pg[i].pass_log);
		assert_int_equal(missing, 0);
		assert_int_equal(dups, 0);
	}

	/* Every status is complete with all its objects, on both nodes. */
	int incomplete = 0;
	for (int i = 0; i < N_WRITERS; i++)
		for (int p = 0; p < N_POSTS; p++)
			for (int k = 0; k < 2; k++) {
				struct rk_resp r;
				rk_get(f->node[k], &r, writers[i], RK_ROOT "status/%s/",
				       w[i].status[p]);
				if (!(r.status == 200 && status_complete(r.json)) &&
				    incomplete++ < 5)
					fprintf(stderr, "status %s on node %d: %ld %.300s\n",
						w[i].status[p], k + 1, r.status, r.body);
				rk_resp_release(&r);
			}
	assert_int_equal(incomplete, 0);

	/* A full walk through each node: the same objects in the same order,
	 * the ones from before and every posted one. */
	json_t *all1 = walk_all(f->node[0]);
	json_t *all2 = walk_all(f->node[1]);
	size_t n1 = json_array_size(all1);
	if (n1 != json_array_size(before) + TOTAL)
		fprintf(stderr, "node 1 walk: %zu objects, expected %zu + %d\n", n1,
			json_array_size(before), TOTAL);
	assert_int_equal(n1, json_array_size(before) + TOTAL);
	assert_true(json_equal(all1, all2));
	for (size_t k = 0; k < json_array_size(before); k++)
		assert_string_equal(json_string_value(json_array_get(all1, k)),
				    json_string_value(json_array_get(before, k)));
	json_decref(before);
	json_decref(all1);
	json_decref(all2);

	/* One chain, whoever wrote its entries. */
	char *out = NULL;
	int rc = rk_cli(f->node[0], NULL, &out, "audit", "verify", NULL);
	if (rc != 0 || !out || !strstr(out, "intact"))
		fprintf(stderr, "audit verify: exit %d: %s\n", rc, out ? out : "");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "audit chain intact"));
	free(out);

	for (int i = 0; i < N_PAGERS; i++)
		free(pg[i].seen);
	free(sorted_posted);
	free(posted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_two_nodes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
