/*
 * test_protocol.c - TAXII 2.1 at the level of HTTP: every endpoint answers,
 * every status code the server promises (200, 202, 400, 401, 403, 404, 405,
 * 406, 413, 415, 422) with the TAXII error resource, the media type on every
 * response, and the unauthenticated /healthz and /metrics.
 *
 * Runs the real `renkei serve` on a demo hub (harness.h), with
 * max_content_length lowered to 200,000 bytes so that 413 is cheap to reach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"

#define MAX_CONTENT 200000
#define TS	    RK_COLLS "threat-sharing/"
/* A demo indicator of ipa in threat-sharing (examples/demo/ipa.json). */
#define DEMO_IND "indicator--a5ee91d6-70c3-4875-8ade-fd67bb8cf0ec"

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	/* An organisation with no grant on any collection. */
	if (rk_cli(h, NULL, NULL, "org", "add", "outsider", "--title", "部外者", NULL) ||
	    rk_add_user(h, "outsider", "outsider", "outsider-password") ||
	    rk_serve_start(h, "--max-content-length", "200000", NULL)) {
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

/* GET path as user with the given Accept and check the status. */
static void expect_get(struct rk_hub *h, const char *user, const char *path, long status)
{
	struct rk_resp r;
	rk_get(h, &r, user, "%s", path);
	if (r.status != status)
		fprintf(stderr, "GET %s as %s: %ld, expected %ld: %.200s\n", path,
			user ? user : "-", r.status, status, r.body);
	if (status >= 400)
		rk_assert_error(&r, status);
	else
		rk_assert_ok(&r);
	rk_resp_release(&r);
}

/* ---- discovery, API root, collections ---- */

static void t_discovery(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	rk_get(h, &r, "mod-analyst", "/taxii2/");
	json_t *d = rk_assert_ok(&r);
	assert_true(json_is_string(json_object_get(d, "title")));
	json_t *roots = json_object_get(d, "api_roots");
	assert_true(json_is_array(roots));
	bool found = false;
	for (size_t i = 0; i < json_array_size(roots); i++) {
		json_t *v = json_array_get(roots, i);
		if (json_is_string(v) && strstr(json_string_value(v), RK_ROOT))
			found = true;
	}
	assert_true(found);
	json_t *def = json_object_get(d, "default");
	assert_true(def == NULL ||
		    (json_is_string(def) && strstr(json_string_value(def), RK_ROOT)));
	rk_resp_release(&r);

	/* Any user, whatever its grants, may discover. */
	expect_get(h, "outsider", "/taxii2/", 200);
}

static void t_api_root(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	rk_get(h, &r, "sdf-analyst", RK_ROOT);
	json_t *d = rk_assert_ok(&r);
	assert_true(json_is_string(json_object_get(d, "title")));
	json_t *versions = json_object_get(d, "versions");
	assert_true(json_is_array(versions));
	bool found = false;
	for (size_t i = 0; i < json_array_size(versions); i++) {
		json_t *v = json_array_get(versions, i);
		if (json_is_string(v) && !strcmp(json_string_value(v), RK_TAXII))
			found = true;
	}
	assert_true(found);
	/* §4.2.1: max_content_length is the server's, as configured. */
	assert_true(json_is_integer(json_object_get(d, "max_content_length")));
	assert_int_equal(json_integer_value(json_object_get(d, "max_content_length")), MAX_CONTENT);
	rk_resp_release(&r);
}

/* The collection with this alias in a collections resource, or NULL. */
static json_t *find_alias(json_t *cols, const char *alias)
{
	json_t *list = json_object_get(cols, "collections");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *c = json_array_get(list, i);
		json_t *a = json_object_get(c, "alias");
		if (json_is_string(a) && !strcmp(json_string_value(a), alias))
			return c;
	}
	return NULL;
}

