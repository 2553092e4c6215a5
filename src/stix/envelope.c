/*
 * envelope.c - splits a TAXII 2.1 envelope or a STIX 2.1 bundle into the byte
 * spans of the elements of its "objects" array, without parsing the elements
 * (stix.h), and recovers top-level string members of objects that jansson
 * refused.
 *
 * This is a scanner of hostile network bytes. It is iterative (no recursion),
 * keeps the nesting of brackets in a fixed bit stack, never reads at or past
 * len, treats NUL bytes as ordinary input, and allocates only the span array
 * and one array of key positions, both bounded by the body length. The
 * envelope's own members are checked as strict JSON (grammar, escapes,
 * UTF-8); inside the elements only strings and brackets are followed, so that
 * one malformed element still yields its span and cannot spoil the others -
 * stix_object_check() judges it.
 *
 * Depends on common/ only: jansson must not see the envelope as a whole.
 */
#include "stix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/banned.h"

/*
 * Bracket nesting the scanner follows. STIX objects are refused far below
 * this (stix_limits.max_depth); the cap only bounds the scanner's own state.
 */
#define NEST_CAP 4096

struct scan {
	const unsigned char *p;
	size_t len;
	size_t pos;
	char *msg; /* STIX_MSG_MAX bytes, or NULL to stay quiet */
};

/* The bracket types of the open containers: one bit each, 1 = object. */
struct nest {
	size_t depth;
	unsigned char bits[NEST_CAP / 8];
};

/* A JSON string's content (between the quotes) in the body. */
struct strspan {
	const unsigned char *base;
	size_t off, len;
};

__attribute__((format(printf, 2, 3))) static err_t scan_fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->msg) {
		va_start(ap, fmt);
		vsnprintf(s->msg, STIX_MSG_MAX, fmt, ap);
		va_end(ap);
	}
	return ERR_INVALID;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len && is_ws(s->p[s->pos]))
		s->pos++;
}

static bool at_end(const struct scan *s)
{
	return s->pos >= s->len;
}

static err_t nest_push(struct scan *s, struct nest *n, bool is_object)
{
	if (n->depth >= NEST_CAP)
		return scan_fail(s, "nesting deeper than %d at byte %zu", NEST_CAP, s->pos);
	if (is_object)
		n->bits[n->depth / 8] |= (unsigned char)(1u << (n->depth % 8));
	else
		n->bits[n->depth / 8] &= (unsigned char)~(1u << (n->depth % 8));
	n->depth++;
	return ERR_OK;
}

