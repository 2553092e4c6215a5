/*
 * admin.c - the administrative operations behind the CLI.
 * Depends on store/, stix/ (to check ids), common/.
 */
#include "admin.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "../stix/stix.h"
#include "audit.h"
#include "../common/banned.h"

/*
 * Every administrative change is audited in its own transaction (DESIGN.md
 * §3.8); when the caller has one open already (loading a demo, an
 * agreement), the change and its entry join it.
 */
static err_t begin(struct store_conn *c, bool *own)
{
	*own = !store_in_tx(c);
	return *own ? store_tx_begin(c) : ERR_OK;
}

static err_t end(struct store_conn *c, bool own, err_t rc)
{
	return own ? store_tx_end(c, rc) : rc;
}

static const struct {
	const char *name;
	unsigned bit;
} role_names[] = {
	{"reader", ROLE_READER}, {"analyst", ROLE_ANALYST}, {"approver", ROLE_APPROVER},
	{"admin", ROLE_ADMIN},	 {"auditor", ROLE_AUDITOR},
};
#define N_ROLES (sizeof(role_names) / sizeof(role_names[0]))

err_t admin_roles_parse(const char *s, unsigned *roles, char *msg, size_t n)
{
	char word[32];
	*roles = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		if (len == 0 || len >= sizeof(word)) {
			snprintf(msg, n, "roles: empty or overlong role name");
			return ERR_INVALID;
		}
		memcpy(word, s, len);
		word[len] = '\0';
		unsigned bit = 0;
		for (size_t i = 0; i < N_ROLES; i++)
			if (!strcmp(role_names[i].name, word))
				bit = role_names[i].bit;
		if (!bit) {
			snprintf(msg, n,
				 "roles: unknown role '%s' (reader, analyst, approver, admin, "
				 "auditor)",
				 word);
			return ERR_INVALID;
		}
		*roles |= bit;
		s += len;
		if (*s == ',')
			s++;
	}
	if (!*roles) {
		snprintf(msg, n, "roles: at least one role is needed");
		return ERR_INVALID;
	}
	return ERR_OK;
}

void admin_roles_format(unsigned roles, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < N_ROLES; i++) {
		if (!(roles & role_names[i].bit))
			continue;
		int w = snprintf(out + used, n - used, "%s%s", used ? "," : "", role_names[i].name);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

bool admin_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return false;
	}
	return true;
}

/* A STIX 2.1 identity object, serialised once and stored as is. */
static char *make_identity(const char *id, const char *name, const char *cls,
			   const char *created_by, int64_t now)
{
	char ts[TS_BUFSZ];
	ts_format_ms(now, ts);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "identity",
			      "spec_version", "2.1", "id", id, "created", ts, "modified", ts,
			      "name", name, "identity_class", cls);
	if (o && created_by)
		json_object_set_new(o, "created_by_ref", json_string(created_by));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

err_t admin_org_add(struct app *app, struct store_conn *c, const char *name, const char *title,
		    const char *identity_id, struct org *out)
{
	struct org o;
	char uuid[SEC_UUID_LEN + 1];

	if (!admin_name_valid(name) || !title[0] || strlen(title) >= sizeof(o.title))
		return ERR_INVALID;
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", name);
	snprintf(o.title, sizeof(o.title), "%s", title);
	if (identity_id) {
		if (!stix_id_valid(identity_id, "identity"))
			return ERR_INVALID;
		snprintf(o.identity_id, sizeof(o.identity_id), "%s", identity_id);
	} else {
		sec_uuid4(uuid);
		snprintf(o.identity_id, sizeof(o.identity_id), "identity--%s", uuid);
	}
	o.created = app_now(app);
	char *ident = make_identity(o.identity_id, title, "organization", NULL, o.created);
	if (!ident)
		return ERR_NOMEM;
	bool own;
	err_t rc = begin(c, &own);
	if (!rc)
		rc = store_org_add(c, &o, ident);
	if (!rc)
		rc = audit_write(
			app, c, "admin.org.add", 0, o.id, o.name,
			json_pack("{s:s, s:s}", "title", o.title, "identity", o.identity_id));
	rc = end(c, own, rc);
	free(ident);
	if (!rc && out)
		*out = o;
	return rc;
}

