/*
 * agreement.c - parsing and checking agreement definition files with
 * jansson. Pure: no I/O beyond the bytes it is given.
 */
#include "agreement.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../common/banned.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(msg, AG_MSG_MAX, __VA_ARGS__);                                            \
		return ERR_INVALID;                                                                \
	} while (0)

/* [a-z0-9][a-z0-9._-]{0,63}, the handle rule of organisations. */
static bool handle_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n >= AG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

static err_t get_text(json_t *o, const char *key, bool required, char *out, size_t n,
		      const char *where, char *msg)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			FAIL("%s: missing '%s'", where, key);
		out[0] = '\0';
		return ERR_OK;
	}
	if (!json_is_string(v))
		FAIL("%s: '%s' must be a string", where, key);
	if (json_string_length(v) >= n || (required && !json_string_length(v)))
		FAIL("%s: '%s' must be 1 to %zu bytes", where, key, n - 1);
	snprintf(out, n, "%s", json_string_value(v));
	return ERR_OK;
}

static err_t get_uint(json_t *o, const char *key, unsigned dflt, unsigned lo, unsigned hi,
		      unsigned *out, const char *where, char *msg)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return ERR_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		FAIL("%s: '%s' must be a whole number from %u to %u", where, key, lo, hi);
	*out = (unsigned)json_integer_value(v);
	return ERR_OK;
}

/* An array of handles into out[][AG_NAME_MAX]. */
static err_t get_handles(json_t *v, char out[][AG_NAME_MAX], size_t *n, const char *where,
			 char *msg)
{
	size_t i;
	json_t *e;
	*n = 0;
	if (!v)
		return ERR_OK;
	if (!json_is_array(v))
		FAIL("%s must be a list of organisation handles", where);
	if (json_array_size(v) > AG_MAX_ORGS)
		FAIL("%s: more than %d entries", where, AG_MAX_ORGS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !handle_ok(json_string_value(e)))
			FAIL("%s[%zu]: not an organisation handle", where, i);
		snprintf(out[*n], AG_NAME_MAX, "%s", json_string_value(e));
		(*n)++;
	}
	return ERR_OK;
}

static err_t parse_scope(json_t *v, struct ag_scope *s, const char *where, char *msg)
{
	char w[160];
	size_t i;
	json_t *e;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(v))
		FAIL("%s must be an object", where);
	json_t *groups = json_object_get(v, "recipient_groups");
	if (groups && !json_is_array(groups))
		FAIL("%s.recipient_groups must be a list", where);
	json_array_foreach(json_object_get(v, "recipient_groups"), i, e)
	{
		const char *g = json_string_value(e);
		if (g && !strcmp(g, "parties"))
			s->groups |= GROUP_PARTIES;
		else if (g && !strcmp(g, "community"))
			s->groups |= GROUP_COMMUNITY;
		else
			FAIL("%s.recipient_groups[%zu]: must be \"parties\" or \"community\"",
			     where, i);
	}
	snprintf(w, sizeof(w), "%s.orgs", where);
	return get_handles(json_object_get(v, "orgs"), s->orgs, &s->n_orgs, w, msg);
}

static err_t parse_categories(json_t *v, struct agreement_def *d, char *msg)
{
	if (!json_is_object(v))
		FAIL("'categories' must be an object with the five category keys");
	if (json_object_size(v) != CAT__COUNT)
		FAIL("'categories' must define exactly the five categories of Art. 2.2");
	for (int c = 0; c < CAT__COUNT; c++) {
		const char *key = policy_category_key((enum category)c);
		json_t *cv = json_object_get(v, key);
		struct ag_category *cat = &d->categories[c];
		size_t i;
		json_t *e;
		if (!json_is_object(cv))
			FAIL("categories: missing '%s'", key);
		json_t *orig = json_object_get(cv, "originators");
		if (!json_is_array(orig) || !json_array_size(orig))
			FAIL("categories.%s.originators: a non-empty list", key);
		json_array_foreach(orig, i, e)
		{
			const char *s = json_string_value(e);
			if (s && !strcmp(s, "members"))
				cat->members = true;
			else if (s && !strcmp(s, "parties"))
				cat->parties = true;
			else if (s && handle_ok(s) && cat->n_orgs == AG_MAX_ORGS)
				FAIL("categories.%s.originators: more than %d organisations", key,
				     AG_MAX_ORGS);
			else if (s && handle_ok(s))
				snprintf(cat->orgs[cat->n_orgs++], AG_NAME_MAX, "%s", s);
			else
				FAIL("categories.%s.originators[%zu]: \"members\", \"parties\" or "
				     "an "
				     "organisation handle",
				     key, i);
		}
		char where[64];
		snprintf(where, sizeof(where), "categories.%s", key);
		if (get_text(cv, "article", false, cat->article, sizeof(cat->article), where, msg))
			return ERR_INVALID;
		if (!cat->article[0])
			snprintf(cat->article, sizeof(cat->article), "%s",
				 policy_category_article((enum category)c));
	}
	return ERR_OK;
}

