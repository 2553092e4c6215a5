/*
 * test_stix.c - unit tests of stix/ (stix.h).
 *
 * Most cases are files a reviewer can read like a table, one case per file:
 *   <data>/stix/valid/<name>.json      one object that must be accepted
 *   <data>/stix/invalid/<name>.json    one object that must be refused, and
 *   <data>/stix/invalid/<name>.msg     line 1: err_name() of the result,
 *                                      line 2: a fragment of the message,
 *                                      optional "id=<id>": meta->id expected
 *   <data>/stix/envelope/<name>.json   an envelope or bundle body, and
 *   <data>/stix/envelope/<name>.expect "ok <envelope|bundle> <spans> <valid>"
 *                                      or "<err_name> <message fragment>"
 * Every bug becomes one more file. The byte-level cases that files show badly
 * (every truncation, NUL bytes, limits) are below.
 *
 * Usage: test_stix [DATA_DIR]   (else $RENKEI_TEST_DATA, else "tests/data")
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/err.h"
#include "../../src/stix/stix.h"

#include "../../src/common/banned.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted base names (without ".json") of dir's *.json files. */
static char **list_cases(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t k = strlen(e->d_name);
		if (k <= 5 || strcmp(e->d_name + k - 5, ".json") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[*n] = strndup(e->d_name, k - 5);
		assert_non_null(v[*n]);
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_cases(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *read_case(const char *data, const char *sub, const char *name, const char *ext,
		       size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/stix/%s/%s%s", data, sub, name, ext);
	return read_all(path, len);
}

/* Splits text into its first three lines (in place); missing ones are "". */
static void lines3(char *text, char *line[3])
{
	for (int i = 0; i < 3; i++) {
		char *nl;

		line[i] = text;
		if (!text) {
			line[i] = "";
			continue;
		}
		nl = strchr(text, '\n');
		if (nl) {
			*nl = '\0';
			text = nl + 1;
			if (!*text)
				text = NULL;
		} else {
			text = NULL;
		}
	}
}

/* A message is one non-empty line of printable ASCII. */
static bool one_line(const char *msg)
{
	size_t n = strnlen(msg, STIX_MSG_MAX);

	if (n == 0 || n == STIX_MSG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (msg[i] < 0x20 || msg[i] >= 0x7f)
			return false;
	return true;
}

static err_t check_str(const char *s, struct stix_meta *meta, char msg[STIX_MSG_MAX])
{
	struct stix_limits lim;

	stix_limits_default(&lim);
	return stix_object_check(s, strlen(s), &lim, NULL, meta, msg);
}

/* ---------------------------------------------------------------------- */
/* Data-driven cases                                                      */

static const char *const all_types[] = {
	"attack-pattern",
	"campaign",
	"course-of-action",
	"grouping",
	"identity",
	"incident",
	"indicator",
	"infrastructure",
	"intrusion-set",
	"location",
	"malware",
	"malware-analysis",
	"note",
	"observed-data",
	"opinion",
	"report",
	"threat-actor",
	"tool",
	"vulnerability",
	"relationship",
	"sighting",
	"artifact",
	"autonomous-system",
	"directory",
	"domain-name",
	"email-addr",
	"email-message",
	"file",
	"ipv4-addr",
	"ipv6-addr",
	"mac-addr",
	"mutex",
	"network-traffic",
	"process",
	"software",
	"url",
	"user-account",
	"windows-registry-key",
	"x509-certificate",
	"marking-definition",
	"language-content",
	"extension-definition",
	NULL,
};

static size_t type_index(const char *t)
{
	size_t i;

	for (i = 0; all_types[i]; i++)
		if (strcmp(all_types[i], t) == 0)
			break;
	return i;
}

static void test_valid_objects(void **state)
{
	const char *data = *state;
	struct stix_limits lim;
	bool seen[64] = {false};
	size_t n, failures = 0;
	char **names, dir[1024];

	stix_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/stix/valid", data);
	names = list_cases(dir, &n);
	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++) {
		struct stix_meta meta;
		char msg[STIX_MSG_MAX];
		json_t *obj = NULL;
		size_t len;
		char *body = read_case(data, "valid", names[i], ".json", &len);
		err_t rc;

		assert_non_null(body);
		rc = stix_object_check(body, len, &lim, &obj, &meta, msg);
		if (rc != ERR_OK) {
			print_error("valid/%s.json refused (%s): %s\n", names[i], err_name(rc),
				    msg);
			failures++;
		} else {
			assert_non_null(obj);
			assert_string_equal(json_string_value(json_object_get(obj, "id")), meta.id);
			assert_string_equal(json_string_value(json_object_get(obj, "type")),
					    meta.type);
			assert_true(stix_id_valid(meta.id, meta.type));
			seen[type_index(meta.type)] = true;
		}
		json_decref(obj);
		free(body);
	}
	for (size_t t = 0; all_types[t]; t++) {
		if (!seen[t]) {
			print_error("no valid case for type %s\n", all_types[t]);
			failures++;
		}
	}
	free_cases(names, n);
	assert_int_equal(failures, 0);
}

static void test_invalid_objects(void **state)
{
	const char *data = *state;
	struct stix_limits lim;
	bool seen[64] = {false};
	size_t n, failures = 0;
	char **names, dir[1024];

	stix_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/stix/invalid", data);
	names = list_cases(dir, &n);
	assert_true(n >= 150);
	for (size_t i = 0; i < n; i++) {
		struct stix_meta meta;
		char msg[STIX_MSG_MAX], *line[3];
		json_t *obj = (json_t *)&meta; /* must come back NULL */
		size_t len, mlen;
		char *body = read_case(data, "invalid", names[i], ".json", &len);
		char *expect = read_case(data, "invalid", names[i], ".msg", &mlen);
		err_t rc;

		assert_non_null(body);
		if (!expect) {
			print_error("invalid/%s.msg is missing\n", names[i]);
			failures++;
			free(body);
			continue;
		}
		lines3(expect, line);
		rc = stix_object_check(body, len, &lim, &obj, &meta, msg);
		assert_null(obj);
		if (rc == ERR_OK || strcmp(err_name(rc), line[0]) != 0 || !strstr(msg, line[1]) ||
		    !one_line(msg)) {
			print_error("invalid/%s.json: got %s \"%s\", want %s \"%s\"\n", names[i],
				    err_name(rc), msg, line[0], line[1]);
			failures++;
		} else if (strncmp(line[2], "id=", 3) == 0 && strcmp(meta.id, line[2] + 3) != 0) {
			print_error("invalid/%s.json: meta.id \"%s\", want \"%s\"\n", names[i],
				    meta.id, line[2] + 3);
			failures++;
		}
		if (rc == ERR_UNPROCESSABLE && meta.type[0])
			seen[type_index(meta.type)] = true;
		free(expect);
		free(body);
	}
	for (size_t t = 0; all_types[t]; t++) {
		if (!seen[t]) {
			print_error("no invalid case for type %s\n", all_types[t]);
			failures++;
		}
	}
	free_cases(names, n);
	assert_int_equal(failures, 0);
}

static void test_envelope_files(void **state)
{
	const char *data = *state;
	struct stix_limits lim;
	size_t n, failures = 0;
	char **names, dir[1024];

	stix_limits_default(&lim);
	snprintf(dir, sizeof(dir), "%s/stix/envelope", data);
	names = list_cases(dir, &n);
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		struct stix_span *spans = NULL;
		enum stix_envelope_kind kind;
		size_t len, elen, nspans = 0;
		char msg[STIX_MSG_MAX], *line[3];
		char *body = read_case(data, "envelope", names[i], ".json", &len);
		char *expect = read_case(data, "envelope", names[i], ".expect", &elen);
		err_t rc;

		assert_non_null(body);
		assert_non_null(expect);
		lines3(expect, line);
		rc = stix_envelope_split(body, len, &lim, &spans, &nspans, &kind, msg);
		if (strncmp(line[0], "ok ", 3) == 0) {
			char kname[16];
			size_t want_n = 0, want_valid = 0, nvalid = 0;

			if (sscanf(line[0] + 3, "%15s %zu %zu", kname, &want_n, &want_valid) != 3) {
				print_error("envelope/%s.expect: bad line\n", names[i]);
				failures++;
			} else if (rc != ERR_OK || nspans != want_n ||
				   strcmp(kname, kind == STIX_BUNDLE ? "bundle" : "envelope") !=
					   0) {
				print_error("envelope/%s.json: got %s %zu spans \"%s\", want "
					    "%s\n",
					    names[i], err_name(rc), nspans, msg, line[0]);
				failures++;
			} else {
				for (size_t k = 0; k < nspans; k++) {
					struct stix_meta meta;
					char omsg[STIX_MSG_MAX];
					const char *p = body + spans[k].off;
					size_t sl = spans[k].len;

					assert_true(spans[k].off + sl <= len && sl > 0);
					/* A span is exactly the element: no blanks, no comma. */
					assert_false(strchr(" \t\r\n,", p[0]) && p[0]);
					assert_false(strchr(" \t\r\n,", p[sl - 1]) && p[sl - 1]);
					if (stix_object_check(p, sl, &lim, NULL, &meta, omsg) ==
					    ERR_OK)
						nvalid++;
				}
				if (nvalid != want_valid) {
					print_error("envelope/%s.json: %zu valid objects, want "
						    "%zu\n",
						    names[i], nvalid, want_valid);
					failures++;
				}
			}
		} else {
			char *sp = strchr(line[0], ' ');

			assert_non_null(sp);
			*sp = '\0';
			if (rc == ERR_OK || strcmp(err_name(rc), line[0]) != 0 ||
			    !strstr(msg, sp + 1) || spans || nspans || !one_line(msg)) {
				print_error("envelope/%s.json: got %s \"%s\", want %s \"%s\"\n",
					    names[i], err_name(rc), msg, line[0], sp + 1);
				failures++;
			}
		}
		free(spans);
		free(expect);
		free(body);
	}
	free_cases(names, n);
	assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

static void test_id_valid(void **state)
{
	static const struct {
		const char *id, *want;
		bool ok;
	} cases[] = {
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, true},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator", true},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "malware", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicato", false},
		{"relationship--81f12913-1372-4c96-85ec-E9034ac98aba", NULL, true},
		{"INDICATOR--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4", "ipv4-addr", true},
		{"x-mitre-tactic--ffd5bcee-6e16-4dd2-8eca-7b3beedf33ca", NULL, true},
		{"x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de", NULL, true},
		{"indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", NULL, false},
		{"indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", NULL, false},
		{"indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0", NULL, false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", NULL, false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f0", NULL, false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g", NULL, false},
		{"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"x--y--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
		{"", NULL, false},
		{"indicator--", NULL, false},
		{"indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}", NULL, false},
		{"in dicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (stix_id_valid(cases[i].id, cases[i].want) != cases[i].ok)
			fail_msg("stix_id_valid(\"%s\", %s) != %d", cases[i].id,
				 cases[i].want ? cases[i].want : "NULL", cases[i].ok);
	}
	assert_false(stix_id_valid(NULL, NULL));
}

static void test_type_valid(void **state)
{
	static const struct {
		const char *type;
		bool ok;
	} cases[] = {
		{"indicator", true},
		{"x-mitre-tactic", true},
		{"x509-certificate", true},
		{"abc", true},
		{"ab", false},
		{"", false},
		{"Indicator", false},
		{"x--mitre", false},
		{"x_mitre", false},
		{"indic ator", false},
		{"indicätor", false},
		{"ipv4-addr", true},
		{"a-b", true},
		{"---", false},
	};
	char longest[252];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (stix_type_valid(cases[i].type) != cases[i].ok)
			fail_msg("stix_type_valid(\"%s\") != %d", cases[i].type, cases[i].ok);
	}
	assert_false(stix_type_valid(NULL));
	memset(longest, 'a', 250);
	longest[250] = '\0';
	assert_true(stix_type_valid(longest));
	longest[250] = 'a';
	longest[251] = '\0';
	assert_false(stix_type_valid(longest));
}

/* ---------------------------------------------------------------------- */
/* Timestamps, limits, metadata                                           */

static const char incident_fmt[] = "{\"type\":\"incident\",\"spec_version\":\"2.1\","
				   "\"id\":\"incident--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
				   "\"created\":\"%s\",\"modified\":\"%s\",\"name\":\"x\"}";

static err_t check_times(const char *created, const char *modified, char msg[STIX_MSG_MAX])
{
	char buf[512];
	struct stix_meta meta;

	snprintf(buf, sizeof(buf), incident_fmt, created, modified);
	return check_str(buf, &meta, msg);
}

static void test_timestamp_precision(void **state)
{
	static const struct {
		const char *created, *modified;
		err_t rc;
		const char *frag;
	} cases[] = {
		{"2016-01-20T12:31:12.123Z", "2016-01-20T12:31:12.123Z", ERR_OK, ""},
		{"2016-01-20T12:31:12.123456Z", "2016-01-20T12:31:12.123457Z", ERR_OK, ""},
		{"2016-01-20T12:31:12.123456789Z", "2016-01-20T12:31:12.1234567Z", ERR_OK, ""},
		{"2016-01-20T12:31:12Z", "2016-01-20T12:31:12.000Z", ERR_UNPROCESSABLE,
		 "'created' must have at least millisecond precision"},
		{"2016-01-20T12:31:12.1Z", "2016-01-20T12:31:12.100Z", ERR_UNPROCESSABLE,
		 "'created' must have at least millisecond"},
		{"2016-01-20T12:31:12.123Z", "2016-01-20T12:31:13.12Z", ERR_UNPROCESSABLE,
		 "'modified' must have at least millisecond"},
		{"2016-01-20T12:31:12.123Z", "2016-01-20T12:31:12.122999Z", ERR_UNPROCESSABLE,
		 "incident: 'modified' is before 'created'"},
		{"2016-01-20T12:31:12.Z", "2016-01-20T12:31:12.123Z", ERR_UNPROCESSABLE,
		 "'created' must be an RFC 3339 UTC timestamp"},
		{"2016-01-20 12:31:12.123Z", "2016-01-20T12:31:12.123Z", ERR_UNPROCESSABLE,
		 "'created' must be an RFC 3339"},
		{"2016-01-20T12:31:60.123Z", "2016-01-20T12:31:12.123Z", ERR_UNPROCESSABLE,
		 "'created' must be an RFC 3339"},
		{"2016-01-20T12:31:12.123Z", "2016-01-20T12:31:12.123+00:00", ERR_UNPROCESSABLE,
		 "'modified' must be an RFC 3339"},
		{"2024-02-29T00:00:00.000Z", "2024-02-29T00:00:00.000Z", ERR_OK, ""},
		{"2023-02-29T00:00:00.000Z", "2023-02-29T00:00:00.000Z", ERR_UNPROCESSABLE,
		 "'created' must be an RFC 3339"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[STIX_MSG_MAX];
		err_t rc = check_times(cases[i].created, cases[i].modified, msg);

		if (rc != cases[i].rc || !strstr(msg, cases[i].frag))
			fail_msg("created %s modified %s: got %s \"%s\"", cases[i].created,
				 cases[i].modified, err_name(rc), msg);
	}
}

static void test_meta_versions(void **state)
{
	struct stix_meta meta;
	char msg[STIX_MSG_MAX];

	(void)state;
	assert_int_equal(
		check_times("2016-01-20T12:31:12.123Z", "2016-01-21T00:00:00.000001Z", msg),
		ERR_OK);
	assert_int_equal(check_str("{\"type\":\"marking-definition\",\"spec_version\""
				   ":\"2.1\",\"id\":\"marking-definition--613f2e26-"
				   "407d-48c7-9eca-b8e91df99dc9\",\"created\":\"2017"
				   "-01-20T00:00:00.000Z\",\"definition_type\":\"tlp"
				   "\",\"definition\":{\"tlp\":\"white\"}}",
				   &meta, msg),
			 ERR_OK);
	assert_true(meta.has_created && !meta.has_modified && meta.has_version);
	assert_true(meta.version == meta.created);
	assert_int_equal(meta.created, INT64_C(1484870400000000));
	assert_string_equal(meta.spec_version, "2.1");
	assert_string_equal(meta.type, "marking-definition");

	assert_int_equal(check_str("{\"type\":\"url\",\"id\":\"url--6c3d7c1e-7a1a-"
				   "4bd4-9f0b-4c9c2e7e8d11\",\"value\":\"http://a/\""
				   "}",
				   &meta, msg),
			 ERR_OK);
	assert_false(meta.has_version || meta.has_created || meta.has_modified);
	assert_string_equal(meta.spec_version, "");
	assert_string_equal(meta.id, "url--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11");

	{
		char buf[512];
		snprintf(buf, sizeof(buf), incident_fmt, "2016-01-20T12:31:12.123Z",
			 "2016-01-21T00:00:00.000001Z");
		assert_int_equal(check_str(buf, &meta, msg), ERR_OK);
		assert_true(meta.has_version && meta.version == meta.modified);
		assert_int_equal(meta.modified, INT64_C(1453334400000001));
		assert_int_equal(meta.created, INT64_C(1453293072123000));
	}
}

static void test_limits(void **state)
{
	static const char obj[] = "{\"type\":\"mutex\",\"id\":\"mutex--6c3d7c1e-7a1a-4bd4-9f0b-"
				  "4c9c2e7e8d11\",\"name\":\"m\"}";
	struct stix_limits lim;
	struct stix_meta meta;
	char msg[STIX_MSG_MAX], buf[8192];
	json_t *out = NULL;
	size_t k;

	(void)state;
	stix_limits_default(&lim);
	assert_int_equal(lim.max_object_bytes, 1024 * 1024);
	assert_int_equal(lim.max_depth, 32);
	assert_int_equal(lim.max_objects, 100000);

	/* Size: exactly at the limit passes, one byte more is refused. */
	lim.max_object_bytes = sizeof(obj) - 1;
	assert_int_equal(stix_object_check(obj, sizeof(obj) - 1, &lim, &out, &meta, msg), ERR_OK);
	json_decref(out);
	lim.max_object_bytes = sizeof(obj) - 2;
	assert_int_equal(stix_object_check(obj, sizeof(obj) - 1, &lim, &out, &meta, msg),
			 ERR_TOOBIG);
	assert_null(out);
	assert_non_null(strstr(msg, "above the limit of"));
	assert_string_equal(meta.id, "mutex--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11");
	assert_string_equal(meta.type, "mutex");

	/* Depth: the object is level 1; 31 nested arrays make 32. */
	stix_limits_default(&lim);
	for (int depth = 31; depth <= 32; depth++) {
		k = (size_t)snprintf(buf, sizeof(buf),
				     "{\"type\":\"mutex\",\"id\":"
				     "\"mutex--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11\","
				     "\"name\":\"m\",\"x_deep\":");
		for (int i = 0; i < depth; i++)
			buf[k++] = '[';
		for (int i = 0; i < depth; i++)
			buf[k++] = ']';
		buf[k++] = '}';
		buf[k] = '\0';
		assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg),
				 depth == 31 ? ERR_OK : ERR_INVALID);
		if (depth == 32) {
			assert_string_equal(msg, "object nesting deeper than 32");
			assert_string_equal(meta.type, "mutex");
		}
	}
	/* Deeper than jansson's own limit: the same message, nothing breaks. */
	k = (size_t)snprintf(buf, sizeof(buf), "{\"x\":");
	while (k < 6000)
		buf[k++] = '[';
	assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_INVALID);
	assert_string_equal(msg, "object nesting deeper than 32");
	/* A smaller configured depth applies to objects too. */
	lim.max_depth = 1;
	assert_int_equal(stix_object_check(obj, sizeof(obj) - 1, &lim, NULL, &meta, msg), ERR_OK);
	k = (size_t)snprintf(buf, sizeof(buf),
			     "{\"type\":\"mutex\",\"id\":\"mutex"
			     "--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11\",\"name\":\"m"
			     "\",\"x_a\":{\"b\":1}}");
	assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_INVALID);
	assert_string_equal(msg, "object nesting deeper than 1");
}

