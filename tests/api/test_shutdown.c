/*
 * test_shutdown.c - `renkei serve` stopping on SIGTERM: it exits 0 and keeps
 * what it stored; a large POST whose body is still arriving when SIGTERM
 * comes is finished and answered 202 with every object stored; and while it
 * drains, the server takes no new connections (they are refused at once,
 * not left hanging).
 *
 * The POST is sent by a thread whose upload pauses half way, so that SIGTERM
 * lands mid-request deterministically. Runs the real `renkei serve` on a
 * demo hub (harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TS    RK_COLLS "threat-sharing/"
#define N_BIG 4000

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	if (rk_serve_start(h, NULL)) {
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

/* A POST whose upload stops at pause_at until told to go on. */
struct upload {
	char url[256];
	char auth[256];
	const char *data;
	size_t len, off, pause_at;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool paused, go;
	long status;
	char error[CURL_ERROR_SIZE + 64];
	struct rk_sb body;
};

static size_t up_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	if (u->off >= u->pause_at) {
		pthread_mutex_lock(&u->lock);
		u->paused = true;
		pthread_cond_broadcast(&u->cond);
		while (!u->go)
			pthread_cond_wait(&u->cond, &u->lock);
		pthread_mutex_unlock(&u->lock);
	}
	size_t end = u->off < u->pause_at ? u->pause_at : u->len;
	size_t n = size * nmemb;
	if (n > end - u->off)
		n = end - u->off;
	memcpy(p, u->data + u->off, n);
	u->off += n;
	return n;
}

static size_t up_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	rk_sb_add(&u->body, p, size * nmemb);
	return size * nmemb;
}

