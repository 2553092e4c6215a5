/*
 * rules.c - DESIGN.md §3 as decisions: TLP and category names, membership,
 * who may originate what, who may read what, what a share request needs.
 * Pure: everything it knows comes in its arguments.
 */
#include <string.h>

#include "policy.h"
#include "../common/banned.h"

/* DESIGN.md §4.3: TLP 2.0 ids, TLP 1.0 ids, and OpenCTI's AMBER+STRICT. */
static const struct {
	const char *id;
	enum tlp tlp;
} tlp_ids[] = {
	{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR},
	{"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN},
	{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER},
	{"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", TLP_AMBER_STRICT},
	{"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED},
	{"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR},
	{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN},
	{"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER},
	{"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", TLP_AMBER_STRICT},
	{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED},
};

enum tlp policy_tlp_of_marking(const char *id)
{
	for (size_t i = 0; i < sizeof(tlp_ids) / sizeof(tlp_ids[0]); i++)
		if (!strcmp(tlp_ids[i].id, id))
			return tlp_ids[i].tlp;
	return TLP_UNMARKED;
}

const char *policy_tlp_name(enum tlp t)
{
	static const char *const names[] = {"unmarked", "clear",	"green",
					    "amber",	"amber+strict", "red"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unmarked";
}

static const struct {
	const char *key;
	const char *article;
} categories[CAT__COUNT] = {
	[CAT_ATTACK_METHODS] = {"attack-methods", "Art. 2.2 (1)"},
	[CAT_THREAT_INTELLIGENCE] = {"threat-intelligence", "Art. 2.2 (2)"},
	[CAT_RECURRENCE_PREVENTION] = {"recurrence-prevention", "Art. 2.2 (3)"},
	[CAT_COUNTERMEASURES] = {"countermeasures", "Art. 2.2 (4)"},
	[CAT_RESEARCH] = {"research", "Art. 2.2 (5)"},
};

enum category policy_category_parse(const char *key)
{
	for (int i = 0; i < CAT__COUNT; i++)
		if (!strcmp(categories[i].key, key))
			return (enum category)i;
	return CAT_NONE;
}

const char *policy_category_key(enum category c)
{
	return c >= 0 && c < CAT__COUNT ? categories[c].key : "none";
}

const char *policy_category_article(enum category c)
{
	return c >= 0 && c < CAT__COUNT ? categories[c].article : "Art. 2.2";
}

static bool in(const int64_t *v, size_t n, int64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

bool policy_is_party(const struct agreement_rules *a, int64_t org)
{
	return in(a->parties, a->n_parties, org);
}

bool policy_is_community(const struct agreement_rules *a, int64_t org)
{
	return in(a->community, a->n_community, org);
}

bool policy_is_member(const struct agreement_rules *a, int64_t org)
{
	return policy_is_party(a, org) || policy_is_community(a, org);
}

bool policy_is_escalation_body(const struct agreement_rules *a, int64_t org)
{
	return in(a->escalation, a->n_escalation, org);
}

bool policy_in_force(const struct agreement_rules *a, day_t day)
{
	struct term_status st;
	term_status_at(&a->term, a->objections, a->n_objections, day, 0, &st);
	return st.in_force;
}

bool policy_may_originate(const struct agreement_rules *a, int64_t org, enum category c)
{
	if (c < 0 || c >= CAT__COUNT)
		return false;
	const struct originators *o = &a->originate[c];
	if (o->members && policy_is_member(a, org))
		return true;
	if (o->parties && policy_is_party(a, org))
		return true;
	return in(o->orgs, o->n_orgs, org);
}

/* Whether the audience names the user, or (unless only people count)
 * the organisation or a group it belongs to. */
static bool names(const struct agreement_rules *a, const struct audience *au,
		  const struct subject *s, bool people_only)
{
	if (s->user && in(au->users, au->n_users, s->user))
		return true;
	if (people_only)
		return false;
	if (in(au->orgs, au->n_orgs, s->org))
		return true;
	if ((au->groups & GROUP_PARTIES) && policy_is_party(a, s->org))
		return true;
	return (au->groups & GROUP_COMMUNITY) && policy_is_community(a, s->org);
}

bool policy_may_read(const struct agreement_rules *a, const struct subject *s,
		     const struct object_view *o, day_t day)
{
	/* §3.1 (1): every user of the provider sees it, whatever its TLP. */
	if (s->org == o->provider)
		return true;
	/* §3.7: outside the term, counterparties lose sight. */
	if (!policy_in_force(a, day))
		return false;
	bool red = o->tlp == TLP_RED;
	/* §3.5: an escalation body sees only what all parties released to it,
	 * i.e. a grant; a scope that names it does not count. */
	if (policy_is_escalation_body(a, s->org))
		return names(a, &o->grants, s, red);
	/* Organisations outside the agreement see nothing of others. */
	if (!policy_is_member(a, s->org))
		return false;
	/* §3.1 (2): TLP:RED is for the people named; otherwise naming the
	 * organisation, a group it is in, or the person will do. */
	return names(a, &o->scope, s, red) || names(a, &o->grants, s, red);
}

enum share_need policy_share_need(const struct agreement_rules *a, const struct object_view *o,
				  const struct share_target *t, day_t day)
{
	struct subject target = {.org = t->org, .user = t->user};

	if (policy_may_read(a, &target, o, day))
		return SHARE_ALREADY;
	if (!policy_in_force(a, day))
		return SHARE_REFUSED;
	if (o->tlp == TLP_RED && !t->user)
		return SHARE_REFUSED; /* RED goes to named people only */
	if (policy_is_escalation_body(a, t->org))
		return SHARE_ALL_PARTIES; /* §3.5: whatever the TLP, whoever asks */
	if (!policy_is_member(a, t->org))
		return SHARE_REFUSED;
	if (o->tlp == TLP_CLEAR)
		return SHARE_GRANT_NOW;
	/* GREEN may travel inside the community: the agreement's members. */
	if (o->tlp == TLP_GREEN)
		return SHARE_GRANT_NOW;
	return SHARE_PROVIDER;
}
