/*
 * stix.c - parses one STIX 2.1 object with jansson and validates it against
 * STIX Version 2.1 (OASIS Standard, 2021, and its Errata 01): the common
 * properties (§3.2), the properties of every SDO, SRO, SCO and meta object
 * type (§4-§7), data markings (§7.2), extensions (§7.3) and custom content
 * (§11). Where the 2021 text and the Errata differ, what either accepts is
 * accepted: real-world producers (MITRE ATT&CK, OpenCTI, MISP) must not be
 * refused for following one of them.
 *
 * The rules are tables (struct prop, one per property, and struct tdef, one
 * per object type) plus one check function per type for what a table cannot
 * say (one-of properties, orderings, enumerations).
 *
 * Pure: no I/O, no clock. Depends on common/ and jansson.
 */
#include "stix.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/timeutil.h"
#include "../common/banned.h"

/* STIX 2.1 §2.10: integers are limited to the 54-bit signed range. */
#define STIX_INT_MAX 9007199254740991LL

void stix_limits_default(struct stix_limits *lim)
{
	lim->max_object_bytes = 1024 * 1024;
	lim->max_depth = 32;
	lim->max_objects = 100000;
}

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * STIX 2.1 §7.3.2.2 (and §11.2 for deprecated custom objects): a type name is
 * 3..250 ASCII characters a-z, 0-9 and hyphen, never two hyphens in a row.
 */
static bool type_valid_n(const char *s, size_t n)
{
	if (n < 3 || n > STIX_TYPE_MAX - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			if (i > 0 && s[i - 1] == '-')
				return false;
		} else if (!is_lower_alnum(s[i])) {
			return false;
		}
	}
	return true;
}

bool stix_type_valid(const char *s)
{
	return s && type_valid_n(s, strlen(s));
}

/*
 * RFC 4122 §3 string form, 8-4-4-4-12 hex digits in either case, with the
 * RFC 4122 variant (10xx); any version.
 */
static bool uuid_valid(const char *u)
{
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!is_hex(u[i])) {
			return false;
		}
	}
	return u[36] == '\0' && strchr("89abAB", u[19]) != NULL;
}

bool stix_id_valid(const char *s, const char *want_type)
{
	size_t n, tn;

	if (!s)
		return false;
	n = strnlen(s, STIX_ID_MAX);
	if (n < 3 + 2 + 36 || n >= STIX_ID_MAX)
		return false;
	tn = n - 38;
	if (s[tn] != '-' || s[tn + 1] != '-' || !type_valid_n(s, tn) || !uuid_valid(s + tn + 2))
		return false;
	if (want_type && (strlen(want_type) != tn || memcmp(s, want_type, tn) != 0))
		return false;
	return true;
}

/* Copies the type part of a valid identifier into t. */
static void id_type(const char *id, char t[STIX_TYPE_MAX])
{
	size_t tn = strlen(id) - 38;

	memcpy(t, id, tn);
	t[tn] = '\0';
}

/*
 * STIX 2.1 §7.3.2.1 and §11.1: a property name (other than the common "id")
 * is 3..250 characters a-z, 0-9 and underscore.
 */
static bool prop_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* STIX 2.1 §2.3 / §2.7: dictionary and hash keys. */
static bool dict_key_valid(const char *s, size_t min)
{
	size_t n = strlen(s);

	if (n < min || n > 250)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_lower_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '-' && c != '_')
			return false;
	}
	return true;
}

/*
 * The syntax of an RFC 5646 language tag, without the registry: subtags of
 * 1..8 letters or digits separated by hyphens, the first one letters only
 * ("ja", "en-US", "zh-Hant-TW", "x-klingon").
 */
static bool lang_valid(const char *s)
{
	size_t run = 0;
	bool first = true;

	if (!*s)
		return false;
	for (const char *p = s;; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool digit = c >= '0' && c <= '9';

		if (c == '-' || c == '\0') {
			if (run == 0 || run > 8)
				return false;
			if (c == '\0')
				return true;
			run = 0;
			first = false;
		} else if (alpha || (digit && !first)) {
			run++;
		} else {
			return false;
		}
	}
}