/* Whether the innermost open container is an object; depth must be > 0. */
static bool nest_top_is_object(const struct nest *n)
{
	size_t i = n->depth - 1;
	return ((unsigned)n->bits[i / 8] >> (i % 8)) & 1u;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 4 hex digits at p[i..i+4) within n bytes; -1 when they are not. */
static long hex4(const unsigned char *p, size_t i, size_t n)
{
	long v = 0;

	if (n < 4 || i > n - 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(p[i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Length of the well-formed UTF-8 sequence at p[0..n) (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t need;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t k = 1; k < need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/*
 * Scans the string whose opening quote is at s->pos and leaves s->pos after
 * its closing quote; *out (when non-NULL) receives the content's position.
 * Strict mode checks it as RFC 8259 JSON with UTF-8 text: no raw control
 * characters, only the defined escapes, paired surrogates. Loose mode only
 * finds the end: a backslash protects the byte after it, whatever it is.
 */
static err_t scan_string(struct scan *s, bool strict, struct strspan *out)
{
	size_t start = s->pos;
	size_t i = s->pos + 1;

	while (i < s->len) {
		unsigned char c = s->p[i];

		if (c == '"') {
			if (out) {
				out->base = s->p;
				out->off = start + 1;
				out->len = i - start - 1;
			}
			s->pos = i + 1;
			return ERR_OK;
		}
		if (c == '\\') {
			if (i + 1 >= s->len)
				break;
			if (!strict) {
				i += 2;
				continue;
			}
			unsigned char e = s->p[i + 1];
			if (e == 'u') {
				long cp = hex4(s->p, i + 2, s->len);
				if (cp < 0)
					return scan_fail(s, "invalid \\u escape at byte %zu", i);
				i += 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return scan_fail(s, "unpaired surrogate escape at byte %zu",
							 i - 6);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					long lo = -1;
					if (i + 1 < s->len && s->p[i] == '\\' && s->p[i + 1] == 'u')
						lo = hex4(s->p, i + 2, s->len);
					if (lo < 0xdc00 || lo > 0xdfff)
						return scan_fail(
							s, "unpaired surrogate escape at byte %zu",
							i - 6);
					i += 6;
				}
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0')
				return scan_fail(s, "invalid escape at byte %zu", i);
			i += 2;
			continue;
		}
		if (strict) {
			size_t k;
			if (c < 0x20)
				return scan_fail(s, "control character in a string at byte %zu", i);
			k = utf8_len(s->p + i, s->len - i);
			if (k == 0)
				return scan_fail(s, "invalid UTF-8 at byte %zu", i);
			i += k;
			continue;
		}
		i++;
	}
	return scan_fail(s, "unterminated string starting at byte %zu", start);
}

/* RFC 8259 §6 number grammar, at s->pos. */
static err_t scan_number(struct scan *s)
{
	size_t start = s->pos, i = s->pos;
	size_t n = s->len;

	if (i < n && s->p[i] == '-')
		i++;
	if (i < n && s->p[i] == '0') {
		i++;
	} else if (i < n && s->p[i] >= '1' && s->p[i] <= '9') {
		while (i < n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	} else {
		goto bad;
	}
	if (i < n && s->p[i] == '.') {
		i++;
		if (i >= n || s->p[i] < '0' || s->p[i] > '9')
			goto bad;
		while (i < n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	}
	if (i < n && (s->p[i] == 'e' || s->p[i] == 'E')) {
		i++;
		if (i < n && (s->p[i] == '+' || s->p[i] == '-'))
			i++;
		if (i >= n || s->p[i] < '0' || s->p[i] > '9')
			goto bad;
		while (i < n && s->p[i] >= '0' && s->p[i] <= '9')
			i++;
	}
	s->pos = i;
	return ERR_OK;
bad:
	return scan_fail(s, "invalid number at byte %zu", start);
}

static bool match_word(struct scan *s, const char *w)
{
	size_t k = strlen(w);

	if (s->len - s->pos < k || memcmp(s->p + s->pos, w, k) != 0)
		return false;
	s->pos += k;
	return true;
}

/* One scalar (string, number, literal) at s->pos, checked strictly. */
static err_t scan_scalar_strict(struct scan *s)
{
	unsigned char c = s->p[s->pos];

	if (c == '"')
		return scan_string(s, true, NULL);
	if (c == '-' || (c >= '0' && c <= '9'))
		return scan_number(s);
	if (match_word(s, "true") || match_word(s, "false") || match_word(s, "null"))
		return ERR_OK;
	return scan_fail(s, "expected a JSON value at byte %zu", s->pos);
}

/*
 * Skips one JSON value at s->pos, checking it as strict JSON. Used for the
 * envelope's own members other than "objects" ("more", "next", "id", custom
 * properties of a bundle).
 */
static err_t skip_value_strict(struct scan *s)
{
	struct nest n;
	enum { WANT_VALUE, WANT_VALUE_OR_END, WANT_KEY, WANT_KEY_OR_END, AFTER } st;
	err_t rc;

	n.depth = 0;
	st = WANT_VALUE;
	for (;;) {
		unsigned char c;

		if (st == AFTER && n.depth == 0)
			return ERR_OK;
		skip_ws(s);
		if (at_end(s))
			return scan_fail(s, "unexpected end of input at byte %zu", s->pos);
		c = s->p[s->pos];
		switch (st) {
		case WANT_VALUE_OR_END:
			if (c == ']') {
				n.depth--;
				s->pos++;
				st = AFTER;
				break;
			}
			/* fall through */
		case WANT_VALUE:
			if (c == '{' || c == '[') {
				rc = nest_push(s, &n, c == '{');
				if (rc)
					return rc;
				s->pos++;
				st = c == '{' ? WANT_KEY_OR_END : WANT_VALUE_OR_END;
				break;
			}
			rc = scan_scalar_strict(s);
			if (rc)
				return rc;
			st = AFTER;
			break;
		case WANT_KEY_OR_END:
			if (c == '}') {
				n.depth--;
				s->pos++;
				st = AFTER;
				break;
			}
			/* fall through */
		case WANT_KEY:
			if (c != '"')
				return scan_fail(s, "expected a member name at byte %zu", s->pos);
			rc = scan_string(s, true, NULL);
			if (rc)
				return rc;
			skip_ws(s);
			if (at_end(s) || s->p[s->pos] != ':')
				return scan_fail(s, "expected ':' at byte %zu", s->pos);
			s->pos++;
			st = WANT_VALUE;
			break;
		case AFTER:
			if (c == ',') {
				s->pos++;
				st = nest_top_is_object(&n) ? WANT_KEY : WANT_VALUE;
			} else if ((c == '}' && nest_top_is_object(&n)) ||
				   (c == ']' && !nest_top_is_object(&n))) {
				n.depth--;
				s->pos++;
			} else {
				return scan_fail(s,
						 "expected ',' or a closing bracket at "
						 "byte %zu",
						 s->pos);
			}
			break;
		}
	}
}

static bool is_delim(unsigned char c)
{
	return is_ws(c) || c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' ||
	       c == '"';
}

/*
 * Skips one element of "objects" at s->pos following only its strings and
 * brackets: a scalar is a run of non-delimiter bytes, a container ends at
 * its matching bracket. The element's content is left to jansson.
 */
static err_t skip_value_loose(struct scan *s)
{
	struct nest n;
	size_t start = s->pos;
	err_t rc;

	if (s->p[s->pos] == '"')
		return scan_string(s, false, NULL);
	if (s->p[s->pos] != '{' && s->p[s->pos] != '[') {
		while (!at_end(s) && !is_delim(s->p[s->pos]))
			s->pos++;
		if (s->pos == start)
			return scan_fail(s, "expected a JSON value at byte %zu", start);
		return ERR_OK;
	}
	n.depth = 0;
	do {
		unsigned char c;

		if (at_end(s))
			return scan_fail(s,
					 "unexpected end of input: the value at byte "
					 "%zu is not closed",
					 start);
		c = s->p[s->pos];
		if (c == '"') {
			rc = scan_string(s, false, NULL);
			if (rc)
				return rc;
			continue;
		}
		if (c == '{' || c == '[') {
			rc = nest_push(s, &n, c == '{');
			if (rc)
				return rc;
		} else if (c == '}' || c == ']') {
			if (n.depth == 0 || nest_top_is_object(&n) != (c == '}'))
				return scan_fail(s, "mismatched '%c' at byte %zu", c, s->pos);
			n.depth--;
		}
		s->pos++;
	} while (n.depth > 0);
	return ERR_OK;
}

/*
 * Iterates over the unescaped bytes of a JSON string's content. Robust on
 * content that was never validated: a bad escape yields its raw byte, a bad
 * or lone \u escape yields U+FFFD, and it never reads outside the span.
 */
struct jstr_iter {
	const unsigned char *p;
	size_t i, n;
	unsigned char pend[4];
	int npend, ipend;
};

static void jstr_iter_init(struct jstr_iter *it, const struct strspan *sp)
{
	it->p = sp->base + sp->off;
	it->i = 0;
	it->n = sp->len;
	it->npend = it->ipend = 0;
}

static int jstr_encode(struct jstr_iter *it, unsigned long cp)
{
	if (cp < 0x80) {
		it->pend[0] = (unsigned char)cp;
		it->npend = 1;
	} else if (cp < 0x800) {
		it->pend[0] = (unsigned char)(0xc0 | (cp >> 6));
		it->pend[1] = (unsigned char)(0x80 | (cp & 0x3f));
		it->npend = 2;
	} else if (cp < 0x10000) {
		it->pend[0] = (unsigned char)(0xe0 | (cp >> 12));
		it->pend[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		it->pend[2] = (unsigned char)(0x80 | (cp & 0x3f));
		it->npend = 3;
	} else {
		it->pend[0] = (unsigned char)(0xf0 | (cp >> 18));
		it->pend[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		it->pend[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		it->pend[3] = (unsigned char)(0x80 | (cp & 0x3f));
		it->npend = 4;
	}
	it->ipend = 1;
	return it->pend[0];
}

/* The next unescaped byte, or -1 at the end. */
static int jstr_next(struct jstr_iter *it)
{
	unsigned char c, e;
	long cp, lo;

	if (it->ipend < it->npend)
		return it->pend[it->ipend++];
	it->npend = it->ipend = 0;
	if (it->i >= it->n)
		return -1;
	c = it->p[it->i++];
	if (c != '\\' || it->i >= it->n)
		return c;
	e = it->p[it->i++];
	switch (e) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u': break;
	default: return e; /* \" \\ \/ and, on unvalidated input, anything else */
	}
	cp = hex4(it->p, it->i, it->n);
	if (cp < 0)
		return jstr_encode(it, 0xfffd);
	it->i += 4;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		lo = -1;
		if (it->i + 1 < it->n && it->p[it->i] == '\\' && it->p[it->i + 1] == 'u')
			lo = hex4(it->p, it->i + 2, it->n);
		if (lo < 0xdc00 || lo > 0xdfff)
			return jstr_encode(it, 0xfffd);
		it->i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		cp = 0xfffd;
	}
	return jstr_encode(it, (unsigned long)cp);
}

/* Compares two strings by their unescaped bytes, as memcmp would. */
static int jstr_cmp(const struct strspan *a, const struct strspan *b)
{
	struct jstr_iter ia, ib;

	jstr_iter_init(&ia, a);
	jstr_iter_init(&ib, b);
	for (;;) {
		int x = jstr_next(&ia), y = jstr_next(&ib);
		if (x != y)
			return x < y ? -1 : 1;
		if (x < 0)
			return 0;
	}
}

static bool jstr_eq(const struct strspan *a, const char *lit)
{
	struct strspan b = {(const unsigned char *)lit, 0, strlen(lit)};
	return jstr_cmp(a, &b) == 0;
}

/*
 * Copies the unescaped content into out[0..outsz) with a NUL; false when it
 * does not fit or contains a NUL byte (which a C string cannot carry).
 */
static bool jstr_copy(const struct strspan *sp, char *out, size_t outsz)
{
	struct jstr_iter it;
	size_t k = 0;
	int c;

	jstr_iter_init(&it, sp);
	while ((c = jstr_next(&it)) >= 0) {
		if (c == 0 || k + 1 >= outsz)
			return false;
		out[k++] = (char)c;
	}
	if (outsz == 0)
		return false;
	out[k] = '\0';
	return true;
}

static int strspan_qsort_cmp(const void *a, const void *b)
{
	return jstr_cmp(a, b);
}

/* Appends one span, growing the array by doubling with overflow checks. */
static err_t spans_add(struct stix_span **spans, size_t *n, size_t *cap, size_t off, size_t len)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap : 16, bytes;
		struct stix_span *p;

		if (*cap && __builtin_mul_overflow(*cap, 2, &ncap))
			return ERR_NOMEM;
		if (__builtin_mul_overflow(ncap, sizeof(**spans), &bytes))
			return ERR_NOMEM;
		p = realloc(*spans, bytes);
		if (!p)
			return ERR_NOMEM;
		*spans = p;
		*cap = ncap;
	}
	(*spans)[*n].off = off;
	(*spans)[*n].len = len;
	(*n)++;
	return ERR_OK;
}

static err_t keys_add(struct strspan **keys, size_t *n, size_t *cap, const struct strspan *k)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap : 8, bytes;
		struct strspan *p;

		if (*cap && __builtin_mul_overflow(*cap, 2, &ncap))
			return ERR_NOMEM;
		if (__builtin_mul_overflow(ncap, sizeof(**keys), &bytes))
			return ERR_NOMEM;
		p = realloc(*keys, bytes);
		if (!p)
			return ERR_NOMEM;
		*keys = p;
		*cap = ncap;
	}
	(*keys)[(*n)++] = *k;
	return ERR_OK;
}

/* Writes a key into msg-safe form: printable ASCII, at most 64 bytes. */
static void key_printable(const struct strspan *k, char out[72])
{
	struct jstr_iter it;
	size_t j = 0;
	int c;

	jstr_iter_init(&it, k);
	while ((c = jstr_next(&it)) >= 0 && j < 64)
		out[j++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
	if (c >= 0) {
		out[j++] = '.';
		out[j++] = '.';
		out[j++] = '.';
	}
	out[j] = '\0';
}

/* The elements of the "objects" array whose '[' is at s->pos. */
static err_t split_objects(struct scan *s, const struct stix_limits *lim, struct stix_span **spans,
			   size_t *n)
{
	size_t cap = 0;
	err_t rc;

	s->pos++; /* '[' */
	skip_ws(s);
	if (!at_end(s) && s->p[s->pos] == ']') {
		s->pos++;
		return ERR_OK;
	}
	for (;;) {
		size_t start;

		skip_ws(s);
		if (at_end(s))
			return scan_fail(s,
					 "unexpected end of input in 'objects' at "
					 "byte %zu",
					 s->pos);
		if (*n >= lim->max_objects) {
			scan_fail(s, "envelope has more than %zu objects", lim->max_objects);
			return ERR_TOOBIG;
		}
		start = s->pos;
		rc = skip_value_loose(s);
		if (rc)
			return rc;
		rc = spans_add(spans, n, &cap, start, s->pos - start);
		if (rc) {
			scan_fail(s, "out of memory");
			return rc;
		}
		skip_ws(s);
		if (at_end(s))
			return scan_fail(s,
					 "unexpected end of input in 'objects' at "
					 "byte %zu",
					 s->pos);
		if (s->p[s->pos] == ']') {
			s->pos++;
			return ERR_OK;
		}
		if (s->p[s->pos] != ',')
			return scan_fail(s,
					 "expected ',' or ']' after objects[%zu] at "
					 "byte %zu",
					 *n - 1, s->pos);
		s->pos++;
	}
}

err_t stix_envelope_split(const char *body, size_t len, const struct stix_limits *lim,
			  struct stix_span **spans, size_t *n, enum stix_envelope_kind *kind,
			  char msg[STIX_MSG_MAX])
{
	struct scan s = {(const unsigned char *)body, len, 0, msg};
	struct strspan *keys = NULL;
	size_t nkeys = 0, capkeys = 0;
	struct strspan type_val, id_val;
	bool has_type = false, has_id = false, id_is_string = false;
	err_t rc = ERR_OK;

	*spans = NULL;
	*n = 0;
	*kind = STIX_ENVELOPE;
	msg[0] = '\0';

	skip_ws(&s);
	if (at_end(&s) || s.p[s.pos] != '{') {
		rc = scan_fail(&s, "the envelope is not a JSON object");
		goto out;
	}
	s.pos++;
	skip_ws(&s);
	if (!at_end(&s) && s.p[s.pos] == '}') {
		s.pos++;
		goto members_done;
	}
	for (;;) {
		struct strspan key;

		skip_ws(&s);
		if (at_end(&s) || s.p[s.pos] != '"') {
			rc = scan_fail(&s, "expected a member name at byte %zu", s.pos);
			goto out;
		}
		rc = scan_string(&s, true, &key);
		if (rc)
			goto out;
		rc = keys_add(&keys, &nkeys, &capkeys, &key);
		if (rc) {
			scan_fail(&s, "out of memory");
			goto out;
		}
		skip_ws(&s);
		if (at_end(&s) || s.p[s.pos] != ':') {
			rc = scan_fail(&s, "expected ':' at byte %zu", s.pos);
			goto out;
		}
		s.pos++;
		skip_ws(&s);
		if (at_end(&s)) {
			rc = scan_fail(&s, "unexpected end of input at byte %zu", s.pos);
			goto out;
		}
		if (jstr_eq(&key, "objects")) {
			if (s.p[s.pos] != '[') {
				rc = scan_fail(&s, "'objects' is not an array");
				goto out;
			}
			/* A duplicate "objects" is refused below; do not add twice. */
			if (*n == 0) {
				rc = split_objects(&s, lim, spans, n);
			} else {
				rc = scan_fail(&s, "duplicate top-level key 'objects'");
			}
			if (rc)
				goto out;
		} else if (jstr_eq(&key, "type") && s.p[s.pos] == '"') {
			rc = scan_string(&s, true, &type_val);
			if (rc)
				goto out;
			has_type = true;
		} else if (jstr_eq(&key, "id") && s.p[s.pos] == '"') {
			rc = scan_string(&s, true, &id_val);
			if (rc)
				goto out;
			has_id = id_is_string = true;
		} else {
			if (jstr_eq(&key, "type")) {
				rc = scan_fail(&s, "top-level 'type' is not a string");
				goto out;
			}
			if (jstr_eq(&key, "id"))
				has_id = true;
			rc = skip_value_strict(&s);
			if (rc)
				goto out;
		}
		skip_ws(&s);
		if (at_end(&s)) {
			rc = scan_fail(&s, "unexpected end of input at byte %zu", s.pos);
			goto out;
		}
		if (s.p[s.pos] == '}') {
			s.pos++;
			break;
		}
		if (s.p[s.pos] != ',') {
			rc = scan_fail(&s, "expected ',' or '}' at byte %zu", s.pos);
			goto out;
		}
		s.pos++;
	}
members_done:
	skip_ws(&s);
	if (!at_end(&s)) {
		rc = scan_fail(&s, "unexpected data after the envelope at byte %zu", s.pos);
		goto out;
	}

	/* RFC 8259 §4 leaves duplicate names undefined; we refuse them. */
	if (nkeys > 1) {
		qsort(keys, nkeys, sizeof(*keys), strspan_qsort_cmp);
		for (size_t i = 1; i < nkeys; i++) {
			if (jstr_cmp(&keys[i - 1], &keys[i]) == 0) {
				char name[72];
				key_printable(&keys[i], name);
				rc = scan_fail(&s, "duplicate top-level key '%s'", name);
				goto out;
			}
		}
	}

	if (has_type) {
		if (!jstr_eq(&type_val, "bundle")) {
			rc = scan_fail(&s, "top-level 'type' must be \"bundle\" (a STIX "
					   "bundle) or absent (a TAXII envelope)");
			goto out;
		}
		*kind = STIX_BUNDLE;
		/* STIX 2.1 §8.1: a bundle's id is bundle--UUID. */
		if (has_id) {
			char id[STIX_ID_MAX];
			if (!id_is_string || !jstr_copy(&id_val, id, sizeof(id)) ||
			    !stix_id_valid(id, "bundle")) {
				rc = scan_fail(&s, "bundle 'id' must be \"bundle--<UUID>\"");
				goto out;
			}
		}
	}

out:
	free(keys);
	if (rc) {
		free(*spans);
		*spans = NULL;
		*n = 0;
		*kind = STIX_ENVELOPE;
		if (msg[0] == '\0')
			snprintf(msg, STIX_MSG_MAX, "invalid envelope");
	}
	return rc;
}

bool stix_scan_member_string(const char *p, size_t len, const char *key, char *out, size_t outsz)
{
	struct scan s = {(const unsigned char *)p, len, 0, NULL};

	if (outsz > 0)
		out[0] = '\0';
	skip_ws(&s);
	if (at_end(&s) || s.p[s.pos] != '{')
		return false;
	s.pos++;
	for (;;) {
		struct strspan k, v;
		bool want;

		skip_ws(&s);
		if (at_end(&s) || s.p[s.pos] != '"')
			return false;
		if (scan_string(&s, false, &k))
			return false;
		want = jstr_eq(&k, key);
		skip_ws(&s);
		if (at_end(&s) || s.p[s.pos] != ':')
			return false;
		s.pos++;
		skip_ws(&s);
		if (at_end(&s))
			return false;
		if (want) {
			if (s.p[s.pos] != '"' || scan_string(&s, false, &v))
				return false;
			if (!jstr_copy(&v, out, outsz)) {
				if (outsz > 0)
					out[0] = '\0';
				return false;
			}
			return true;
		}
		if (skip_value_loose(&s))
			return false;
		skip_ws(&s);
		if (at_end(&s) || s.p[s.pos] != ',')
			return false;
		s.pos++;
	}
}