static void t_collections(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	json_t *c;

	/* mod-dbp: rw on threat-sharing and advisories, read-only on research
	 * (other collections of the agreement may be listed too). */
	rk_get(h, &r, "mod-analyst", RK_COLLS);
	json_t *d = rk_assert_ok(&r);
	assert_true(json_array_size(json_object_get(d, "collections")) >= 3);
	c = find_alias(d, "advisories");
	assert_non_null(c);
	assert_true(json_is_true(json_object_get(c, "can_write")));
	c = find_alias(d, "research");
	assert_non_null(c);
	assert_true(json_is_true(json_object_get(c, "can_read")));
	assert_true(json_is_false(json_object_get(c, "can_write")));
	c = find_alias(d, "threat-sharing");
	assert_non_null(c);
	assert_true(json_is_true(json_object_get(c, "can_read")));
	assert_true(json_is_true(json_object_get(c, "can_write")));
	assert_true(json_is_string(json_object_get(c, "id")));
	assert_true(json_is_string(json_object_get(c, "title")));
	json_t *mt = json_object_get(c, "media_types");
	assert_true(json_is_array(mt));
	assert_string_equal(json_string_value(json_array_get(mt, 0)), RK_STIX);
	rk_resp_release(&r);

	/* jsdf-cyber: threat-sharing rw, advisories read-only, no research. */
	rk_get(h, &r, "sdf-analyst", RK_COLLS);
	d = rk_assert_ok(&r);
	assert_null(find_alias(d, "research"));
	c = find_alias(d, "threat-sharing");
	assert_non_null(c);
	assert_true(json_is_true(json_object_get(c, "can_write")));
	c = find_alias(d, "advisories");
	assert_non_null(c);
	assert_true(json_is_false(json_object_get(c, "can_write")));
	rk_resp_release(&r);

	/* No grant at all: an empty collections resource is {}. */
	rk_get(h, &r, "outsider", RK_COLLS);
	d = rk_assert_ok(&r);
	assert_int_equal(json_object_size(d), 0);
	rk_resp_release(&r);
}

static void t_collection_by_alias_and_id(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	char id[128];

	rk_get(h, &r, "ipa-analyst", TS);
	json_t *d = rk_assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(d, "alias")), "threat-sharing");
	assert_true(json_is_true(json_object_get(d, "can_read")));
	assert_true(json_is_true(json_object_get(d, "can_write")));
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(d, "id")));
	rk_resp_release(&r);

	rk_get(h, &r, "ipa-analyst", RK_COLLS "%s/", id);
	d = rk_assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(d, "id")), id);
	rk_resp_release(&r);

	/* The id works everywhere the alias does. */
	rk_get(h, &r, "ipa-analyst", RK_COLLS "%s/objects/%s/", id, DEMO_IND);
	d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 1);
	rk_resp_release(&r);
}

/* ---- errors ---- */

static void t_not_found(void **state)
{
	struct rk_hub *h = *state;
	char p[512];
	char u[37];

	expect_get(h, "mod-analyst", "/no-such-root/", 404);
	expect_get(h, "mod-analyst", "/no-such-root/collections/", 404);
	expect_get(h, "mod-analyst", RK_COLLS "no-such-collection/", 404);
	expect_get(h, "mod-analyst", RK_COLLS "no-such-collection/objects/", 404);
	expect_get(h, "mod-analyst", RK_ROOT "status/no-such-status/", 404);
	rk_uuid4(u);
	snprintf(p, sizeof(p), RK_ROOT "status/%s/", u);
	expect_get(h, "mod-analyst", p, 404);
	snprintf(p, sizeof(p), TS "objects/indicator--%s/", u);
	expect_get(h, "mod-analyst", p, 404);
	snprintf(p, sizeof(p), TS "objects/indicator--%s/versions/", u);
	expect_get(h, "mod-analyst", p, 404);
	expect_get(h, "mod-analyst", TS "no-such-resource/", 404);
	expect_get(h, "mod-analyst", TS "objects/" DEMO_IND "/versions/extra/", 404);
	expect_get(h, "mod-analyst", RK_ROOT "no-such-resource/", 404);
	/* §3.1: TAXII URLs end with '/'. */
	expect_get(h, "mod-analyst", RK_ROOT "collections", 404);

	/* A collection without any grant does not exist for the requester. */
	expect_get(h, "outsider", TS, 404);
	expect_get(h, "outsider", TS "objects/", 404);
	expect_get(h, "outsider", TS "manifest/", 404);
	expect_get(h, "outsider", TS "objects/" DEMO_IND "/", 404);
	expect_get(h, "outsider", TS "objects/" DEMO_IND "/versions/", 404);
	expect_get(h, "sdf-analyst", RK_COLLS "research/", 404);
	expect_get(h, "sdf-analyst", RK_COLLS "research/manifest/", 404);
}

