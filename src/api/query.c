/*
 * query.c - TAXII 2.1 query parameters and pagination cursors.
 * Depends on common/ and store.h's VERSION_* bits. Pure.
 */
#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/sec.h"
#include "../common/timeutil.h"
#include "../store/store.h"
#include "../common/banned.h"

/* Largest value a limit may carry before we cap it to the server maximum. */
#define LIMIT_PARSE_MAX 1000000000ULL

void taxii_filter_release(struct taxii_filter *f)
{
	for (size_t i = 0; i < sizeof(f->copies) / sizeof(f->copies[0]); i++) {
		free(f->copies[i]);
		f->copies[i] = NULL;
	}
}

/*
 * Splits a comma-separated value (§3.4.1: "multiple values ... separated by
 * a comma ... treated as a logical OR") into out[], refusing empty items and
 * repeats.
 */
static err_t split_values(const char *key, const char *value, char **copy, const char **out,
			  size_t *n, char *msg)
{
	char *s = strdup(value);
	if (!s)
		return ERR_NOMEM;
	*copy = s;
	*n = 0;
	for (char *p = s;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p) {
			snprintf(msg, QUERY_MSG_MAX, "%s: empty value", key);
			return ERR_INVALID;
		}
		if (*n == QUERY_MAX_VALUES) {
			snprintf(msg, QUERY_MSG_MAX, "%s: more than %d values", key,
				 QUERY_MAX_VALUES);
			return ERR_INVALID;
		}
		for (size_t i = 0; i < *n; i++) {
			if (!strcmp(out[i], p)) {
				snprintf(msg, QUERY_MSG_MAX, "%s: value '%.60s' given twice", key,
					 p);
				return ERR_INVALID;
			}
		}
		out[(*n)++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return ERR_OK;
}

static err_t parse_limit(const char *v, size_t *out, char *msg)
{
	char *end = NULL;
	if (v[0] < '1' || v[0] > '9')
		goto bad;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end)
		goto bad;
	/* All digits but beyond unsigned long long: as large as any, capped. */
	if (errno == ERANGE)
		n = LIMIT_PARSE_MAX;
	*out = n > LIMIT_PARSE_MAX ? (size_t)LIMIT_PARSE_MAX : (size_t)n;
	return ERR_OK;
bad:
	snprintf(msg, QUERY_MSG_MAX, "limit: must be a positive whole number, not '%.40s'", v);
	return ERR_INVALID;
}

static err_t parse_params(const struct api_param *params, size_t n, unsigned allowed,
			  struct taxii_filter *f, char msg[QUERY_MSG_MAX])
{
	static const struct {
		const char *key;
		unsigned flag;
	} known[] = {
		{"added_after", QF_ADDED_AFTER},
		{"limit", QF_LIMIT},
		{"next", QF_NEXT},
		{"match[id]", QF_ID},
		{"match[type]", QF_TYPE},
		{"match[version]", QF_VERSION},
		{"match[spec_version]", QF_SPEC_VERSION},
	};
	unsigned seen = 0;
	err_t rc = ERR_OK;

