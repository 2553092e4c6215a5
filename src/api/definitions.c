/*
 * definitions.c - the TLP 2.0 marking-definitions (as OASIS publishes them:
 * ids, created 2022-10-01, the tlp_2_0 property-extension) and renkei's own
 * extension-definitions, stored byte for byte as below.
 */
#include "definitions.h"

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "../common/banned.h"

#define TLP2(id, name, level)                                                                      \
	"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition-"   \
	"-" id "\",\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"" name                      \
	"\",\"extensions\":{"                                                                      \
	"\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":{\"extension_type\":"      \
	"\"property-extension\",\"tlp_2_0\":\"" level "\"}}}"

static const struct {
	const char *id;
	const char *type;
	int64_t version; /* microseconds: created (and modified) */
	const char *json;
} defs[] = {
	{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "marking-definition",
	 1664582400000000LL, TLP2("94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear")},
	{"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "marking-definition",
	 1664582400000000LL, TLP2("bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green")},
	{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "marking-definition",
	 1664582400000000LL, TLP2("55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber")},
	{"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "marking-definition",
	 1664582400000000LL,
	 TLP2("939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict")},
	{"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "marking-definition",
	 1664582400000000LL, TLP2("e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red")},
	{"extension-definition--895f0377-2635-4adc-a078-037972c6a4dc", "extension-definition",
	 1795651200000000LL,
	 "{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"extension-"
	 "definition--"
	 "895f0377-2635-4adc-a078-037972c6a4dc\",\"created_by_ref\":\"" HUB_IDENTITY "\","
	 "\"created\":\"2026-11-26T00:00:00.000Z\",\"modified\":\"2026-11-26T00:00:00.000Z\","
	 "\"name\":\"renkei sharing scope\",\"description\":\"A property-extension on a "
	 "marking-definition created by the provider: the organisations and individuals "
	 "(recipients, identity ids) and the groups of the agreement (recipient_groups: parties, "
	 "community) that may receive the objects it marks. Nobody shares beyond it without the "
	 "provider's consent (Art. 3.1 of the 2024-12-27 agreement).\",\"schema\":\"JSON Schema: "
	 "docs/schemas/renkei-sharing-scope.schema.json in the renkei repository\",\"version\":"
	 "\"1.0.0\",\"extension_types\":[\"property-extension\"]}"},
	{"extension-definition--eae82a6d-fc6e-4bfe-8869-3aa40b815a71", "extension-definition",
	 1795651200000000LL,
	 "{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"extension-"
	 "definition--"
	 "eae82a6d-fc6e-4bfe-8869-3aa40b815a71\",\"created_by_ref\":\"" HUB_IDENTITY "\","
	 "\"created\":\"2026-11-26T00:00:00.000Z\",\"modified\":\"2026-11-26T00:00:00.000Z\","
	 "\"name\":\"renkei information category\",\"description\":\"A property-extension on any "
	 "SDO: which of the five categories of information of Art. 2.2 of the 2024-12-27 agreement "
	 "the object belongs to (attack-methods, threat-intelligence, recurrence-prevention, "
	 "countermeasures, research).\",\"schema\":\"JSON Schema: "
	 "docs/schemas/renkei-information-category.schema.json in the renkei repository\","
	 "\"version\":\"1.0.0\",\"extension_types\":[\"property-extension\"]}"},
};

err_t definitions_hub_org(struct app *app, struct store_conn *c, struct org *out)
{
	err_t rc = store_org_find(c, HUB_ORG_NAME, out);
	if (rc == ERR_NOTFOUND)
		rc = admin_org_add(app, c, HUB_ORG_NAME, "renkei hub (publisher of definitions)",
				   HUB_IDENTITY, out);
	return rc;
}

err_t definitions_publish(struct app *app, struct store_conn *c, const struct api_root *root,
			  const struct agreement_member *members, size_t n_members)
{
	struct org hub;
	struct collection col;
	int64_t scope = 0, date_added = 0;
	err_t rc = definitions_hub_org(app, c, &hub);

	if (!rc)
		rc = store_collection_find(c, root->id, DEFINITIONS_ALIAS, &col);
	if (rc == ERR_NOTFOUND)
		rc = admin_collection_add(app, c, root->name,
					  "定義 (definitions: TLP 2.0 markings, renkei extensions)",
					  "Published by every renkei node; read-only.",
					  DEFINITIONS_ALIAS, &col);
	for (size_t i = 0; !rc && i < n_members; i++) {
		struct grant g = {.collection_id = col.id,
				  .org_id = members[i].org_id,
				  .can_read = true,
				  .can_write = false};
		rc = store_grant_set(c, &g);
	}
	struct scope_def all = {.groups = GROUP_PARTIES | GROUP_COMMUNITY};
	if (!rc)
		rc = store_scope_get_or_add(c, &all, &scope);
	if (!rc)
		rc = store_collection_set_defaults(c, col.id, scope, -1);
	if (!rc)
		rc = store_next_date_added(c, col.id, app_now(app), &date_added);
	for (size_t i = 0; !rc && i < sizeof(defs) / sizeof(defs[0]); i++) {
		struct obj_put put = {
			.stix_id = defs[i].id,
			.type = defs[i].type,
			.spec_version = "2.1",
			.version = defs[i].version,
			.has_version = true,
			.org_id = hub.id,
			.scope_id = scope,
			.category = -1,
			.body = defs[i].json,
			.body_len = strlen(defs[i].json),
		};
		enum obj_put_result res;
		int64_t version, seq;
		rc = store_object_put(c, col.id, &put, date_added + (int64_t)i, &res, &version,
				      &seq);
		/* Escalation bodies see only what is granted to them (§3.5). */
		for (size_t m = 0; !rc && m < n_members; m++) {
			if (members[m].role != MEMBER_ESCALATION)
				continue;
			struct object_grant g = {.collection_id = col.id,
						 .principal = PRINCIPAL_ORG(members[m].org_id),
						 .created = app_now(app)};
			snprintf(g.stix_id, sizeof(g.stix_id), "%s", defs[i].id);
			rc = store_grant_object_add(c, &g);
			if (rc == ERR_EXISTS)
				rc = ERR_OK;
		}
	}
	return rc;
}