static void t_method_not_allowed(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "mod-analyst");
	static const struct {
		const char *method, *path;
	} cases[] = {
		{"POST", "/taxii2/"},
		{"DELETE", "/taxii2/"},
		{"PUT", RK_ROOT},
		{"POST", RK_COLLS},
		{"DELETE", TS},
		{"POST", TS "manifest/"},
		{"PUT", TS "objects/"},
		{"DELETE", TS "objects/"},
		{"POST", TS "objects/" DEMO_IND "/"},
		{"PUT", TS "objects/" DEMO_IND "/"},
		{"DELETE", TS "objects/" DEMO_IND "/versions/"},
		{"POST", RK_ROOT "status/00000000-0000-4000-8000-000000000000/"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rk_resp r;
		struct rk_req rq = {
			.method = cases[i].method, .path = cases[i].path, .auth = c->basic};
		if (!strcmp(cases[i].method, "PUT") || !strcmp(cases[i].method, "POST")) {
			rq.body = "{}";
			rq.len = 2;
		}
		rk_request(h, &rq, &r);
		if (r.status != 405)
			fprintf(stderr, "%s %s: %ld\n", cases[i].method, cases[i].path, r.status);
		rk_assert_error(&r, 405);
		assert_true(r.allow[0] != '\0');
		assert_non_null(strstr(r.allow, "GET"));
		rk_resp_release(&r);
	}
	/* The demo indicator is still there: nothing was deleted. */
	expect_get(h, "mod-analyst", TS "objects/" DEMO_IND "/", 200);
}

static void t_not_acceptable(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "mod-analyst");
	static const char *const good[] = {
		"", /* no Accept header at all */
		RK_TAXII,
		"application/taxii+json; version=2.1",
		"application/taxii+json",
		"*/*",
		"application/json, application/taxii+json;version=2.1",
	};
	static const char *const bad[] = {
		"application/json",
		"application/taxii+json;version=2.0",
		"application/stix+json;version=2.1",
		"text/html",
		"application/taxii+json;version=2.1;q=0",
	};
	static const char *const paths[] = {"/taxii2/", RK_ROOT, TS, TS "objects/", TS "manifest/"};

	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			struct rk_resp r;
			struct rk_req rq = {.path = paths[p], .auth = c->basic, .accept = good[i]};
			rk_request(h, &rq, &r);
			if (r.status != 200)
				fprintf(stderr, "Accept '%s' on %s: %ld\n", good[i], paths[p],
					r.status);
			rk_assert_ok(&r);
			rk_resp_release(&r);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct rk_resp r;
			struct rk_req rq = {.path = paths[p], .auth = c->basic, .accept = bad[i]};
			rk_request(h, &rq, &r);
			if (r.status != 406)
				fprintf(stderr, "Accept '%s' on %s: %ld\n", bad[i], paths[p],
					r.status);
			rk_assert_error(&r, 406);
			rk_resp_release(&r);
		}
	}
}

