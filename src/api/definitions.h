/*
 * definitions.h - what every renkei node publishes in each agreement's API
 * root (DESIGN.md §4.3, §4.4): the five FIRST TLP 2.0 marking-definitions
 * and renkei's two extension-definitions (sharing scope, information
 * category), in a read-only collection "definitions" that every party,
 * community member and escalation body may read. They are provided by the
 * hub's own organisation, "renkei".
 */
#ifndef RENKEI_DEFINITIONS_H
#define RENKEI_DEFINITIONS_H

#include "agreements.h"

#define HUB_ORG_NAME	  "renkei"
#define HUB_IDENTITY	  "identity--18ebca85-3320-4f2a-a766-a3d94d1b5fe0"
#define DEFINITIONS_ALIAS "definitions"

/* The hub's own organisation, made when missing. */
err_t definitions_hub_org(struct app *app, struct store_conn *c, struct org *out);

/*
 * Publishes the definitions in the API root root (inside the caller's
 * transaction): makes the collection when missing, grants every member and
 * escalation body read, stores the objects (a no-op when they are there),
 * visible to all of them.
 */
err_t definitions_publish(struct app *app, struct store_conn *c, const struct api_root *root,
			  const struct agreement_member *members, size_t n_members);

#endif
