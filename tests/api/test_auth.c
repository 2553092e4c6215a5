/*
 * test_auth.c - authentication and the organisation boundary: HTTP Basic
 * with a password or a token, Bearer tokens, 401 with WWW-Authenticate for
 * missing, wrong, unknown, malformed, revoked and disabled credentials, and a
 * token of one organisation never reaching another's collection.
 *
 * Runs the real `renkei serve` on a demo hub (harness.h) plus organisation
 * 'acme' (users alice, bob, carol) and its own collection 'acme-only', and a
 * collection 'mod-only' that only mod-dbp may use. A failed
 * login holds the answer longer with each failure from one address; each
 * failure here is followed by a good request, which resets that.
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
#include <time.h>

#include "harness.h"

#define ACME	RK_COLLS "acme-only/"
#define MODONLY RK_COLLS "mod-only/"

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	if (rk_cli(h, NULL, NULL, "org", "add", "acme", "--title", "ACME 株式会社", NULL) ||
	    rk_add_user(h, "alice", "acme", "alice-password-1") ||
	    rk_add_user(h, "bob", "acme", "bob-password-1") ||
	    rk_add_user(h, "carol", "acme", "pa:ss:wörd 日本") ||
	    rk_cli(h, NULL, NULL, "collection", "add", "--title", "acme only", "--alias",
		   "acme-only", NULL) ||
	    rk_cli(h, NULL, NULL, "collection", "grant", "acme-only", "--org", "acme", "--read",
		   "--write", NULL) ||
	    rk_cli(h, NULL, NULL, "collection", "add", "--title", "mod only", "--alias", "mod-only",
		   NULL) ||
	    rk_cli(h, NULL, NULL, "collection", "grant", "mod-only", "--org", "mod-dbp", "--read",
		   "--write", NULL) ||
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

/* GET path with this Authorization value (NULL: none); returns the status
 * and asserts the shape that goes with it. */
static long get_as(struct rk_hub *h, const char *auth, const char *path)
{
	struct rk_resp r;
	struct rk_req rq = {.path = path, .auth = auth};
	rk_request(h, &rq, &r);
	long st = r.status;
	if (st == 401) {
		rk_assert_error(&r, 401);
		if (!r.www_authenticate[0])
			fprintf(stderr, "401 without WWW-Authenticate on %s\n", path);
		assert_true(r.www_authenticate[0] != '\0');
		assert_non_null(strcasestr(r.www_authenticate, "Basic"));
	} else if (st == 200) {
		rk_assert_ok(&r);
	} else if (st >= 400) {
		rk_assert_error(&r, st);
	}
	rk_resp_release(&r);
	return st;
}

/* A good request: ends the slow-down of failed logins from this address. */
static void good(struct rk_hub *h)
{
	assert_int_equal(get_as(h, rk_cred(h, "alice")->basic, "/taxii2/"), 200);
}

static void expect_401(struct rk_hub *h, const char *auth, const char *path)
{
	long st = get_as(h, auth, path);
	if (st != 401)
		fprintf(stderr, "'%s' on %s: %ld, expected 401\n", auth ? auth : "(none)", path,
			st);
	assert_int_equal(st, 401);
	good(h);
}

static void t_no_credentials(void **state)
{
	struct rk_hub *h = *state;
	assert_int_equal(get_as(h, NULL, "/taxii2/"), 401);
	assert_int_equal(get_as(h, NULL, ACME "objects/"), 401);
	/* Unauthenticated operations endpoints stay open. */
	struct rk_resp r;
	struct rk_req rq = {.path = "/healthz", .accept = ""};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	rq.path = "/metrics";
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
}

static void t_basic_password(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	rk_get(h, &r, "alice", RK_COLLS);
	json_t *d = rk_assert_ok(&r);
	json_t *list = json_object_get(d, "collections");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "alias")),
			    "acme-only");
	rk_resp_release(&r);
	/* The password is checked for what it is, not cached into a pass. */
	char auth[256];
	rk_basic("alice", "alice-password-2", auth, sizeof(auth));
	expect_401(h, auth, "/taxii2/");
	rk_basic("alice", "", auth, sizeof(auth));
	expect_401(h, auth, "/taxii2/");
	rk_basic("ALICE", "alice-password-1", auth, sizeof(auth));
	expect_401(h, auth, "/taxii2/");
}