err_t admin_user_add(struct app *app, struct store_conn *c, const char *org_name, const char *name,
		     const char *password, unsigned roles, char *gen_pw, struct user *out)
{
	struct org o;
	struct user u;
	char uuid[SEC_UUID_LEN + 1];
	err_t rc;

	if (!admin_name_valid(name))
		return ERR_INVALID;
	rc = store_org_find(c, org_name, &o);
	if (rc)
		return rc;
	memset(&u, 0, sizeof(u));
	u.org_id = o.id;
	snprintf(u.name, sizeof(u.name), "%s", name);
	sec_uuid4(uuid);
	snprintf(u.identity_id, sizeof(u.identity_id), "identity--%s", uuid);
	u.roles = roles;
	u.created = app_now(app);
	if (!password) {
		rc = sec_password_new(gen_pw, SEC_TOKEN_MAX);
		if (rc)
			return rc;
		password = gen_pw;
	}
	rc = sec_password_hash(password, u.pw_hash);
	if (rc)
		return rc;
	char rn[128];
	admin_roles_format(roles, rn, sizeof(rn));
	bool own;
	rc = begin(c, &own);
	if (!rc)
		rc = store_user_add(c, &u);
	if (!rc)
		rc = audit_write(app, c, "admin.user.add", 0, o.id, u.name,
				 json_pack("{s:s, s:s}", "roles", rn, "identity", u.identity_id));
	rc = end(c, own, rc);
	if (!rc && out)
		*out = u;
	return rc;
}

err_t admin_token_create(struct app *app, struct store_conn *c, const char *user_name,
			 const char *label, int64_t expires, char secret[SEC_TOKEN_MAX],
			 struct token *out)
{
	struct user u;
	struct token t;
	unsigned char hash[32];
	err_t rc = store_user_find(c, user_name, &u);
	if (rc)
		return rc;
	memset(&t, 0, sizeof(t));
	t.user_id = u.id;
	snprintf(t.label, sizeof(t.label), "%s", label ? label : "");
	t.created = app_now(app);
	t.expires = expires;
	sec_token_new(secret, hash);
	snprintf(t.prefix, sizeof(t.prefix), "%.10s", secret);
	bool own;
	rc = begin(c, &own);
	if (!rc)
		rc = store_token_add(c, &t, hash);
	if (!rc)
		rc = audit_write(app, c, "admin.token.create", 0, u.org_id, u.name,
				 json_pack("{s:I, s:s, s:I}", "token", (json_int_t)t.id, "label",
					   t.label, "expires", (json_int_t)t.expires));
	rc = end(c, own, rc);
	sec_wipe(hash, sizeof(hash));
	if (rc)
		sec_wipe(secret, SEC_TOKEN_MAX);
	else if (out)
		*out = t;
	return rc;
}

/* Path segments that are not API roots. */
static bool reserved_root(const char *name)
{
	static const char *const reserved[] = {"taxii2", "healthz", "metrics",
					       "api",	 "static",  "ui"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(reserved[i], name))
			return true;
	return false;
}

err_t admin_root_add(struct app *app, struct store_conn *c, const char *name, const char *title,
		     const char *description, struct api_root *out)
{
	struct api_root r;
	if (!admin_name_valid(name) || reserved_root(name) || !title[0])
		return ERR_INVALID;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.title, sizeof(r.title), "%s", title);
	snprintf(r.description, sizeof(r.description), "%s", description ? description : "");
	bool own;
	err_t rc = begin(c, &own);
	if (!rc)
		rc = store_root_add(c, &r);
	if (!rc)
		rc = audit_write(app, c, "admin.root.add", 0, 0, r.name,
				 json_pack("{s:s}", "title", r.title));
	rc = end(c, own, rc);
	if (!rc && out)
		*out = r;
	return rc;
}

err_t admin_collection_add(struct app *app, struct store_conn *c, const char *root_name,
			   const char *title, const char *description, const char *alias,
			   struct collection *out)
{
	struct api_root r;
	struct collection col;
	err_t rc;