static void t_unauthenticated(void **state)
{
	struct rk_hub *h = *state;
	static const struct {
		const char *method, *path;
	} cases[] = {
		{"GET", "/taxii2/"},
		{"GET", RK_ROOT},
		{"GET", RK_ROOT "status/00000000-0000-4000-8000-000000000000/"},
		{"GET", RK_COLLS},
		{"GET", TS},
		{"GET", TS "manifest/"},
		{"GET", TS "objects/"},
		{"POST", TS "objects/"},
		{"GET", TS "objects/" DEMO_IND "/"},
		{"DELETE", TS "objects/" DEMO_IND "/"},
		{"GET", TS "objects/" DEMO_IND "/versions/"},
		{"GET", "/no-such-root/"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rk_resp r;
		struct rk_req rq = {.method = cases[i].method, .path = cases[i].path};
		if (!strcmp(cases[i].method, "POST")) {
			rq.body = "{\"objects\":[]}";
			rq.len = strlen(rq.body);
		}
		rk_request(h, &rq, &r);
		if (r.status != 401)
			fprintf(stderr, "%s %s without credentials: %ld\n", cases[i].method,
				cases[i].path, r.status);
		rk_assert_error(&r, 401);
		/* RFC 9110 §11.6.1: a 401 names the schemes it takes. */
		assert_true(r.www_authenticate[0] != '\0');
		assert_non_null(strcasestr(r.www_authenticate, "Basic"));
		rk_resp_release(&r);
	}
	expect_get(h, "mod-analyst", TS "objects/" DEMO_IND "/", 200);
}

static void t_post_forbidden(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-04-01T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);

	/* Read-only grants: 403 (the collection is visible, writing is not). */
	rk_post(h, &r, "sdf-analyst", env, RK_COLLS "advisories/objects/");
	rk_assert_error(&r, 403);
	rk_resp_release(&r);
	rk_post(h, &r, "mod-analyst", env, RK_COLLS "research/objects/");
	rk_assert_error(&r, 403);
	rk_resp_release(&r);
	/* No grant at all: the collection does not exist for the outsider. */
	rk_post(h, &r, "outsider", env, TS "objects/");
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
	/* Nothing was stored anywhere. */
	rk_get(h, &r, "mod-analyst", RK_COLLS "research/objects/%s/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
	rk_get(h, &r, "mod-analyst", RK_COLLS "advisories/objects/%s/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);
	/* And deleting on a read-only grant is 403 too (§5.7). */
	rk_delete(h, &r, "sdf-analyst", RK_COLLS "advisories/objects/%s/",
		  "indicator--00000000-0000-4000-8000-000000000000");
	rk_assert_error(&r, 403);
	rk_resp_release(&r);
	free(obj);
	free(env);
}

static void t_post_unsupported_media(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "mod-analyst");
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-04-02T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	static const char *const bad[] = {
		"",
		"application/json",
		"text/plain",
		"application/taxii+json;version=2.0",
		"application/stix+json;version=2.1",
		"application/x-www-form-urlencoded",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rk_resp r;
		struct rk_req rq = {.path = TS "objects/",
				    .auth = c->basic,
				    .body = env,
				    .len = strlen(env),
				    .content_type = bad[i]};
		rk_request(h, &rq, &r);
		if (r.status != 415)
			fprintf(stderr, "Content-Type '%s': %ld\n", bad[i], r.status);
		rk_assert_error(&r, 415);
		rk_resp_release(&r);
	}
	struct rk_resp r;
	rk_get(h, &r, "mod-analyst", TS "objects/%s/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);

	/* A POST must also accept the TAXII answer: 406, nothing stored. */
	struct rk_req na = {.path = TS "objects/",
			    .auth = c->basic,
			    .body = env,
			    .len = strlen(env),
			    .accept = "application/json"};
	rk_request(h, &na, &r);
	rk_assert_error(&r, 406);
	rk_resp_release(&r);
	rk_get(h, &r, "mod-analyst", TS "objects/%s/", id);
	rk_assert_error(&r, 404);
	rk_resp_release(&r);

	/* Blanks around the parameter are allowed. */
	struct rk_req rq = {.path = TS "objects/",
			    .auth = c->basic,
			    .body = env,
			    .len = strlen(env),
			    .content_type = "application/taxii+json; version=2.1"};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 202);
	rk_assert_taxii_type(&r);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	rk_resp_release(&r);
	free(obj);
	free(env);
}

static void t_post_too_large(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "mod-analyst");
	struct rk_resp r;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-04-03T00:00:00.000Z", id);

	/* An envelope of exactly max_content_length bytes is taken: pad it
	 * with blanks, which JSON allows between tokens. */
	struct rk_sb b = {0};
	rk_sb_adds(&b, "{\"objects\":[");
	rk_sb_adds(&b, obj);
	rk_sb_adds(&b, "]");
	while (b.len < MAX_CONTENT - 1)
		rk_sb_adds(&b, " ");
	rk_sb_adds(&b, "}");
	assert_int_equal(b.len, MAX_CONTENT);
	struct rk_req rq = {.path = TS "objects/", .auth = c->basic, .body = b.s, .len = b.len};
	rk_request(h, &rq, &r);
	if (r.status != 202)
		fprintf(stderr, "exactly max_content_length: %ld %.200s\n", r.status, r.body);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	rk_resp_release(&r);

	/* One byte more: 413, by the declared Content-Length. */
	char *obj2 = rk_indicator("2025-04-03T00:00:00.000Z", NULL);
	struct rk_sb b2 = {0};
	rk_sb_adds(&b2, "{\"objects\":[");
	rk_sb_adds(&b2, obj2);
	rk_sb_adds(&b2, "]");
	while (b2.len < MAX_CONTENT)
		rk_sb_adds(&b2, " ");
	rk_sb_adds(&b2, "}");
	assert_int_equal(b2.len, MAX_CONTENT + 1);
	rq.body = b2.s;
	rq.len = b2.len;
	rk_request(h, &rq, &r);
	rk_assert_error(&r, 413);
	rk_resp_release(&r);

	/* Chunked (no Content-Length) under the cap is taken like any POST. */
	char id3[RK_ID_MAX];
	char *obj3 = rk_indicator("2025-04-03T00:00:00.000Z", id3);
	char *env3 = rk_envelope(&obj3, 1);
	struct rk_req ch = {.path = TS "objects/",
			    .auth = c->basic,
			    .body = env3,
			    .len = strlen(env3),
			    .chunked = true};
	rk_request(h, &ch, &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	rk_resp_release(&r);
	free(obj3);
	free(env3);

	/* The big one without a Content-Length (chunked): 413 once read. */
	rq.chunked = true;
	rk_request(h, &rq, &r);
	rk_assert_error(&r, 413);
	rk_resp_release(&r);

	/* Neither stored anything. */
	rk_get(h, &r, "mod-analyst", TS "manifest/?match[id]=%s&match[version]=all", id);
	json_t *d = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(d, "objects")), 1);
	rk_resp_release(&r);
	free(obj);
	free(obj2);
	rk_sb_release(&b);
	rk_sb_release(&b2);
}

