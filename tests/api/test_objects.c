/*
 * test_objects.c - writing and removing objects through TAXII 2.1: POST and
 * its status resource (§5.5, §4.3), who may read a status, duplicates,
 * conflicts, the ownership and created_by_ref rules (DESIGN.md §3.2), mixed
 * valid and invalid objects, byte-exact round trips of Japanese text, the
 * object and versions endpoints (§5.6, §5.8), and DELETE (§5.7).
 *
 * Runs the real `renkei serve` on a demo hub (harness.h), plus a collection
 * 'dropbox' where mod-dbp may only write and meti-cipb may only read.
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

#define TS RK_COLLS "threat-sharing/"

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	if (rk_cli(h, NULL, NULL, "collection", "add", "--title", "drop box", "--alias", "dropbox",
		   NULL) ||
	    rk_cli(h, NULL, NULL, "collection", "grant", "dropbox", "--org", "mod-dbp", "--write",
		   NULL) ||
	    rk_cli(h, NULL, NULL, "collection", "grant", "dropbox", "--org", "meti-cipb", "--read",
		   NULL) ||
	    rk_serve_start(h, NULL)) {
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

/* POSTs body to path as user, asserts 202 and a status resource, and returns
 * the response (released by the caller). */
static void post_202(struct rk_hub *h, struct rk_resp *r, const char *user, const char *body,
		     const char *path)
{
	rk_post(h, r, user, body, "%s", path);
	if (r->status != 202)
		fprintf(stderr, "POST %s as %s: %ld %.300s\n", path, user, r->status, r->body);
	assert_int_equal(r->status, 202);
	rk_assert_taxii_type(r);
	assert_true(json_is_object(r->json));
	assert_string_equal(json_string_value(json_object_get(r->json, "status")), "complete");
}

static long count(const json_t *st, const char *key)
{
	json_t *v = json_object_get(st, key);
	assert_true(json_is_integer(v));
	return (long)json_integer_value(v);
}

/* The status-details record of id in list (successes or failures), or NULL. */
static json_t *detail(json_t *st, const char *list, const char *id)
{
	json_t *a = json_object_get(st, list);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *d = json_array_get(a, i);
		json_t *v = json_object_get(d, "id");
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return d;
	}
	return NULL;
}

/* Posts one object as user to threat-sharing and asserts it was stored. */
static void post_one(struct rk_hub *h, const char *user, const char *obj)
{
	struct rk_resp r;
	char *env = rk_envelope((char *const *)&obj, 1);
	post_202(h, &r, user, env, TS "objects/");
	if (count(r.json, "success_count") != 1)
		fprintf(stderr, "post_one: %s\n", r.body);
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);
	free(env);
}

/* GET the object endpoint with a query; asserts 200 and returns the number of
 * objects ({} counts 0). */
static size_t object_count(struct rk_hub *h, const char *user, const char *coll, const char *id,
			   const char *query)
{
	struct rk_resp r;
	rk_get(h, &r, user, RK_COLLS "%s/objects/%s/%s%s", coll, id, query ? "?" : "",
	       query ? query : "");
	json_t *d = rk_assert_ok(&r);
	size_t n = json_array_size(json_object_get(d, "objects"));
	if (!n)
		assert_int_equal(json_object_size(d), 0);
	rk_resp_release(&r);
	return n;
}

static void expect_404(struct rk_hub *h, const char *user, const char *coll, const char *id)
{
	struct rk_resp r;
	rk_get(h, &r, user, RK_COLLS "%s/objects/%s/", coll, id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
}

/* ---- status ---- */

static void t_status_resource(void **state)
{
	struct rk_hub *h = *state;
	char ids[3][RK_ID_MAX];
	static const char *const mods[3] = {"2025-05-01T00:00:00.000Z",
					    "2025-05-01T00:00:00.123456Z",
					    "2025-05-02T10:20:30.456Z"};
	char *objs[3];
	struct rk_resp r;

	for (int i = 0; i < 3; i++)
		objs[i] = rk_indicator(mods[i], ids[i]);
	char *env = rk_envelope(objs, 3);
	post_202(h, &r, "mod-analyst", env, TS "objects/");
	json_t *st = r.json;
	json_t *sid = json_object_get(st, "id");
	assert_true(json_is_string(sid));
	assert_int_equal(json_string_length(sid), 36); /* a UUID */
	assert_true(json_is_string(json_object_get(st, "request_timestamp")));
	assert_true(rk_is_micro_ts(json_string_value(json_object_get(st, "request_timestamp"))) ||
		    json_string_length(json_object_get(st, "request_timestamp")) >= 20);
	assert_int_equal(count(st, "total_count"), 3);
	assert_int_equal(count(st, "success_count"), 3);
	assert_int_equal(count(st, "failure_count"), 0);
	assert_int_equal(count(st, "pending_count"), 0);
	assert_int_equal(json_array_size(json_object_get(st, "successes")), 3);
	assert_int_equal(json_array_size(json_object_get(st, "failures")), 0);
	for (int i = 0; i < 3; i++) {
		json_t *d = detail(st, "successes", ids[i]);
		assert_non_null(d);
		/* §4.3.1: the version is the object's modified. */
		assert_string_equal(json_string_value(json_object_get(d, "version")), mods[i]);
	}
	char sid_s[64];
	snprintf(sid_s, sizeof(sid_s), "%s", json_string_value(sid));
	char *posted = strdup(r.body);
	rk_resp_release(&r);

	/* GET status gives the same resource. */
	rk_get(h, &r, "mod-analyst", RK_ROOT "status/%s/", sid_s);
	json_t *g = rk_assert_ok(&r);
	json_t *p = json_loads(posted, 0, NULL);
	assert_true(json_equal(g, p));
	json_decref(p);
	rk_resp_release(&r);

	/* Any user of the posting organisation may read it, with a token too. */
	struct rk_req rq = {.path = NULL, .auth = rk_cred(h, "mod-analyst")->bearer};
	char path[256];
	snprintf(path, sizeof(path), RK_ROOT "status/%s/", sid_s);
	rq.path = path;
	rk_request(h, &rq, &r);
	rk_assert_ok(&r);
	rk_resp_release(&r);

	/* Other organisations: it does not exist for them. */
	static const char *const others[] = {"meti-analyst", "ipa-analyst", "cas-reader",
					     "sdf-analyst"};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		rk_get(h, &r, others[i], "%s", path);
		rk_assert_error(&r, 404);
		rk_resp_release(&r);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(object_count(h, "ipa-analyst", "threat-sharing", ids[i], NULL), 1);
		free(objs[i]);
	}
	free(posted);
	free(env);
}