/* Byte-level JSON failures: duplicate keys, bad UTF-8, NUL bytes. */
static void test_json_bytes(void **state)
{
	static const char *const bad_utf8[] = {
		"\x80",
		"\xbf",
		"\xc0\x80",
		"\xc1\xbf",
		"\xc2",
		"\xe0\x80\x80",
		"\xe3\x81",
		"\xed\xa0\x80",
		"\xed\xbf\xbf",
		"\xf0\x80\x80\x80",
		"\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80",
		"\xfe",
		"\xff",
		"\xe6\x97\xa5\xe6\x9c", /* a truncated 本 after 日 */
	};
	static const char head[] = "{\"type\":\"mutex\",\"id\":\"mutex--6c3d7c1e-7a1a-4bd4-9f0b-"
				   "4c9c2e7e8d11\",\"name\":\"";
	struct stix_limits lim;
	struct stix_meta meta;
	char msg[STIX_MSG_MAX], buf[512];
	size_t k;

	(void)state;
	stix_limits_default(&lim);
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		k = (size_t)snprintf(buf, sizeof(buf), "%s%s\"}", head, bad_utf8[i]);
		assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_INVALID);
		assert_non_null(strstr(msg, "invalid UTF-8 at byte"));
		assert_string_equal(meta.id, "mutex--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11");
	}
	/* Valid multi-byte text passes: 日本語 and U+1F600. */
	k = (size_t)snprintf(buf, sizeof(buf), "%s%s\"}", head,
			     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80");
	assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_OK);

	/* A raw NUL inside a string, and outside one. */
	k = (size_t)snprintf(buf, sizeof(buf), "%sa", head);
	buf[k++] = '\0';
	memcpy(buf + k, "b\"}", 4);
	k += 3;
	assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_INVALID);
	assert_string_equal(meta.id, "mutex--6c3d7c1e-7a1a-4bd4-9f0b-4c9c2e7e8d11");
	k = (size_t)snprintf(buf, sizeof(buf), "%sab\"}", head);
	buf[k++] = '\0';
	assert_int_equal(stix_object_check(buf, k, &lim, NULL, &meta, msg), ERR_INVALID);
	assert_non_null(strstr(msg, "invalid JSON at byte"));

	/* Duplicate keys, at the top and nested, named in the message. */
	assert_int_equal(check_str("{\"type\":\"mutex\",\"name\":\"a\",\"name\":\"b"
				   "\"}",
				   &meta, msg),
			 ERR_INVALID);
	assert_string_equal(msg, "invalid JSON at byte 33: duplicate object key "
				 "'name'");
	assert_string_equal(meta.type, "mutex");
	assert_string_equal(meta.id, "");
	assert_int_equal(check_str("{\"type\":\"x-a\",\"type\":\"x-b\"}", &meta, msg), ERR_INVALID);
	assert_string_equal(meta.type, "x-a"); /* the first one wins */

	/* Whatever comes back is one printable line. */
	assert_int_equal(check_str("{\"type\":\"mutex\",\"x\":\"\\u0000\"}", &meta, msg),
			 ERR_INVALID);
	assert_true(one_line(msg));
	/* An id that is not a token is not echoed into meta. */
	assert_int_equal(check_str("{\"type\":\"mutex\",\"id\":\"a b\",\"id\":1}", &meta, msg),
			 ERR_INVALID);
	assert_string_equal(meta.id, "");
}

