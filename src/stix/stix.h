/*
 * stix.h - STIX 2.1 parsing and validation of untrusted bytes (DESIGN.md §4.2).
 *
 * Two steps, both pure (no I/O, no clock):
 *  - stix_envelope_split() finds the byte span of each element of the
 *    "objects" array of a TAXII 2.1 envelope or a STIX 2.1 bundle, without
 *    parsing the elements, so that one bad object cannot spoil the others and
 *    every good object is stored byte-for-byte as received;
 *  - stix_object_check() parses one span with jansson and validates it as a
 *    STIX 2.1 object: common properties, the required properties of its type,
 *    marking references, extensions.
 *
 * Depends on common/ and jansson only.
 */
#ifndef RENKEI_STIX_H
#define RENKEI_STIX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* STIX 2.1 §3.1: a type is 3..250 characters; an id is type "--" UUID. */
#define STIX_TYPE_MAX 251
#define STIX_ID_MAX   (STIX_TYPE_MAX + 2 + 36 + 1)

/* Room for a precise failure message. */
#define STIX_MSG_MAX 256

struct stix_limits {
	size_t max_object_bytes; /* one object's serialised size */
	size_t max_depth;	 /* nesting of arrays and objects inside one object */
	size_t max_objects;	 /* elements of one envelope's "objects" array */
};

/* The defaults: 1 MiB per object, depth 32, 100,000 objects per envelope. */
void stix_limits_default(struct stix_limits *lim);

struct stix_span {
	size_t off; /* byte offset of the element's first byte in the body */
	size_t len; /* bytes up to and including its last byte */
};

enum stix_envelope_kind { STIX_ENVELOPE, STIX_BUNDLE };

/*
 * Splits body[0..len) - a JSON object with an "objects" array (a TAXII
 * envelope, or a STIX bundle when it has "type": "bundle") - into the spans of
 * the array's elements. Checks the envelope's own structure only: it must be
 * one JSON object with well-formed structure (balanced brackets, terminated
 * strings), no duplicate top-level keys, "objects" (when present) an array,
 * at most lim->max_objects elements; an absent "objects" gives zero spans.
 * The elements themselves are not parsed; a bracket-balanced element with
 * invalid UTF-8 or duplicate keys still yields its span.
 *
 * On success *spans is a malloc'd array of *n spans (NULL when *n is 0) that
 * the caller frees, and *kind says which container it was. On failure returns
 * ERR_INVALID (or ERR_TOOBIG when max_objects is passed, ERR_NOMEM), writes a
 * one-line reason into msg, and leaves *spans NULL and *n 0.
 */
err_t stix_envelope_split(const char *body, size_t len, const struct stix_limits *lim,
			  struct stix_span **spans, size_t *n, enum stix_envelope_kind *kind,
			  char msg[STIX_MSG_MAX]);

struct stix_meta {
	char id[STIX_ID_MAX];	  /* "" when unknown */
	char type[STIX_TYPE_MAX]; /* "" when unknown */
	char spec_version[16];	  /* "" when absent */
	bool has_created, has_modified;
	int64_t created, modified; /* microseconds since the epoch, UTC */
	/*
	 * The TAXII version (TAXII 2.1 §3.4: modified, else created); false for
	 * objects with neither (SCOs), whose version the server chooses.
	 */
	bool has_version;
	int64_t version;
};

/*
 * Parses p[0..len) as one JSON object (jansson, rejecting duplicate keys and
 * invalid UTF-8), checks its depth against lim->max_depth and its size against
 * lim->max_object_bytes, and validates it as STIX 2.1.
 *
 * On success returns ERR_OK, fills *meta, and when out is non-NULL hands the
 * parsed object to the caller (json_decref it). On failure returns ERR_INVALID
 * (not JSON, bad UTF-8, duplicate key, too deep), ERR_TOOBIG (too large) or
 * ERR_UNPROCESSABLE (JSON but not valid STIX 2.1), writes a precise one-line
 * message into msg naming the property at fault (e.g. "indicator: missing
 * required property 'pattern'"), fills meta->id / meta->type as far as they
 * could be read (so that a failure can name its object), and sets *out NULL.
 */
err_t stix_object_check(const char *p, size_t len, const struct stix_limits *lim, json_t **out,
			struct stix_meta *meta, char msg[STIX_MSG_MAX]);

/*
 * Whether s is a valid STIX 2.1 identifier "type--UUID" (§2.9): a valid type
 * name, and an RFC 4122 UUID in lower or upper case hex (any version).
 * When want_type is non-NULL the type part must equal it.
 */
bool stix_id_valid(const char *s, const char *want_type);

/* Whether s is a valid STIX 2.1 type name (§2.13 / §3.1 rules). */
bool stix_type_valid(const char *s);

/*
 * Best-effort recovery of a name for an object that jansson refused: finds
 * the member named key at the top level of the JSON object text p[0..len)
 * and, when its value is a string that fits in outsz bytes once unescaped
 * (NUL included), copies it into out. Tolerates what jansson refuses
 * (duplicate keys - the first one wins -, invalid UTF-8, bad escapes), never
 * reads past len and never allocates. Returns false, leaving out "" (when
 * outsz > 0), when the text is not an object, the key is absent, or its
 * value is not a string that fits. Implemented in envelope.c, which owns the
 * byte scanner.
 */
bool stix_scan_member_string(const char *p, size_t len, const char *key, char *out, size_t outsz);

#endif