static void t_empty_envelope(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	static const char *const bodies[] = {"{}", "{\"objects\":[]}"};
	for (int i = 0; i < 2; i++) {
		post_202(h, &r, "ipa-analyst", bodies[i], TS "objects/");
		assert_int_equal(count(r.json, "total_count"), 0);
		assert_int_equal(count(r.json, "success_count"), 0);
		assert_int_equal(count(r.json, "failure_count"), 0);
		assert_int_equal(count(r.json, "pending_count"), 0);
		rk_resp_release(&r);
	}
}

static void t_duplicate_repost(void **state)
{
	struct rk_hub *h = *state;
	char ids[2][RK_ID_MAX];
	char *objs[2] = {rk_indicator("2025-05-03T00:00:00.000Z", ids[0]),
			 rk_indicator("2025-05-03T00:00:00.000Z", ids[1])};
	char *env = rk_envelope(objs, 2);
	struct rk_resp r;
	char added[64];

	post_202(h, &r, "ipa-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 2);
	rk_resp_release(&r);
	rk_get(h, &r, "ipa-analyst", TS "manifest/?match[id]=%s", ids[0]);
	json_t *m = rk_assert_ok(&r);
	snprintf(added, sizeof(added), "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(m, "objects"), 0),
						   "date_added")));
	rk_resp_release(&r);

	/* §5.5: the same objects again are successes, not errors... */
	post_202(h, &r, "ipa-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), 2);
	assert_int_equal(count(r.json, "success_count"), 2);
	assert_int_equal(count(r.json, "failure_count"), 0);
	for (int i = 0; i < 2; i++) {
		json_t *d = detail(r.json, "successes", ids[i]);
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "version")),
				    "2025-05-03T00:00:00.000Z");
	}
	rk_resp_release(&r);

	/* ...and change nothing: one version, the first date_added. */
	rk_get(h, &r, "ipa-analyst", TS "manifest/?match[id]=%s,%s&match[version]=all", ids[0],
	       ids[1]);
	m = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(m, "objects")), 2);
	json_t *recs = json_object_get(m, "objects");
	for (size_t i = 0; i < json_array_size(recs); i++) {
		json_t *rec = json_array_get(recs, i);
		if (!strcmp(json_string_value(json_object_get(rec, "id")), ids[0]))
			assert_string_equal(json_string_value(json_object_get(rec, "date_added")),
					    added);
	}
	rk_resp_release(&r);
	free(objs[0]);
	free(objs[1]);
	free(env);
}

static void t_conflict(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	struct rk_obj o = {.modified = "2025-05-04T00:00:00.000Z", .name = "original"};
	char *orig = rk_stix(&o, id);
	post_one(h, "mod-analyst", orig);

	/* Same id and modified, other bytes: refused, the stored one kept. */
	struct rk_obj o2 = {.id = id, .modified = "2025-05-04T00:00:00.000Z", .name = "changed"};
	char *changed = rk_stix(&o2, NULL);
	char *fresh = rk_indicator("2025-05-04T00:00:00.000Z", NULL);
	char *objs[2] = {changed, fresh};
	char *env = rk_envelope(objs, 2);
	struct rk_resp r;
	post_202(h, &r, "mod-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), 2);
	assert_int_equal(count(r.json, "success_count"), 1);
	assert_int_equal(count(r.json, "failure_count"), 1);
	json_t *d = detail(r.json, "failures", id);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "version")),
			    "2025-05-04T00:00:00.000Z");
	assert_true(json_is_string(json_object_get(d, "message")));
	assert_true(json_string_length(json_object_get(d, "message")) > 0);
	assert_null(detail(r.json, "successes", id));
	rk_resp_release(&r);

	rk_get(h, &r, "mod-analyst", TS "objects/%s/?match[version]=all", id);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, orig));
	assert_null(strstr(r.body, "changed"));
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	rk_resp_release(&r);
	free(orig);
	free(changed);
	free(fresh);
	free(env);
}

static void t_created_by_ref(void **state)
{
	struct rk_hub *h = *state;
	char bad_id[RK_ID_MAX], good_id[RK_ID_MAX];
	struct rk_obj bad = {.modified = "2025-05-05T00:00:00.000Z",
			     .created_by_ref = RK_METI_IDENTITY};
	struct rk_obj good = {.modified = "2025-05-05T00:00:00.000Z",
			      .created_by_ref = RK_MOD_IDENTITY};
	char *objs[2] = {rk_stix(&bad, bad_id), rk_stix(&good, good_id)};
	char *env = rk_envelope(objs, 2);
	struct rk_resp r;

	post_202(h, &r, "mod-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), 2);
	assert_int_equal(count(r.json, "success_count"), 1);
	assert_int_equal(count(r.json, "failure_count"), 1);
	json_t *d = detail(r.json, "failures", bad_id);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "version")),
			    "2025-05-05T00:00:00.000Z");
	assert_true(json_string_length(json_object_get(d, "message")) > 0);
	assert_non_null(detail(r.json, "successes", good_id));
	rk_resp_release(&r);
	expect_404(h, "mod-analyst", "threat-sharing", bad_id);
	assert_int_equal(object_count(h, "meti-analyst", "threat-sharing", good_id, NULL), 1);
	free(objs[0]);
	free(objs[1]);
	free(env);
}