static void t_post_unprocessable(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "mod-analyst");
	static const char *const bodies[] = {
		"",
		"not json at all",
		"[]",
		"[{\"objects\":[]}]",
		"\"objects\"",
		"{\"objects\":{}}",
		"{\"objects\":\"none\"}",
		"{\"objects\":[",
		"{\"objects\":[{\"type\":\"indicator\"}",
		"{\"objects\":[]} trailing",
		"{\"objects\":[],\"objects\":[]}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct rk_resp r;
		struct rk_req rq = {.method = "POST",
				    .path = TS "objects/",
				    .auth = c->basic,
				    .body = bodies[i],
				    .len = strlen(bodies[i])};
		rk_request(h, &rq, &r);
		if (r.status != 422)
			fprintf(stderr, "body '%s': %ld %.200s\n", bodies[i], r.status, r.body);
		rk_assert_error(&r, 422);
		rk_resp_release(&r);
	}
}

static void t_bad_query(void **state)
{
	struct rk_hub *h = *state;
	static const char *const queries[] = {
		"limit=0",
		"limit=abc",
		"limit=-5",
		"limit=1.5",
		"limit=",
		"limit=5&limit=6",
		"added_after=yesterday",
		"added_after=2025-01-01",
		"added_after=2025-01-01T00:00:00.000%2B09:00",
		"added_after=2025-13-01T00:00:00.000Z",
		"match[version]=bogus",
		"match[version]=all,last",
		"match[version]=first,all",
		"match[version]=all,2025-01-01T00:00:00.000Z",
		"match[version]=2025-01-01",
		"match[id]=",
		"match[id]=a,,b",
		"match[type]=indicator&match[type]=malware",
		"next=not-a-cursor!!",
		"next=AAAA",
	};
	static const char *const paths[] = {TS "objects/", TS "manifest/"};

	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
			struct rk_resp r;
			rk_get(h, &r, "mod-analyst", "%s?%s", paths[p], queries[i]);
			if (r.status != 400)
				fprintf(stderr, "%s?%s: %ld %.200s\n", paths[p], queries[i],
					r.status, r.body);
			rk_assert_error(&r, 400);
			rk_resp_release(&r);
		}
	}
	/* The object, versions and DELETE endpoints parse what they take. */
	static const char *const more[] = {
		TS "objects/" DEMO_IND "/?limit=0",
		TS "objects/" DEMO_IND "/?match[version]=all,first",
		TS "objects/" DEMO_IND "/?added_after=soon",
		TS "objects/" DEMO_IND "/versions/?limit=abc",
		TS "objects/" DEMO_IND "/versions/?added_after=2025",
		TS "objects/" DEMO_IND "/versions/?next=%25%25",
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		struct rk_resp r;
		rk_get(h, &r, "mod-analyst", "%s", more[i]);
		if (r.status != 400)
			fprintf(stderr, "%s: %ld %.200s\n", more[i], r.status, r.body);
		rk_assert_error(&r, 400);
		rk_resp_release(&r);
	}
	struct rk_resp r;
	rk_delete(h, &r, "mod-analyst", TS "objects/" DEMO_IND "/?match[version]=bogus");
	rk_assert_error(&r, 400);
	rk_resp_release(&r);
	expect_get(h, "mod-analyst", TS "objects/" DEMO_IND "/", 200);
}