	if (!title[0] || (alias && alias[0] && !admin_name_valid(alias)))
		return ERR_INVALID;
	rc = store_root_find(c, root_name, &r);
	if (rc)
		return rc;
	memset(&col, 0, sizeof(col));
	col.root_id = r.id;
	sec_uuid4(col.uuid);
	snprintf(col.title, sizeof(col.title), "%s", title);
	snprintf(col.description, sizeof(col.description), "%s", description ? description : "");
	snprintf(col.alias, sizeof(col.alias), "%s", alias ? alias : "");
	bool own;
	rc = begin(c, &own);
	if (!rc)
		rc = store_collection_add(c, &col);
	if (!rc)
		rc = audit_write(app, c, "admin.collection.add", 0, 0, col.uuid,
				 json_pack("{s:s, s:s, s:s}", "api_root", r.name, "title",
					   col.title, "alias", col.alias));
	rc = end(c, own, rc);
	if (!rc && out)
		*out = col;
	return rc;
}

err_t admin_grant(struct app *app, struct store_conn *c, const char *root_name,
		  const char *collection, const char *org_name, bool can_read, bool can_write)
{
	struct api_root r;
	struct collection col;
	struct org o;
	err_t rc = store_root_find(c, root_name, &r);
	if (!rc)
		rc = store_collection_find(c, r.id, collection, &col);
	if (!rc)
		rc = store_org_find(c, org_name, &o);
	if (rc)
		return rc;
	struct grant g = {.collection_id = col.id,
			  .org_id = o.id,
			  .can_read = can_read,
			  .can_write = can_write};
	bool own;
	rc = begin(c, &own);
	if (!rc)
		rc = store_grant_set(c, &g);
	if (!rc)
		rc = audit_write(app, c, "admin.collection.grant", 0, o.id, col.uuid,
				 json_pack("{s:s, s:b, s:b}", "org", o.name, "read", can_read,
					   "write", can_write));
	return end(c, own, rc);
}

err_t admin_collection_defaults(struct app *app, struct store_conn *c, const struct collection *col,
				unsigned groups, int category)
{
	struct scope_def def = {.groups = groups};
	int64_t scope = 0;
	bool own;
	err_t rc = begin(c, &own);
	if (!rc)
		rc = store_scope_get_or_add(c, &def, &scope);
	if (!rc)
		rc = store_collection_set_defaults(c, col->id, scope, category);
	if (!rc)
		rc = audit_write(
			app, c, "admin.collection.defaults", 0, 0, col->uuid,
			json_pack("{s:i, s:i}", "groups", (int)groups, "category", category));
	return end(c, own, rc);
}

err_t admin_user_set_disabled(struct app *app, struct store_conn *c, const struct user *u,
			      bool disabled)
{
	bool own;
	err_t rc = begin(c, &own);
	if (!rc)
		rc = store_user_set_disabled(c, u->id, disabled);
	if (!rc)
		rc = audit_write(app, c, disabled ? "admin.user.disable" : "admin.user.enable", 0,
				 u->org_id, u->name, json_object());
	return end(c, own, rc);
}

err_t admin_user_set_password(struct app *app, struct store_conn *c, const struct user *u,
			      const char *password)
{
	char hash[SEC_PWHASH_MAX];
	bool own;
	err_t rc = sec_password_hash(password, hash);
	if (rc)
		return rc;
	rc = begin(c, &own);
	if (!rc)
		rc = store_user_set_password(c, u->id, hash);
	if (!rc)
		rc = audit_write(app, c, "admin.user.passwd", 0, u->org_id, u->name, json_object());
	return end(c, own, rc);
}

err_t admin_token_revoke(struct app *app, struct store_conn *c, int64_t id)
{
	bool own;
	err_t rc = begin(c, &own);
	if (!rc)
		rc = store_token_revoke(c, id);
	if (!rc)
		rc = audit_write(app, c, "admin.token.revoke", 0, 0, "",
				 json_pack("{s:I}", "token", (json_int_t)id));
	return end(c, own, rc);
}
