/*
 * post_load.c - the benchmark's TAXII POST load generator (libcurl multi).
 *
 * Posts envelopes of generated ~1 KB STIX 2.1 indicators to one collection
 * with N writers, each a request in flight at all times, until it has posted
 * --objects objects or --seconds have passed. Every answer is checked: 202,
 * and a status resource whose success_count is the envelope's size. Prints
 * one JSON object (the figures) on stdout; exits 1 when anything failed.
 *
 * With --scope-ref ID, every --scope-every'th indicator carries that marking
 * in object_marking_refs; with --define-scope, the marking-definition itself
 * (a renkei sharing scope, DESIGN.md §4.4) is posted first.
 *
 * With --times FILE, it writes one line per stored envelope, in the order the
 * answers came: the wall-clock time of the answer (microseconds since the
 * epoch) and the objects stored. Every object of the envelopes before a line
 * was added before that time: the caller turns it into added_after values.
 *
 * Depends on libcurl, jansson and POSIX only, never on src/: it talks to the
 * real server the way any TAXII client does.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITERS	  64
#define OBJECT_TARGET	  1024 /* bytes of one generated indicator, about */
#define REQUEST_TIMEOUT_S 300L
#define MEDIA		  "application/taxii+json;version=2.1"
#define EXT_SCOPE	  "extension-definition--895f0377-2635-4adc-a078-037972c6a4dc"
#define DEFAULT_IDENTITY  "identity--6f1be615-bd2a-40b6-9533-e93a15663284" /* IPA */

struct opts {
	const char *url; /* .../collections/ID/objects/ */
	const char *token;
	const char *identity; /* created_by_ref: the posting organisation's identity */
	const char *scope_ref;
	const char *times;
	bool define_scope;
	long writers;
	long objects;
	long envelope;
	long scope_every;
	double seconds;
};

/* A growable byte buffer, capped by the caller's sizes. */
struct sbuf {
	char *p;
	size_t len, cap;
};

struct writer {
	CURL *h;
	struct curl_slist *hdr;
	struct sbuf req, resp;
	long n;		/* objects in the envelope in flight */
	double started; /* seconds */
	bool busy;
};

struct state {
	struct opts o;
	uint64_t rng[4];
	long made;	 /* objects generated so far */
	long ok, failed; /* objects stored / refused */
	long env_ok, env_failed;
	FILE *times; /* --times, or NULL */
	double *lat; /* seconds per envelope */
	size_t n_lat, cap_lat;
	char first_error[512];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "post_load: %s\n", msg);
	exit(2);
}

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		die("out of memory");
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* xoshiro256**: fast, and good enough for unique random UUIDs. */
static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static void uuid4(uint64_t s[4], char out[37])
{
	uint64_t a = rng_next(s), b = rng_next(s);
	a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
	b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
		 a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & (uint64_t)0xffffffffffff);
}

