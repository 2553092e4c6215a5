/*
 * model_util.c - random numbers, calendar days, the term of DESIGN.md §3.7
 * and HTTP helpers for the model-based test (see model_util.h).
 *
 * Depends on the API harness, jansson and the C library only, never on src/.
 */
#include "model_util.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- random numbers ---- */

void mu_rng_seed(struct mu_rng *r, uint64_t seed)
{
	r->s = seed ^ 0x5eed0f0a11ce5ULL;
}

uint64_t mu_rng_next(struct mu_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned mu_rng_below(struct mu_rng *r, unsigned n)
{
	return n ? (unsigned)(mu_rng_next(r) % n) : 0;
}

bool mu_rng_chance(struct mu_rng *r, unsigned pct)
{
	return mu_rng_below(r, 100) < pct;
}

void mu_rng_uuid(struct mu_rng *r, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t a = mu_rng_next(r), c = mu_rng_next(r);
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(a >> (8 * i));
		b[8 + i] = (unsigned char)(c >> (8 * i));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/* ---- calendar days (H. Hinnant's civil-date algorithms) ---- */

int mu_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void mu_civil_from_days(int z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int yy = yoe + era * 400;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yy + (*m <= 2);
}

int mu_days_in_month(int y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dim[m - 1];
}

void mu_day_format(int day, char *out)
{
	int y, m, d;
	mu_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

bool mu_day_parse(const char *s, int *day)
{
	int y, m, d, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[10])
		return false;
	if (m < 1 || m > 12 || d < 1 || d > mu_days_in_month(y, m))
		return false;
	*day = mu_days_from_civil(y, m, d);
	return true;
}

void mu_jst_timestamp(int day, int sec, char *out)
{
	/* Japan is UTC+9 all year: second sec of day in Japan is 9 h earlier in UTC. */
	long long t = (long long)day * 86400 + sec - 9 * 3600;
	int utc_day = (int)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
	int s = (int)(t - (long long)utc_day * 86400);
	int y, m, d;
	mu_civil_from_days(utc_day, &y, &m, &d);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", y, m, d, s / 3600, s / 60 % 60,
		 s % 60);
}

/* ---- the term ---- */

/* The day `months` months after y-m, day d: that day when the month has it,
 * else the month's last day (with *missing set). */
static int same_day_months_on(int y, int m, int d, int months, bool *missing)
{
	int idx = y * 12 + (m - 1) + months;
	int ty = idx / 12, tm = idx % 12 + 1;
	int dim = mu_days_in_month(ty, tm);
	*missing = d > dim;
	return mu_days_from_civil(ty, tm, d > dim ? dim : d);
}

/*
 * §3.7: a term that starts on `start` ends on the day before the day of the
 * n-th month after it that bears the start's day of the month, or on that
 * month's last day when it has no such day.
 */
static int term_end(int start, int months)
{
	int y, m, d;
	bool missing;
	mu_civil_from_days(start, &y, &m, &d);
	int day = same_day_months_on(y, m, d, months, &missing);
	return missing ? day : day - 1;
}

/*
 * §3.7: the deadline is the day of the month `notice` months before the
 * term's last day that bears the same day of the month, or that month's last
 * day when it has no such day.
 */
static int term_deadline(int end, int notice)
{
	int y, m, d;
	bool missing;
	mu_civil_from_days(end, &y, &m, &d);
	return same_day_months_on(y, m, d, -notice, &missing);
}

void mu_term_k(const struct mu_term *t, int k, int *start, int *end, int *deadline)
{
	int s = t->signed_on, e = term_end(s, t->months);
	for (int i = 2; i <= k; i++) {
		s = e + 1;
		e = term_end(s, t->renewal_months);
	}
	*start = s;
	*end = e;
	*deadline = term_deadline(e, t->notice_months);
}

int mu_term_containing(const struct mu_term *t, int day)
{
	int k = 1, s, e, dl;
	for (;; k++) {
		mu_term_k(t, k, &s, &e, &dl);
		if (day <= e)
			return k;
	}
}

int mu_objection_end(const struct mu_term *t, int filed)
{
	int k = mu_term_containing(t, filed), s, e, dl;
	mu_term_k(t, k, &s, &e, &dl);
	if (filed <= dl)
		return e;
	mu_term_k(t, k + 1, &s, &e, &dl);
	return e;
}

/* ---- HTTP ---- */

struct mu_conn {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

struct mu_conn *mu_conn_new(void)
{
	struct mu_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return NULL;
	}
	return c;
}

void mu_conn_free(struct mu_conn *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	rk_sb_add(ud, p, size * nmemb);
	return size * nmemb;
}

/* Copies the value of header line p (n bytes, name of name_len bytes) to out. */
static void header_value(const char *p, size_t n, size_t name_len, char *out, size_t outsz)
{
	const char *v = p + name_len;
	size_t len = n - name_len;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct rk_resp *r = ud;
	size_t n = size * nmemb;
	static const char ct[] = "content-type:", first[] = "x-taxii-date-added-first:",
			  last[] = "x-taxii-date-added-last:";
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		r->content_type[0] = r->date_first[0] = r->date_last[0] = '\0';
		r->has_date_first = r->has_date_last = false;
	} else if (n >= sizeof(ct) - 1 && !strncasecmp(p, ct, sizeof(ct) - 1)) {
		header_value(p, n, sizeof(ct) - 1, r->content_type, sizeof(r->content_type));
	} else if (n >= sizeof(first) - 1 && !strncasecmp(p, first, sizeof(first) - 1)) {
		header_value(p, n, sizeof(first) - 1, r->date_first, sizeof(r->date_first));
		r->has_date_first = true;
	} else if (n >= sizeof(last) - 1 && !strncasecmp(p, last, sizeof(last) - 1)) {
		header_value(p, n, sizeof(last) - 1, r->date_last, sizeof(r->date_last));
		r->has_date_last = true;
	}
	return n;
}