static void t_wrong_and_unknown(void **state)
{
	struct rk_hub *h = *state;
	char auth[256];
	const struct rk_cred *mod = rk_cred(h, "mod-analyst");

	rk_basic("mod-analyst", "not-the-password", auth, sizeof(auth));
	expect_401(h, auth, RK_COLLS);
	rk_basic("nobody", mod->password, auth, sizeof(auth));
	expect_401(h, auth, RK_COLLS);
	/* Another user's password. */
	rk_basic("meti-analyst", mod->password, auth, sizeof(auth));
	expect_401(h, auth, RK_COLLS);
	/* Malformed headers. */
	expect_401(h, "Basic !!!not-base64!!!", RK_COLLS);
	expect_401(h, "Basic bm9jb2xvbg==", RK_COLLS); /* "nocolon" */
	expect_401(h, "Basic ", RK_COLLS);
	expect_401(h, "Digest username=\"mod-analyst\"", RK_COLLS);
	expect_401(h, mod->password, RK_COLLS);
	expect_401(h, "Bearer", RK_COLLS);
	expect_401(h, "Bearer rk_not-a-real-token", RK_COLLS);
	expect_401(h, "Bearer not-even-the-prefix", RK_COLLS);
}

static void t_tokens(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *mod = rk_cred(h, "mod-analyst");
	char auth[256];

	assert_int_equal(get_as(h, mod->bearer, RK_COLLS "threat-sharing/"), 200);
	/* RFC 9110 §11.1: the scheme is case-insensitive. */
	snprintf(auth, sizeof(auth), "bearer %s", mod->token);
	assert_int_equal(get_as(h, auth, RK_COLLS "threat-sharing/"), 200);
	/* A token as the password of Basic. */
	rk_basic("mod-analyst", mod->token, auth, sizeof(auth));
	assert_int_equal(get_as(h, auth, RK_COLLS "threat-sharing/"), 200);
	/* A token with a character changed is no token. */
	snprintf(auth, sizeof(auth), "Bearer %s", mod->token);
	size_t last = strlen(auth) - 1;
	auth[last] = auth[last] == 'A' ? 'B' : 'A';
	expect_401(h, auth, RK_COLLS);
	snprintf(auth, sizeof(auth), "Bearer %.20s", mod->token);
	expect_401(h, auth, RK_COLLS);
}

static void t_revoked_token(void **state)
{
	struct rk_hub *h = *state;
	char tok[128], bearer[200], basic[256], id[32];
	long tid = -1;

	assert_int_equal(rk_token_create(h, "alice", tok, &tid), 0);
	assert_true(tid > 0);
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	rk_basic("alice", tok, basic, sizeof(basic));
	assert_int_equal(get_as(h, bearer, ACME), 200);
	assert_int_equal(get_as(h, basic, ACME), 200);

	snprintf(id, sizeof(id), "%ld", tid);
	assert_int_equal(rk_cli(h, NULL, NULL, "token", "revoke", id, NULL), 0);
	expect_401(h, bearer, ACME);
	expect_401(h, basic, ACME);
	/* alice's other token and her password still work. */
	assert_int_equal(get_as(h, rk_cred(h, "alice")->bearer, ACME), 200);
	assert_int_equal(get_as(h, rk_cred(h, "alice")->basic, ACME), 200);
}

static void t_disabled_user(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *bob = rk_cred(h, "bob");
	char basic_tok[256];
	rk_basic("bob", bob->token, basic_tok, sizeof(basic_tok));

	/* Known good first, so that the password may well be cached. */
	assert_int_equal(get_as(h, bob->basic, ACME), 200);
	assert_int_equal(get_as(h, bob->bearer, ACME), 200);
	assert_int_equal(rk_cli(h, NULL, NULL, "user", "disable", "bob", NULL), 0);
	expect_401(h, bob->basic, ACME);
	expect_401(h, bob->bearer, ACME);
	expect_401(h, basic_tok, ACME);
	expect_401(h, bob->basic, "/taxii2/");
	assert_int_equal(rk_cli(h, NULL, NULL, "user", "enable", "bob", NULL), 0);
	assert_int_equal(get_as(h, bob->basic, ACME), 200);
	assert_int_equal(get_as(h, bob->bearer, ACME), 200);
}

