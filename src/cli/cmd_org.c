/* cmd_org.c - 'renkei org add|list': organisations and their STIX identity. */
#include <stdio.h>
#include <string.h>

#include "../api/admin.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char org_help[] =
	"usage: renkei org add NAME --title TITLE [--identity-id identity--UUID]\n"
	"       renkei org list\n\n"
	"NAME is a short handle ([a-z0-9._-], e.g. ipa); TITLE is the display name in any\n"
	"language. 'add' makes the organisation's STIX identity (identity_class\n"
	"organization), keeping --identity-id when given, and prints its id.\n\n";

static err_t print_org(void *ctx, const struct org *o)
{
	(void)ctx;
	printf("%-16s %-46s %s\n", o->name, o->identity_id, o->title);
	return ERR_OK;
}

int cmd_org(int argc, char **argv)
{
	const char *title = NULL, *identity = NULL;
	struct cli_opt opts[] = {
		{"title", &title, NULL}, {"identity-id", &identity, NULL}, {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	err_t rc;

	if (!cli_parse("org", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", org_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (!strcmp(sub, "add")) {
		if (a.n_pos != 2 || !title) {
			cli_error("org", "usage: renkei org add NAME --title TITLE");
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "list") || a.n_pos != 1) {
		cli_error("org", "unknown subcommand or extra arguments (see --help)");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (!strcmp(sub, "add")) {
		struct org o;
		rc = admin_org_add(&app, c, a.pos[1], title, identity, &o);
		if (rc == ERR_INVALID)
			cli_error("org", "invalid name, title or identity id");
		else if (rc == ERR_EXISTS)
			cli_error("org",
				  "an organisation named '%s' (or with that identity) exists",
				  a.pos[1]);
		else if (rc)
			cli_error("org", "failed: %s", err_name(rc));
		else
			printf("%s %s\n", o.name, o.identity_id);
	} else {
		rc = store_org_list(c, print_org, NULL);
		if (rc)
			cli_error("org", "failed: %s", err_name(rc));
	}
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
