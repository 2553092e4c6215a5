/*
 * policy.h - the sharing rules of DESIGN.md §3 in one pure module: who sees
 * an object, what may come in, what a share request needs. No I/O, no clock
 * of its own (the day is an argument), no storage: callers describe the
 * situation in plain structs and get a decision back.
 *
 * Organisations and users are named by their numeric ids in the store.
 */
#ifndef RENKEI_POLICY_H
#define RENKEI_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "term.h"

/* FIRST TLP 2.0, with TLP 1.0 ids mapped onto it (DESIGN.md §4.3). */
enum tlp {
	TLP_UNMARKED = 0, /* no TLP: treated as AMBER for forwarding (§3.3) */
	TLP_CLEAR,
	TLP_GREEN,
	TLP_AMBER,
	TLP_AMBER_STRICT,
	TLP_RED,
};

/* The TLP of a marking-definition id, or TLP_UNMARKED when it is none. */
enum tlp policy_tlp_of_marking(const char *marking_id);

/* "clear", "green", ... "red", "unmarked". */
const char *policy_tlp_name(enum tlp t);

/* The five information categories of Art. 2.2 (DESIGN.md §3.6). */
enum category {
	CAT_NONE = -1,
	CAT_ATTACK_METHODS = 0,
	CAT_THREAT_INTELLIGENCE,
	CAT_RECURRENCE_PREVENTION,
	CAT_COUNTERMEASURES,
	CAT_RESEARCH,
	CAT__COUNT
};

/* Parses a category key ("research"); CAT_NONE when unknown. */
enum category policy_category_parse(const char *key);
const char *policy_category_key(enum category c);
/* The article an originator rule comes from, for refusal messages. */
const char *policy_category_article(enum category c);

/* Scope groups (the sharing-scope extension's recipient_groups). */
enum { GROUP_PARTIES = 1 << 0, GROUP_COMMUNITY = 1 << 1 };

#define POLICY_MAX_MEMBERS 64

/* Who may originate a category: every member, the parties, or a list. */
struct originators {
	bool members; /* parties and community */
	bool parties;
	int64_t orgs[POLICY_MAX_MEMBERS];
	size_t n_orgs;
};

/* An agreement as the rules need it. */
struct agreement_rules {
	struct term_rule term;
	int64_t parties[POLICY_MAX_MEMBERS];
	size_t n_parties;
	int64_t community[POLICY_MAX_MEMBERS];
	size_t n_community;
	int64_t escalation[POLICY_MAX_MEMBERS]; /* bodies released to by all parties */
	size_t n_escalation;
	struct originators originate[CAT__COUNT];
	const day_t *objections; /* days objections were filed */
	size_t n_objections;
};

bool policy_is_party(const struct agreement_rules *a, int64_t org);
bool policy_is_community(const struct agreement_rules *a, int64_t org);
bool policy_is_member(const struct agreement_rules *a, int64_t org);
bool policy_is_escalation_body(const struct agreement_rules *a, int64_t org);

/* Whether the agreement is in force on day (§3.7). */
bool policy_in_force(const struct agreement_rules *a, day_t day);

/* Whether org may originate category c under the agreement (§3.6). */
bool policy_may_originate(const struct agreement_rules *a, int64_t org, enum category c);

/* The person asking. */
struct subject {
	int64_t org;
	int64_t user;
};

/* A set of organisations and users, as a scope or as the grants on an object. */
struct audience {
	const int64_t *orgs;
	size_t n_orgs;
	const int64_t *users;
	size_t n_users;
	unsigned groups; /* GROUP_* */
};

/* One version of an object as the read rule sees it. */
struct object_view {
	int64_t provider; /* the providing organisation */
	enum tlp tlp;
	struct audience scope;	/* from its scope marking or the collection default */
	struct audience grants; /* grants on the object (all versions) */
};

/* DESIGN.md §3.1: may subject read this version of the object on day? */
bool policy_may_read(const struct agreement_rules *a, const struct subject *s,
		     const struct object_view *o, day_t day);

/* What a share request needs (§3.4, §3.5). */
enum share_need {
	SHARE_ALREADY,	   /* the target sees it already: nothing to do */
	SHARE_GRANT_NOW,   /* granted at once (CLEAR, or GREEN inside the community) */
	SHARE_PROVIDER,	   /* an approver of the provider must approve */
	SHARE_ALL_PARTIES, /* escalation: an approver of every party (and the provider) */
	SHARE_REFUSED,	   /* not allowed at all (agreement not in force, target outside) */
};

/* The target of a share request: an organisation, or a user of one. */
struct share_target {
	int64_t org;
	int64_t user; /* 0: the whole organisation */
};

enum share_need policy_share_need(const struct agreement_rules *a, const struct object_view *o,
				  const struct share_target *t, day_t day);

#endif
