/*
 * test_snapshot.c - a server connection keeps its read snapshot from one
 * request to the next while the data has not changed (store.c); these tests
 * make sure that what it serves is never older than the last change:
 *
 * - an object posted on one connection is served at once to another
 *   organisation, over and over, while reader threads keep every pooled
 *   connection busy now and then, so that each holds a snapshot;
 * - a change made by another process (the CLI) is seen by the next request;
 * - a page's disclosure entry - an audit event, which moves no data
 *   generation - is listed by the audit API right after the page.
 *
 * Runs the real `renkei serve` (harness.h), on SQLite or PostgreSQL.
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

#define TS	  RK_COLLS "threat-sharing/"
#define ROUNDS	  60
#define N_READERS 4
#define AUDITOR	  "snap-auditor"

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
	rk_hub_free(*state);
	return 0;
}

/* Reads the first page of the collection as user (a 200 or an empty 200). */
static void read_page(struct rk_hub *h, const char *user)
{
	struct rk_resp r;
	assert_int_equal(rk_get(h, &r, user, TS "objects/?limit=5"), 0);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
}

struct reader {
	struct rk_hub *h;
	const char *user;
	atomic_bool *stop;
	int bad;
};

/* Keeps reading pages, so that every pooled connection is in use now and
 * then and holds a snapshot. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct rk_resp r;
	struct rk_req rq = {.path = TS "objects/?limit=5",
			    .auth = rk_cred(rd->h, rd->user)->bearer};
	while (!atomic_load(rd->stop)) {
		if (rk_request(rd->h, &rq, &r) || r.status != 200)
			rd->bad++;
		rk_resp_release(&r);
	}
	return NULL;
}

static void t_post_then_read_elsewhere(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	atomic_bool stop = false;
	struct reader rd[N_READERS];
	pthread_t th[N_READERS];

	for (int i = 0; i < N_READERS; i++) {
		rd[i] = (struct reader){
			.h = h, .user = i % 2 ? "meti-analyst" : "mod-analyst", .stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	int missing = 0;
	for (int round = 0; round < ROUNDS; round++) {
		char id[RK_ID_MAX], modified[32];
		snprintf(modified, sizeof(modified), "2026-02-%02dT00:00:00.000Z", round % 28 + 1);
		char *obj = rk_indicator(modified, id);
		char *env = rk_envelope(&obj, 1);
		int rc = rk_post(h, &r, "ipa-analyst", env, TS "objects/");
		bool posted = rc == 0 && r.status == 202;
		rk_resp_release(&r);
		free(env);
		free(obj);
		if (!posted) {
			missing = -1;
			break;
		}
		/* Another organisation, on whichever connection: there at once. */
		const char *reader = round % 2 ? "mod-analyst" : "meti-analyst";
		char path[256];
		snprintf(path, sizeof(path), TS "objects/%s/", id);
		struct rk_req rq = {.path = path, .auth = rk_cred(h, reader)->bearer};
		rc = rk_request(h, &rq, &r);
		json_t *objs = r.json ? json_object_get(r.json, "objects") : NULL;
		if (rc || r.status != 200 || json_array_size(objs) != 1)
			missing++;
		rk_resp_release(&r);
	}
	atomic_store(&stop, true);
	int bad = 0;
	for (int i = 0; i < N_READERS; i++) {
		pthread_join(th[i], NULL);
		bad += rd[i].bad;
	}
	assert_int_equal(missing, 0);
	assert_int_equal(bad, 0);
}

static void t_cli_change_seen_at_once(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 8; i++)
			read_page(h, "towa-analyst");
		/* Another process disables the user: the next request refuses. */
		assert_int_equal(rk_cli(h, NULL, NULL, "user", "disable", "towa-analyst", NULL), 0);
		assert_int_equal(rk_get(h, &r, "towa-analyst", TS "objects/?limit=5"), 0);
		assert_int_equal(r.status, 401);
		rk_resp_release(&r);
		assert_int_equal(rk_cli(h, NULL, NULL, "user", "enable", "towa-analyst", NULL), 0);
		read_page(h, "towa-analyst");
	}
}

/* How many disclosure entries the audit API lists for user (up to 1000). */
static size_t disclosures(struct rk_hub *h, const char *auth, const char *user)
{
	struct rk_resp r;
	struct rk_req rq = {.path = "/api/v1/audit?kind=disclosure&limit=1000",
			    .auth = auth,
			    .accept = "application/json"};
	assert_int_equal(rk_request(h, &rq, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(json_object_get(r.json, "entries"), i, e)
	{
		const char *u = json_string_value(json_object_get(e, "user"));
		if (u && !strcmp(u, user))
			n++;
	}
	rk_resp_release(&r);
	return n;
}

static void t_disclosure_listed_at_once(void **state)
{
	struct rk_hub *h = *state;
	char tok[128], auth[160];

	assert_int_equal(rk_cli(h, "auditor-password-1\n", NULL, "user", "add", AUDITOR, "--org",
				"ipa", "--roles", "auditor", "--password-stdin", NULL),
			 0);
	assert_int_equal(rk_token_create(h, AUDITOR, tok, NULL), 0);
	snprintf(auth, sizeof(auth), "Bearer %s", tok);

	/* Something to disclose. */
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2026-03-01T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	struct rk_resp r;
	assert_int_equal(rk_post(h, &r, "ipa-analyst", env, TS "objects/"), 0);
	assert_int_equal(r.status, 202);
	rk_resp_release(&r);
	free(env);
	free(obj);

	size_t before = disclosures(h, auth, "mod-analyst");
	for (size_t round = 1; round <= 10; round++) {
		read_page(h, "mod-analyst");
		assert_int_equal(disclosures(h, auth, "mod-analyst"), before + round);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_post_then_read_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cli_change_seen_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(t_disclosure_listed_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
