/*
 * metrics.h - request counters by route and status, a latency histogram,
 * and the Prometheus text exposition of /metrics (format 0.0.4).
 * Counters are atomics: recording never takes a lock.
 */
#ifndef RENKEI_METRICS_H
#define RENKEI_METRICS_H

#include <stdint.h>

#include "../common/buf.h"
#include "../common/err.h"

struct metrics;

err_t metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* Records one finished request. route is one of the api's fixed names
 * (unknown names count as "other"). */
void metrics_observe(struct metrics *m, const char *route, int status, uint64_t duration_us);

/* Appends the exposition, with objects_stored as a gauge. */
err_t metrics_render(struct metrics *m, int64_t objects_stored, struct buf *out);

#endif