static void test_out_ownership(void **state)
{
	static const char obj[] = "{\"type\":\"mutex\",\"id\":\"mutex--6c3d7c1e-7a1a-4bd4-9f0b-"
				  "4c9c2e7e8d11\",\"name\":\"m\",\"x_any\":[null,{\"k\":1.5}]}";
	struct stix_limits lim;
	struct stix_meta meta;
	char msg[STIX_MSG_MAX];
	json_t *out = NULL;

	(void)state;
	stix_limits_default(&lim);
	assert_int_equal(stix_object_check(obj, sizeof(obj) - 1, &lim, &out, &meta, msg), ERR_OK);
	assert_non_null(out);
	assert_int_equal(out->refcount, 1);
	assert_string_equal(json_string_value(json_object_get(out, "name")), "m");
	json_decref(out);
	assert_int_equal(stix_object_check(obj, sizeof(obj) - 1, &lim, NULL, &meta, msg), ERR_OK);
	/* Only the given bytes are read: a prefix is not an object. */
	assert_int_equal(stix_object_check(obj, 20, &lim, &out, &meta, msg), ERR_INVALID);
	assert_null(out);
}

/* ---------------------------------------------------------------------- */
/* Envelopes, byte by byte                                                */

static err_t split(const char *body, size_t len, const struct stix_limits *lim,
		   struct stix_span **spans, size_t *n, enum stix_envelope_kind *kind,
		   char msg[STIX_MSG_MAX])
{
	struct stix_limits def;

	if (!lim) {
		stix_limits_default(&def);
		lim = &def;
	}
	return stix_envelope_split(body, len, lim, spans, n, kind, msg);
}