static void t_other_org_id(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *v1 = rk_indicator("2025-05-06T00:00:00.000Z", id);
	post_one(h, "mod-analyst", v1);

	/* meti may not add a version to an id that mod-dbp shared first. */
	struct rk_obj o = {.id = id, .modified = "2025-05-07T00:00:00.000Z", .name = "hijack"};
	char *v2 = rk_stix(&o, NULL);
	char *env = rk_envelope(&v2, 1);
	struct rk_resp r;
	post_202(h, &r, "meti-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), 1);
	assert_int_equal(count(r.json, "success_count"), 0);
	assert_int_equal(count(r.json, "failure_count"), 1);
	json_t *d = detail(r.json, "failures", id);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "version")),
			    "2025-05-07T00:00:00.000Z");
	assert_true(json_string_length(json_object_get(d, "message")) > 0);
	rk_resp_release(&r);

	/* Not in another collection either. */
	post_202(h, &r, "meti-analyst", env, RK_COLLS "research/objects/");
	assert_int_equal(count(r.json, "failure_count"), 1);
	rk_resp_release(&r);
	expect_404(h, "meti-analyst", "research", id);

	rk_get(h, &r, "mod-analyst", TS "objects/%s/versions/", id);
	json_t *v = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(v, "versions")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "versions"), 0)),
			    "2025-05-06T00:00:00.000Z");
	rk_resp_release(&r);

	/* The owner itself may. */
	struct rk_obj o3 = {.id = id, .modified = "2025-05-07T00:00:00.000Z", .name = "v2"};
	char *v3 = rk_stix(&o3, NULL);
	post_one(h, "mod-analyst", v3);
	free(v1);
	free(v2);
	free(v3);
	free(env);
}

static void t_mixed_invalid(void **state)
{
	struct rk_hub *h = *state;
	char ok[3][RK_ID_MAX], bad[3][RK_ID_MAX];
	char u[37];
	struct rk_sb b = {0};
	char *good[3];

	for (int i = 0; i < 3; i++)
		good[i] = rk_indicator("2025-05-08T00:00:00.000Z", ok[i]);
	for (int i = 0; i < 3; i++) {
		rk_uuid4(u);
		snprintf(bad[i], sizeof(bad[i]), "indicator--%s", u);
	}
	rk_sb_addf(&b, "{\"objects\":[%s,", good[0]);
	/* An indicator without its pattern. */
	rk_sb_addf(&b,
		   "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"created\":\"2025-05-08T00:00:00.000Z\",\"modified\":\"2025-05-08T00:00:00."
		   "000Z\","
		   "\"pattern_type\":\"stix\",\"valid_from\":\"2025-05-08T00:00:00.000Z\"},",
		   bad[0]);
	rk_sb_addf(&b, "%s,", good[1]);
	/* modified without milliseconds (STIX 2.1 §3.2 wants them). */
	rk_sb_addf(&b,
		   "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"created\":\"2025-05-08T00:00:00Z\",\"modified\":\"2025-05-08T00:00:00Z\","
		   "\"pattern\":\"[ipv4-addr:value = '198.51.100.9']\",\"pattern_type\":\"stix\","
		   "\"valid_from\":\"2025-05-08T00:00:00Z\"},",
		   bad[1]);
	/* modified before created. */
	rk_sb_addf(&b,
		   "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"created\":\"2025-05-09T00:00:00.000Z\",\"modified\":\"2025-05-08T00:00:00."
		   "000Z\","
		   "\"pattern\":\"[ipv4-addr:value = '198.51.100.9']\",\"pattern_type\":\"stix\","
		   "\"valid_from\":\"2025-05-09T00:00:00.000Z\"},",
		   bad[2]);
	/* Not an object at all. */
	rk_sb_adds(&b, "42,");
	rk_sb_addf(&b, "%s]}", good[2]);

	struct rk_resp r;
	post_202(h, &r, "towa-analyst", b.s, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), 7);
	assert_int_equal(count(r.json, "success_count"), 3);
	assert_int_equal(count(r.json, "failure_count"), 4);
	assert_int_equal(count(r.json, "pending_count"), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "successes")), 3);
	assert_int_equal(json_array_size(json_object_get(r.json, "failures")), 4);
	for (int i = 0; i < 3; i++) {
		assert_non_null(detail(r.json, "successes", ok[i]));
		json_t *d = detail(r.json, "failures", bad[i]);
		if (!d)
			fprintf(stderr, "no failure for %s in %s\n", bad[i], r.body);
		assert_non_null(d);
		assert_true(json_is_string(json_object_get(d, "message")));
		assert_true(json_string_length(json_object_get(d, "message")) > 0);
	}
	json_t *fl = json_object_get(r.json, "failures");
	for (size_t i = 0; i < json_array_size(fl); i++) {
		json_t *d = json_array_get(fl, i);
		assert_true(json_is_string(json_object_get(d, "message")));
		assert_true(json_string_length(json_object_get(d, "message")) > 0);
	}
	rk_resp_release(&r);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(object_count(h, "towa-analyst", "threat-sharing", ok[k], NULL), 1);
		expect_404(h, "towa-analyst", "threat-sharing", bad[k]);
		free(good[k]);
	}
	rk_sb_release(&b);
}

/*
 * An envelope long enough that its first pass is shared between threads
 * (ingest.c, prep_all: chunks of 64): every refusal and every success must
 * still name its own object, and each object's markings must be its own.
 */
static void t_long_mixed_envelope(void **state)
{
	struct rk_hub *h = *state;
	enum { N = 300 };
	static char ids[N][RK_ID_MAX];
	struct rk_sb b = {0};
	char u[37];

	rk_sb_adds(&b, "{\"objects\":[");
	for (int i = 0; i < N; i++) {
		if (i)
			rk_sb_adds(&b, ",");
		rk_uuid4(u);
		snprintf(ids[i], sizeof(ids[i]), "indicator--%s", u);
		const char *refs = "";
		if (i % 10 == 3) /* two TLP markings: refused by the sharing rules */
			refs = ",\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-"
			       "4cf5-a766-dfca5abac2bb\",\"marking-definition--f88d31f6-486f-44da-"
			       "b317-01333bde0b82\"]";
		else if (i % 10 == 5) /* one TLP marking: stored */
			refs = ",\"object_marking_refs\":[\"marking-definition--bab4a63c-aed9-"
			       "4cf5-a766-dfca5abac2bb\"]";
		rk_sb_addf(
			&b,
			"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
			"\"created\":\"2025-05-08T00:00:00.000Z\",\"modified\":\"2025-05-08T00:"
			"00:00.000Z\",%s\"pattern_type\":\"stix\",\"valid_from\":\"2025-05-08T00:"
			"00:00.000Z\"%s}",
			ids[i],
			i % 7 == 2 ? "" /* no pattern: refused by validation */
				   : "\"pattern\":\"[ipv4-addr:value = '198.51.100.9']\",",
			refs);
	}
	rk_sb_adds(&b, "]}");

	size_t want_bad = 0;
	for (int i = 0; i < N; i++)
		want_bad += i % 7 == 2 || i % 10 == 3;
	struct rk_resp r;
	post_202(h, &r, "towa-analyst", b.s, TS "objects/");
	assert_int_equal(count(r.json, "total_count"), N);
	assert_int_equal(count(r.json, "failure_count"), want_bad);
	assert_int_equal(count(r.json, "success_count"), N - want_bad);
	for (int i = 0; i < N; i++) {
		json_t *ok = detail(r.json, "successes", ids[i]);
		json_t *bad = detail(r.json, "failures", ids[i]);
		const char *msg = json_string_value(json_object_get(bad, "message"));
		if (i % 7 == 2) {
			char want[32];
			snprintf(want, sizeof(want), "object %d: ", i + 1);
			assert_null(ok);
			assert_non_null(msg);
			assert_non_null(strstr(msg, want));
		} else if (i % 10 == 3) {
			assert_null(ok);
			assert_non_null(msg);
			assert_non_null(strstr(msg, "more than one TLP marking"));
		} else {
			assert_null(bad);
			assert_non_null(ok);
		}
	}
	rk_resp_release(&r);
	for (int i = 0; i < N; i += 5) {
		bool stored = !(i % 7 == 2 || i % 10 == 3);
		if (stored)
			assert_int_equal(
				object_count(h, "towa-analyst", "threat-sharing", ids[i], NULL), 1);
		else
			expect_404(h, "towa-analyst", "threat-sharing", ids[i]);
	}
	rk_sb_release(&b);
}