static void t_org_isolation(void **state)
{
	struct rk_hub *h = *state;
	const struct rk_cred *mod = rk_cred(h, "mod-analyst");
	struct rk_resp r;
	char id[RK_ID_MAX], opath[256], vpath[256], spath[128];

	/* mod-dbp shares an object in mod-only, where nobody else has a grant. */
	char *obj = rk_indicator("2025-09-01T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	struct rk_req post = {
		.path = MODONLY "objects/", .auth = mod->bearer, .body = env, .len = strlen(env)};
	rk_request(h, &post, &r);
	assert_int_equal(r.status, 202);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	snprintf(spath, sizeof(spath), RK_ROOT "status/%s/",
		 json_string_value(json_object_get(r.json, "id")));
	rk_resp_release(&r);
	snprintf(opath, sizeof(opath), MODONLY "objects/%s/", id);
	snprintf(vpath, sizeof(vpath), MODONLY "objects/%s/versions/", id);
	assert_int_equal(get_as(h, mod->bearer, opath), 200);
	assert_int_equal(get_as(h, mod->bearer, spath), 200);

	/* The tokens of other organisations (acme; jsdf-cyber, a member of the
	 * agreement without a grant here) reach none of it: not the collection,
	 * not the object, not the status of the POST. */
	const char *const others[] = {rk_cred(h, "alice")->bearer,
				      rk_cred(h, "sdf-analyst")->bearer};
	const char *const paths[] = {MODONLY, MODONLY "manifest/", MODONLY "objects/", opath, vpath,
				     spath};
	for (size_t o = 0; o < 2; o++) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			long st = get_as(h, others[o], paths[i]);
			if (st != 404)
				fprintf(stderr, "other organisation on %s: %ld\n", paths[i], st);
			assert_int_equal(st, 404);
		}
		struct rk_req p2 = {.path = MODONLY "objects/",
				    .auth = others[o],
				    .body = env,
				    .len = strlen(env)};
		rk_request(h, &p2, &r);
		rk_assert_error(&r, 404);
		rk_resp_release(&r);
		struct rk_req del = {.method = "DELETE", .path = opath, .auth = others[o]};
		rk_request(h, &del, &r);
		rk_assert_error(&r, 404);
		rk_resp_release(&r);
		struct rk_req list = {.path = RK_COLLS, .auth = others[o]};
		rk_request(h, &list, &r);
		rk_assert_ok(&r);
		assert_null(strstr(r.body, "mod-only"));
		rk_resp_release(&r);
	}

	/* Nor does mod-dbp's token reach acme's collection. */
	assert_int_equal(get_as(h, mod->bearer, ACME), 404);
	assert_int_equal(get_as(h, mod->bearer, ACME "manifest/"), 404);
	assert_int_equal(get_as(h, mod->bearer, ACME "objects/"), 404);
	/* And alice's token reaches none of the demo collections. */
	static const char *const demo[] = {"threat-sharing", "advisories", "research"};
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof(path), RK_COLLS "%s/objects/", demo[i]);
		assert_int_equal(get_as(h, rk_cred(h, "alice")->bearer, path), 404);
	}
	/* The object is intact. */
	rk_get(h, &r, "mod-analyst", "%s", opath);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, obj));
	rk_resp_release(&r);
	free(obj);
	free(env);
}

static void t_password_with_colons(void **state)
{
	struct rk_hub *h = *state;
	/* RFC 7617: the user-id ends at the first colon; the rest, colons
	 * included, is the password. */
	assert_int_equal(get_as(h, rk_cred(h, "carol")->basic, ACME), 200);
	char auth[256];
	rk_basic("carol", "pa:ss", auth, sizeof(auth));
	expect_401(h, auth, ACME);
}

/* A token past its expiry is no token. Runs last: it restarts the server on
 * a test clock two days ahead. */
static void t_expired_token(void **state)
{
	struct rk_hub *h = *state;
	char *out = NULL, tok[128] = "", bearer[200], later[64];

	assert_int_equal(
		rk_cli(h, NULL, &out, "token", "create", "alice", "--expires-days", "1", NULL), 0);
	const char *t = out ? strstr(out, "rk_") : NULL;
	assert_non_null(t);
	snprintf(tok, sizeof(tok), "%.*s", (int)strcspn(t, " \r\n"), t);
	free(out);
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	assert_int_equal(get_as(h, bearer, ACME), 200);

	time_t now = time(NULL) + 2 * 86400;
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(later, sizeof(later), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	assert_int_equal(rk_serve_stop(h), 0);
	assert_int_equal(rk_serve_start(h, "--test-clock", later, NULL), 0);
	expect_401(h, bearer, ACME);
	/* alice's token without an expiry still works. */
	assert_int_equal(get_as(h, rk_cred(h, "alice")->bearer, ACME), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_no_credentials),    cmocka_unit_test(t_basic_password),
		cmocka_unit_test(t_wrong_and_unknown), cmocka_unit_test(t_tokens),
		cmocka_unit_test(t_revoked_token),     cmocka_unit_test(t_disabled_user),
		cmocka_unit_test(t_org_isolation),     cmocka_unit_test(t_password_with_colons),
		cmocka_unit_test(t_expired_token),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