static void test_envelope_spans_exact(void **state)
{
	static const char body[] = "\n\t {\"more\":true,\"objects\" :[ {\"a\":\"]}\\\"[{\"} ,\r\n"
				   "[1,[2]],\"s\\\\\",-1.5e3 , true,{\"\xe6\x97\xa5\":{\"x\":[]}}],"
				   "\"next\":\"\\ud83d\\ude00\"} \n";
	static const char *const want[] = {
		"{\"a\":\"]}\\\"[{\"}",		 "[1,[2]]", "\"s\\\\\"", "-1.5e3", "true",
		"{\"\xe6\x97\xa5\":{\"x\":[]}}",
	};
	struct stix_span *spans;
	enum stix_envelope_kind kind;
	char msg[STIX_MSG_MAX];
	size_t n;

	(void)state;
	assert_int_equal(split(body, sizeof(body) - 1, NULL, &spans, &n, &kind, msg), ERR_OK);
	assert_int_equal(kind, STIX_ENVELOPE);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(spans[i].len, strlen(want[i]));
		assert_memory_equal(body + spans[i].off, want[i], spans[i].len);
	}
	free(spans);
}

static void test_envelope_truncations(void **state)
{
	const char *data = *state;
	struct stix_span *spans;
	enum stix_envelope_kind kind;
	char msg[STIX_MSG_MAX];
	size_t len, n, full;
	char *body = read_case(data, "envelope", "bundle-mixed", ".json", &len);

	assert_non_null(body);
	full = len;
	while (full > 0 && strchr(" \t\r\n", body[full - 1]))
		full--;
	assert_int_equal(split(body, full, NULL, &spans, &n, &kind, msg), ERR_OK);
	assert_int_equal(kind, STIX_BUNDLE);
	free(spans);
	/* Every proper prefix is refused, cleanly, without reading past it. */
	for (size_t k = 0; k < full; k++) {
		char *copy = malloc(k ? k : 1);

		assert_non_null(copy);
		memcpy(copy, body, k);
		spans = (struct stix_span *)copy;
		assert_int_equal(split(copy, k, NULL, &spans, &n, &kind, msg), ERR_INVALID);
		assert_null(spans);
		assert_int_equal(n, 0);
		assert_int_equal(kind, STIX_ENVELOPE);
		assert_true(one_line(msg));
		free(copy);
	}
	free(body);
}