/* ---- media type on every answer ---- */

static void t_media_type_everywhere(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *c = rk_cred(h, "meti-analyst");
	struct rk_resp r;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-04-04T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	char p[512];

	/* 202 */
	struct rk_req rq = {
		.path = TS "objects/", .auth = c->basic, .body = env, .len = strlen(env)};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 202);
	rk_assert_taxii_type(&r);
	char status_id[64];
	snprintf(status_id, sizeof(status_id), "%s",
		 json_string_value(json_object_get(r.json, "id")));
	rk_resp_release(&r);

	/* 200 of every GET endpoint */
	const char *paths[] = {"/taxii2/",    RK_ROOT, RK_COLLS, TS,  TS "manifest/",
			       TS "objects/", NULL,    NULL,	 NULL};
	snprintf(p, sizeof(p), RK_ROOT "status/%s/", status_id);
	paths[6] = strdup(p);
	snprintf(p, sizeof(p), TS "objects/%s/", id);
	paths[7] = strdup(p);
	snprintf(p, sizeof(p), TS "objects/%s/versions/", id);
	paths[8] = strdup(p);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		rk_get(h, &r, "meti-analyst", "%s", paths[i]);
		if (r.status != 200)
			fprintf(stderr, "GET %s: %ld\n", paths[i], r.status);
		rk_assert_ok(&r);
		rk_resp_release(&r);
	}
	/* An empty result is {} with the media type too. */
	rk_get(h, &r, "meti-analyst", TS "objects/?match[type]=no-such-type");
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);
	rk_get(h, &r, "meti-analyst", TS "manifest/?match[type]=no-such-type");
	assert_int_equal(json_object_size(rk_assert_ok(&r)), 0);
	rk_resp_release(&r);

	/* 200 of DELETE */
	rk_delete(h, &r, "meti-analyst", "%s", paths[7]);
	assert_int_equal(r.status, 200);
	rk_assert_taxii_type(&r);
	rk_resp_release(&r);
	for (size_t i = 6; i < 9; i++)
		free((char *)paths[i]);
	free(obj);
	free(env);
}

