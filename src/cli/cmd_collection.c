/* cmd_collection.c - 'renkei collection add|list|grant'. */
#include <stdio.h>
#include <string.h>

#include "../api/admin.h"
#include "../policy/policy.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char collection_help[] =
	"usage: renkei collection add --title TITLE [--alias ALIAS] [--description TEXT] [--root "
	"NAME]\n"
	"                             [--default-scope GROUPS] [--default-category KEY]\n"
	"       renkei collection list [--root NAME]\n"
	"       renkei collection grant COLLECTION --org ORG [--read] [--write] [--root NAME]\n\n"
	"COLLECTION is a collection's UUID or alias. 'grant' sets the organisation's rights\n"
	"to exactly those given: without --read and --write it takes them away.\n"
	"--root may be left out when the hub has one API root.\n\n"
	"Under an agreement, objects without a sharing scope or a category take the\n"
	"collection's defaults: --default-scope is a comma-separated list of the groups\n"
	"parties and community (default: parties, the narrowest), --default-category one\n"
	"of the five categories of Art. 2.2 (default: threat-intelligence, which every\n"
	"member may originate). Collections described in the agreement file get theirs\n"
	"from it.\n\n";

static err_t print_collection(void *ctx, const struct collection *col)
{
	(void)ctx;
	printf("%s  %-16s %s\n", col->uuid, col->alias[0] ? col->alias : "-", col->title);
	return ERR_OK;
}

int cmd_collection(int argc, char **argv)
{
	const char *title = NULL, *alias = NULL, *desc = NULL, *root = NULL, *org = NULL;
	bool rd = false, wr = false;
	const char *dscope = "parties", *dcat = "threat-intelligence";
	struct cli_opt opts[] = {{"title", &title, NULL},
				 {"alias", &alias, NULL},
				 {"description", &desc, NULL},
				 {"root", &root, NULL},
				 {"org", &org, NULL},
				 {"read", NULL, &rd},
				 {"write", NULL, &wr},
				 {"default-scope", &dscope, NULL},
				 {"default-category", &dcat, NULL},
				 {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	struct api_root r;
	err_t rc;

	if (!cli_parse("collection", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", collection_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (!strcmp(sub, "add")) {
		if (a.n_pos != 1 || !title) {
			cli_error("collection",
				  "usage: renkei collection add --title TITLE [--alias ALIAS]");
			return EXIT_USAGE;
		}
	} else if (!strcmp(sub, "grant")) {
		if (a.n_pos != 2 || !org) {
			cli_error("collection", "usage: renkei collection grant COLLECTION --org "
						"ORG [--read] [--write]");
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "list") || a.n_pos != 1) {
		cli_error("collection", "unknown subcommand or extra arguments (see --help)");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	rc = cli_find_root("collection", c, root, &r);
	if (rc)
		goto out;
	if (!strcmp(sub, "add")) {
		struct collection col;
		unsigned groups = 0;
		enum category cat = policy_category_parse(dcat);
		for (const char *p = dscope; *p;) {
			size_t len = strcspn(p, ",");
			if (len == 7 && !strncmp(p, "parties", 7))
				groups |= GROUP_PARTIES;
			else if (len == 9 && !strncmp(p, "community", 9))
				groups |= GROUP_COMMUNITY;
			else
				groups = ~0u;
			p += len + (p[len] == ',');
		}
		if (groups == 0 || groups > (GROUP_PARTIES | GROUP_COMMUNITY) || cat == CAT_NONE) {
			cli_error("collection", "--default-scope takes parties,community; "
						"--default-category one of the five categories");
			rc = ERR_INVALID;
			goto out;
		}
		rc = admin_collection_add(&app, c, r.name, title, desc, alias, &col);
		if (!rc)
			rc = admin_collection_defaults(&app, c, &col, groups, cat);
		if (rc == ERR_EXISTS)
			cli_error("collection", "the alias '%s' is taken in /%s/", alias, r.name);
		else if (rc == ERR_INVALID)
			cli_error("collection", "invalid title or alias");
		else if (rc)
			cli_error("collection", "failed: %s", err_name(rc));
		else
			printf("%s\n", col.uuid);
	} else if (!strcmp(sub, "grant")) {
		rc = admin_grant(&app, c, r.name, a.pos[1], org, rd, wr);
		if (rc == ERR_NOTFOUND)
			cli_error("collection",
				  "no collection '%s' in /%s/, or no organisation '%s'", a.pos[1],
				  r.name, org);
		else if (rc)
			cli_error("collection", "failed: %s", err_name(rc));
		else
			printf("%s may %s collection %s\n", org,
			       rd && wr ? "read and write"
			       : rd	? "read"
			       : wr	? "write"
					: "no longer use",
			       a.pos[1]);
	} else {
		rc = store_collection_list(c, r.id, print_collection, NULL);
	}
out:
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