/* Whether word is one of the NULL-terminated list. */
static bool in_list(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

/* Whether t is one of the '|'-separated types of alts. */
static bool type_in(const char *t, const char *alts)
{
	size_t n = strlen(t);

	for (const char *p = alts;;) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);
		if (k == n && memcmp(p, t, n) == 0)
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

/* "a|b|c" as "a, b or c", for messages. */
static void alts_words(const char *alts, char *out, size_t outsz)
{
	size_t j = 0;

	for (const char *p = alts; *p && j + 5 < outsz; p++) {
		if (*p != '|') {
			out[j++] = *p;
			continue;
		}
		const char *sep = strchr(p + 1, '|') ? ", " : " or ";
		for (; *sep && j + 1 < outsz; sep++)
			out[j++] = *sep;
	}
	out[j] = '\0';
}

/* Text from the input made safe for a one-line message. */
static void printable(const char *s, char out[72])
{
	size_t j = 0;

	for (; *s && j < 64; s++)
		out[j++] = (*s >= 0x20 && *s < 0x7f && *s != '\'') ? *s : '?';
	if (*s) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

/* Whether s is non-empty printable ASCII without spaces (a name we echo). */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Validation context and property tables                                 */

struct vctx {
	const char *type; /* message prefix: the object's type, or "object" */
	char *msg;
};

__attribute__((format(printf, 2, 3))) static err_t fail(struct vctx *c, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(c->msg, STIX_MSG_MAX, "%s: ", c->type);

	if (k > 0 && k < STIX_MSG_MAX) {
		va_start(ap, fmt);
		vsnprintf(c->msg + k, STIX_MSG_MAX - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return ERR_UNPROCESSABLE;
}

enum ptype {
	P_STR,	  /* string */
	P_TS,	  /* timestamp, §2.16 */
	P_BOOL,	  /* boolean */
	P_INT,	  /* integer, §2.10 */
	P_UINT,	  /* integer >= 0 */
	P_FLOAT,  /* number */
	P_REF,	  /* identifier, optionally of the types in .to */
	P_REFS,	  /* non-empty list of identifiers */
	P_STRS,	  /* non-empty list of strings */
	P_DICT,	  /* non-empty dictionary, §2.3 */
	P_HASHES, /* non-empty hashes, §2.7 */
	P_KCP,	  /* non-empty list of kill-chain-phase, §2.11 */
	P_HEX,	  /* hex, §2.8 */
	P_OBJS,	  /* non-empty list of objects */
};

struct prop {
	const char *name;
	enum ptype t;
	bool req;
	const char *to; /* P_REF / P_REFS: allowed target types "a|b", or NULL */
};

enum cat { C_SDO, C_SRO, C_SCO, C_MARKING, C_LANG, C_EXTDEF };

struct tdef {
	const char *type;
	enum cat cat;
	const struct prop *props;
	err_t (*check)(struct vctx *c, json_t *o);
};

/* Whether v is an identifier of one of the types in to (any, when NULL);
 * t gets its type when it is an identifier. */
static bool ref_ok(json_t *v, const char *to, char t[STIX_TYPE_MAX])
{
	const char *s = json_string_value(v);

	if (!s || !stix_id_valid(s, NULL))
		return false;
	id_type(s, t);
	return !to || type_in(t, to);
}

static err_t check_ref(struct vctx *c, const char *what, json_t *v, const char *to)
{
	char t[STIX_TYPE_MAX] = "", words[160];

	if (ref_ok(v, to, t))
		return ERR_OK;
	if (!t[0])
		return fail(c, "%s must be an identifier (type--UUID)", what);
	alts_words(to, words, sizeof(words));
	return fail(c, "%s must refer to %s, not %s", what, words, t);
}

static bool get_ts(json_t *v, int64_t *us, int *frac)
{
	const char *s = json_string_value(v);

	return s && ts_parse(s, json_string_length(v), us, frac) == ERR_OK;
}

static err_t check_dict_keys(struct vctx *c, const char *what, json_t *v, size_t min)
{
	const char *k;
	json_t *x;
	char name[72];

	json_object_foreach(v, k, x)
	{
		if (!dict_key_valid(k, min)) {
			printable(k, name);
			return fail(c, "%s has an invalid key '%s'", what, name);
		}
	}
	return ERR_OK;
}

/* Checks value v of the property named (prefix + name) against type t. */
static err_t check_value(struct vctx *c, const char *prefix, const char *name, json_t *v,
			 enum ptype t, const char *to)
{
	char what[160], tt[STIX_TYPE_MAX];
	int64_t us;
	size_t i;
	json_t *x;
	err_t rc;

	/* The property's name is formatted only for a message: this runs for
	 * every property of every object posted. */
	switch (t) {
	case P_STR:
		if (!json_is_string(v))
			return fail(c, "'%s%s' must be a string", prefix, name);
		return ERR_OK;
	case P_TS:
		if (!get_ts(v, &us, NULL))
			return fail(c,
				    "'%s%s' must be an RFC 3339 UTC timestamp "
				    "(YYYY-MM-DDTHH:MM:SS[.s+]Z)",
				    prefix, name);
		return ERR_OK;
	case P_BOOL:
		if (!json_is_boolean(v))
			return fail(c, "'%s%s' must be true or false", prefix, name);
		return ERR_OK;
	case P_INT:
	case P_UINT:
		if (!json_is_integer(v))
			return fail(c, "'%s%s' must be an integer", prefix, name);
		if (json_integer_value(v) > STIX_INT_MAX || json_integer_value(v) < -STIX_INT_MAX)
			return fail(c, "'%s%s' is outside the STIX integer range", prefix, name);
		if (t == P_UINT && json_integer_value(v) < 0)
			return fail(c, "'%s%s' must not be negative", prefix, name);
		return ERR_OK;
	case P_FLOAT:
		if (!json_is_number(v))
			return fail(c, "'%s%s' must be a number", prefix, name);
		return ERR_OK;
	case P_REF:
		if (ref_ok(v, to, tt))
			return ERR_OK;
		snprintf(what, sizeof(what), "'%s%s'", prefix, name);
		return check_ref(c, what, v, to);
	case P_REFS:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(c, "'%s%s' must be a non-empty list of identifiers", prefix,
				    name);
		json_array_foreach(v, i, x)
		{
			if (ref_ok(x, to, tt))
				continue;
			snprintf(what, sizeof(what), "'%s%s[%zu]'", prefix, name, i);
			rc = check_ref(c, what, x, to);
			if (rc)
				return rc;
		}
		return ERR_OK;
	case P_STRS:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(c, "'%s%s' must be a non-empty list of strings", prefix, name);
		json_array_foreach(v, i, x)
		{
			if (!json_is_string(x))
				return fail(c, "'%s%s[%zu]' must be a string", prefix, name, i);
		}
		return ERR_OK;
	case P_DICT:
		snprintf(what, sizeof(what), "'%s%s'", prefix, name);
		if (!json_is_object(v) || json_object_size(v) == 0)
			return fail(c, "%s must be a non-empty dictionary", what);
		return check_dict_keys(c, what, v, 1);
	case P_HASHES: {
		const char *k;
		char key[72];

		snprintf(what, sizeof(what), "'%s%s'", prefix, name);
		if (!json_is_object(v) || json_object_size(v) == 0)
			return fail(c, "%s must be a non-empty dictionary of hashes", what);
		rc = check_dict_keys(c, what, v, 3);
		if (rc)
			return rc;
		json_object_foreach(v, k, x)
		{
			if (!json_is_string(x)) {
				printable(k, key);
				return fail(c, "%s value of '%s' must be a string", what, key);
			}
		}
		return ERR_OK;
	}
	case P_KCP:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(c, "'%s%s' must be a non-empty list of kill chain phases",
				    prefix, name);
		json_array_foreach(v, i, x)
		{
			if (!json_is_object(x) ||
			    !json_is_string(json_object_get(x, "kill_chain_name")) ||
			    !json_is_string(json_object_get(x, "phase_name")))
				return fail(c,
					    "'%s%s[%zu]' must have string 'kill_chain_name' "
					    "and 'phase_name'",
					    prefix, name, i);
		}
		return ERR_OK;
	case P_HEX: {
		/*
		 * §2.8 asks for lower case, but the specification's own examples
		 * ("magic_number_hex": "504B0304") use upper case: accept both.
		 */
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);

		if (!s || n % 2 != 0)
			return fail(c, "'%s%s' must be an even number of hex digits", prefix, name);
		for (i = 0; i < n; i++)
			if (!is_hex(s[i]))
				return fail(c, "'%s%s' must be an even number of hex digits",
					    prefix, name);
		return ERR_OK;
	}
	case P_OBJS:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return fail(c, "'%s%s' must be a non-empty list of objects", prefix, name);
		json_array_foreach(v, i, x)
		{
			if (!json_is_object(x))
				return fail(c, "'%s%s[%zu]' must be an object", prefix, name, i);
		}
		return ERR_OK;
	}
	return ERR_INTERNAL;
}

static err_t check_props(struct vctx *c, json_t *o, const struct prop *props, const char *prefix)
{
	err_t rc;

	for (const struct prop *p = props; p && p->name; p++) {
		json_t *v = json_object_get(o, p->name);
		if (!v) {
			if (p->req)
				return fail(c, "missing required property '%s%s'", prefix, p->name);
			continue;
		}
		rc = check_value(c, prefix, p->name, v, p->t, p->to);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

/* Fails unless b >= a (or b > a when strict); both optional timestamps. */
static err_t check_order(struct vctx *c, json_t *o, const char *a, const char *b, bool strict)
{
	int64_t ta, tb;

	if (!get_ts(json_object_get(o, a), &ta, NULL) || !get_ts(json_object_get(o, b), &tb, NULL))
		return ERR_OK;
	if (strict && tb <= ta)
		return fail(c, "'%s' must be later than '%s'", b, a);
	if (tb < ta)
		return fail(c, "'%s' is before '%s'", b, a);
	return ERR_OK;
}

static err_t check_int_range(struct vctx *c, json_t *o, const char *name, json_int_t lo,
			     json_int_t hi)
{
	json_t *v = json_object_get(o, name);

	if (v && (json_integer_value(v) < lo || json_integer_value(v) > hi))
		return fail(c, "'%s' must be between %lld and %lld", name, (long long)lo,
			    (long long)hi);
	return ERR_OK;
}

/* ---------------------------------------------------------------------- */
/* Type-specific rules (§4 SDOs, §5 SROs, §6 SCOs, §7 meta objects)       */

/* clang-format off */
static const struct prop p_attack_pattern[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"kill_chain_phases", P_KCP, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_campaign[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{"objective", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_course_of_action[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

/*
 * §4.4: Errata 01 makes the grouping's name required; the 2021 text has it
 * optional, so it stays optional here.
 */
static const struct prop p_grouping[] = {
	{"name", P_STR, false, NULL},
	{"description", P_STR, false, NULL},
	{"context", P_STR, true, NULL},
	{"object_refs", P_REFS, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_identity[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"roles", P_STRS, false, NULL},
	{"identity_class", P_STR, false, NULL},
	{"sectors", P_STRS, false, NULL},
	{"contact_information", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_incident[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_indicator[] = {
	{"name", P_STR, false, NULL},
	{"description", P_STR, false, NULL},
	{"indicator_types", P_STRS, false, NULL},
	{"pattern", P_STR, true, NULL},
	{"pattern_type", P_STR, true, NULL},
	{"pattern_version", P_STR, false, NULL},
	{"valid_from", P_TS, true, NULL},
	{"valid_until", P_TS, false, NULL},
	{"kill_chain_phases", P_KCP, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_infrastructure[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"infrastructure_types", P_STRS, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"kill_chain_phases", P_KCP, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_intrusion_set[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{"goals", P_STRS, false, NULL},
	{"resource_level", P_STR, false, NULL},
	{"primary_motivation", P_STR, false, NULL},
	{"secondary_motivations", P_STRS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_location[] = {
	{"name", P_STR, false, NULL},
	{"description", P_STR, false, NULL},
	{"latitude", P_FLOAT, false, NULL},
	{"longitude", P_FLOAT, false, NULL},
	{"precision", P_FLOAT, false, NULL},
	{"region", P_STR, false, NULL},
	{"country", P_STR, false, NULL},
	{"administrative_area", P_STR, false, NULL},
	{"city", P_STR, false, NULL},
	{"street_address", P_STR, false, NULL},
	{"postal_code", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

/*
 * §4.11: is_family is required in the 2021 text and optional in Errata 01;
 * it is optional here, and a family (is_family true) must have a name.
 */
static const struct prop p_malware[] = {
	{"name", P_STR, false, NULL},
	{"description", P_STR, false, NULL},
	{"malware_types", P_STRS, false, NULL},
	{"is_family", P_BOOL, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"kill_chain_phases", P_KCP, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{"operating_system_refs", P_REFS, false, "software"},
	{"architecture_execution_envs", P_STRS, false, NULL},
	{"implementation_languages", P_STRS, false, NULL},
	{"capabilities", P_STRS, false, NULL},
	{"sample_refs", P_REFS, false, "file|artifact"},
	{NULL, 0, false, NULL},
};

static const struct prop p_malware_analysis[] = {
	{"product", P_STR, true, NULL},
	{"version", P_STR, false, NULL},
	{"host_vm_ref", P_REF, false, "software"},
	{"operating_system_ref", P_REF, false, "software"},
	{"installed_software_refs", P_REFS, false, "software"},
	{"configuration_version", P_STR, false, NULL},
	{"modules", P_STRS, false, NULL},
	{"analysis_engine_version", P_STR, false, NULL},
	{"analysis_definition_version", P_STR, false, NULL},
	{"submitted", P_TS, false, NULL},
	{"analysis_started", P_TS, false, NULL},
	{"analysis_ended", P_TS, false, NULL},
	{"result_name", P_STR, false, NULL},
	{"result", P_STR, false, NULL},
	{"analysis_sco_refs", P_REFS, false, NULL},
	{"sample_ref", P_REF, false, "file|network-traffic|artifact"},
	{NULL, 0, false, NULL},
};

static const struct prop p_note[] = {
	{"abstract", P_STR, false, NULL},
	{"content", P_STR, true, NULL},
	{"authors", P_STRS, false, NULL},
	{"object_refs", P_REFS, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_observed_data[] = {
	{"first_observed", P_TS, true, NULL},
	{"last_observed", P_TS, true, NULL},
	{"number_observed", P_INT, true, NULL},
	{"objects", P_DICT, false, NULL},
	{"object_refs", P_REFS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_opinion[] = {
	{"explanation", P_STR, false, NULL},
	{"authors", P_STRS, false, NULL},
	{"opinion", P_STR, true, NULL},
	{"object_refs", P_REFS, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_report[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"report_types", P_STRS, false, NULL},
	{"published", P_TS, true, NULL},
	{"object_refs", P_REFS, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_threat_actor[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"threat_actor_types", P_STRS, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{"roles", P_STRS, false, NULL},
	{"goals", P_STRS, false, NULL},
	{"sophistication", P_STR, false, NULL},
	{"resource_level", P_STR, false, NULL},
	{"primary_motivation", P_STR, false, NULL},
	{"secondary_motivations", P_STRS, false, NULL},
	{"personal_motivations", P_STRS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_tool[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"tool_types", P_STRS, false, NULL},
	{"aliases", P_STRS, false, NULL},
	{"kill_chain_phases", P_KCP, false, NULL},
	{"tool_version", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_vulnerability[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_relationship[] = {
	{"relationship_type", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"source_ref", P_REF, true, NULL},
	{"target_ref", P_REF, true, NULL},
	{"start_time", P_TS, false, NULL},
	{"stop_time", P_TS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_sighting[] = {
	{"description", P_STR, false, NULL},
	{"first_seen", P_TS, false, NULL},
	{"last_seen", P_TS, false, NULL},
	{"count", P_INT, false, NULL},
	{"sighting_of_ref", P_REF, true, NULL},
	{"observed_data_refs", P_REFS, false, "observed-data"},
	{"where_sighted_refs", P_REFS, false, "identity|location"},
	{"summary", P_BOOL, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_artifact[] = {
	{"mime_type", P_STR, false, NULL},
	{"payload_bin", P_STR, false, NULL},
	{"url", P_STR, false, NULL},
	{"hashes", P_HASHES, false, NULL},
	{"encryption_algorithm", P_STR, false, NULL},
	{"decryption_key", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_autonomous_system[] = {
	{"number", P_INT, true, NULL},
	{"name", P_STR, false, NULL},
	{"rir", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_directory[] = {
	{"path", P_STR, true, NULL},
	{"path_enc", P_STR, false, NULL},
	{"ctime", P_TS, false, NULL},
	{"mtime", P_TS, false, NULL},
	{"atime", P_TS, false, NULL},
	{"contains_refs", P_REFS, false, "file|directory"},
	{NULL, 0, false, NULL},
};

static const struct prop p_domain_name[] = {
	{"value", P_STR, true, NULL},
	{"resolves_to_refs", P_REFS, false, "ipv4-addr|ipv6-addr|domain-name"},
	{NULL, 0, false, NULL},
};

static const struct prop p_email_addr[] = {
	{"value", P_STR, true, NULL},
	{"display_name", P_STR, false, NULL},
	{"belongs_to_ref", P_REF, false, "user-account"},
	{NULL, 0, false, NULL},
};

static const struct prop p_email_message[] = {
	{"is_multipart", P_BOOL, true, NULL},
	{"date", P_TS, false, NULL},
	{"content_type", P_STR, false, NULL},
	{"from_ref", P_REF, false, "email-addr"},
	{"sender_ref", P_REF, false, "email-addr"},
	{"to_refs", P_REFS, false, "email-addr"},
	{"cc_refs", P_REFS, false, "email-addr"},
	{"bcc_refs", P_REFS, false, "email-addr"},
	{"message_id", P_STR, false, NULL},
	{"subject", P_STR, false, NULL},
	{"received_lines", P_STRS, false, NULL},
	{"additional_header_fields", P_DICT, false, NULL},
	{"body", P_STR, false, NULL},
	{"body_multipart", P_OBJS, false, NULL},
	{"raw_email_ref", P_REF, false, "artifact"},
	{NULL, 0, false, NULL},
};

static const struct prop p_file[] = {
	{"hashes", P_HASHES, false, NULL},
	{"size", P_UINT, false, NULL},
	{"name", P_STR, false, NULL},
	{"name_enc", P_STR, false, NULL},
	{"magic_number_hex", P_HEX, false, NULL},
	{"mime_type", P_STR, false, NULL},
	{"ctime", P_TS, false, NULL},
	{"mtime", P_TS, false, NULL},
	{"atime", P_TS, false, NULL},
	{"parent_directory_ref", P_REF, false, "directory"},
	{"contains_refs", P_REFS, false, NULL},
	{"content_ref", P_REF, false, "artifact"},
	{NULL, 0, false, NULL},
};

static const struct prop p_ipv4_addr[] = {
	{"value", P_STR, true, NULL},
	{"resolves_to_refs", P_REFS, false, "mac-addr"},
	{"belongs_to_refs", P_REFS, false, "autonomous-system"},
	{NULL, 0, false, NULL},
};

static const struct prop p_mac_addr[] = {
	{"value", P_STR, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_mutex[] = {
	{"name", P_STR, true, NULL},
	{NULL, 0, false, NULL},
};

#define NET_ENDPOINT "ipv4-addr|ipv6-addr|mac-addr|domain-name"

static const struct prop p_network_traffic[] = {
	{"start", P_TS, false, NULL},
	{"end", P_TS, false, NULL},
	{"is_active", P_BOOL, false, NULL},
	{"src_ref", P_REF, false, NET_ENDPOINT},
	{"dst_ref", P_REF, false, NET_ENDPOINT},
	{"src_port", P_INT, false, NULL},
	{"dst_port", P_INT, false, NULL},
	{"protocols", P_STRS, true, NULL},
	{"src_byte_count", P_UINT, false, NULL},
	{"dst_byte_count", P_UINT, false, NULL},
	{"src_packets", P_UINT, false, NULL},
	{"dst_packets", P_UINT, false, NULL},
	{"ipfix", P_DICT, false, NULL},
	{"src_payload_ref", P_REF, false, "artifact"},
	{"dst_payload_ref", P_REF, false, "artifact"},
	{"encapsulates_refs", P_REFS, false, "network-traffic"},
	{"encapsulated_by_ref", P_REF, false, "network-traffic"},
	{NULL, 0, false, NULL},
};

static const struct prop p_process[] = {
	{"is_hidden", P_BOOL, false, NULL},
	{"pid", P_INT, false, NULL},
	{"created_time", P_TS, false, NULL},
	{"cwd", P_STR, false, NULL},
	{"command_line", P_STR, false, NULL},
	{"environment_variables", P_DICT, false, NULL},
	{"opened_connection_refs", P_REFS, false, "network-traffic"},
	{"creator_user_ref", P_REF, false, "user-account"},
	{"image_ref", P_REF, false, "file"},
	{"parent_ref", P_REF, false, "process"},
	{"child_refs", P_REFS, false, "process"},
	{NULL, 0, false, NULL},
};

static const struct prop p_software[] = {
	{"name", P_STR, true, NULL},
	{"cpe", P_STR, false, NULL},
	{"swid", P_STR, false, NULL},
	{"languages", P_STRS, false, NULL},
	{"vendor", P_STR, false, NULL},
	{"version", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_url[] = {
	{"value", P_STR, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_user_account[] = {
	{"user_id", P_STR, false, NULL},
	{"credential", P_STR, false, NULL},
	{"account_login", P_STR, false, NULL},
	{"account_type", P_STR, false, NULL},
	{"display_name", P_STR, false, NULL},
	{"is_service_account", P_BOOL, false, NULL},
	{"is_privileged", P_BOOL, false, NULL},
	{"can_escalate_privs", P_BOOL, false, NULL},
	{"is_disabled", P_BOOL, false, NULL},
	{"account_created", P_TS, false, NULL},
	{"account_expires", P_TS, false, NULL},
	{"credential_last_changed", P_TS, false, NULL},
	{"account_first_login", P_TS, false, NULL},
	{"account_last_login", P_TS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_windows_registry_key[] = {
	{"key", P_STR, false, NULL},
	{"values", P_OBJS, false, NULL},
	{"modified_time", P_TS, false, NULL},
	{"creator_user_ref", P_REF, false, "user-account"},
	{"number_of_subkeys", P_UINT, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_x509_certificate[] = {
	{"is_self_signed", P_BOOL, false, NULL},
	{"hashes", P_HASHES, false, NULL},
	{"version", P_STR, false, NULL},
	{"serial_number", P_STR, false, NULL},
	{"signature_algorithm", P_STR, false, NULL},
	{"issuer", P_STR, false, NULL},
	{"validity_not_before", P_TS, false, NULL},
	{"validity_not_after", P_TS, false, NULL},
	{"subject", P_STR, false, NULL},
	{"subject_public_key_algorithm", P_STR, false, NULL},
	{"subject_public_key_modulus", P_STR, false, NULL},
	{"subject_public_key_exponent", P_INT, false, NULL},
	{"x509_v3_extensions", P_DICT, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_marking_definition[] = {
	{"name", P_STR, false, NULL},
	{"definition_type", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_language_content[] = {
	{"object_ref", P_REF, true, NULL},
	{"object_modified", P_TS, false, NULL},
	{"contents", P_DICT, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop p_extension_definition[] = {
	{"name", P_STR, true, NULL},
	{"description", P_STR, false, NULL},
	{"schema", P_STR, true, NULL},
	{"version", P_STR, true, NULL},
	{"extension_types", P_STRS, true, NULL},
	{"extension_properties", P_STRS, false, NULL},
	{NULL, 0, false, NULL},
};
/* clang-format on */

static err_t check_seen(struct vctx *c, json_t *o)
{
	return check_order(c, o, "first_seen", "last_seen", false);
}

static err_t check_indicator(struct vctx *c, json_t *o)
{
	/*
	 * §4.7: valid_until MUST be greater than valid_from.
	 * NEEDSWORK: patterns of pattern_type "stix" are not parsed against the
	 * §9 grammar; a malformed STIX pattern is accepted as a string.
	 */
	return check_order(c, o, "valid_from", "valid_until", true);
}

static err_t check_location(struct vctx *c, json_t *o)
{
	json_t *lat = json_object_get(o, "latitude");
	json_t *lon = json_object_get(o, "longitude");

	/* §4.10: region, country, or latitude and longitude. */
	if (!lat != !lon)
		return fail(c, "'latitude' and 'longitude' must be given together");
	if (json_object_get(o, "precision") && !lat)
		return fail(c, "'precision' requires 'latitude' and 'longitude'");
	if (!json_object_get(o, "region") && !json_object_get(o, "country") && !lat)
		return fail(c, "needs 'region', 'country', or 'latitude' and "
			       "'longitude'");
	if (lat && (json_number_value(lat) < -90.0 || json_number_value(lat) > 90.0))
		return fail(c, "'latitude' must be between -90 and 90");
	if (lon && (json_number_value(lon) < -180.0 || json_number_value(lon) > 180.0))
		return fail(c, "'longitude' must be between -180 and 180");
	return ERR_OK;
}

static err_t check_malware(struct vctx *c, json_t *o)
{
	/* §4.11: "For a malware family the name MUST be defined." */
	if (json_is_true(json_object_get(o, "is_family")) && !json_object_get(o, "name"))
		return fail(c, "missing required property 'name' (is_family is true)");
	return check_seen(c, o);
}

static err_t check_malware_analysis(struct vctx *c, json_t *o)
{
	if (!json_object_get(o, "result") && !json_object_get(o, "analysis_sco_refs"))
		return fail(c, "needs 'result' or 'analysis_sco_refs'");
	return ERR_OK;
}

static const struct tdef *tdef_find(const char *type);

static err_t check_observed_data(struct vctx *c, json_t *o)
{
	json_t *objects = json_object_get(o, "objects");
	json_t *refs = json_object_get(o, "object_refs");
	const char *k;
	json_t *v;
	size_t i;
	bool sco = false;
	err_t rc;

	rc = check_int_range(c, o, "number_observed", 1, 999999999);
	if (!rc)
		rc = check_order(c, o, "first_observed", "last_observed", false);
	if (rc)
		return rc;
	/* §4.14: exactly one of objects (deprecated) and object_refs. */
	if (!objects == !refs)
		return fail(c, "needs exactly one of 'objects' and 'object_refs'");
	if (objects) {
		json_object_foreach(objects, k, v)
		{
			if (!json_is_object(v) || !json_is_string(json_object_get(v, "type"))) {
				char key[72];
				printable(k, key);
				return fail(c, "'objects.%s' must be an object with a 'type'", key);
			}
		}
		return ERR_OK;
	}
	/* "object_refs MUST contain at least one SCO reference". */
	json_array_foreach(refs, i, v)
	{
		char t[STIX_TYPE_MAX];
		const struct tdef *d;

		id_type(json_string_value(v), t);
		d = tdef_find(t);
		if (!d || d->cat == C_SCO)
			sco = true;
	}
	if (!sco)
		return fail(c, "'object_refs' must refer to at least one "
			       "cyber-observable object");
	return ERR_OK;
}

static err_t check_opinion(struct vctx *c, json_t *o)
{
	static const char *const opinion_enum[] = {
		"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree", NULL,
	};
	char v[72];

	/* §10.18 opinion-enum. */
	if (!in_list(json_string_value(json_object_get(o, "opinion")), opinion_enum)) {
		printable(json_string_value(json_object_get(o, "opinion")), v);
		return fail(c, "'opinion' '%s' is not in opinion-enum", v);
	}
	return ERR_OK;
}

/* Not SDOs or SCOs: what an SRO may not point at (§5.1). */
#define NOT_ENDPOINT                                                                               \
	"relationship|sighting|bundle|language-content|marking-definition|"                        \
	"extension-definition"

static err_t check_endpoint(struct vctx *c, json_t *o, const char *name, const char *what)
{
	char t[STIX_TYPE_MAX];

	id_type(json_string_value(json_object_get(o, name)), t);
	if (type_in(t, NOT_ENDPOINT))
		return fail(c, "'%s' must refer to %s, not %s", name, what, t);
	return ERR_OK;
}

static err_t check_relationship(struct vctx *c, json_t *o)
{
	const char *rt = json_string_value(json_object_get(o, "relationship_type"));
	err_t rc;

	/* §5.1.2: ASCII a-z, 0-9 and hyphen. */
	if (!*rt)
		return fail(c, "'relationship_type' must not be empty");
	for (const char *p = rt; *p; p++)
		if (!is_lower_alnum(*p) && *p != '-')
			return fail(c, "'relationship_type' may only contain a-z, 0-9 "
				       "and '-'");
	rc = check_endpoint(c, o, "source_ref", "an SDO or SCO");
	if (!rc)
		rc = check_endpoint(c, o, "target_ref", "an SDO or SCO");
	if (!rc)
		rc = check_order(c, o, "start_time", "stop_time", true);
	return rc;
}

static err_t check_sighting(struct vctx *c, json_t *o)
{
	err_t rc;

	/*
	 * §5.2.1 says sighting_of_ref references only an SDO; tools that sight
	 * observables (OpenCTI) point it at SCOs, so only non-SDO/SCO targets
	 * are refused.
	 */
	rc = check_endpoint(c, o, "sighting_of_ref", "an SDO");
	if (!rc)
		rc = check_int_range(c, o, "count", 0, 999999999);
	if (!rc)
		rc = check_seen(c, o);
	return rc;
}

static err_t check_artifact(struct vctx *c, json_t *o)
{
	static const char *const enc_enum[] = {
		"AES-256-GCM",
		"ChaCha20-Poly1305",
		"mime-type-indicated",
		NULL,
	};
	json_t *bin = json_object_get(o, "payload_bin");
	json_t *url = json_object_get(o, "url");
	json_t *alg = json_object_get(o, "encryption_algorithm");

	/* §6.1: one of payload_bin or url; hashes with url. */
	if (!bin == !url)
		return fail(c, "needs exactly one of 'payload_bin' and 'url'");
	if (url && !json_object_get(o, "hashes"))
		return fail(c, "missing required property 'hashes' (url is present)");
	if (json_object_get(o, "decryption_key") && !alg)
		return fail(c, "'decryption_key' requires 'encryption_algorithm'");
	if (alg && !in_list(json_string_value(alg), enc_enum))
		return fail(c, "'encryption_algorithm' is not in "
			       "encryption-algorithm-enum");
	return ERR_OK;
}

static err_t check_email_message(struct vctx *c, json_t *o)
{
	bool multi = json_is_true(json_object_get(o, "is_multipart"));
	json_t *parts = json_object_get(o, "body_multipart");
	json_t *v;
	size_t i;
	err_t rc;

	/* §6.6.1: body only when not multipart, body_multipart only when so. */
	if (multi && json_object_get(o, "body"))
		return fail(c, "'body' must not be present when 'is_multipart' is "
			       "true");
	if (!multi && parts)
		return fail(c, "'body_multipart' must not be present when "
			       "'is_multipart' is false");
	json_array_foreach(parts, i, v)
	{
		json_t *raw = json_object_get(v, "body_raw_ref");
		char what[64];

		if (!json_object_get(v, "body") && !raw)
			return fail(c,
				    "'body_multipart[%zu]' needs 'body' or "
				    "'body_raw_ref'",
				    i);
		snprintf(what, sizeof(what), "'body_multipart[%zu].body_raw_ref'", i);
		if (raw && (rc = check_ref(c, what, raw, "artifact|file")))
			return rc;
	}
	return ERR_OK;
}

static err_t check_file(struct vctx *c, json_t *o)
{
	/* §6.7: at least one of hashes or name. */
	if (!json_object_get(o, "hashes") && !json_object_get(o, "name"))
		return fail(c, "needs 'hashes' or 'name'");
	return ERR_OK;
}

static err_t check_network_traffic(struct vctx *c, json_t *o)
{
	err_t rc;

	/* §6.12: protocols and at least one of src_ref or dst_ref. */
	if (!json_object_get(o, "src_ref") && !json_object_get(o, "dst_ref"))
		return fail(c, "needs 'src_ref' or 'dst_ref'");
	if (json_is_true(json_object_get(o, "is_active")) && json_object_get(o, "end"))
		return fail(c, "'end' must not be present when 'is_active' is true");
	rc = check_int_range(c, o, "src_port", 0, 65535);
	if (!rc)
		rc = check_int_range(c, o, "dst_port", 0, 65535);
	if (!rc)
		rc = check_order(c, o, "start", "end", false);
	return rc;
}

/*
 * §6.13, §6.16, §6.17, §6.18: these SCOs have only optional properties, and
 * at least one besides the common ones must be there.
 */
static err_t check_not_bare(struct vctx *c, json_t *o, bool ext_counts)
{
	static const char *const sco_common[] = {
		"type",
		"id",
		"spec_version",
		"object_marking_refs",
		"granular_markings",
		"defanged",
		"extensions",
		NULL,
	};
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (!in_list(k, sco_common) || (ext_counts && strcmp(k, "extensions") == 0))
			return ERR_OK;
	}
	return fail(c, "needs at least one property besides the common ones");
}

static err_t check_process(struct vctx *c, json_t *o)
{
	return check_not_bare(c, o, true);
}

static err_t check_sco_not_bare(struct vctx *c, json_t *o)
{
	return check_not_bare(c, o, false);
}

static err_t check_windows_registry_key(struct vctx *c, json_t *o)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(o, "values"), i, v)
	{
		if (json_object_size(v) == 0)
			return fail(c, "'values[%zu]' needs at least one property", i);
	}
	return check_not_bare(c, o, false);
}

/* §7.2.1.4 TLP 1.0 and the OASIS TLP 2.0 extension (DESIGN.md §4.3). */
struct tlp_id {
	const char *level;
	const char *id;
};

static const struct tlp_id tlp1[] = {
	{"white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
	{"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
	{"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
	{"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"},
	{NULL, NULL},
};

static const struct tlp_id tlp2[] = {
	{"clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
	{"green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
	{"amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
	{"amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
	{"red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
	{NULL, NULL},
};

#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

static const struct tlp_id *tlp_by_id(const struct tlp_id *t, const char *id)
{
	for (; t->level; t++)
		if (strcasecmp(t->id, id) == 0)
			return t;
	return NULL;
}

static const struct tlp_id *tlp_by_level(const struct tlp_id *t, const char *level)
{
	for (; level && t->level; t++)
		if (strcmp(t->level, level) == 0)
			return t;
	return NULL;
}

/*
 * The TLP 1.0 level a definition names, as the specification writes it
 * ("amber") or as OpenCTI does ("TLP:AMBER", "TLP:CLEAR" for white).
 */
static const struct tlp_id *tlp1_named(const char *v)
{
	if (!v)
		return NULL;
	if (strncasecmp(v, "TLP:", 4) == 0)
		v += 4;
	if (strcasecmp(v, "clear") == 0)
		v = "white";
	for (const struct tlp_id *t = tlp1; t->level; t++)
		if (strcasecmp(t->level, v) == 0)
			return t;
	return NULL;
}

static err_t check_marking_definition(struct vctx *c, json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *dtype = json_object_get(o, "definition_type");
	json_t *def = json_object_get(o, "definition");
	json_t *ext = json_object_get(o, "extensions");
	json_t *tlp2ext = json_object_get(ext, TLP2_EXT);
	const char *dt = json_string_value(dtype);
	const struct tlp_id *t;

	/* §7.2.1: definition_type and definition unless extensions is there. */
	if (!ext && !dtype)
		return fail(c, "missing required property 'definition_type' "
			       "(no 'extensions')");
	if (dtype && !def)
		return fail(c, "missing required property 'definition'");
	if (def && !dtype)
		return fail(c, "'definition' requires 'definition_type'");
	if (def && !json_is_object(def))
		return fail(c, "'definition' must be an object");

	/* §7.2.1.3 */
	if (dt && strcmp(dt, "statement") == 0 &&
	    !json_is_string(json_object_get(def, "statement")))
		return fail(c, "statement marking needs a string "
			       "'definition.statement'");
	/*
	 * §7.2.1.4: the four TLP 1.0 markings are fixed objects, and "other
	 * instances of tlp-marking MUST NOT be used or created". AMBER+STRICT,
	 * which TLP 1.0 lacks, is accepted under any id (OpenCTI's, DESIGN §4.3).
	 */
	if (dt && strcmp(dt, "tlp") == 0) {
		const char *lvl = json_string_value(json_object_get(def, "tlp"));

		t = tlp1_named(lvl);
		if (!t && !(lvl && strcasecmp(lvl, "amber+strict") == 0))
			return fail(c, "'definition.tlp' must be white, green, amber or "
				       "red");
		if (t && strcasecmp(t->id, id) != 0)
			return fail(c, "TLP:%s must have the id %s", t->level, t->id);
	}
	/* A TLP 1.0 id must not carry another meaning (OpenCTI spells it
	 * {"definition_type": "TLP", "definition": {"TLP": "TLP:CLEAR"}}). */
	t = tlp_by_id(tlp1, id);
	if (t) {
		json_t *lvl = json_object_get(def, "tlp");

		if (!lvl)
			lvl = json_object_get(def, "TLP");
		if (!dt || strcasecmp(dt, "tlp") != 0 || tlp1_named(json_string_value(lvl)) != t)
			return fail(c, "%s is TLP:%s and must say so", id, t->level);
	}

	/* The OASIS TLP 2.0 extension and its five marking objects. */
	if (tlp2ext) {
		const char *lvl = json_string_value(json_object_get(tlp2ext, "tlp_2_0"));
		if (!tlp_by_level(tlp2, lvl))
			return fail(c, "'tlp_2_0' must be clear, green, amber, "
				       "amber+strict or red");
	}
	t = tlp_by_id(tlp2, id);
	if (t) {
		const char *lvl = json_string_value(json_object_get(tlp2ext, "tlp_2_0"));
		if (!lvl || strcmp(lvl, t->level) != 0)
			return fail(c, "%s is TLP:%s (TLP 2.0) and must say so", id, t->level);
	}
	return ERR_OK;
}

static err_t check_language_content(struct vctx *c, json_t *o)
{
	const char *k;
	json_t *v;
	char key[72];

	/* §7.1: contents maps RFC 5646 language codes to property dictionaries. */
	json_object_foreach(json_object_get(o, "contents"), k, v)
	{
		printable(k, key);
		if (!lang_valid(k))
			return fail(c, "'contents' key '%s' is not a language code", key);
		if (!json_is_object(v) || json_object_size(v) == 0)
			return fail(c, "'contents.%s' must be a non-empty dictionary", key);
	}
	return ERR_OK;
}

static const char *const extension_type_enum[] = {
	"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension", NULL,
};

static err_t check_extension_definition(struct vctx *c, json_t *o)
{
	json_t *types = json_object_get(o, "extension_types");
	json_t *props = json_object_get(o, "extension_properties");
	bool toplevel = false;
	json_t *v;
	size_t i;
	char s[72];

	/* §7.3.1 and §10.5 extension-type-enum. */
	json_array_foreach(types, i, v)
	{
		if (!in_list(json_string_value(v), extension_type_enum)) {
			printable(json_string_value(v), s);
			return fail(c,
				    "'extension_types[%zu]' '%s' is not in "
				    "extension-type-enum",
				    i, s);
		}
		if (strcmp(json_string_value(v), "toplevel-property-extension") == 0)
			toplevel = true;
	}
	if (props && !toplevel)
		return fail(c, "'extension_properties' requires extension type "
			       "toplevel-property-extension");
	json_array_foreach(props, i, v)
	{
		if (!prop_name_valid(json_string_value(v))) {
			printable(json_string_value(v), s);
			return fail(c,
				    "'extension_properties[%zu]' '%s' is not a valid "
				    "property name",
				    i, s);
		}
	}
	return ERR_OK;
}

static const struct tdef tdefs[] = {
	/* §4 STIX Domain Objects */
	{"attack-pattern", C_SDO, p_attack_pattern, NULL},
	{"campaign", C_SDO, p_campaign, check_seen},
	{"course-of-action", C_SDO, p_course_of_action, NULL},
	{"grouping", C_SDO, p_grouping, NULL},
	{"identity", C_SDO, p_identity, NULL},
	{"incident", C_SDO, p_incident, NULL},
	{"indicator", C_SDO, p_indicator, check_indicator},
	{"infrastructure", C_SDO, p_infrastructure, check_seen},
	{"intrusion-set", C_SDO, p_intrusion_set, check_seen},
	{"location", C_SDO, p_location, check_location},
	{"malware", C_SDO, p_malware, check_malware},
	{"malware-analysis", C_SDO, p_malware_analysis, check_malware_analysis},
	{"note", C_SDO, p_note, NULL},
	{"observed-data", C_SDO, p_observed_data, check_observed_data},
	{"opinion", C_SDO, p_opinion, check_opinion},
	{"report", C_SDO, p_report, NULL},
	{"threat-actor", C_SDO, p_threat_actor, check_seen},
	{"tool", C_SDO, p_tool, NULL},
	{"vulnerability", C_SDO, p_vulnerability, NULL},
	/* §5 STIX Relationship Objects */
	{"relationship", C_SRO, p_relationship, check_relationship},
	{"sighting", C_SRO, p_sighting, check_sighting},
	/* §6 STIX Cyber-observable Objects */
	{"artifact", C_SCO, p_artifact, check_artifact},
	{"autonomous-system", C_SCO, p_autonomous_system, NULL},
	{"directory", C_SCO, p_directory, NULL},
	{"domain-name", C_SCO, p_domain_name, NULL},
	{"email-addr", C_SCO, p_email_addr, NULL},
	{"email-message", C_SCO, p_email_message, check_email_message},
	{"file", C_SCO, p_file, check_file},
	{"ipv4-addr", C_SCO, p_ipv4_addr, NULL},
	{"ipv6-addr", C_SCO, p_ipv4_addr, NULL},
	{"mac-addr", C_SCO, p_mac_addr, NULL},
	{"mutex", C_SCO, p_mutex, NULL},
	{"network-traffic", C_SCO, p_network_traffic, check_network_traffic},
	{"process", C_SCO, p_process, check_process},
	{"software", C_SCO, p_software, NULL},
	{"url", C_SCO, p_url, NULL},
	{"user-account", C_SCO, p_user_account, check_sco_not_bare},
	{"windows-registry-key", C_SCO, p_windows_registry_key, check_windows_registry_key},
	{"x509-certificate", C_SCO, p_x509_certificate, check_sco_not_bare},
	/* §7 STIX Meta Objects */
	{"marking-definition", C_MARKING, p_marking_definition, check_marking_definition},
	{"language-content", C_LANG, p_language_content, check_language_content},
	{"extension-definition", C_EXTDEF, p_extension_definition, check_extension_definition},
	{NULL, 0, NULL, NULL},
};

static const struct tdef *tdef_find(const char *type)
{
	for (const struct tdef *d = tdefs; d->type; d++)
		if (strcmp(d->type, type) == 0)
			return d;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Predefined extensions (§6.7.2-§6.7.6, §6.12.2-§6.12.5, §6.13.2-§6.13.3, */
/* §6.16.2)                                                               */

/* clang-format off */
static const struct prop x_archive[] = {
	{"contains_refs", P_REFS, true, "file|directory"},
	{"comment", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_ntfs[] = {
	{"sid", P_STR, false, NULL},
	{"alternate_data_streams", P_OBJS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_pdf[] = {
	{"version", P_STR, false, NULL},
	{"is_optimized", P_BOOL, false, NULL},
	{"document_info_dict", P_DICT, false, NULL},
	{"pdfid0", P_STR, false, NULL},
	{"pdfid1", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_raster[] = {
	{"image_height", P_INT, false, NULL},
	{"image_width", P_INT, false, NULL},
	{"bits_per_pixel", P_INT, false, NULL},
	{"exif_tags", P_DICT, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_pebinary[] = {
	{"pe_type", P_STR, true, NULL},
	{"imphash", P_STR, false, NULL},
	{"machine_hex", P_HEX, false, NULL},
	{"number_of_sections", P_UINT, false, NULL},
	{"time_date_stamp", P_TS, false, NULL},
	{"pointer_to_symbol_table_hex", P_HEX, false, NULL},
	{"number_of_symbols", P_UINT, false, NULL},
	{"size_of_optional_header", P_UINT, false, NULL},
	{"characteristics_hex", P_HEX, false, NULL},
	{"file_header_hashes", P_HASHES, false, NULL},
	{"optional_header", P_DICT, false, NULL},
	{"sections", P_OBJS, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_http_request[] = {
	{"request_method", P_STR, true, NULL},
	{"request_value", P_STR, true, NULL},
	{"request_version", P_STR, false, NULL},
	{"request_header", P_DICT, false, NULL},
	{"message_body_length", P_UINT, false, NULL},
	{"message_body_data_ref", P_REF, false, "artifact"},
	{NULL, 0, false, NULL},
};

static const struct prop x_icmp[] = {
	{"icmp_type_hex", P_HEX, true, NULL},
	{"icmp_code_hex", P_HEX, true, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_socket[] = {
	{"address_family", P_STR, true, NULL},
	{"is_blocking", P_BOOL, false, NULL},
	{"is_listening", P_BOOL, false, NULL},
	{"options", P_DICT, false, NULL},
	{"socket_type", P_STR, false, NULL},
	{"socket_descriptor", P_UINT, false, NULL},
	{"socket_handle", P_INT, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_tcp[] = {
	{"src_flags_hex", P_HEX, false, NULL},
	{"dst_flags_hex", P_HEX, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_windows_process[] = {
	{"aslr_enabled", P_BOOL, false, NULL},
	{"dep_enabled", P_BOOL, false, NULL},
	{"priority", P_STR, false, NULL},
	{"owner_sid", P_STR, false, NULL},
	{"window_title", P_STR, false, NULL},
	{"startup_info", P_DICT, false, NULL},
	{"integrity_level", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_windows_service[] = {
	{"service_name", P_STR, false, NULL},
	{"descriptions", P_STRS, false, NULL},
	{"display_name", P_STR, false, NULL},
	{"group_name", P_STR, false, NULL},
	{"start_type", P_STR, false, NULL},
	{"service_dll_refs", P_REFS, false, "file"},
	{"service_type", P_STR, false, NULL},
	{"service_status", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

static const struct prop x_unix_account[] = {
	{"gid", P_INT, false, NULL},
	{"groups", P_STRS, false, NULL},
	{"home_dir", P_STR, false, NULL},
	{"shell", P_STR, false, NULL},
	{NULL, 0, false, NULL},
};

struct xdef {
	const char *name;
	const char *type; /* the object type it belongs to */
	const struct prop *props;
};

static const struct xdef xdefs[] = {
	{"archive-ext", "file", x_archive},
	{"ntfs-ext", "file", x_ntfs},
	{"pdf-ext", "file", x_pdf},
	{"raster-image-ext", "file", x_raster},
	{"windows-pebinary-ext", "file", x_pebinary},
	{"http-request-ext", "network-traffic", x_http_request},
	{"icmp-ext", "network-traffic", x_icmp},
	{"socket-ext", "network-traffic", x_socket},
	{"tcp-ext", "network-traffic", x_tcp},
	{"windows-process-ext", "process", x_windows_process},
	{"windows-service-ext", "process", x_windows_service},
	{"unix-account-ext", "user-account", x_unix_account},
	{NULL, NULL, NULL},
};
/* clang-format on */

static err_t check_extensions(struct vctx *c, json_t *o, const char *type)
{
	json_t *ext = json_object_get(o, "extensions");
	const char *k;
	json_t *v;
	char key[72], prefix[96];
	err_t rc;

	if (!ext)
		return ERR_OK;
	if (!json_is_object(ext) || json_object_size(ext) == 0)
		return fail(c, "'extensions' must be a non-empty dictionary");
	json_object_foreach(ext, k, v)
	{
		const struct xdef *x;

		printable(k, key);
		if (!json_is_object(v) || json_object_size(v) == 0)
			return fail(c, "extension '%s' must be a non-empty object", key);
		if (strncmp(k, "extension-definition--", 22) == 0) {
			json_t *et = json_object_get(v, "extension_type");

			if (!stix_id_valid(k, "extension-definition"))
				return fail(c,
					    "extension key '%s' is not a valid "
					    "extension-definition identifier",
					    key);
			/* §3.2: "When this extension facility is used the
			 * extension_type property MUST be present." */
			if (!et)
				return fail(c, "extension '%s' is missing 'extension_type'", key);
			if (!in_list(json_string_value(et) ? json_string_value(et) : "",
				     extension_type_enum))
				return fail(c,
					    "extension '%s' has an 'extension_type' not in "
					    "extension-type-enum",
					    key);
			continue;
		}
		for (x = xdefs; x->name; x++)
			if (strcmp(x->name, k) == 0)
				break;
		if (x->name) {
			if (strcmp(x->type, type) != 0)
				return fail(c, "'%s' is an extension of %s, not of %s", key,
					    x->type, type);
			snprintf(prefix, sizeof(prefix), "extensions.%s.", x->name);
			rc = check_props(c, v, x->props, prefix);
			if (rc)
				return rc;
			continue;
		}
		/* §11.3: deprecated custom object extensions, named like types. */
		if (!type_valid_n(k, strlen(k)))
			return fail(c,
				    "extension key '%s' is neither an "
				    "extension-definition id nor a valid extension "
				    "name",
				    key);
	}
	return ERR_OK;
}

/* ---------------------------------------------------------------------- */
/* Common properties (§3.2) and markings (§7.2)                           */

static bool selector_resolves(json_t *root, const char *sel)
{
	json_t *cur = root;
	const char *p = sel;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n == 0)
			return false;
		if (p[0] == '[') {
			size_t idx = 0;

			if (n < 3 || p[n - 1] != ']' || !json_is_array(cur))
				return false;
			for (size_t k = 1; k < n - 1; k++) {
				if (p[k] < '0' || p[k] > '9' || idx > 100000000)
					return false;
				idx = idx * 10 + (size_t)(p[k] - '0');
			}
			cur = json_array_get(cur, idx);
		} else {
			if (!json_is_object(cur))
				return false;
			cur = json_object_getn(cur, p, n);
		}
		if (!cur)
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

static err_t check_granular_markings(struct vctx *c, json_t *o)
{
	json_t *gm = json_object_get(o, "granular_markings");
	json_t *m, *sel, *s;
	size_t i, j;
	char what[64], text[72];
	err_t rc;

	if (!gm)
		return ERR_OK;
	if (!json_is_array(gm) || json_array_size(gm) == 0)
		return fail(c, "'granular_markings' must be a non-empty list");
	json_array_foreach(gm, i, m)
	{
		json_t *ref = json_object_get(m, "marking_ref");
		json_t *lang = json_object_get(m, "lang");

		if (!json_is_object(m))
			return fail(c, "'granular_markings[%zu]' must be an object", i);
		/* §7.2.3.1: one and only one of marking_ref and lang. */
		if (!ref == !lang)
			return fail(c,
				    "'granular_markings[%zu]' needs exactly one of "
				    "'marking_ref' and 'lang'",
				    i);
		if (ref) {
			snprintf(what, sizeof(what), "'granular_markings[%zu].marking_ref'", i);
			rc = check_ref(c, what, ref, "marking-definition");
			if (rc)
				return rc;
		} else if (!json_is_string(lang) || !lang_valid(json_string_value(lang))) {
			return fail(c,
				    "'granular_markings[%zu].lang' must be an RFC 5646 "
				    "language code",
				    i);
		}
		sel = json_object_get(m, "selectors");
		if (!json_is_array(sel) || json_array_size(sel) == 0)
			return fail(c,
				    "'granular_markings[%zu].selectors' must be a "
				    "non-empty list of strings",
				    i);
		json_array_foreach(sel, j, s)
		{
			if (!json_is_string(s))
				return fail(c,
					    "'granular_markings[%zu].selectors[%zu]' must "
					    "be a string",
					    i, j);
			/* "Selectors MUST refer to properties or list items that are
			 * actually present on the marked object." */
			if (!selector_resolves(o, json_string_value(s))) {
				printable(json_string_value(s), text);
				return fail(c,
					    "selector '%s' does not select anything in "
					    "this object",
					    text);
			}
		}
	}
	return ERR_OK;
}

static err_t check_external_references(struct vctx *c, json_t *o)
{
	/* clang-format off */
	static const struct prop x_extref[] = {
		{"source_name", P_STR, true, NULL},
		{"description", P_STR, false, NULL},
		{"url", P_STR, false, NULL},
		{"hashes", P_HASHES, false, NULL},
		{"external_id", P_STR, false, NULL},
		{NULL, 0, false, NULL},
	};
	/* clang-format on */
	json_t *refs = json_object_get(o, "external_references");
	json_t *r;
	size_t i;
	char prefix[48];
	err_t rc;

	if (!refs)
		return ERR_OK;
	if (!json_is_array(refs) || json_array_size(refs) == 0)
		return fail(c, "'external_references' must be a non-empty list");
	json_array_foreach(refs, i, r)
	{
		if (!json_is_object(r))
			return fail(c, "'external_references[%zu]' must be an object", i);
		snprintf(prefix, sizeof(prefix), "external_references[%zu].", i);
		rc = check_props(c, r, x_extref, prefix);
		if (rc)
			return rc;
		/* §2.5.2: besides source_name, description, url or external_id. */
		if (!json_object_get(r, "description") && !json_object_get(r, "url") &&
		    !json_object_get(r, "external_id"))
			return fail(c,
				    "'external_references[%zu]' needs 'description', "
				    "'url' or 'external_id'",
				    i);
	}
	return ERR_OK;
}

/* The object's versioning timestamps, §3.2 and §3.6. */
static err_t check_versioning(struct vctx *c, json_t *o, bool need_created, bool need_modified,
			      struct stix_meta *meta)
{
	static const char *const names[2] = {"created", "modified"};
	bool need[2] = {need_created, need_modified};
	bool *has[2] = {&meta->has_created, &meta->has_modified};
	int64_t *at[2] = {&meta->created, &meta->modified};

	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(o, names[i]);
		int frac = 0;

		if (!v) {
			if (need[i])
				return fail(c, "missing required property '%s'", names[i]);
			continue;
		}
		if (!get_ts(v, at[i], &frac))
			return fail(c,
				    "'%s' must be an RFC 3339 UTC timestamp "
				    "(YYYY-MM-DDTHH:MM:SS.sssZ)",
				    names[i]);
		/* "The minimum precision MUST be milliseconds." */
		if (frac < 3)
			return fail(c, "'%s' must have at least millisecond precision", names[i]);
		*has[i] = true;
	}
	/* §3.6.1: modified MUST NOT be earlier than created. */
	if (meta->has_created && meta->has_modified && meta->modified < meta->created)
		return fail(c, "'modified' is before 'created'");
	if (meta->has_modified || meta->has_created) {
		meta->has_version = true;
		meta->version = meta->has_modified ? meta->modified : meta->created;
	}
	return ERR_OK;
}

/* clang-format off */
static const struct prop p_common[] = {
	{"created_by_ref", P_REF, false, "identity"},
	{"revoked", P_BOOL, false, NULL},
	{"labels", P_STRS, false, NULL},
	{"confidence", P_INT, false, NULL},
	{"lang", P_STR, false, NULL},
	{"object_marking_refs", P_REFS, false, "marking-definition"},
	{"defanged", P_BOOL, false, NULL},
	{NULL, 0, false, NULL},
};
/* clang-format on */

/*
 * Whether a custom object (§11.2, or a new-sco of §7.3) is an observable:
 * one without versioning timestamps that does not declare itself an SDO or
 * SRO through an extension-definition.
 */
static bool custom_is_sco(json_t *o)
{
	json_t *ext = json_object_get(o, "extensions");
	const char *k;
	json_t *v;

	json_object_foreach(ext, k, v)
	{
		const char *et = json_string_value(json_object_get(v, "extension_type"));
		if (et && strcmp(et, "new-sco") == 0)
			return true;
		if (et && (strcmp(et, "new-sdo") == 0 || strcmp(et, "new-sro") == 0))
			return false;
	}
	return !json_object_get(o, "created") && !json_object_get(o, "modified");
}

static void meta_copy(char *dst, size_t dstsz, const char *s)
{
	if (s && strlen(s) < dstsz && is_token(s))
		memcpy(dst, s, strlen(s) + 1);
}

static err_t validate(struct vctx *c, json_t *o, struct stix_meta *meta)
{
	json_t *type_v = json_object_get(o, "type");
	json_t *id_v = json_object_get(o, "id");
	json_t *sv = json_object_get(o, "spec_version");
	const char *type = json_string_value(type_v);
	const char *id = json_string_value(id_v);
	const struct tdef *def;
	bool sco;
	char name[72];
	const char *k;
	json_t *v;
	err_t rc;

	meta_copy(meta->id, sizeof(meta->id), id);
	if (!type_v)
		return fail(c, "missing required property 'type'");
	if (!type || !stix_type_valid(type)) {
		printable(type ? type : "", name);
		return fail(c,
			    "'type' must be a valid type name (3-250 characters "
			    "a-z, 0-9, '-'), not '%s'",
			    name);
	}
	memcpy(meta->type, type, strlen(type) + 1);
	c->type = meta->type;
	/* §8: a bundle is a container, not a STIX object. */
	if (strcmp(type, "bundle") == 0)
		return fail(c, "a bundle is not a STIX object and cannot be stored");

	def = tdef_find(type);
	sco = def ? def->cat == C_SCO : custom_is_sco(o);

	if (!id_v)
		return fail(c, "missing required property 'id'");
	if (!id || !stix_id_valid(id, NULL))
		return fail(c, "'id' must be of the form '%s--<UUID>'", type);
	if (!stix_id_valid(id, type))
		return fail(c, "'id' %s does not match 'type' %s", id, type);

	/* §3.2: spec_version is required except on SCOs, and is "2.1". */
	if (!sv && !sco)
		return fail(c, "missing required property 'spec_version'");
	if (sv) {
		meta_copy(meta->spec_version, sizeof(meta->spec_version), json_string_value(sv));
		if (!json_is_string(sv) || strcmp(json_string_value(sv), "2.1") != 0) {
			printable(json_string_value(sv) ? json_string_value(sv) : "", name);
			return fail(c, "'spec_version' must be \"2.1\", not '%s'", name);
		}
	}

	rc = check_versioning(c, o, !sco, !sco && (!def || (def->cat != C_MARKING)), meta);
	if (rc)
		return rc;
	if (def && def->cat == C_EXTDEF && !json_object_get(o, "created_by_ref"))
		return fail(c, "missing required property 'created_by_ref'");

	rc = check_props(c, o, p_common, "");
	if (rc)
		return rc;
	if (json_object_get(o, "confidence") && (rc = check_int_range(c, o, "confidence", 0, 100)))
		return rc;
	if (json_object_get(o, "lang") &&
	    !lang_valid(json_string_value(json_object_get(o, "lang"))))
		return fail(c, "'lang' must be an RFC 5646 language code");
	/* §3.2: defanged "MUST NOT be used on any STIX Objects other than SCOs". */
	if (!sco && json_object_get(o, "defanged"))
		return fail(c, "'defanged' is only allowed on cyber-observable "
			       "objects");
	rc = check_external_references(c, o);
	if (!rc)
		rc = check_granular_markings(c, o);
	if (!rc && (!def || def->cat != C_EXTDEF))
		rc = check_extensions(c, o, type);
	if (rc)
		return rc;

	if (def) {
		rc = check_props(c, o, def->props, "");
		if (!rc && def->check)
			rc = def->check(c, o);
		if (rc)
			return rc;
	} else if (sco) {
		rc = check_not_bare(c, o, true);
		if (rc)
			return rc;
	}

	/*
	 * §7.3.2.1, §11.1: any other property name is a-z, 0-9, _ (3-250).
	 * The §3.8 reserved names (severity, action, ...) are not refused:
	 * OpenCTI exports incidents with "severity", and the policy layer does
	 * not read them.
	 */
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "id") != 0 && !prop_name_valid(k)) {
			printable(k, name);
			return fail(c,
				    "property name '%s' is not valid (3-250 "
				    "characters a-z, 0-9, '_')",
				    name);
		}
	}
	return ERR_OK;
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                */

/* Whether v nests arrays and objects deeper than max (v itself is depth). */
static bool too_deep(json_t *v, size_t depth, size_t max)
{
	json_t *x;
	size_t i;
	const char *k;

	if (depth > max)
		return true;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			if ((json_is_object(x) || json_is_array(x)) && too_deep(x, depth + 1, max))
				return true;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			if ((json_is_object(x) || json_is_array(x)) && too_deep(x, depth + 1, max))
				return true;
		}
	}
	return false;
}

/* Best effort, for objects jansson refused: read id and type by scanning. */
static void recover_meta(const char *p, size_t len, struct stix_meta *meta)
{
	char buf[STIX_ID_MAX];

	if (stix_scan_member_string(p, len, "id", buf, sizeof(buf)))
		meta_copy(meta->id, sizeof(meta->id), buf);
	if (stix_scan_member_string(p, len, "type", buf, sizeof(buf)))
		meta_copy(meta->type, sizeof(meta->type), buf);
}

static void describe_json_error(const json_error_t *e, size_t max_depth, char msg[STIX_MSG_MAX])
{
	char key[72];

	switch (json_error_code(e)) {
	case json_error_duplicate_key: {
		/* jansson says: duplicate object key near '"id"' */
		const char *q = strstr(e->text, "near '\"");
		size_t n;

		if (!q) {
			snprintf(msg, STIX_MSG_MAX,
				 "invalid JSON at byte %d: duplicate "
				 "object key",
				 e->position);
			return;
		}
		q += 7;
		n = strlen(q);
		if (n >= 2 && q[n - 2] == '"' && q[n - 1] == '\'')
			n -= 2;
		if (n > 64)
			n = 64;
		for (size_t i = 0; i < n; i++)
			key[i] = (q[i] >= 0x20 && q[i] < 0x7f) ? q[i] : '?';
		key[n] = '\0';
		snprintf(msg, STIX_MSG_MAX,
			 "invalid JSON at byte %d: duplicate "
			 "object key '%s'",
			 e->position, key);
		return;
	}
	case json_error_invalid_utf8:
		snprintf(msg, STIX_MSG_MAX, "invalid UTF-8 at byte %d", e->position);
		return;
	case json_error_stack_overflow:
		snprintf(msg, STIX_MSG_MAX, "object nesting deeper than %zu", max_depth);
		return;
	default:
		snprintf(msg, STIX_MSG_MAX, "invalid JSON at byte %d: %s", e->position, e->text);
		/* jansson quotes the input near the error: keep one ASCII line. */
		for (char *q = msg; *q; q++)
			if (*q < 0x20 || *q >= 0x7f)
				*q = '?';
		return;
	}
}

err_t stix_object_check(const char *p, size_t len, const struct stix_limits *lim, json_t **out,
			struct stix_meta *meta, char msg[STIX_MSG_MAX])
{
	struct vctx c = {"object", msg};
	json_error_t jerr;
	json_t *root = NULL;
	err_t rc = ERR_OK;

	memset(meta, 0, sizeof(*meta));
	msg[0] = '\0';
	if (out)
		*out = NULL;

	if (len > lim->max_object_bytes) {
		recover_meta(p, len, meta);
		snprintf(msg, STIX_MSG_MAX,
			 "object is %zu bytes, above the limit of "
			 "%zu",
			 len, lim->max_object_bytes);
		return ERR_TOOBIG;
	}
	/*
	 * RFC 8259 §4 leaves duplicate names undefined and §8.1 requires UTF-8:
	 * refuse both (jansson checks UTF-8 always). U+0000 stays refused
	 * (no JSON_ALLOW_NUL): every consumer of these strings is C.
	 * NEEDSWORK: an integer beyond 64 bits in a custom property is valid
	 * JSON that jansson refuses ("too big integer").
	 */
	root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		recover_meta(p, len, meta);
		describe_json_error(&jerr, lim->max_depth, msg);
		return ERR_INVALID;
	}
	if (!json_is_object(root)) {
		snprintf(msg, STIX_MSG_MAX, "not a JSON object");
		rc = ERR_INVALID;
		goto out;
	}
	if (too_deep(root, 1, lim->max_depth)) {
		meta_copy(meta->id, sizeof(meta->id),
			  json_string_value(json_object_get(root, "id")));
		meta_copy(meta->type, sizeof(meta->type),
			  json_string_value(json_object_get(root, "type")));
		snprintf(msg, STIX_MSG_MAX, "object nesting deeper than %zu", lim->max_depth);
		rc = ERR_INVALID;
		goto out;
	}
	rc = validate(&c, root, meta);
	if (rc) {
		meta_copy(meta->type, sizeof(meta->type),
			  json_string_value(json_object_get(root, "type")));
		goto out;
	}
	if (out) {
		*out = root;
		root = NULL;
	}
out:
	json_decref(root);
	if (rc) {
		/* On failure only id and type are promised. */
		char id[STIX_ID_MAX], type[STIX_TYPE_MAX];

		memcpy(id, meta->id, sizeof(id));
		memcpy(type, meta->type, sizeof(type));
		memset(meta, 0, sizeof(*meta));
		memcpy(meta->id, id, sizeof(id));
		memcpy(meta->type, type, sizeof(type));
	}
	return rc;
}