/* Now as an RFC 3339 timestamp with milliseconds, as STIX wants. */
static void stix_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Appends one indicator of about OBJECT_TARGET bytes. */
static void add_indicator(struct state *st, struct sbuf *b, long k)
{
	char id[37], ts[32], head[1024], tail[1024];
	uint64_t r = rng_next(st->rng);
	bool scoped = st->o.scope_ref && st->o.scope_every > 0 && k % st->o.scope_every == 0;

	uuid4(st->rng, id);
	stix_now(ts);
	int nh = snprintf(head, sizeof(head),
			  "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
			  "\"id\":\"indicator--%s\",\"created\":\"%s\",\"modified\":\"%s\","
			  "\"created_by_ref\":\"%s\",\"name\":\"C2 server %u.%u.%u.%u "
			  "(bench %ld)\",\"description\":\"",
			  id, ts, ts, st->o.identity, 198, 51, (unsigned)(r >> 8) & 0xff,
			  (unsigned)r & 0xff, k);
	int nt = snprintf(tail, sizeof(tail),
			  "\",\"indicator_types\":[\"malicious-activity\",\"attribution\"],"
			  "\"pattern\":\"[ipv4-addr:value = '198.51.%u.%u'] OR "
			  "[domain-name:value = 'h%016" PRIx64 ".bench.example']\","
			  "\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\","
			  "\"valid_from\":\"%s\",\"labels\":[\"renkei-bench\",\"c2\"],"
			  "\"kill_chain_phases\":[{\"kill_chain_name\":\"mitre-attack\","
			  "\"phase_name\":\"command-and-control\"}],"
			  "\"external_references\":[{\"source_name\":\"renkei-bench\","
			  "\"external_id\":\"RB-%ld\"}],\"confidence\":70,\"lang\":\"en\"%s%s%s}",
			  (unsigned)(r >> 8) & 0xff, (unsigned)r & 0xff, r, ts, k,
			  scoped ? ",\"object_marking_refs\":[\"" : "",
			  scoped ? st->o.scope_ref : "", scoped ? "\"]" : "");
	if (nh < 0 || nt < 0 || (size_t)nh >= sizeof(head) || (size_t)nt >= sizeof(tail))
		die("indicator too long");
	sb_add(b, head, (size_t)nh);
	/* Filler prose up to the target size. */
	static const char prose[] =
		"Observed beaconing to this address from hosts in the defence industrial "
		"base; the operators rotate infrastructure weekly and reuse TLS certificates. ";
	long pad = OBJECT_TARGET - nh - nt;
	while (pad > 0) {
		size_t n = (size_t)pad < sizeof(prose) - 1 ? (size_t)pad : sizeof(prose) - 1;
		sb_add(b, prose, n);
		pad -= (long)n;
	}
	sb_add(b, tail, (size_t)nt);
}

/* Fills w->req with the next envelope; returns its object count (0: done). */
static long make_envelope(struct state *st, struct writer *w)
{
	long n = st->o.objects - st->made;
	if (n > st->o.envelope)
		n = st->o.envelope;
	if (n <= 0)
		return 0;
	w->req.len = 0;
	sb_adds(&w->req, "{\"objects\":[");
	for (long i = 0; i < n; i++) {
		if (i)
			sb_add(&w->req, ",", 1);
		add_indicator(st, &w->req, st->made + i);
	}
	sb_adds(&w->req, "]}");
	st->made += n;
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct sbuf *b = ctx;
	size_t n = size * nmemb;
	if (b->len + n > (64u << 20))
		return 0; /* a status resource this large is a failure */
	sb_add(b, p, n);
	return n;
}

/* Keeps the first failure's description for the report. */
static void note_error(struct state *st, const char *what, const char *detail, long n)
{
	if (st->first_error[0])
		return;
	snprintf(st->first_error, sizeof(st->first_error), "%s%s (%ld)", what, detail, n);
}

static void writer_setup(struct state *st, struct writer *w)
{
	char auth[512];
	w->h = curl_easy_init();
	if (!w->h)
		die("curl_easy_init failed");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", st->o.token);
	w->hdr = curl_slist_append(w->hdr, auth);
	w->hdr = curl_slist_append(w->hdr, "Accept: " MEDIA);
	w->hdr = curl_slist_append(w->hdr, "Content-Type: " MEDIA);
	w->hdr = curl_slist_append(w->hdr, "Expect:"); /* no 100-continue round trip */
	if (!w->hdr)
		die("out of memory");
	curl_easy_setopt(w->h, CURLOPT_URL, st->o.url);
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, w->hdr);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, &w->resp);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, w);
}

static void writer_start(CURLM *m, struct writer *w, long n)
{
	w->n = n;
	w->resp.len = 0;
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, w->req.p);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->req.len);
	w->started = now_s();
	w->busy = true;
	if (curl_multi_add_handle(m, w->h))
		die("curl_multi_add_handle failed");
}