static err_t parse_collections(json_t *v, struct agreement_def *d, char *msg)
{
	size_t i, k;
	json_t *e, *g;

	if (!json_is_array(v) || !json_array_size(v))
		FAIL("'collections' must be a non-empty list");
	if (json_array_size(v) > AG_MAX_COLLECTIONS)
		FAIL("'collections': more than %d", AG_MAX_COLLECTIONS);
	json_array_foreach(v, i, e)
	{
		struct ag_collection *c = &d->collections[i];
		char where[64];
		snprintf(where, sizeof(where), "collections[%zu]", i);
		memset(c, 0, sizeof(*c));
		if (!json_is_object(e))
			FAIL("%s must be an object", where);
		if (get_text(e, "alias", true, c->alias, sizeof(c->alias), where, msg) ||
		    get_text(e, "title", true, c->title, sizeof(c->title), where, msg) ||
		    get_text(e, "description", false, c->description, sizeof(c->description), where,
			     msg))
			return ERR_INVALID;
		if (!handle_ok(c->alias))
			FAIL("%s.alias: [a-z0-9._-], starting with a letter or digit", where);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(d->collections[j].alias, c->alias))
				FAIL("%s.alias: '%s' is used twice", where, c->alias);
		char sw[96];
		snprintf(sw, sizeof(sw), "%s.default_scope", where);
		json_t *sc = json_object_get(e, "default_scope");
		if (!sc)
			FAIL("%s: missing 'default_scope'", where);
		if (parse_scope(sc, &c->default_scope, sw, msg))
			return ERR_INVALID;
		char cat[64];
		if (get_text(e, "default_category", true, cat, sizeof(cat), where, msg))
			return ERR_INVALID;
		c->default_category = policy_category_parse(cat);
		if (c->default_category == CAT_NONE)
			FAIL("%s.default_category: '%s' is not a category of Art. 2.2", where, cat);
		json_t *grants = json_object_get(e, "grants");
		if (grants && (!json_is_array(grants) || json_array_size(grants) > AG_MAX_ORGS))
			FAIL("%s.grants: a list of at most %d grants", where, AG_MAX_ORGS);
		json_array_foreach(grants, k, g)
		{
			struct ag_grant *gr = &c->grants[c->n_grants++];
			char gw[96];
			snprintf(gw, sizeof(gw), "%s.grants[%zu]", where, k);
			if (!json_is_object(g))
				FAIL("%s must be an object", gw);
			if (get_text(g, "org", true, gr->org, sizeof(gr->org), gw, msg))
				return ERR_INVALID;
			if (!handle_ok(gr->org))
				FAIL("%s.org: not an organisation handle", gw);
			json_t *r = json_object_get(g, "read"), *w = json_object_get(g, "write");
			if ((r && !json_is_boolean(r)) || (w && !json_is_boolean(w)))
				FAIL("%s: 'read' and 'write' are booleans", gw);
			gr->read = json_is_true(r);
			gr->write = json_is_true(w);
		}
		d->n_collections++;
	}
	return ERR_OK;
}

static err_t parse(const char *json, size_t len, struct agreement_def *d, char msg[AG_MSG_MAX]);