int mu_req(struct mu_conn *c, const struct rk_hub *h, struct rk_resp *r, const char *auth,
	   const char *method, const char *accept, const char *ctype, const char *body,
	   const char *fmt, ...)
{
	char path[2048];
	struct rk_sb url = {0}, line = {0}, out = {0};
	struct curl_slist *hdrs = NULL;
	va_list ap;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	rk_sb_adds(&url, h->url);
	for (const char *p = path; *p; p++) {
		if (*p == '[')
			rk_sb_adds(&url, "%5B");
		else if (*p == ']')
			rk_sb_adds(&url, "%5D");
		else
			rk_sb_add(&url, p, 1);
	}
	CURL *k = c->curl;
	curl_easy_reset(k);
	c->errbuf[0] = '\0';
	curl_easy_setopt(k, CURLOPT_URL, url.s);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, r);
	if (!method)
		method = body ? "POST" : "GET";
	if (body) {
		curl_easy_setopt(k, CURLOPT_POST, 1L);
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		rk_sb_addf(&line, "Content-Type: %s", ctype ? ctype : RK_TAXII);
		hdrs = curl_slist_append(hdrs, line.s);
		rk_sb_release(&line);
		hdrs = curl_slist_append(hdrs, "Expect:");
	}
	if (strcmp(method, body ? "POST" : "GET"))
		curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
	rk_sb_addf(&line, "Accept: %s", accept ? accept : RK_TAXII);
	hdrs = curl_slist_append(hdrs, line.s);
	rk_sb_release(&line);
	if (auth) {
		rk_sb_addf(&line, "Authorization: %s", auth);
		hdrs = curl_slist_append(hdrs, line.s);
		rk_sb_release(&line);
	}
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
	CURLcode cc = curl_easy_perform(k);
	if (cc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%.60s: %.190s", curl_easy_strerror(cc),
			 c->errbuf);
		ret = -1;
	} else {
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->status);
	}
	if (!out.s)
		rk_sb_add(&out, "", 0);
	r->body = out.s;
	r->len = out.len;
	if (ret == 0 && r->len)
		r->json = json_loadb(r->body, r->len, JSON_ALLOW_NUL, NULL);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	rk_sb_release(&url);
	return ret;
}

/* ---- JSON ---- */

bool mu_json_has_string(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

const char *mu_json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}