static void test_envelope_limits(void **state)
{
	static const char three[] = "{\"objects\":[{},{},{}]}";
	struct stix_limits lim;
	struct stix_span *spans;
	enum stix_envelope_kind kind;
	char msg[STIX_MSG_MAX], *deep;
	size_t n, k;

	(void)state;
	stix_limits_default(&lim);
	lim.max_objects = 3;
	assert_int_equal(split(three, sizeof(three) - 1, &lim, &spans, &n, &kind, msg), ERR_OK);
	assert_int_equal(n, 3);
	free(spans);
	lim.max_objects = 2;
	assert_int_equal(split(three, sizeof(three) - 1, &lim, &spans, &n, &kind, msg), ERR_TOOBIG);
	assert_string_equal(msg, "envelope has more than 2 objects");
	assert_null(spans);
	lim.max_objects = 0;
	assert_int_equal(split(three, sizeof(three) - 1, &lim, &spans, &n, &kind, msg), ERR_TOOBIG);
	assert_int_equal(split("{\"objects\":[]}", 14, &lim, &spans, &n, &kind, msg), ERR_OK);
	assert_null(spans);
	assert_int_equal(n, 0);

	/* An element deeper than the object limit still gets its span... */
	stix_limits_default(&lim);
	deep = malloc(20000);
	assert_non_null(deep);
	k = (size_t)snprintf(deep, 20000, "{\"objects\":[{\"x\":");
	for (int i = 0; i < 100; i++)
		deep[k++] = '[';
	for (int i = 0; i < 100; i++)
		deep[k++] = ']';
	memcpy(deep + k, "},{}]}", 6);
	k += 6;
	assert_int_equal(split(deep, k, &lim, &spans, &n, &kind, msg), ERR_OK);
	assert_int_equal(n, 2);
	{
		struct stix_meta meta;
		char omsg[STIX_MSG_MAX];
		assert_int_equal(stix_object_check(deep + spans[0].off, spans[0].len, &lim, NULL,
						   &meta, omsg),
				 ERR_INVALID);
		assert_string_equal(omsg, "object nesting deeper than 32");
	}
	free(spans);
	/* ...but the scanner's own bound holds. */
	k = (size_t)snprintf(deep, 20000, "{\"objects\":[");
	while (k < 19000)
		deep[k++] = '[';
	assert_int_equal(split(deep, k, &lim, &spans, &n, &kind, msg), ERR_INVALID);
	assert_non_null(strstr(msg, "nesting deeper than 4096"));
	free(deep);
}