/* The number that one SQL text prints, read from the database. */
static long long sql_number(struct rk_hub *h, const char *sql)
{
	char *out = NULL;
	assert_int_equal(rk_sql(h, &out, sql), 0);
	assert_non_null(out);
	long long v = strtoll(out, NULL, 10);
	free(out);
	return v;
}

/* The row number (seq) of id's one stored version. */
static long long row_seq(struct rk_hub *h, const char *id)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT seq FROM objects WHERE stix_id = '%s';", id);
	return sql_number(h, sql);
}

/*
 * Disclosures name rows by number (taxii.c), so a number names one row
 * for good: the row of a deleted object's number is not given again, even
 * when it was the last of its range. On SQLite the number also carries the
 * row's scope (store_sqlite.c, SEQ_IN_SCOPE).
 */
static void t_row_numbers_not_reused(void **state)
{
	struct rk_hub *h = *state;
	char a[RK_ID_MAX], b[RK_ID_MAX];
	struct rk_resp r;

	char *oa = rk_indicator("2025-06-01T00:00:00.000Z", a);
	post_one(h, "meti-analyst", oa);
	long long seq_a = row_seq(h, a);
	assert_true(seq_a > 0);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/", a);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);

	char *ob = rk_indicator("2025-06-01T00:00:00.000Z", b);
	post_one(h, "meti-analyst", ob);
	long long seq_b = row_seq(h, b);
	assert_true(seq_b > seq_a);

	if (!rk_hub_is_pg(h))
		assert_int_equal(sql_number(h, "SELECT count(*) FROM objects WHERE (seq >> 40) != "
					       "(scope_id & 4194303);"),
				 0);
	free(oa);
	free(ob);
}

/* ---- round trips ---- */

static void t_japanese_round_trip(void **state)
{
	struct rk_hub *h = *state;
	char u[37], id[RK_ID_MAX];
	struct rk_sb obj = {0};
	struct rk_resp r;

	rk_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	/* Odd spacing, key order, escapes and raw UTF-8: all must come back
	 * exactly as sent. */
	rk_sb_addf(&obj,
		   "{ \"type\" : \"indicator\",  \"id\":\"%s\", \"spec_version\":\"2.1\","
		   "\"modified\":\"2025-06-01T09:00:00.000Z\",\"created\":\"2025-06-01T09:00:00."
		   "000Z\","
		   "\"name\":\"日本語の指標 — 標的型攻撃メール（防衛産業）\","
		   "\"description\":\"請求書を装ったメール。\\u3042 と \\\"引用\\\" "
		   "を含む。\\n改行 🐟\","
		   "\"labels\" : [ \"日本\", \"テスト\" ],\"confidence\" : 85,"
		   "\"pattern\":\"[domain-name:value = '例え.jp']\",\"pattern_type\":\"stix\","
		   "\"valid_from\":\"2025-06-01T09:00:00.000Z\"\n}",
		   id);
	char *env = rk_envelope(&obj.s, 1);
	post_202(h, &r, "sdf-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);

	static const char *const views[][2] = {
		{"objects/", "/"},
		{"objects/?match[id]=", ""},
		{"objects/", "/?match[version]=2025-06-01T09:00:00.000Z"},
	};
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), TS "%s%s%s", views[i][0], id, views[i][1]);
		rk_get(h, &r, "mod-analyst", "%s", path); /* a party: in the default scope */
		json_t *d = rk_assert_ok(&r);
		/* The stored bytes, exactly, inside the envelope. */
		if (!memmem(r.body, r.len, obj.s, obj.len))
			fprintf(stderr, "GET %s:\n%s\nposted:\n%s\n", path, r.body, obj.s);
		assert_non_null(memmem(r.body, r.len, obj.s, obj.len));
		json_t *o = json_array_get(json_object_get(d, "objects"), 0);
		assert_string_equal(json_string_value(json_object_get(o, "name")),
				    "日本語の指標 — 標的型攻撃メール（防衛産業）");
		assert_string_equal(json_string_value(json_object_get(o, "description")),
				    "請求書を装ったメール。あ と \"引用\" を含む。\n改行 🐟");
		rk_resp_release(&r);
	}
	rk_sb_release(&obj);
	free(env);
}

/* ---- object and versions endpoints ---- */