static void *upload_main(void *arg)
{
	struct upload *u = arg;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();

	hdrs = curl_slist_append(hdrs, "Content-Type: " RK_TAXII);
	hdrs = curl_slist_append(hdrs, "Accept: " RK_TAXII);
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, u->auth);
	curl_easy_setopt(c, CURLOPT_URL, u->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->len);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, up_read);
	curl_easy_setopt(c, CURLOPT_READDATA, u);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, up_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u->status);
	else
		snprintf(u->error, sizeof(u->error), "%s: %s", curl_easy_strerror(cc), errbuf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	/* Never leave the main thread waiting for the pause. */
	pthread_mutex_lock(&u->lock);
	u->paused = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

/* The number of object versions in threat-sharing, by walking the manifest. */
static long stored(struct rk_hub *h)
{
	json_t *ids = json_array();
	long pages = rk_walk(h, "mod-analyst", TS "manifest/?match[version]=all", 1000, ids, 100);
	assert_true(pages > 0);
	long n = (long)json_array_size(ids);
	json_decref(ids);
	return n;
}

static void t_sigterm_idle(void **state)
{
	struct rk_hub *h = *state;
	char id[RK_ID_MAX];
	char *obj = rk_indicator("2025-12-01T00:00:00.000Z", id);
	char *env = rk_envelope(&obj, 1);
	struct rk_resp r;
	rk_post(h, &r, "mod-analyst", env, TS "objects/");
	assert_int_equal(r.status, 202);
	rk_resp_release(&r);

	/* SIGTERM: exit 0, and everything is there after a restart. */
	assert_int_equal(rk_serve_stop(h), 0);
	assert_int_equal(rk_serve_start_again(h), 0);
	rk_get(h, &r, "ipa-analyst", TS "objects/%s/", id);
	rk_assert_ok(&r);
	assert_non_null(strstr(r.body, obj));
	rk_resp_release(&r);
	free(obj);
	free(env);
}

struct drain_result {
	long post_status;
	long success_count;
	char post_error[CURL_ERROR_SIZE + 64];
	long probe_status;
	int64_t probe_ms;
	char probe_error[256];
	int exit_code;
	bool signalled; /* the server logged the SIGTERM mid-request */
};

/*
 * Starts a POST of N_BIG new objects, pauses its upload half way, sends
 * SIGTERM, probes a new connection (when probe is set), lets the upload finish, and waits for
 * the server to exit. Asserts nothing (the caller does), so that no thread
 * is left waiting.
 */
static void drain(struct rk_hub *h, bool probe, struct drain_result *res)
{
	struct upload u;
	pthread_t t;
	struct rk_sb env = {0};

	memset(&u, 0, sizeof(u));
	memset(res, 0, sizeof(*res));
	rk_sb_adds(&env, "{\"objects\":[");
	for (int i = 0; i < N_BIG; i++) {
		char name[64];
		snprintf(name, sizeof(name), "停止中の投稿 %d", i);
		struct rk_obj o = {.modified = "2025-12-02T00:00:00.000Z", .name = name};
		char *obj = rk_stix(&o, NULL);
		rk_sb_addf(&env, "%s%s", i ? "," : "", obj);
		free(obj);
	}
	rk_sb_adds(&env, "]}");
	snprintf(u.url, sizeof(u.url), "%s" TS "objects/", h->url);
	snprintf(u.auth, sizeof(u.auth), "Authorization: %s", rk_cred(h, "meti-analyst")->bearer);
	u.data = env.s;
	u.len = env.len;
	u.pause_at = env.len / 2;
	pthread_mutex_init(&u.lock, NULL);
	pthread_cond_init(&u.cond, NULL);
	pthread_create(&t, NULL, upload_main, &u);

	pthread_mutex_lock(&u.lock);
	while (!u.paused)
		pthread_cond_wait(&u.cond, &u.lock);
	pthread_mutex_unlock(&u.lock);
	usleep(100000); /* the first half is with the server */
	/* SIGTERM, and wait until the server says it got it: from then on the
	 * request is in flight during the stop, whatever the machine's speed. */
	int seen = rk_log_count(h, "received SIGTERM");
	kill(h->pid, SIGTERM);
	for (int64_t until = rk_now_ms() + 20000;
	     rk_log_count(h, "received SIGTERM") == seen && rk_now_ms() < until;)
		usleep(10000);
	res->signalled = rk_log_count(h, "received SIGTERM") > seen;

	/* A new client: a 200 only means the stop has not quite begun. */
	for (int64_t until = rk_now_ms() + 5000; probe && rk_now_ms() < until;) {
		struct rk_resp r;
		struct rk_req rq = {.path = "/healthz", .accept = "", .timeout_ms = 3000};
		int64_t t0 = rk_now_ms();
		rk_request(h, &rq, &r);
		res->probe_ms = rk_now_ms() - t0;
		res->probe_status = r.status;
		snprintf(res->probe_error, sizeof(res->probe_error), "%s", r.error);
		rk_resp_release(&r);
		if (res->probe_status != 200)
			break;
		usleep(50000);
	}

	pthread_mutex_lock(&u.lock);
	u.go = true;
	pthread_cond_broadcast(&u.cond);
	pthread_mutex_unlock(&u.lock);
	pthread_join(t, NULL);

	res->post_status = u.status;
	snprintf(res->post_error, sizeof(res->post_error), "%s", u.error);
	json_t *st = u.body.s ? json_loads(u.body.s, 0, NULL) : NULL;
	res->success_count =
		st ? (long)json_integer_value(json_object_get(st, "success_count")) : -1;
	json_decref(st);
	res->exit_code = rk_serve_stop(h);
	rk_sb_release(&u.body);
	rk_sb_release(&env);
	pthread_mutex_destroy(&u.lock);
	pthread_cond_destroy(&u.cond);
}

static void t_sigterm_during_large_post(void **state)
{
	struct rk_hub *h = *state;
	struct drain_result res;
	long before = stored(h);

	drain(h, false, &res);
	if (res.post_status != 202)
		fprintf(stderr, "POST in flight at SIGTERM: %ld %s\n", res.post_status,
			res.post_error);
	assert_true(res.signalled);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.post_status, 202);
	assert_int_equal(res.success_count, N_BIG);

	assert_int_equal(rk_serve_start_again(h), 0);
	assert_int_equal(stored(h), before + N_BIG);
}

static void t_refuses_while_draining(void **state)
{
	struct rk_hub *h = *state;
	struct drain_result res;
	long before = stored(h);

	drain(h, true, &res);
	/* A new client is turned away at once rather than left waiting. */
	if (res.probe_status != 0 || res.probe_ms > 2000)
		fprintf(stderr, "new connection while draining: status %ld after %lld ms (%s)\n",
			res.probe_status, (long long)res.probe_ms, res.probe_error);
	assert_int_equal(rk_serve_start_again(h), 0);
	assert_int_equal(stored(h), before + (res.post_status == 202 ? N_BIG : 0));
	assert_true(res.signalled);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.probe_status, 0);
	assert_true(res.probe_ms < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sigterm_idle),
		cmocka_unit_test(t_sigterm_during_large_post),
		cmocka_unit_test(t_refuses_while_draining),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
