/*
 * test_tls.c - `renkei serve --tls-cert --tls-key`: HTTPS with a self-signed
 * certificate made by openssl in the temporary directory, TLS 1.2 and 1.3
 * both negotiable (DESIGN.md §4.1), the API working over it, and the port
 * refusing plain HTTP and clients that do not trust the certificate. The
 * server runs two I/O threads (--io-threads 2), which share the connections
 * and their encryption.
 *
 * Needs the openssl command. Runs the real `renkei serve` on a demo hub.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TS RK_COLLS "threat-sharing/"

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	char cert[128], key[128], *out = NULL;
	if (!h)
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", h->dir);
	snprintf(key, sizeof(key), "%s/key.pem", h->dir);
	int rc = rk_run(h, &out, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			"-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days",
			"2", "-keyout", key, "-out", cert, NULL);
	free(out);
	if (rc) {
		fprintf(stderr, "openssl req failed (%d)\n", rc);
		rk_hub_free(h);
		return -1;
	}
	snprintf(h->cafile, sizeof(h->cafile), "%s", cert);
	if (rk_serve_start(h, "--tls-cert", cert, "--tls-key", key, "--io-threads", "2", NULL)) {
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

static void t_https(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	assert_true(!strncmp(h->url, "https://", 8));
	rk_get(h, &r, "mod-analyst", "/taxii2/");
	json_t *d = rk_assert_ok(&r);
	assert_non_null(json_object_get(d, "api_roots"));
	rk_resp_release(&r);
	/* Operations endpoints over TLS too. */
	struct rk_req rq = {.path = "/healthz", .accept = ""};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 200);
	rk_resp_release(&r);
	/* 401 and its header come over TLS as over HTTP. */
	struct rk_req anon = {.path = RK_COLLS};
	rk_request(h, &anon, &r);
	rk_assert_error(&r, 401);
	assert_true(r.www_authenticate[0] != '\0');
	rk_resp_release(&r);
}

static void check_version(struct rk_hub *h, long ssl_version, const char *name)
{
	struct rk_resp r;
	const struct rk_cred *c = rk_cred(h, "ipa-analyst");
	struct rk_req rq = {.path = RK_COLLS, .auth = c->bearer, .ssl_version = ssl_version};
	rk_request(h, &rq, &r);
	if (r.status != 200)
		fprintf(stderr, "%s: status %ld: %s\n", name, r.status, r.error);
	rk_assert_ok(&r);
	rk_resp_release(&r);
}

static void t_tls12(void **state)
{
	check_version(*state, CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2, "TLS 1.2");
}

static void t_tls13(void **state)
{
	check_version(*state, CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3, "TLS 1.3");
}

static void t_plain_http_refused(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", h->port);
	const struct rk_cred *c = rk_cred(h, "ipa-analyst");
	struct rk_req rq = {.path = "/taxii2/", .auth = c->basic, .base_url = base};
	rk_request(h, &rq, &r);
	/* No TAXII answer in clear text: the transfer fails (or at most an
	 * HTTP error comes back), and credentials got nothing. */
	if (r.status == 200)
		fprintf(stderr, "plain HTTP to the TLS port: 200 %.200s\n", r.body);
	assert_true(r.status == 0 || r.status >= 400);
	assert_null(strstr(r.body, "api_roots"));
	rk_resp_release(&r);
	/* The server is still fine afterwards. */
	rk_get(h, &r, "ipa-analyst", "/taxii2/");
	rk_assert_ok(&r);
	rk_resp_release(&r);
}

static void t_untrusted_refused(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	/* The system's trust store does not hold our self-signed certificate. */
	struct rk_req rq = {.path = "/healthz", .accept = "", .cafile = ""};
	rk_request(h, &rq, &r);
	assert_int_equal(r.status, 0);
	rk_resp_release(&r);
}

static void t_post_over_tls(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	char id[RK_ID_MAX];
	struct rk_obj o = {.modified = "2025-10-01T00:00:00.000Z", .name = "TLS 経由の指標"};
	char *obj = rk_stix(&o, id);
	char *env = rk_envelope(&obj, 1);
	rk_post(h, &r, "meti-analyst", env, TS "objects/");
	assert_int_equal(r.status, 202);
	rk_assert_taxii_type(&r);
	assert_int_equal(json_integer_value(json_object_get(r.json, "success_count")), 1);
	rk_resp_release(&r);
	rk_get(h, &r, "ipa-analyst", TS "objects/%s/", id);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, obj));
	rk_resp_release(&r);
	free(obj);
	free(env);
}

/* The threads of the server named name by libmicrohttpd (Linux: comm). */
static int threads_named(pid_t pid, const char *name)
{
	char path[64], comm[32];
	int n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char file[400];
		snprintf(file, sizeof(file), "%s/%s/comm", path, e->d_name);
		FILE *f = fopen(file, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			n += !strcmp(comm, name);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* io_threads: two libmicrohttpd threads, and new connections served by
 * either (each request below is a connection of its own). */
static void t_two_io_threads(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	assert_int_equal(threads_named(h->pid, "MHD-worker"), 2);
	for (int i = 0; i < 20; i++) {
		rk_get(h, &r, "ipa-analyst", "/taxii2/");
		rk_assert_ok(&r);
		rk_resp_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_https),
		cmocka_unit_test(t_tls12),
		cmocka_unit_test(t_tls13),
		cmocka_unit_test(t_plain_http_refused),
		cmocka_unit_test(t_untrusted_refused),
		cmocka_unit_test(t_post_over_tls),
		cmocka_unit_test(t_two_io_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