/* ---- operations endpoints ---- */

static void t_healthz(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	static const char *const paths[] = {"/healthz", "/healthz/"};
	for (size_t i = 0; i < 2; i++) {
		struct rk_req rq = {.path = paths[i], .accept = ""};
		rk_request(h, &rq, &r);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.content_type, "application/json"));
		assert_non_null(r.json);
		assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
		rk_resp_release(&r);
	}
	/* Only GET (and HEAD). */
	struct rk_req rq = {.method = "POST",
			    .path = "/healthz",
			    .accept = "",
			    .body = "x",
			    .len = 1,
			    .content_type = "text/plain"};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 405);
	rk_resp_release(&r);
}

static double metric(struct rk_hub *h, const char *series)
{
	struct rk_resp r;
	struct rk_req rq = {.path = "/metrics", .accept = ""};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 200);
	double v = rk_metric(r.body, series);
	rk_resp_release(&r);
	return v;
}

static void t_metrics(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	static const char disc[] = "renkei_http_requests_total{route=\"discovery\",status=\"200\"}";

	struct rk_req rq = {.path = "/metrics", .accept = ""};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 200);
	assert_true(!strncmp(r.content_type, "text/plain", 10));
	assert_non_null(strstr(r.body, "# TYPE renkei_http_requests_total counter"));
	assert_non_null(strstr(r.body, "# TYPE renkei_objects_stored gauge"));
	double stored = rk_metric(r.body, "renkei_objects_stored");
	assert_true(stored > 0); /* the demo objects */
	double before = rk_metric(r.body, disc);
	if (before < 0)
		before = 0;
	rk_resp_release(&r);

	for (int i = 0; i < 3; i++)
		expect_get(h, "mod-analyst", "/taxii2/", 200);
	/* The counter moves when a request completes, just after its answer. */
	double after = 0;
	for (int tries = 0; tries < 100; tries++) {
		after = metric(h, disc);
		if (after >= before + 3)
			break;
		usleep(20000);
	}
	assert_true(after == before + 3);

	/* Two new objects: the gauge grows by exactly two. */
	char *objs[2] = {rk_indicator("2025-04-05T00:00:00.000Z", NULL),
			 rk_indicator("2025-04-05T00:00:00.000Z", NULL)};
	char *env = rk_envelope(objs, 2);
	rk_post(h, &r, "ipa-analyst", env, TS "objects/");
	assert_int_equal(r.status, 202);
	rk_resp_release(&r);
	assert_true(metric(h, "renkei_objects_stored") == stored + 2);
	free(objs[0]);
	free(objs[1]);
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_discovery),	    cmocka_unit_test(t_api_root),
		cmocka_unit_test(t_collections),    cmocka_unit_test(t_collection_by_alias_and_id),
		cmocka_unit_test(t_not_found),	    cmocka_unit_test(t_method_not_allowed),
		cmocka_unit_test(t_not_acceptable), cmocka_unit_test(t_unauthenticated),
		cmocka_unit_test(t_post_forbidden), cmocka_unit_test(t_post_unsupported_media),
		cmocka_unit_test(t_post_too_large), cmocka_unit_test(t_post_unprocessable),
		cmocka_unit_test(t_bad_query),	    cmocka_unit_test(t_media_type_everywhere),
		cmocka_unit_test(t_healthz),	    cmocka_unit_test(t_metrics),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
