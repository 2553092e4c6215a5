/*
 * cmd_export.c - 'renkei export': a collection as a STIX 2.1 bundle, every
 * object as the exact bytes it was received in, in the order added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/agreements.h"
#include "../api/auth.h"
#include "../api/ingest.h"
#include "../common/sec.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char export_help[] =
	"usage: renkei export --collection COLLECTION --as USER [--root NAME] [--output FILE]\n"
	"                     [--latest]\n\n"
	"Writes the collection as a STIX 2.1 bundle to FILE (default standard output):\n"
	"every version of every object, or with --latest only the latest version of each,\n"
	"as USER may see them under the API root's agreement (DESIGN.md §3.1: the export\n"
	"is one more way out of the hub). The export is audited as a disclosure to USER.\n"
	"--as may be left out only for an API root without an agreement.\n\n";

#define EXPORT_PAGE 1000

struct export_ctx {
	FILE *out;
	size_t n;
	int64_t last_date, last_seq;
	json_t *disclosed;
};

static err_t write_row(void *ctx, const struct obj_row *row)
{
	struct export_ctx *x = ctx;
	if ((x->n && fputc(',', x->out) == EOF) || fputc('\n', x->out) == EOF ||
	    fwrite(row->body, 1, row->body_len, x->out) != row->body_len)
		return ERR_IO;
	char ver[TS_BUFSZ];
	ingest_format_version(row->version, ver);
	if (json_array_append_new(x->disclosed, json_pack("[s, s]", row->stix_id, ver)))
		return ERR_NOMEM;
	x->n++;
	x->last_date = row->date_added;
	x->last_seq = row->seq;
	return ERR_OK;
}

int cmd_export(int argc, char **argv)
{
	const char *coll = NULL, *root = NULL, *output = NULL, *as = NULL;
	bool latest = false;
	struct cli_opt opts[] = {{"collection", &coll, NULL}, {"root", &root, NULL},
				 {"output", &output, NULL},   {"as", &as, NULL},
				 {"latest", NULL, &latest},   {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	struct api_root r;
	struct collection col;
	struct export_ctx x = {0};
	char uuid[SEC_UUID_LEN + 1];
	err_t rc;

	if (!cli_parse("export", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help) {
		printf("%s%s", export_help, cli_common_help);
		return EXIT_OK;
	}
	if (a.n_pos || !coll) {
		cli_error("export", "usage: renkei export --collection COLLECTION [--output FILE]");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	rc = cli_find_root("export", c, root, &r);
	if (rc)
		goto out;
	rc = store_collection_find(c, r.id, coll, &col);
	if (rc) {
		cli_error("export", "no collection '%s' in /%s/", coll, r.name);
		goto out;
	}
	struct rules *rules = malloc(sizeof(*rules));
	struct principal who;
	memset(&who, 0, sizeof(who));
	rc = rules ? agreements_rules(&app, c, r.id, rules) : ERR_NOMEM;
	if (!rc && as) {
		rc = store_user_find(c, as, &who.user);
		if (!rc)
			rc = store_org_get(c, who.user.org_id, &who.org);
		if (rc == ERR_NOTFOUND)
			cli_error("export", "no user named '%s'", as);
	} else if (!rc && rules->present) {
		cli_error("export",
			  "/%s/ is under agreement %s: name the user the export is for "
			  "with --as USER",
			  r.name, rules->key);
		rc = ERR_INVALID;
	}
	struct obj_visibility vis = {.mode = VIS_ALL};
	if (!rc && as)
		agreements_visibility(rules, who.org.id, who.user.id, term_day_of(app_now(&app)),
				      &vis);
	free(rules);
	if (rc)
		goto out;
	x.disclosed = json_array();
	x.out = output ? fopen(output, "w") : stdout;
	if (!x.out) {
		cli_error("export", "cannot write %s", output);
		rc = ERR_IO;
		goto out;
	}
	sec_uuid4(uuid);
	fprintf(x.out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
	struct obj_query q = {
		.vis = vis,
		.collection_id = col.id,
		.version_mode = latest ? VERSION_LAST : VERSION_ALL,
		.limit = EXPORT_PAGE,
		.want_body = true,
	};
	bool more = true;
	while (more && !rc) {
		rc = store_object_query(c, &q, write_row, &x, &more);
		q.has_cursor = true;
		q.cursor_date = x.last_date;
		q.cursor_seq = x.last_seq;
	}
	if (!rc && fputs("\n]}\n", x.out) == EOF)
		rc = ERR_IO;
	if (x.out != stdout && fclose(x.out) && !rc)
		rc = ERR_IO;
	if (!rc)
		rc = audit_event(
			&app, c, "disclosure", who.user.id, who.org.id, col.uuid,
			json_pack("{s:s, s:O}", "route", "export", "versions", x.disclosed));
	if (rc)
		cli_error("export", "failed: %s", err_name(rc));
	else if (output)
		fprintf(stderr, "exported %zu objects to %s\n", x.n, output);
out:
	json_decref(x.disclosed);
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