err_t agreement_parse(const char *json, size_t len, struct agreement_def *d, char msg[AG_MSG_MAX])
{
	err_t rc = parse(json, len, d, msg);
	if (rc) {
		/* The message quotes the file: keep it one line. A character cut
		 * at the end of the buffer is dropped whole. */
		size_t n = strlen(msg);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
				msg[i] = '?';
		size_t i = n;
		while (i && ((unsigned char)msg[i - 1] & 0xc0) == 0x80)
			i--;
		if (i && (unsigned char)msg[i - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)msg[i - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (n - (i - 1) < need)
				n = i - 1;
		}
		msg[n] = '\0';
	}
	return rc;
}

static err_t parse(const char *json, size_t len, struct agreement_def *d, char msg[AG_MSG_MAX])
{
	json_error_t jerr;
	json_t *root = NULL;
	err_t rc = ERR_INVALID;
	size_t i;
	json_t *e;

	memset(d, 0, sizeof(*d));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(msg, AG_MSG_MAX, "not JSON (line %d): %.120s", jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(msg, AG_MSG_MAX, "the definition must be a JSON object");
		goto out;
	}
	if (get_text(root, "key", true, d->key, sizeof(d->key), "agreement", msg) ||
	    get_text(root, "title", true, d->title, sizeof(d->title), "agreement", msg) ||
	    get_text(root, "title_en", false, d->title_en, sizeof(d->title_en), "agreement", msg))
		goto out;
	if (!handle_ok(d->key)) {
		snprintf(msg, AG_MSG_MAX, "key: [a-z0-9._-], starting with a letter or digit");
		goto out;
	}
	char date[16];
	if (get_text(root, "signed_on", true, date, sizeof(date), "agreement", msg))
		goto out;
	if (term_day_parse(date, &d->signed_on)) {
		snprintf(msg, AG_MSG_MAX, "signed_on: not a date like 2024-12-27");
		goto out;
	}
	json_t *term = json_object_get(root, "term");
	if (term && !json_is_object(term)) {
		snprintf(msg, AG_MSG_MAX, "term must be an object");
		goto out;
	}
	if (get_uint(term, "months", 12, 1, 120, &d->term_months, "term", msg) ||
	    get_uint(term, "renewal_months", d->term_months, 1, 120, &d->renewal_months, "term",
		     msg) ||
	    get_uint(term, "notice_months", 1, 0, 11, &d->notice_months, "term", msg) ||
	    get_uint(term, "warn_days", 60, 0, 365, &d->warn_days, "term", msg))
		goto out;
	if (d->notice_months >= d->term_months || d->notice_months >= d->renewal_months) {
		snprintf(msg, AG_MSG_MAX, "term.notice_months must be shorter than a term");
		goto out;
	}

	json_t *parties = json_object_get(root, "parties");
	if (!json_is_array(parties) || !json_array_size(parties) ||
	    json_array_size(parties) > AG_MAX_ORGS) {
		snprintf(msg, AG_MSG_MAX, "parties: a list of 1 to %d parties", AG_MAX_ORGS);
		goto out;
	}
	json_array_foreach(parties, i, e)
	{
		char where[48];
		snprintf(where, sizeof(where), "parties[%zu]", i);
		if (!json_is_object(e)) {
			snprintf(msg, AG_MSG_MAX, "%s must be an object", where);
			goto out;
		}
		if (get_text(e, "org", true, d->parties[i], AG_NAME_MAX, where, msg) ||
		    get_text(e, "label", false, d->labels[i], sizeof(d->labels[i]), where, msg))
			goto out;
		if (!handle_ok(d->parties[i])) {
			snprintf(msg, AG_MSG_MAX, "%s.org: not an organisation handle", where);
			goto out;
		}
		d->n_parties++;
	}
	if (get_handles(json_object_get(root, "community"), d->community, &d->n_community,
			"community", msg))
		goto out;
	json_t *esc = json_object_get(root, "escalation");
	if (esc && (!json_is_array(esc) || json_array_size(esc) > AG_MAX_ORGS)) {
		snprintf(msg, AG_MSG_MAX, "escalation: a list of escalation bodies");
		goto out;
	}
	json_array_foreach(esc, i, e)
	{
		char where[48], rule[32];
		snprintf(where, sizeof(where), "escalation[%zu]", i);
		if (!json_is_object(e)) {
			snprintf(msg, AG_MSG_MAX, "%s must be an object", where);
			goto out;
		}
		if (get_text(e, "org", true, d->escalation[i], AG_NAME_MAX, where, msg) ||
		    get_text(e, "rule", true, rule, sizeof(rule), where, msg))
			goto out;
		if (!handle_ok(d->escalation[i])) {
			snprintf(msg, AG_MSG_MAX, "%s.org: not an organisation handle", where);
			goto out;
		}
		if (strcmp(rule, "all-parties")) {
			snprintf(msg, AG_MSG_MAX, "%s.rule: only \"all-parties\" is known", where);
			goto out;
		}
		d->n_escalation++;
	}
	/* Each organisation has one role: party, community member or escalation body. */
	for (size_t a = 0; a < d->n_parties + d->n_community + d->n_escalation; a++) {
		const char *h = a < d->n_parties ? d->parties[a]
				: a < d->n_parties + d->n_community
					? d->community[a - d->n_parties]
					: d->escalation[a - d->n_parties - d->n_community];
		size_t dup = 0;
		for (size_t b = 0; b < d->n_parties; b++)
			dup += !strcmp(d->parties[b], h);
		for (size_t b = 0; b < d->n_community; b++)
			dup += !strcmp(d->community[b], h);
		for (size_t b = 0; b < d->n_escalation; b++)
			dup += !strcmp(d->escalation[b], h);
		if (dup > 1) {
			snprintf(msg, AG_MSG_MAX,
				 "'%s' is named more than once among parties, "
				 "community and escalation bodies",
				 h);
			goto out;
		}
	}
	if (parse_categories(json_object_get(root, "categories"), d, msg))
		goto out;
	json_t *r = json_object_get(root, "api_root");
	if (!json_is_object(r)) {
		snprintf(msg, AG_MSG_MAX, "api_root: an object with name, title, description");
		goto out;
	}
	if (get_text(r, "name", true, d->root_name, sizeof(d->root_name), "api_root", msg) ||
	    get_text(r, "title", true, d->root_title, sizeof(d->root_title), "api_root", msg) ||
	    get_text(r, "description", false, d->root_description, sizeof(d->root_description),
		     "api_root", msg))
		goto out;
	if (!handle_ok(d->root_name)) {
		snprintf(msg, AG_MSG_MAX,
			 "api_root.name: [a-z0-9._-], starting with a letter or digit");
		goto out;
	}
	if (parse_collections(json_object_get(root, "collections"), d, msg))
		goto out;
	rc = ERR_OK;
out:
	json_decref(root);
	return rc;
}
