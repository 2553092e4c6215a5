/*
 * query.h - the TAXII 2.1 query parameters (§3.4): added_after, limit, next
 * and match[id|type|version|spec_version], parsed from decoded key/value
 * pairs into a filter, and the pagination cursor that `next` carries.
 *
 * Pure: no I/O. Every byte is the client's; anything malformed is refused
 * with a one-line reason (the caller answers 400 with it).
 */
#ifndef RENKEI_QUERY_H
#define RENKEI_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "api.h"

/* Which parameters an endpoint takes (TAXII 2.1 §5.3-§5.8). */
enum {
	QF_ADDED_AFTER = 1 << 0,
	QF_LIMIT = 1 << 1,
	QF_NEXT = 1 << 2,
	QF_ID = 1 << 3,
	QF_TYPE = 1 << 4,
	QF_VERSION = 1 << 5,
	QF_SPEC_VERSION = 1 << 6,
};

#define QUERY_MAX_VALUES 256
#define QUERY_MSG_MAX	 200
#define CURSOR_MAX	 64

struct taxii_filter {
	bool has_added_after;
	int64_t added_after;
	bool has_limit;
	size_t limit;
	bool has_next;
	int64_t next_date, next_seq;
	const char *ids[QUERY_MAX_VALUES];
	size_t n_ids;
	const char *types[QUERY_MAX_VALUES];
	size_t n_types;
	unsigned version_mode; /* VERSION_* of store.h; 0: not given */
	int64_t versions[QUERY_MAX_VALUES];
	size_t n_versions;
	const char *spec_versions[QUERY_MAX_VALUES];
	size_t n_spec_versions;
	char *copies[4]; /* split copies the pointers point into */
};

/*
 * Parses params into f. Parameters outside `allowed`, and unknown ones, are
 * ignored (TAXII 2.1 §3.4.1: servers MAY ignore fields they do not
 * understand). Returns ERR_INVALID with a reason in msg when a parameter is
 * repeated, empty, or malformed (a bad timestamp, a limit that is not a
 * positive integer, 'all' beside another version, a repeated value, more
 * than QUERY_MAX_VALUES values, a cursor that does not decode). Call
 * taxii_filter_release() in every case.
 */
err_t taxii_filter_parse(const struct api_param *params, size_t n, unsigned allowed,
			 struct taxii_filter *f, char msg[QUERY_MSG_MAX]);

void taxii_filter_release(struct taxii_filter *f);

/* Encodes the position after (date_added, seq) as an opaque URL-safe token. */
void taxii_cursor_encode(int64_t date_added, int64_t seq, char out[CURSOR_MAX]);

/* Decodes a token of taxii_cursor_encode; ERR_INVALID for anything else. */
err_t taxii_cursor_decode(const char *s, size_t len, int64_t *date_added, int64_t *seq);

#endif