static void test_envelope_bytes(void **state)
{
	struct stix_span *spans;
	enum stix_envelope_kind kind;
	char msg[STIX_MSG_MAX];
	size_t n;
	/* NUL and invalid UTF-8 inside an element: the span is still found. */
	static const char nul_in_element[] = "{\"objects\":[{\"a\":\"x\0y\"},{\"b\":\"\xff\"}]}";
	static const char nul_top[] = "{\"next\":\"x\0y\",\"objects\":[]}";
	static const char nul_after[] = "{\"objects\":[]}\0";
	static const char bundle[] = "{\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\","
				     "\"objects\":[{}],\"type\":\"bundle\"}";

	(void)state;
	assert_int_equal(
		split(nul_in_element, sizeof(nul_in_element) - 1, NULL, &spans, &n, &kind, msg),
		ERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(spans[0].len, 11);
	assert_memory_equal(nul_in_element + spans[0].off, "{\"a\":\"x\0y\"}", 11);
	assert_int_equal(spans[1].len, 9);
	assert_memory_equal(nul_in_element + spans[1].off, "{\"b\":\"\xff\"}", 9);
	free(spans);
	assert_int_equal(split(nul_top, sizeof(nul_top) - 1, NULL, &spans, &n, &kind, msg),
			 ERR_INVALID);
	assert_non_null(strstr(msg, "control character"));
	assert_int_equal(split(nul_after, sizeof(nul_after) - 1, NULL, &spans, &n, &kind, msg),
			 ERR_INVALID);
	assert_non_null(strstr(msg, "unexpected data after the envelope"));

	/* "type" after "objects" and "id" before both: the order is free. */
	assert_int_equal(split(bundle, sizeof(bundle) - 1, NULL, &spans, &n, &kind, msg), ERR_OK);
	assert_int_equal(kind, STIX_BUNDLE);
	assert_int_equal(n, 1);
	free(spans);
	/* A bundle whose type is spelled with escapes is still a bundle. */
	assert_int_equal(split("{\"type\":\"bun\\u0064le\"}", 22, NULL, &spans, &n, &kind, msg),
			 ERR_OK);
	assert_int_equal(kind, STIX_BUNDLE);
	/* Only blanks, or nothing at all. */
	assert_int_equal(split(" \n\t", 3, NULL, &spans, &n, &kind, msg), ERR_INVALID);
	assert_int_equal(split("", 0, NULL, &spans, &n, &kind, msg), ERR_INVALID);
}

static void test_scan_member_string(void **state)
{
	static const char dup[] = "{\"x\":{\"id\":\"inner\"},\"id\":\"first\",\"id\":\"second\"}";
	static const char esc[] = "{\"i\\u0064\" : \"a\\\"b\\u00e9\\n\"}";
	char out[16];

	(void)state;
	assert_true(stix_scan_member_string(dup, sizeof(dup) - 1, "id", out, sizeof(out)));
	assert_string_equal(out, "first");
	assert_true(stix_scan_member_string(esc, sizeof(esc) - 1, "id", out, sizeof(out)));
	assert_string_equal(out, "a\"b\xc3\xa9\n");
	assert_false(stix_scan_member_string(dup, sizeof(dup) - 1, "type", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(stix_scan_member_string("{\"id\":\"0123456789abcdef\"}", 25, "id", out,
					     sizeof(out)));
	assert_false(stix_scan_member_string("{\"id\":5}", 8, "id", out, sizeof(out)));
	assert_false(stix_scan_member_string("[\"id\"]", 6, "id", out, sizeof(out)));
	assert_false(stix_scan_member_string("{\"id\":\"ab", 9, "id", out, sizeof(out)));
	assert_false(stix_scan_member_string("{\"id\":\"a\\u0000b\"}", 17, "id", out, sizeof(out)));
}

int main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : getenv("RENKEI_TEST_DATA");

	if (!data)
		data = "tests/data";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_valid_objects, (void *)data),
		cmocka_unit_test_prestate(test_invalid_objects, (void *)data),
		cmocka_unit_test_prestate(test_envelope_files, (void *)data),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_type_valid),
		cmocka_unit_test(test_timestamp_precision),
		cmocka_unit_test(test_meta_versions),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_json_bytes),
		cmocka_unit_test(test_out_ownership),
		cmocka_unit_test(test_envelope_spans_exact),
		cmocka_unit_test_prestate(test_envelope_truncations, (void *)data),
		cmocka_unit_test(test_envelope_limits),
		cmocka_unit_test(test_envelope_bytes),
		cmocka_unit_test(test_scan_member_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