	memset(f, 0, sizeof(*f));
	msg[0] = '\0';
	for (size_t i = 0; i < n && !rc; i++) {
		const char *key = params[i].key, *v = params[i].value ? params[i].value : "";
		unsigned flag = 0;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(known[k].key, key))
				flag = known[k].flag;
		if (!flag || !(allowed & flag))
			continue;
		if (seen & flag) {
			/* §3.4.1: each field MUST NOT occur more than once. */
			snprintf(msg, QUERY_MSG_MAX, "%s: given more than once", key);
			return ERR_INVALID;
		}
		seen |= flag;
		if (!*v) {
			snprintf(msg, QUERY_MSG_MAX, "%s: empty value", key);
			return ERR_INVALID;
		}
		switch (flag) {
		case QF_ADDED_AFTER:
			if (ts_parse(v, strlen(v), &f->added_after, NULL)) {
				snprintf(msg, QUERY_MSG_MAX,
					 "added_after: not a timestamp like "
					 "2024-12-27T00:00:00.000000Z: '%.40s'",
					 v);
				return ERR_INVALID;
			}
			f->has_added_after = true;
			break;
		case QF_LIMIT:
			rc = parse_limit(v, &f->limit, msg);
			f->has_limit = !rc;
			break;
		case QF_NEXT:
			if (taxii_cursor_decode(v, strlen(v), &f->next_date, &f->next_seq)) {
				snprintf(msg, QUERY_MSG_MAX,
					 "next: not a cursor this server issued");
				return ERR_INVALID;
			}
			f->has_next = true;
			break;
		case QF_ID: rc = split_values(key, v, &f->copies[0], f->ids, &f->n_ids, msg); break;
		case QF_TYPE:
			rc = split_values(key, v, &f->copies[1], f->types, &f->n_types, msg);
			break;
		case QF_SPEC_VERSION:
			rc = split_values(key, v, &f->copies[3], f->spec_versions,
					  &f->n_spec_versions, msg);
			break;
		case QF_VERSION: {
			const char *vals[QUERY_MAX_VALUES];
			size_t nv = 0;
			rc = split_values(key, v, &f->copies[2], vals, &nv, msg);
			for (size_t j = 0; j < nv && !rc; j++) {
				if (!strcmp(vals[j], "last")) {
					f->version_mode |= VERSION_LAST;
				} else if (!strcmp(vals[j], "first")) {
					f->version_mode |= VERSION_FIRST;
				} else if (!strcmp(vals[j], "all")) {
					f->version_mode |= VERSION_ALL;
				} else {
					int64_t t;
					if (ts_parse(vals[j], strlen(vals[j]), &t, NULL)) {
						snprintf(msg, QUERY_MSG_MAX,
							 "match[version]: '%.40s' is not last, "
							 "first, all or a timestamp",
							 vals[j]);
						return ERR_INVALID;
					}
					for (size_t k = 0; k < f->n_versions; k++) {
						if (f->versions[k] == t) {
							snprintf(msg, QUERY_MSG_MAX,
								 "match[version]: version '%.40s' "
								 "given twice",
								 vals[j]);
							return ERR_INVALID;
						}
					}
					f->versions[f->n_versions++] = t;
					f->version_mode |= VERSION_LIST;
				}
			}
			if (!rc && (f->version_mode & VERSION_ALL) && nv > 1) {
				/* §3.4.1: "all" MUST NOT be used with any other version. */
				snprintf(msg, QUERY_MSG_MAX,
					 "match[version]: 'all' cannot be combined with other "
					 "values");
				return ERR_INVALID;
			}
			break;
		}
		}
	}
	return rc;
}

/* A cursor is "1" (the format) + date_added + seq, 17 bytes, base64url. */
void taxii_cursor_encode(int64_t date_added, int64_t seq, char out[CURSOR_MAX])
{
	unsigned char raw[17];
	uint64_t d = (uint64_t)date_added, s = (uint64_t)seq;
	raw[0] = 1;
	for (int i = 0; i < 8; i++) {
		raw[1 + i] = (unsigned char)(d >> (56 - 8 * i));
		raw[9 + i] = (unsigned char)(s >> (56 - 8 * i));
	}
	if (sec_b64url_encode(raw, sizeof(raw), out, CURSOR_MAX))
		out[0] = '\0';
}

err_t taxii_cursor_decode(const char *s, size_t len, int64_t *date_added, int64_t *seq)
{
	unsigned char raw[18];
	size_t n = 0;
	if (len == 0 || len > CURSOR_MAX)
		return ERR_INVALID;
	if (sec_b64url_decode(s, len, raw, sizeof(raw), &n) || n != 17 || raw[0] != 1)
		return ERR_INVALID;
	uint64_t d = 0, q = 0;
	for (int i = 0; i < 8; i++) {
		d = d << 8 | raw[1 + i];
		q = q << 8 | raw[9 + i];
	}
	if (d > INT64_MAX || q > INT64_MAX)
		return ERR_INVALID;
	*date_added = (int64_t)d;
	*seq = (int64_t)q;
	return ERR_OK;
}

err_t taxii_filter_parse(const struct api_param *params, size_t n, unsigned allowed,
			 struct taxii_filter *f, char msg[QUERY_MSG_MAX])
{
	err_t rc = parse_params(params, n, allowed, f, msg);
	/* Messages quote the client's bytes, cut anywhere: keep them one line
	 * of printable ASCII, so that they are valid UTF-8 in a JSON error and
	 * cannot forge a log line. */
	for (char *p = msg; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return rc;
}