static void t_versions_and_object(void **state)
{
	struct rk_hub *h = *state;
	static const char *const mods[3] = {"2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z",
					    "2025-03-01T00:00:00.123456Z"};
	char id[RK_ID_MAX], u[37];
	char *v[3];
	struct rk_resp r;

	rk_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	for (int i = 0; i < 3; i++) {
		struct rk_obj o = {.id = id, .created = mods[0], .modified = mods[i]};
		v[i] = rk_stix(&o, NULL);
		post_one(h, "ipa-analyst", v[i]); /* one POST each: three date_added */
	}
	/* The three date_added, from the manifest. */
	char added[3][64];
	rk_get(h, &r, "ipa-analyst", TS "manifest/?match[id]=%s&match[version]=all", id);
	json_t *m = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(m, "objects")), 3);
	for (int i = 0; i < 3; i++) {
		json_t *rec = json_array_get(json_object_get(m, "objects"), (size_t)i);
		assert_string_equal(json_string_value(json_object_get(rec, "version")), mods[i]);
		assert_string_equal(json_string_value(json_object_get(rec, "media_type")), RK_STIX);
		snprintf(added[i], sizeof(added[i]), "%s",
			 json_string_value(json_object_get(rec, "date_added")));
		assert_true(rk_is_micro_ts(added[i]));
		if (i)
			assert_true(strcmp(added[i - 1], added[i]) < 0);
	}
	assert_string_equal(r.date_first, added[0]);
	assert_string_equal(r.date_last, added[2]);
	rk_resp_release(&r);

	/* versions: every version, oldest first, with the date headers. */
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/", id);
	json_t *vs = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(vs, "versions")), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_array_get(
					    json_object_get(vs, "versions"), (size_t)i)),
				    mods[i]);
	assert_true(json_is_false(json_object_get(vs, "more")));
	assert_true(r.has_date_first && r.has_date_last);
	assert_string_equal(r.date_first, added[0]);
	assert_string_equal(r.date_last, added[2]);
	rk_resp_release(&r);

	/* versions with added_after and limit. */
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/?added_after=%s", id, added[0]);
	vs = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(vs, "versions")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(vs, "versions"), 0)),
			    mods[1]);
	assert_string_equal(r.date_first, added[1]);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/?added_after=%s", id, added[2]);
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/?limit=2", id);
	vs = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(vs, "versions")), 2);
	assert_true(json_is_true(json_object_get(vs, "more")));
	assert_string_equal(r.date_last, added[1]);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/?match[spec_version]=2.0", id);
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);

	/* The object endpoint: the last version by default. */
	rk_get(h, &r, "meti-analyst", TS "objects/%s/", id);
	json_t *d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 1);
	assert_non_null(strstr(r.body, v[2]));
	assert_true(json_is_false(json_object_get(d, "more")));
	assert_string_equal(r.date_first, added[2]);
	assert_string_equal(r.date_last, added[2]);
	rk_resp_release(&r);

	rk_get(h, &r, "meti-analyst", TS "objects/%s/?match[version]=all", id);
	d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 3);
	for (int i = 0; i < 3; i++) /* ascending date_added */
		assert_non_null(strstr(r.body, v[i]));
	assert_true(strstr(r.body, v[0]) < strstr(r.body, v[1]));
	assert_true(strstr(r.body, v[1]) < strstr(r.body, v[2]));
	assert_string_equal(r.date_first, added[0]);
	assert_string_equal(r.date_last, added[2]);
	rk_resp_release(&r);

	static const struct {
		const char *query;
		int n;
		int which[3];
	} cases[] = {
		{"match[version]=last", 1, {2}},
		{"match[version]=first", 1, {0}},
		{"match[version]=first,last", 2, {0, 2}},
		{"match[version]=2025-02-01T00:00:00.000Z", 1, {1}},
		{"match[version]=2025-02-01T00:00:00Z", 1, {1}},
		{"match[version]=2025-03-01T00:00:00.123456Z", 1, {2}},
		{"match[version]=2025-01-01T00:00:00.000Z,2025-03-01T00:00:00.123456Z", 2, {0, 2}},
		{"match[version]=first,2025-02-01T00:00:00.000Z", 2, {0, 1}},
		{"match[version]=2030-01-01T00:00:00.000Z", 0, {0}},
		{"match[version]=all&match[spec_version]=2.1", 3, {0, 1, 2}},
		{"match[version]=all&match[spec_version]=2.0", 0, {0}},
		{"added_after=2099-01-01T00:00:00.000Z", 0, {0}},
		{"match[version]=all&limit=1", 1, {0}},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		rk_get(h, &r, "meti-analyst", TS "objects/%s/?%s", id, cases[c].query);
		d = rk_assert_ok(&r);
		size_t n = json_array_size(json_object_get(d, "objects"));
		if (n != (size_t)cases[c].n)
			fprintf(stderr, "?%s: %zu objects: %.300s\n", cases[c].query, n, r.body);
		assert_int_equal(n, cases[c].n);
		if (n == 0) /* a known object that the filters exclude: {} */
			assert_int_equal(json_object_size(d), 0);
		for (int k = 0; k < cases[c].n; k++)
			assert_non_null(strstr(r.body, v[cases[c].which[k]]));
		if (n) {
			assert_string_equal(r.date_first, added[cases[c].which[0]]);
			assert_string_equal(r.date_last, added[cases[c].which[cases[c].n - 1]]);
		}
		rk_resp_release(&r);
	}
	for (int i = 0; i < 3; i++)
		free(v[i]);
}

/* ---- DELETE ---- */

/* Posts three versions of a fresh id (one POST) and returns them. */
static void three_versions(struct rk_hub *h, char id[RK_ID_MAX], char *v[3])
{
	static const char *const mods[3] = {"2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z",
					    "2025-03-01T00:00:00.000Z"};
	char u[37];
	struct rk_resp r;
	rk_uuid4(u);
	snprintf(id, RK_ID_MAX, "indicator--%s", u);
	for (int i = 0; i < 3; i++) {
		struct rk_obj o = {.id = id, .created = mods[0], .modified = mods[i]};
		v[i] = rk_stix(&o, NULL);
	}
	char *env = rk_envelope(v, 3);
	post_202(h, &r, "meti-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 3);
	rk_resp_release(&r);
	free(env);
}

static void assert_versions(struct rk_hub *h, const char *id, int n, const char *const *want)
{
	struct rk_resp r;
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/", id);
	json_t *d = rk_assert_ok(&r);
	json_t *vs = json_object_get(d, "versions");
	assert_int_equal(json_array_size(vs), n);
	for (int i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(vs, (size_t)i)), want[i]);
	rk_resp_release(&r);
}

