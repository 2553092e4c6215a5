/*
 * cmd_share.c - 'renkei share': share requests, their answers, direct grants
 * and revocations, and the sharing state of an object (DESIGN.md §3.4,
 * §3.5), on behalf of a named user (--as), through api/sharing.h. The rules
 * and the audit are the api's; this file builds the principal, names the
 * object and prints the outcome.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/auth.h"
#include "../api/sharing.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char share_help[] =
	"usage: renkei share request --as USER --collection C --object STIX_ID\n"
	"                            (--to-org ORG | --to-user USER2) [--root R] [--reason TEXT]\n"
	"       renkei share list --as USER [--awaiting]\n"
	"       renkei share show ID --as USER\n"
	"       renkei share approve ID --as USER [--reason TEXT]\n"
	"       renkei share deny ID --as USER [--reason TEXT]\n"
	"       renkei share grant --as USER --collection C --object STIX_ID\n"
	"                          (--to-org ORG | --to-user USER2) [--root R] [--reason TEXT]\n"
	"       renkei share revoke --as USER --collection C --object STIX_ID\n"
	"                           (--to-org ORG | --to-user USER2) [--root R] [--reason TEXT]\n"
	"       renkei share state --as USER --collection C --object STIX_ID [--root R]\n\n"
	"Every subcommand acts as USER, with USER's organisation and roles, under the\n"
	"rules of the agreement of the API root (R may be omitted when there is one).\n"
	"A request asks that one more organisation (--to-org) or person (--to-user)\n"
	"may see an object: TLP:CLEAR, and TLP:GREEN within the community, are granted\n"
	"at once; anything else waits for an approver of the provider, and a request\n"
	"to an escalation body for an approver of every party. list shows the requests\n"
	"USER's organisation filed, or with --awaiting those awaiting its answer.\n"
	"grant and revoke are the provider's: they widen or narrow the scope of its\n"
	"own objects directly. state shows an object's provider, TLP, scope and\n"
	"grants. Add --json for JSON output.\n\n";

enum sub { S_REQUEST, S_LIST, S_SHOW, S_APPROVE, S_DENY, S_GRANT, S_REVOKE, S_STATE };

static const struct {
	const char *name;
	enum sub sub;
	bool takes_id; /* ID positional */
	bool object;   /* --collection, --object (and --root) */
	bool target;   /* --to-org or --to-user */
	bool reason;   /* --reason allowed */
} subs[] = {
	{"request", S_REQUEST, false, true, true, true},
	{"list", S_LIST, false, false, false, false},
	{"show", S_SHOW, true, false, false, false},
	{"approve", S_APPROVE, true, false, false, true},
	{"deny", S_DENY, true, false, false, true},
	{"grant", S_GRANT, false, true, true, true},
	{"revoke", S_REVOKE, false, true, true, true},
	{"state", S_STATE, false, true, false, false},
};

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The strings of array a joined by ", ", or none. */
static void print_list(json_t *a, const char *none)
{
	size_t i;
	json_t *v;
	if (!json_array_size(a)) {
		printf("%s", none);
		return;
	}
	json_array_foreach(a, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
}

/* The target of a request: a person of an organisation, or the organisation. */
static void print_target(json_t *r)
{
	if (*str(r, "target_user"))
		printf("%s (a person of %s)", str(r, "target_user"), str(r, "target_org"));
	else
		printf("%s", str(r, "target_org"));
}

/* One share request (request_json of api/sharing.c) as text. */
static void print_request(json_t *r)
{
	const char *status = str(r, "status");
	printf("share request %s: %s\n", str(r, "id"), status);
	printf("  object:     %s\n", str(r, "object"));
	printf("  target:     ");
	print_target(r);
	printf("\n  requested:  by %s (%s) at %s\n", str(r, "requester"), str(r, "requester_org"),
	       str(r, "created"));
	if (*str(r, "reason"))
		printf("  reason:     %s\n", str(r, "reason"));
	json_t *answers = json_object_get(r, "answers");
	if (!strcmp(status, "approved") && !json_array_size(answers))
		printf("  provider:   %s; granted at once, as the rules allow (no approval "
		       "needed)\n",
		       str(r, "provider_org"));
	else
		printf("  provider:   %s; needs the approval of %s\n", str(r, "provider_org"),
		       !strcmp(str(r, "need"), "all-parties") ? "every party and the provider"
							      : "the provider");
	if (!strcmp(status, "pending")) {
		printf("  awaiting:   ");
		print_list(json_object_get(r, "awaiting"), "nobody");
		printf("\n");
	}
	size_t i;
	json_t *an;
	json_array_foreach(answers, i, an)
	{
		printf("  %-11s %s by %s (%s) at %s%s%s\n", i ? "" : "answers:",
		       !strcmp(str(an, "decision"), "approve") ? "approved" : "denied",
		       str(an, "user"), str(an, "org"), str(an, "time"),
		       *str(an, "reason") ? ": " : "", str(an, "reason"));
	}
	if (*str(r, "decided"))
		printf("  decided:    %s\n", str(r, "decided"));
}

/* One line of 'share list'. */
static void print_request_line(json_t *r)
{
	const char *status = str(r, "status");
	printf("%s  %-8s %s -> ", str(r, "id"), status, str(r, "object"));
	print_target(r);
	printf("  (by %s)", str(r, "requester"));
	if (!strcmp(status, "pending")) {
		printf("  awaiting: ");
		print_list(json_object_get(r, "awaiting"), "nobody");
	}
	printf("\n");
}

static void print_state(json_t *s)
{
	json_t *scope = json_object_get(s, "scope"), *grants = json_object_get(s, "grants");
	printf("object:     %s\n", str(s, "object"));
	printf("agreement:  %s\n", str(s, "agreement"));
	printf("provider:   %s\n", str(s, "provider"));
	printf("tlp:        %s\n", str(s, "tlp"));
	printf("category:   %s\n", *str(s, "category") ? str(s, "category") : "none");
	printf("scope:      groups: ");
	print_list(json_object_get(scope, "groups"), "none");
	printf("; organisations: ");
	print_list(json_object_get(scope, "orgs"), "none");
	printf("; people: ");
	print_list(json_object_get(scope, "users"), "none");
	printf("\ngrants:     organisations: ");
	print_list(json_object_get(grants, "orgs"), "none");
	printf("; people: ");
	print_list(json_object_get(grants, "users"), "none");
	printf("\n");
}

/* The principal of user name: the user and its organisation. A disabled
 * user acts no more, on the command line as over HTTP. */
static err_t principal_of(struct store_conn *c, const char *name, struct principal *who)
{
	err_t rc = store_user_find(c, name, &who->user);
	if (rc == ERR_NOTFOUND) {
		cli_error("share", "no user named '%s'", name);
		return rc;
	}
	if (!rc && who->user.disabled) {
		cli_error("share", "user %s is disabled", who->user.name);
		return ERR_FORBIDDEN;
	}
	if (!rc)
		rc = store_org_get(c, who->user.org_id, &who->org);
	if (rc)
		cli_error("share", "user %s: %s", name, err_name(rc));
	return rc;
}

struct share_opts {
	const char *as, *collection, *object, *to_org, *to_user, *root, *reason;
	bool awaiting, json;
};

static err_t run(struct app *app, struct store_conn *c, enum sub sub, const char *id,
		 const struct share_opts *o)
{
	struct principal who;
	struct api_root root;
	struct object_ref obj = {NULL, o->collection, o->object};
	struct target_ref target = {o->to_org, o->to_user};
	char msg[SHARING_MSG_MAX] = "";
	json_t *res = NULL;
	err_t rc = principal_of(c, o->as, &who);

	if (rc)
		return rc;
	if (o->collection) {
		rc = cli_find_root("share", c, o->root, &root);
		if (rc)
			return rc;
		obj.root = root.name;
	}
	switch (sub) {
	case S_REQUEST:
		rc = sharing_request(app, c, &who, &obj, &target, o->reason, &res, msg);
		break;
	case S_LIST: rc = sharing_list(app, c, &who, o->awaiting, &res); break;
	case S_SHOW:
		rc = sharing_get(app, c, &who, id, &res);
		if (rc == ERR_NOTFOUND)
			snprintf(msg, sizeof(msg), "no share request %.60s for %.60s", id,
				 who.user.name);
		break;
	case S_APPROVE:
	case S_DENY:
		rc = sharing_answer(app, c, &who, id, sub == S_APPROVE, o->reason, &res, msg);
		break;
	case S_GRANT:
		rc = sharing_grant(app, c, &who, &obj, &target, o->reason, &res, msg);
		/* The api names the organisation only; say who, for a person. */
		if (!rc && res && o->to_user)
			json_object_set_new(res, "target_user", json_string(o->to_user));
		break;
	case S_REVOKE:
		rc = sharing_revoke(app, c, &who, &obj, &target, o->reason, msg);
		if (!rc)
			res = json_pack("{s:s, s:s, s:s*, s:s*}", "status", "revoked", "object",
					o->object, "target_org", o->to_org, "target_user",
					o->to_user);
		break;
	case S_STATE: rc = sharing_object_state(app, c, &who, &obj, &res, msg); break;
	}
	if (!rc && !res)
		rc = ERR_NOMEM;
	if (rc) {
		cli_error("share", "%s", msg[0] ? msg : err_name(rc));
		goto out;
	}
	if (o->json) {
		print_json(res);
		goto out;
	}
	switch (sub) {
	case S_REQUEST:
		if (!strcmp(str(res, "status"), "already-visible"))
			printf("nothing to do: %s\n", str(res, "message"));
		else
			print_request(res);
		break;
	case S_LIST: {
		size_t i;
		json_t *r;
		json_array_foreach(res, i, r) print_request_line(r);
		if (!json_array_size(res))
			printf(o->awaiting ? "no share request awaits an answer of %s\n"
					   : "%s has filed no share requests\n",
			       who.org.name);
		break;
	}
	case S_SHOW:
	case S_APPROVE:
	case S_DENY: print_request(res); break;
	case S_GRANT:
		printf("granted: %s may see %s%s\n",
		       o->to_user ? o->to_user : str(res, "target_org"), str(res, "object"),
		       json_is_true(json_object_get(res, "was_visible")) ? " (it could already)"
									 : "");
		break;
	case S_REVOKE:
		printf("revoked: the grant of %s on %s; future reads stop, past ones stay\n",
		       o->to_user ? o->to_user : o->to_org, o->object);
		break;
	case S_STATE: print_state(res); break;
	}
out:
	json_decref(res);
	return rc;
}

/* A --reason as the store keeps it: UTF-8 (it goes into JSON and the audit
 * chain) and short enough not to be cut. */
static bool reason_ok(const char *reason)
{
	json_t *s = reason ? json_string(reason) : NULL;
	json_decref(s);
	if (reason && (!s || strlen(reason) >= STORE_TITLE_MAX)) {
		cli_error("share", "--reason: at most %d bytes of UTF-8 text", STORE_TITLE_MAX - 1);
		return false;
	}
	return true;
}

int cmd_share(int argc, char **argv)
{
	struct share_opts o = {0};
	struct cli_opt opts[] = {{"as", &o.as, NULL},		{"collection", &o.collection, NULL},
				 {"object", &o.object, NULL},	{"to-org", &o.to_org, NULL},
				 {"to-user", &o.to_user, NULL}, {"root", &o.root, NULL},
				 {"reason", &o.reason, NULL},	{"awaiting", NULL, &o.awaiting},
				 {"json", NULL, &o.json},	{NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	size_t k, n = sizeof(subs) / sizeof(subs[0]);

	if (!cli_parse("share", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", share_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	for (k = 0; k < n && strcmp(subs[k].name, a.pos[0]); k++)
		;
	if (k == n) {
		cli_error("share", "unknown subcommand '%s' (see --help)", a.pos[0]);
		return EXIT_USAGE;
	}
	if (a.n_pos != (subs[k].takes_id ? 2u : 1u)) {
		cli_error("share",
			  subs[k].takes_id ? "%s needs one request ID (see --help)"
					   : "%s takes no arguments (see --help)",
			  subs[k].name);
		return EXIT_USAGE;
	}
	if (!o.as) {
		cli_error("share", "%s needs --as USER: the user on whose behalf it acts",
			  subs[k].name);
		return EXIT_USAGE;
	}
	if (subs[k].object && (!o.collection || !o.object)) {
		cli_error("share", "%s needs --collection C and --object STIX_ID", subs[k].name);
		return EXIT_USAGE;
	}
	if (!subs[k].object && (o.collection || o.object || o.root)) {
		cli_error("share", "%s takes no --collection, --object or --root", subs[k].name);
		return EXIT_USAGE;
	}
	if (subs[k].target && !o.to_org == !o.to_user) {
		cli_error("share", "%s needs one target: --to-org ORG or --to-user USER",
			  subs[k].name);
		return EXIT_USAGE;
	}
	if (!subs[k].target && (o.to_org || o.to_user)) {
		cli_error("share", "%s takes no --to-org or --to-user", subs[k].name);
		return EXIT_USAGE;
	}
	if ((!subs[k].reason && o.reason) || (o.awaiting && subs[k].sub != S_LIST)) {
		cli_error("share", "%s takes no --%s", subs[k].name,
			  o.reason ? "reason" : "awaiting");
		return EXIT_USAGE;
	}
	if (!reason_ok(o.reason))
		return EXIT_USAGE;
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	err_t rc = run(&app, c, subs[k].sub, subs[k].takes_id ? a.pos[1] : NULL, &o);
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