/* Checks one finished POST: 202 and every object stored. */
static void writer_done(struct state *st, struct writer *w, CURLcode cc)
{
	long code = 0;
	double dt = now_s() - w->started;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &code);
	w->busy = false;
	if (st->n_lat == st->cap_lat) {
		st->cap_lat = st->cap_lat ? st->cap_lat * 2 : 1024;
		st->lat = realloc(st->lat, st->cap_lat * sizeof(*st->lat));
		if (!st->lat)
			die("out of memory");
	}
	st->lat[st->n_lat++] = dt;
	if (cc != CURLE_OK || code != 202) {
		st->env_failed++;
		st->failed += w->n;
		if (cc != CURLE_OK)
			note_error(st, "transfer failed: ", curl_easy_strerror(cc), (long)cc);
		else
			note_error(st, "HTTP status", "", code);
		return;
	}
	json_error_t e;
	json_t *doc = json_loadb(w->resp.p ? w->resp.p : "", w->resp.len, 0, &e);
	json_int_t ok = json_integer_value(json_object_get(doc, "success_count"));
	json_int_t bad = json_integer_value(json_object_get(doc, "failure_count"));
	if (st->times && ok > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(st->times, "%lld %lld\n",
			(long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, (long long)ok);
	}
	if (ok == w->n && bad == 0) {
		st->env_ok++;
		st->ok += w->n;
	} else {
		const char *why = json_string_value(json_object_get(
			json_array_get(json_object_get(doc, "failures"), 0), "message"));
		st->env_failed++;
		st->ok += (long)ok;
		st->failed += w->n - (long)ok;
		note_error(st, "objects refused: ", why ? why : "(no status resource)", (long)ok);
	}
	json_decref(doc);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Posts the scope marking-definition (DESIGN.md §4.4) on a writer's handle. */
static void post_scope(struct state *st, CURLM *m, struct writer *w)
{
	char ts[32];
	stix_now(ts);
	w->req.len = 0;
	sb_adds(&w->req, "{\"objects\":[{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
			 "\"id\":\"");
	sb_adds(&w->req, st->o.scope_ref);
	sb_adds(&w->req, "\",\"created\":\"");
	sb_adds(&w->req, ts);
	sb_adds(&w->req, "\",\"created_by_ref\":\"");
	sb_adds(&w->req, st->o.identity);
	sb_adds(&w->req, "\",\"name\":\"bench scope: parties and community\","
			 "\"extensions\":{\"" EXT_SCOPE "\":{\"extension_type\":"
			 "\"property-extension\",\"recipient_groups\":[\"parties\","
			 "\"community\"]}}}]}");
	writer_start(m, w, 1);
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running) ||
		    (running && curl_multi_poll(m, NULL, 0, 1000, NULL)))
			die("curl multi failed");
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE) {
			curl_multi_remove_handle(m, msg->easy_handle);
			writer_done(st, w, msg->data.result);
		}
	if (st->env_failed) {
		fprintf(stderr, "post_load: the scope marking was refused: %s\n", st->first_error);
		exit(1);
	}
	st->env_ok = st->ok = 0;
	st->n_lat = 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: post_load --url URL --token TOKEN [--writers N] [--objects N]\n"
		"                 [--envelope N] [--seconds S] [--identity ID] [--times FILE]\n"
		"                 [--scope-ref MARKING-ID [--scope-every K] [--define-scope]]\n");
	exit(2);
}

static long arg_long(const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		usage();
	return n;
}

