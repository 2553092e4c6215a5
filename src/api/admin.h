/*
 * admin.h - administrative operations shared by the CLI (and, later, the
 * management API): organisations with their STIX identity, users with
 * theirs, tokens, API roots, collections and grants. Each change is audited
 * in the same transaction (its own, unless the caller has one open).
 */
#ifndef RENKEI_ADMIN_H
#define RENKEI_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/sec.h"
#include "app.h"

/* Parses "reader,analyst" into ROLE_* bits; ERR_INVALID names the bad one. */
err_t admin_roles_parse(const char *s, unsigned *roles, char *msg, size_t n);

/* Writes the role names of roles, comma-separated, into out. */
void admin_roles_format(unsigned roles, char *out, size_t n);

/* Whether name is a valid handle: 1..64 of [a-z0-9._-], starting alphanumeric. */
bool admin_name_valid(const char *name);

/*
 * Adds an organisation and makes its STIX identity (identity_class
 * "organization"), using identity_id when given (to keep an existing id)
 * or a new one. ERR_EXISTS when the name is taken.
 */
err_t admin_org_add(struct app *app, struct store_conn *c, const char *name, const char *title,
		    const char *identity_id, struct org *out);

/*
 * Adds a user of org with roles and its STIX identity (identity_class
 * "individual"). When password is NULL a random one is made and written
 * into gen_pw (which must then have room for SEC_TOKEN_MAX bytes).
 */
err_t admin_user_add(struct app *app, struct store_conn *c, const char *org_name, const char *name,
		     const char *password, unsigned roles, char *gen_pw, struct user *out);

/* Makes a token for user; secret gets it (shown once). expires 0: never. */
err_t admin_token_create(struct app *app, struct store_conn *c, const char *user_name,
			 const char *label, int64_t expires, char secret[SEC_TOKEN_MAX],
			 struct token *out);

/* Adds an API root named name (a URL segment; not a reserved one). */
err_t admin_root_add(struct app *app, struct store_conn *c, const char *name, const char *title,
		     const char *description, struct api_root *out);

/* Adds a collection with a new UUID to the root named root_name. */
err_t admin_collection_add(struct app *app, struct store_conn *c, const char *root_name,
			   const char *title, const char *description, const char *alias,
			   struct collection *out);

/* Sets a collection's default scope (groups of the agreement) and category;
 * audited. */
err_t admin_collection_defaults(struct app *app, struct store_conn *c, const struct collection *col,
				unsigned groups, int category);

/* Sets org's rights on the collection (by UUID or alias) of root_name. */
err_t admin_grant(struct app *app, struct store_conn *c, const char *root_name,
		  const char *collection, const char *org_name, bool can_read, bool can_write);

/* Disables or enables a user; audited. */
err_t admin_user_set_disabled(struct app *app, struct store_conn *c, const struct user *u,
			      bool disabled);

/* Sets a user's password (hashed with argon2id); audited. */
err_t admin_user_set_password(struct app *app, struct store_conn *c, const struct user *u,
			      const char *password);

/* Revokes token id; audited. ERR_NOTFOUND when there is none. */
err_t admin_token_revoke(struct app *app, struct store_conn *c, int64_t id);

#endif