static void t_delete_one_version(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *v[3];
	struct rk_resp r;

	three_versions(h, id, v);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=2025-02-01T00:00:00.000Z",
		  id);
	assert_int_equal(r.status, 200);
	rk_assert_taxii_type(&r);
	rk_resp_release(&r);
	static const char *const left[] = {"2025-01-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"};
	assert_versions(h, id, 2, left);
	/* The version is gone: {} for the known object, 404 to delete it again. */
	assert_int_equal(object_count(h, "meti-analyst", "threat-sharing", id,
				      "match[version]=2025-02-01T00:00:00.000Z"),
			 0);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=2025-02-01T00:00:00.000Z",
		  id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
	/* The others are untouched, bytes and all. */
	rk_get(h, &r, "meti-analyst", TS "objects/%s/?match[version]=all", id);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, v[0]));
	assert_null(strstr(r.body, v[1]));
	assert_non_null(strstr(r.body, v[2]));
	rk_resp_release(&r);

	/* Deleting the last version makes the one before it the last... */
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=last", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/", id);
	rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	assert_non_null(strstr(r.body, v[0]));
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "manifest/?match[id]=%s", id);
	rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r.json, "objects"), 0), "version")),
		"2025-01-01T00:00:00.000Z");
	rk_resp_release(&r);
	for (int i = 0; i < 3; i++)
		free(v[i]);

	/* ...and deleting the first makes the next one the first. */
	three_versions(h, id, v);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=first", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/?match[version]=first", id);
	rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	assert_non_null(strstr(r.body, v[1]));
	rk_resp_release(&r);
	for (int i = 0; i < 3; i++)
		free(v[i]);
}

/* The one version the manifest lists for id with match[version]=which. */
static void assert_edge(struct rk_hub *h, const char *id, const char *which, const char *want)
{
	struct rk_resp r;
	rk_get(h, &r, "mod-analyst", TS "manifest/?match[id]=%s&match[version]=%s", id, which);
	json_t *objs = json_object_get(rk_assert_ok(&r), "objects");
	if (json_array_size(objs) != 1 ||
	    strcmp(json_string_value(json_object_get(json_array_get(objs, 0), "version")), want))
		fprintf(stderr, "%s of %s: want %s, got %.400s\n", which, id, want, r.body);
	assert_int_equal(json_array_size(objs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(objs, 0), "version")),
			    want);
	rk_resp_release(&r);
}

/*
 * Versions that arrive out of order, and deletes, keep "last" and "first"
 * right: the store marks each version last or first as it learns of the
 * others, and looks among the versions only when it may be neither
 * (docs/decisions.md).
 */
static void t_versions_out_of_order(void **state)
{
	struct rk_hub *h = *state;
	static const char *const mods[4] = {"2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z",
					    "2025-03-01T00:00:00.000Z", "2025-04-01T00:00:00.000Z"};
	/* Posted in this order, each alone; then last and first. */
	static const struct {
		int post, last, first;
	} steps[] = {{2, 2, 2}, {0, 2, 0}, {3, 3, 0}, {1, 3, 0}};
	char id[RK_ID_MAX], u[37];
	struct rk_resp r;

	rk_uuid4(u);
	snprintf(id, sizeof(id), "indicator--%s", u);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct rk_obj o = {.id = id, .created = mods[0], .modified = mods[steps[i].post]};
		char *v = rk_stix(&o, NULL);
		post_one(h, "meti-analyst", v);
		free(v);
		assert_edge(h, id, "last", mods[steps[i].last]);
		assert_edge(h, id, "first", mods[steps[i].first]);
	}
	/* The objects endpoint and a page agree. */
	rk_get(h, &r, "mod-analyst", TS "objects/%s/", id);
	rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	assert_non_null(strstr(r.body, mods[3]));
	rk_resp_release(&r);
	rk_get(h, &r, "mod-analyst", TS "objects/?match[id]=%s&match[version]=first", id);
	rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(r.json, "objects")), 1);
	assert_non_null(strstr(r.body, "\"modified\":\"2025-01-01T00:00:00.000Z\""));
	rk_resp_release(&r);

	/* Deleting the last and the first makes their neighbours so. */
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=%s", id, mods[3]);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	assert_edge(h, id, "last", mods[2]);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=first", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	assert_edge(h, id, "first", mods[1]);
	assert_edge(h, id, "last", mods[2]);
	/* A deleted version posted again is last (first) again. */
	for (int k = 3; k >= 0; k -= 3) {
		struct rk_obj o = {.id = id, .created = mods[0], .modified = mods[k]};
		char *v = rk_stix(&o, NULL);
		post_one(h, "meti-analyst", v);
		free(v);
	}
	assert_edge(h, id, "last", mods[3]);
	assert_edge(h, id, "first", mods[0]);
	/* One version left: it is both. */
	for (int k = 0; k < 3; k++) {
		rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=%s", id, mods[k]);
		assert_int_equal(r.status, 200);
		rk_resp_release(&r);
	}
	assert_edge(h, id, "last", mods[3]);
	assert_edge(h, id, "first", mods[3]);
}

static void t_delete_all_versions(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *v[3];
	struct rk_resp r;

	three_versions(h, id, v);
	/* Only the provider may delete (DESIGN.md §3.2: an id belongs to the
	 * organisation that first shared it), even with read and write. */
	rk_delete(h, &r, "mod-analyst", TS "objects/%s/", id);
	rk_assert_error(&r, 403);
	rk_resp_release(&r);
	assert_versions(h, id, 3,
			(const char *const[]){"2025-01-01T00:00:00.000Z",
					      "2025-02-01T00:00:00.000Z",
					      "2025-03-01T00:00:00.000Z"});
	/* §5.7: without match[version], the whole object goes. */
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/", id);
	assert_int_equal(r.status, 200);
	rk_assert_taxii_type(&r);
	rk_resp_release(&r);
	expect_404(h, "meti-analyst", "threat-sharing", id);
	rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "manifest/?match[id]=%s&match[version]=all", id);
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "objects/?match[id]=%s&match[version]=all", id);
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);

	/* match[version]=all deletes every version too. */
	for (int i = 0; i < 3; i++)
		free(v[i]);
	three_versions(h, id, v);
	rk_delete(h, &r, "meti-analyst", TS "objects/%s/?match[version]=all", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	expect_404(h, "meti-analyst", "threat-sharing", id);
	for (int i = 0; i < 3; i++)
		free(v[i]);

	/* An id nobody posted: 404. */
	char u[37];
	rk_uuid4(u);
	rk_delete(h, &r, "meti-analyst", TS "objects/indicator--%s/", u);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
}

/*
 * DESIGN.md §3.2: an id stays its first provider's after every version of it
 * is deleted, in every collection: another organisation may not take it over
 * by posting it again, and the provider may.
 */