int main(int argc, char **argv)
{
	struct state st = {.o = {.identity = DEFAULT_IDENTITY,
				 .writers = 1,
				 .objects = 10000,
				 .envelope = 1000,
				 .scope_every = 100,
				 .seconds = 600}};
	struct writer w[MAX_WRITERS];
	CURLM *m;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--define-scope")) {
			st.o.define_scope = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--url"))
			st.o.url = v;
		else if (!strcmp(a, "--token"))
			st.o.token = v;
		else if (!strcmp(a, "--identity"))
			st.o.identity = v;
		else if (!strcmp(a, "--times"))
			st.o.times = v;
		else if (!strcmp(a, "--scope-ref"))
			st.o.scope_ref = v;
		else if (!strcmp(a, "--writers"))
			st.o.writers = arg_long(v, 1, MAX_WRITERS);
		else if (!strcmp(a, "--objects"))
			st.o.objects = arg_long(v, 0, 1000000000L);
		else if (!strcmp(a, "--envelope"))
			st.o.envelope = arg_long(v, 1, 100000);
		else if (!strcmp(a, "--scope-every"))
			st.o.scope_every = arg_long(v, 1, 1000000000L);
		else if (!strcmp(a, "--seconds"))
			st.o.seconds = (double)arg_long(v, 1, 86400);
		else
			usage();
	}
	if (!st.o.url || !st.o.token || (st.o.define_scope && !st.o.scope_ref))
		usage();
	if (getrandom(st.rng, sizeof(st.rng), 0) != (ssize_t)sizeof(st.rng))
		die("getrandom failed");

	curl_global_init(CURL_GLOBAL_ALL);
	m = curl_multi_init();
	if (!m)
		die("curl_multi_init failed");
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, st.o.writers);
	memset(w, 0, sizeof(w));
	for (long i = 0; i < st.o.writers; i++)
		writer_setup(&st, &w[i]);
	if (st.o.define_scope)
		post_scope(&st, m, &w[0]);
	if (st.o.times && !(st.times = fopen(st.o.times, "w")))
		die("cannot write the --times file");

	double t0 = now_s(), deadline = t0 + st.o.seconds;
	bool by_time = false;
	for (long i = 0; i < st.o.writers; i++) {
		long n = make_envelope(&st, &w[i]);
		if (n)
			writer_start(m, &w[i], n);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running))
			die("curl_multi_perform failed");
		CURLMsg *msg;
		int left;
		bool refill = false;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct writer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(m, msg->easy_handle);
			writer_done(&st, x, msg->data.result);
			if (now_s() >= deadline) {
				by_time = true;
				continue;
			}
			/* Build the next envelope while the other writers' are in flight. */
			long n = make_envelope(&st, x);
			if (n) {
				writer_start(m, x, n);
				refill = true;
			}
		}
		if (refill && curl_multi_perform(m, &running))
			die("curl_multi_perform failed");
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL))
			die("curl_multi_poll failed");
	}
	double secs = now_s() - t0;

	qsort(st.lat, st.n_lat, sizeof(*st.lat), cmp_double);
	json_t *out = json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:{s:f, s:f, s:f}, s:b, s:s?}",
		"writers", (json_int_t)st.o.writers, "envelope", (json_int_t)st.o.envelope,
		"object_bytes", (json_int_t)OBJECT_TARGET, "envelopes_ok", (json_int_t)st.env_ok,
		"envelopes_failed", (json_int_t)st.env_failed, "objects_stored", (json_int_t)st.ok,
		"objects_failed", (json_int_t)st.failed, "seconds", secs, "objects_per_s",
		secs > 0 ? (double)st.ok / secs : 0.0, "envelope_ms", "p50",
		pct(st.lat, st.n_lat, 50) * 1e3, "p99", pct(st.lat, st.n_lat, 99) * 1e3, "max",
		st.n_lat ? st.lat[st.n_lat - 1] * 1e3 : 0.0, "stopped_by_time", by_time, "error",
		st.first_error[0] ? st.first_error : NULL);
	if (!out || json_dumpf(out, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF)
		die("cannot print the result");
	json_decref(out);
	for (long i = 0; i < st.o.writers; i++) {
		curl_easy_cleanup(w[i].h);
		curl_slist_free_all(w[i].hdr);
		free(w[i].req.p);
		free(w[i].resp.p);
	}
	curl_multi_cleanup(m);
	curl_global_cleanup();
	if (st.times && fclose(st.times))
		die("cannot write the --times file");
	free(st.lat);
	return st.failed || st.env_failed ? 1 : 0;
}
