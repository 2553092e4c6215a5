/* cmd_user.c - 'renkei user add|list|disable|enable|passwd'. */
#include <stdio.h>
#include <string.h>

#include "../api/admin.h"
#include "../common/sec.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char user_help[] =
	"usage: renkei user add NAME --org ORG --roles ROLES [--password-stdin]\n"
	"       renkei user list\n"
	"       renkei user disable NAME | renkei user enable NAME\n"
	"       renkei user passwd NAME [--password-stdin]\n\n"
	"ROLES is a comma-separated list of reader, analyst, approver, admin, auditor.\n"
	"Without --password-stdin, a random password is made and printed once.\n"
	"Passwords are stored as argon2id hashes only.\n\n";

static err_t print_user(void *ctx, const struct user *u)
{
	struct store_conn *c = ctx;
	struct org o;
	char roles[128];
	if (store_org_get(c, u->org_id, &o))
		snprintf(o.name, sizeof(o.name), "?");
	admin_roles_format(u->roles, roles, sizeof(roles));
	printf("%-20s %-16s %-36s %-8s %s\n", u->name, o.name, roles,
	       u->disabled ? "disabled" : "active", u->identity_id);
	return ERR_OK;
}

/* The new password: from stdin, or made and returned in gen for printing. */
static bool get_password(bool from_stdin, char *pw, size_t n)
{
	if (from_stdin) {
		if (!cli_read_line(pw, n) || strlen(pw) < 8) {
			cli_error("user",
				  "read no password of at least 8 characters on standard input");
			return false;
		}
		return true;
	}
	return sec_password_new(pw, n) == ERR_OK;
}

int cmd_user(int argc, char **argv)
{
	const char *org = NULL, *roles_s = NULL;
	bool pw_stdin = false;
	struct cli_opt opts[] = {{"org", &org, NULL},
				 {"roles", &roles_s, NULL},
				 {"password-stdin", NULL, &pw_stdin},
				 {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	char pw[SEC_TOKEN_MAX], msg[200];
	unsigned roles = 0;
	err_t rc = ERR_OK;

	if (!cli_parse("user", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", user_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	bool named = !strcmp(sub, "add") || !strcmp(sub, "disable") || !strcmp(sub, "enable") ||
		     !strcmp(sub, "passwd");
	if (!named && strcmp(sub, "list")) {
		cli_error("user", "unknown subcommand '%s' (see --help)", sub);
		return EXIT_USAGE;
	}
	if (a.n_pos != (named ? 2u : 1u)) {
		cli_error("user", "wrong number of arguments (see --help)");
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "add")) {
		if (!org || !roles_s) {
			cli_error("user", "add needs --org and --roles");
			return EXIT_USAGE;
		}
		if (admin_roles_parse(roles_s, &roles, msg, sizeof(msg))) {
			cli_error("user", "%s", msg);
			return EXIT_USAGE;
		}
	}
	if ((!strcmp(sub, "add") || !strcmp(sub, "passwd")) &&
	    !get_password(pw_stdin, pw, sizeof(pw)))
		return EXIT_USAGE;
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (!strcmp(sub, "add")) {
		struct user u;
		rc = admin_user_add(&app, c, org, a.pos[1], pw, roles, NULL, &u);
		if (rc == ERR_NOTFOUND)
			cli_error("user", "no organisation named '%s'", org);
		else if (rc == ERR_EXISTS)
			cli_error("user", "a user named '%s' exists", a.pos[1]);
		else if (rc == ERR_INVALID)
			cli_error("user", "invalid user name '%s'", a.pos[1]);
		else if (rc)
			cli_error("user", "failed: %s", err_name(rc));
		else if (!pw_stdin)
			printf("user %s added; password (shown once): %s\n", u.name, pw);
		else
			printf("user %s added\n", u.name);
	} else if (!strcmp(sub, "list")) {
		rc = store_user_list(c, print_user, c);
	} else {
		struct user u;
		rc = store_user_find(c, a.pos[1], &u);
		if (rc == ERR_NOTFOUND) {
			cli_error("user", "no user named '%s'", a.pos[1]);
		} else if (!rc && !strcmp(sub, "passwd")) {
			rc = admin_user_set_password(&app, c, &u, pw);
			if (!rc)
				printf(pw_stdin ? "password of %s changed\n"
						: "new password of %s (shown once): %s\n",
				       u.name, pw);
		} else if (!rc) {
			bool dis = !strcmp(sub, "disable");
			rc = admin_user_set_disabled(&app, c, &u, dis);
			if (!rc)
				printf("user %s %s\n", u.name, dis ? "disabled" : "enabled");
		}
		if (rc && rc != ERR_NOTFOUND)
			cli_error("user", "failed: %s", err_name(rc));
	}
	sec_wipe(pw, sizeof(pw));
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