static void t_owner_outlives_delete(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	struct rk_resp r;

	char *v1 = rk_indicator("2025-05-06T00:00:00.000Z", id);
	post_one(h, "mod-analyst", v1);
	rk_delete(h, &r, "mod-analyst", TS "objects/%s/", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	expect_404(h, "mod-analyst", "threat-sharing", id);

	struct rk_obj o = {.id = id, .modified = "2025-05-07T00:00:00.000Z", .name = "taken"};
	char *other = rk_stix(&o, NULL);
	char *env = rk_envelope(&other, 1);
	const char *colls[2] = {TS "objects/", RK_COLLS "research/objects/"};
	for (int i = 0; i < 2; i++) {
		post_202(h, &r, "meti-analyst", env, colls[i]);
		assert_int_equal(count(r.json, "success_count"), 0);
		assert_int_equal(count(r.json, "failure_count"), 1);
		assert_non_null(detail(r.json, "failures", id));
		rk_resp_release(&r);
	}
	expect_404(h, "meti-analyst", "threat-sharing", id);
	expect_404(h, "meti-analyst", "research", id);

	/* The provider may post it again. */
	post_one(h, "mod-analyst", v1);
	assert_int_equal(object_count(h, "mod-analyst", "threat-sharing", id, NULL), 1);
	free(v1);
	free(other);
	free(env);
}

static void t_write_only_collection(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-07-01T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	struct rk_resp r;

	rk_get(h, &r, "mod-analyst", RK_COLLS "dropbox/");
	json_t *c = rk_assert_ok(&r);
	assert_true(json_is_false(json_object_get(c, "can_read")));
	assert_true(json_is_true(json_object_get(c, "can_write")));
	rk_resp_release(&r);

	post_202(h, &r, "mod-analyst", env, RK_COLLS "dropbox/objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);

	/* §5.3, §5.4, §5.6, §5.8: reading needs can_read: 403. */
	char p3[256], p4[256];
	snprintf(p3, sizeof(p3), "objects/%s/", id);
	snprintf(p4, sizeof(p4), "objects/%s/versions/", id);
	const char *const reads[] = {"manifest/", "objects/", p3, p4};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		rk_get(h, &r, "mod-analyst", RK_COLLS "dropbox/%s", reads[i]);
		rk_assert_error(&r, 403);
		rk_resp_release(&r);
	}
	/* §5.7: DELETE needs both: 403 for write-only and for read-only. */
	rk_delete(h, &r, "mod-analyst", RK_COLLS "dropbox/objects/%s/", id);
	rk_assert_error(&r, 403);
	rk_resp_release(&r);
	rk_delete(h, &r, "meti-analyst", RK_COLLS "dropbox/objects/%s/", id);
	rk_assert_error(&r, 403);
	rk_resp_release(&r);

	/* A read-only grant does not let one write. */
	rk_post(h, &r, "meti-analyst", env, RK_COLLS "dropbox/objects/");
	rk_assert_error(&r, 403);
	rk_resp_release(&r);

	/* The object is stored, untouched (the hub's own export shows it, as
	 * only the provider's organisation could see it over TAXII, and it may
	 * not read here). */
	char *out = NULL;
	int rc = rk_cli(h, NULL, &out, "export", "--collection", "dropbox", "--as", "mod-analyst",
			NULL);
	bool found = out && strstr(out, obj);
	free(out);
	free(obj);
	free(env);
	assert_int_equal(rc, 0);
	assert_true(found);
}

static void t_versions_paged(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *v[3];
	char next[512] = "";
	static const char *const want[3] = {"2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z",
					    "2025-03-01T00:00:00.000Z"};
	int got = 0;

	three_versions(h, id, v);
	for (int page = 0; page < 5; page++) {
		struct rk_resp r;
		rk_get(h, &r, "meti-analyst", TS "objects/%s/versions/?limit=1%s%s", id,
		       next[0] ? "&next=" : "", next);
		json_t *d = rk_assert_ok(&r);
		json_t *vs = json_object_get(d, "versions");
		assert_int_equal(json_array_size(vs), 1);
		assert_true(got < 3);
		assert_string_equal(json_string_value(json_array_get(vs, 0)), want[got]);
		got++;
		bool more = json_is_true(json_object_get(d, "more"));
		assert_true(more == (got < 3));
		if (more)
			snprintf(next, sizeof(next), "%s",
				 json_string_value(json_object_get(d, "next")));
		rk_resp_release(&r);
		if (!more)
			break;
	}
	assert_int_equal(got, 3);
	for (int i = 0; i < 3; i++)
		free(v[i]);
}

static void t_collections_are_separate(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-07-02T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	struct rk_resp r;

	/* One object in two collections of its owner... */
	post_202(h, &r, "ipa-analyst", env, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);
	post_202(h, &r, "ipa-analyst", env, RK_COLLS "advisories/objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);
	/* ...deleted from one, stays in the other. */
	rk_delete(h, &r, "ipa-analyst", RK_COLLS "advisories/objects/%s/", id);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	expect_404(h, "ipa-analyst", "advisories", id);
	assert_int_equal(object_count(h, "ipa-analyst", "threat-sharing", id, NULL), 1);

	/* Posted again after its deletion, it is stored again, as new. */
	post_202(h, &r, "ipa-analyst", env, RK_COLLS "advisories/objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);
	rk_get(h, &r, "sdf-analyst", RK_COLLS "advisories/objects/%s/", id);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, obj));
	rk_resp_release(&r);
	free(obj);
	free(env);
}

/* The version of an object without modified: its created (a marking
 * definition) or, with neither (an SCO), one the server picks and then keeps
 * the same everywhere: in the status, the manifest, the versions. */
static void t_versions_without_modified(void **state)
{
	struct rk_hub *h = *state;
	char u[37], mid[RK_ID_MAX], sid[RK_ID_MAX], ver[64];
	struct rk_sb b = {0};
	struct rk_resp r;

	rk_uuid4(u);
	snprintf(mid, sizeof(mid), "marking-definition--%s", u);
	snprintf(sid, sizeof(sid), "ipv4-addr--%s", u);
	rk_sb_addf(&b,
		   "{\"objects\":[{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
		   "\"id\":\"%s\",\"created\":\"2025-03-03T03:03:03.333Z\","
		   "\"definition_type\":\"statement\",\"definition\":{\"statement\":\"(c) mod\"},"
		   "\"created_by_ref\":\"" RK_MOD_IDENTITY "\"},"
		   "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"value\":\"203.0.113.9\"}]}",
		   mid, sid);
	post_202(h, &r, "mod-analyst", b.s, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 2);
	json_t *d = detail(r.json, "successes", mid);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "version")),
			    "2025-03-03T03:03:03.333Z");
	d = detail(r.json, "successes", sid);
	assert_non_null(d);
	snprintf(ver, sizeof(ver), "%s", json_string_value(json_object_get(d, "version")));
	rk_resp_release(&r);

	rk_get(h, &r, "mod-analyst", TS "manifest/?match[id]=%s,%s&match[version]=all", mid, sid);
	json_t *m = rk_assert_ok(&r);
	json_t *list = json_object_get(m, "objects");
	assert_int_equal(json_array_size(list), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *rec = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(rec, "id"));
		assert_string_equal(json_string_value(json_object_get(rec, "version")),
				    !strcmp(id, mid) ? "2025-03-03T03:03:03.333Z" : ver);
	}
	rk_resp_release(&r);

	/* The same SCO again: a success that names the version stored. */
	char again[64] = "";
	long nver = 0;
	post_202(h, &r, "mod-analyst", b.s, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 2);
	d = detail(r.json, "successes", sid);
	assert_non_null(d);
	snprintf(again, sizeof(again), "%s", json_string_value(json_object_get(d, "version")));
	rk_resp_release(&r);
	rk_get(h, &r, "mod-analyst", TS "objects/%s/versions/", sid);
	json_t *vs = json_object_get(rk_assert_ok(&r), "versions");
	nver = (long)json_array_size(vs);
	assert_string_equal(json_string_value(json_array_get(vs, 0)), ver);
	rk_resp_release(&r);
	rk_sb_release(&b);
	assert_int_equal(nver, 1);
	if (strcmp(again, ver))
		fprintf(stderr, "re-posted SCO: status version %s, stored version %s\n", again,
			ver);
	assert_string_equal(again, ver);
}

