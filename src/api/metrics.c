/* metrics.c - lock-free counters and their Prometheus rendering. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/banned.h"

static const char *const routes[] = {
	"discovery", "api_root",    "status",	    "collections", "collection",
	"manifest",  "objects_get", "objects_post", "object_get",  "object_delete",
	"versions",  "healthz",	    "metrics",	    "mgmt",	   "other",
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static const int statuses[] = {200, 202, 204, 400, 401, 403, 404, 405,
			       406, 413, 415, 422, 500, 503, 0 /* other */};
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds of the latency buckets, in seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				0.1,	0.25,  0.5,    1,     2.5,  5,	   10};
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct metrics {
	atomic_uint_fast64_t requests[N_ROUTES][N_STATUSES];
	atomic_uint_fast64_t buckets[N_BOUNDS + 1];
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_us;
};

err_t metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return ERR_NOMEM;
	*out = m;
	return ERR_OK;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_observe(struct metrics *m, const char *route, int status, uint64_t duration_us)
{
	size_t r = N_ROUTES - 1, s = N_STATUSES - 1, b = N_BOUNDS;
	for (size_t i = 0; route && i < N_ROUTES; i++)
		if (!strcmp(routes[i], route))
			r = i;
	for (size_t i = 0; i + 1 < N_STATUSES; i++)
		if (statuses[i] == status)
			s = i;
	double secs = (double)duration_us / 1e6;
	for (size_t i = 0; i < N_BOUNDS; i++) {
		if (secs <= bounds[i]) {
			b = i;
			break;
		}
	}
	atomic_fetch_add_explicit(&m->requests[r][s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, duration_us, memory_order_relaxed);
}

err_t metrics_render(struct metrics *m, int64_t objects_stored, struct buf *out)
{
	err_t rc = ERR_OK;

	rc |= buf_adds(
		out,
		"# HELP renkei_http_requests_total HTTP requests answered, by route and status.\n"
		"# TYPE renkei_http_requests_total counter\n");
	for (size_t r = 0; r < N_ROUTES; r++) {
		for (size_t s = 0; s < N_STATUSES; s++) {
			uint64_t v = atomic_load_explicit(&m->requests[r][s], memory_order_relaxed);
			if (!v)
				continue;
			if (statuses[s])
				rc |= buf_addf(out,
					       "renkei_http_requests_total{route=\"%s\",status=\"%"
					       "d\"} %llu\n",
					       routes[r], statuses[s], (unsigned long long)v);
			else
				rc |= buf_addf(out,
					       "renkei_http_requests_total{route=\"%s\",status="
					       "\"other\"} %llu\n",
					       routes[r], (unsigned long long)v);
		}
	}
	rc |= buf_adds(
		out, "# HELP renkei_http_request_duration_seconds Time from request to response.\n"
		     "# TYPE renkei_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b < N_BOUNDS; b++) {
		cum += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
		rc |= buf_addf(out, "renkei_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			       bounds[b], (unsigned long long)cum);
	}
	cum += atomic_load_explicit(&m->buckets[N_BOUNDS], memory_order_relaxed);
	rc |= buf_addf(out, "renkei_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		       (unsigned long long)cum);
	rc |= buf_addf(out, "renkei_http_request_duration_seconds_sum %.6f\n",
		       (double)atomic_load_explicit(&m->sum_us, memory_order_relaxed) / 1e6);
	rc |= buf_addf(out, "renkei_http_request_duration_seconds_count %llu\n",
		       (unsigned long long)atomic_load_explicit(&m->count, memory_order_relaxed));
	rc |= buf_addf(out,
		       "# HELP renkei_objects_stored Object versions in the store.\n"
		       "# TYPE renkei_objects_stored gauge\n"
		       "renkei_objects_stored %lld\n",
		       (long long)objects_stored);
	return rc ? ERR_NOMEM : ERR_OK;
}
