/*
 * agreement.h - an agreement's definition file (docs/agreements.md, schema in
 * docs/schemas/agreement.schema.json) parsed and checked into a struct.
 *
 * Pure: it reads bytes and names organisations by their handles; the api
 * layer resolves handles to the store's organisations when it loads one.
 */
#ifndef RENKEI_AGREEMENT_H
#define RENKEI_AGREEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "policy.h"

#define AG_NAME_MAX	   65 /* an organisation or collection handle */
#define AG_TEXT_MAX	   512
#define AG_MAX_ORGS	   POLICY_MAX_MEMBERS
#define AG_MAX_COLLECTIONS 32
#define AG_MSG_MAX	   256

struct ag_scope {
	unsigned groups;		     /* GROUP_* */
	char orgs[AG_MAX_ORGS][AG_NAME_MAX]; /* organisations named */
	size_t n_orgs;
};

struct ag_grant {
	char org[AG_NAME_MAX];
	bool read, write;
};

struct ag_collection {
	char alias[AG_NAME_MAX];
	char title[AG_TEXT_MAX];
	char description[AG_TEXT_MAX];
	struct ag_scope default_scope;
	enum category default_category;
	struct ag_grant grants[AG_MAX_ORGS];
	size_t n_grants;
};

struct ag_category {
	bool members, parties; /* who may originate it */
	char orgs[AG_MAX_ORGS][AG_NAME_MAX];
	size_t n_orgs;
	char article[32];
};

struct agreement_def {
	char key[AG_NAME_MAX];
	char title[AG_TEXT_MAX];
	char title_en[AG_TEXT_MAX];
	day_t signed_on;
	unsigned term_months, renewal_months, notice_months, warn_days;
	char parties[AG_MAX_ORGS][AG_NAME_MAX];
	char labels[AG_MAX_ORGS][16];
	size_t n_parties;
	char community[AG_MAX_ORGS][AG_NAME_MAX];
	size_t n_community;
	char escalation[AG_MAX_ORGS][AG_NAME_MAX];
	size_t n_escalation;
	struct ag_category categories[CAT__COUNT];
	char root_name[AG_NAME_MAX];
	char root_title[AG_TEXT_MAX];
	char root_description[AG_TEXT_MAX];
	struct ag_collection collections[AG_MAX_COLLECTIONS];
	size_t n_collections;
};

/*
 * Parses and checks a definition. Every rule of the schema is checked here
 * too (the file may come from anywhere): required members, types, sizes,
 * handles, a valid signing date, each organisation in one role only, the
 * five categories exactly, known groups. On failure returns ERR_INVALID
 * with a one-line reason naming the member at fault; *def is then
 * unspecified. def is large: allocate it on the heap.
 */
err_t agreement_parse(const char *json, size_t len, struct agreement_def *def,
		      char msg[AG_MSG_MAX]);

#endif