/*
 * docs/decisions.md: a cyber observable (no created, no modified) has no
 * owner. Its id derives from its value, so two organisations that saw the
 * same address post the same id, each its own copy; and such copies give
 * nobody the id when it is later posted with a version.
 */
static void t_observable_two_providers(void **state)
{
	struct rk_hub *h = *state;
	char u[37], sid[RK_ID_MAX];
	struct rk_sb sco = {0}, versioned = {0};
	struct rk_resp r;

	rk_uuid4(u);
	snprintf(sid, sizeof(sid), "ipv4-addr--%s", u);
	rk_sb_addf(&sco,
		   "{\"objects\":[{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"value\":\"203.0.113.10\"}]}",
		   sid);
	const char *users[2] = {"mod-analyst", "meti-analyst"};
	for (int i = 0; i < 2; i++) {
		post_202(h, &r, users[i], sco.s, TS "objects/");
		assert_int_equal(count(r.json, "success_count"), 1);
		assert_non_null(detail(r.json, "successes", sid));
		rk_resp_release(&r);
	}

	/* With a version, the first to post it owns it; the copies above
	 * count for nobody. */
	rk_sb_addf(&versioned,
		   "{\"objects\":[{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"created\":\"2025-06-01T00:00:00.000Z\",\"value\":\"203.0.113.10\"}]}",
		   sid);
	post_202(h, &r, "ipa-analyst", versioned.s, TS "objects/");
	assert_int_equal(count(r.json, "success_count"), 1);
	rk_resp_release(&r);
	post_202(h, &r, "mod-analyst", versioned.s, TS "objects/");
	assert_int_equal(count(r.json, "failure_count"), 1);
	assert_non_null(detail(r.json, "failures", sid));
	rk_resp_release(&r);
	rk_sb_release(&sco);
	rk_sb_release(&versioned);
}

/* DESIGN.md §4.1: a status resource is kept at least 24 hours. Runs last: it
 * restarts the server on a test clock a day ahead. */
static void t_status_kept_a_day(void **state)
{
	struct rk_hub *h = *state;
	char *obj = rk_indicator("2025-07-03T00:00:00.000Z", NULL);
	char *env = rk_envelope(&obj, 1);
	char sid[64];
	struct rk_resp r;

	assert_int_equal(rk_serve_stop(h), 0);
	assert_int_equal(rk_serve_start(h, "--test-clock", "2030-01-01T00:00:00.000Z", NULL), 0);
	post_202(h, &r, "mod-analyst", env, TS "objects/");
	snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(r.json, "id")));
	assert_string_equal(json_string_value(json_object_get(r.json, "request_timestamp")),
			    "2030-01-01T00:00:00.000000Z");
	rk_resp_release(&r);

	assert_int_equal(rk_serve_stop(h), 0);
	assert_int_equal(rk_serve_start(h, "--test-clock", "2030-01-01T23:59:00.000Z", NULL), 0);
	rk_get(h, &r, "mod-analyst", RK_ROOT "status/%s/", sid);
	json_t *st = rk_assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(st, "id")), sid);
	assert_int_equal(count(st, "success_count"), 1);
	rk_resp_release(&r);
	free(obj);
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_status_resource),
		cmocka_unit_test(t_empty_envelope),
		cmocka_unit_test(t_duplicate_repost),
		cmocka_unit_test(t_conflict),
		cmocka_unit_test(t_created_by_ref),
		cmocka_unit_test(t_other_org_id),
		cmocka_unit_test(t_mixed_invalid),
		cmocka_unit_test(t_long_mixed_envelope),
		cmocka_unit_test(t_row_numbers_not_reused),
		cmocka_unit_test(t_japanese_round_trip),
		cmocka_unit_test(t_versions_and_object),
		cmocka_unit_test(t_delete_one_version),
		cmocka_unit_test(t_delete_all_versions),
		cmocka_unit_test(t_owner_outlives_delete),
		cmocka_unit_test(t_versions_out_of_order),
		cmocka_unit_test(t_write_only_collection),
		cmocka_unit_test(t_versions_paged),
		cmocka_unit_test(t_collections_are_separate),
		cmocka_unit_test(t_versions_without_modified),
		cmocka_unit_test(t_observable_two_providers),
		cmocka_unit_test(t_status_kept_a_day),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
