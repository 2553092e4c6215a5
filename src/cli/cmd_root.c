/* cmd_root.c - 'renkei root add|list': TAXII API roots. */
#include <stdio.h>
#include <string.h>

#include "../api/admin.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char root_help[] =
	"usage: renkei root add NAME --title TITLE [--description TEXT]\n"
	"       renkei root list\n\n"
	"An API root is served at /NAME/ and listed by discovery (/taxii2/). It is the\n"
	"unit of trust separation: one API root per agreement.\n\n";

static err_t print_root(void *ctx, const struct api_root *r)
{
	(void)ctx;
	printf("/%s/\t%s\n", r->name, r->title);
	return ERR_OK;
}

int cmd_root(int argc, char **argv)
{
	const char *title = NULL, *desc = NULL;
	struct cli_opt opts[] = {
		{"title", &title, NULL}, {"description", &desc, NULL}, {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	err_t rc;

	if (!cli_parse("root", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", root_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	bool add = !strcmp(a.pos[0], "add");
	if ((add && (a.n_pos != 2 || !title)) ||
	    (!add && (strcmp(a.pos[0], "list") || a.n_pos != 1))) {
		cli_error("root", "usage: renkei root add NAME --title TITLE | renkei root list");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (add) {
		rc = admin_root_add(&app, c, a.pos[1], title, desc, NULL);
		if (rc == ERR_INVALID)
			cli_error("root",
				  "invalid or reserved name '%s' ([a-z0-9._-]; not taxii2, "
				  "healthz, metrics, api)",
				  a.pos[1]);
		else if (rc == ERR_EXISTS)
			cli_error("root", "an API root named '%s' exists", a.pos[1]);
		else if (rc)
			cli_error("root", "failed: %s", err_name(rc));
		else
			printf("API root /%s/ added\n", a.pos[1]);
	} else {
		rc = store_root_list(c, print_root, NULL);
	}
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
