/*
 * cmd_export.c - 'renkei export': a collection as a STIX 2.1 bundle, every
 * object as the exact bytes it was received in, in the order added.
 */
#include <stdio.h>
#include <string.h>

#include "../common/sec.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char export_help[] =
	"usage: renkei export --collection COLLECTION [--root NAME] [--output FILE] [--latest]\n\n"
	"Writes the collection as a STIX 2.1 bundle to FILE (default standard output):\n"
	"every version of every object, or with --latest only the latest version of each.\n\n";

#define EXPORT_PAGE 1000

struct export_ctx {
	FILE *out;
	size_t n;
	int64_t last_date, last_seq;
};

static err_t write_row(void *ctx, const struct obj_row *row)
{
	struct export_ctx *x = ctx;
	if ((x->n && fputc(',', x->out) == EOF) || fputc('\n', x->out) == EOF ||
	    fwrite(row->body, 1, row->body_len, x->out) != row->body_len)
		return ERR_IO;
	x->n++;
	x->last_date = row->date_added;
	x->last_seq = row->seq;
	return ERR_OK;
}

int cmd_export(int argc, char **argv)
{
	const char *coll = NULL, *root = NULL, *output = NULL;
	bool latest = false;
	struct cli_opt opts[] = {{"collection", &coll, NULL},
				 {"root", &root, NULL},
				 {"output", &output, NULL},
				 {"latest", NULL, &latest},
				 {NULL, NULL, NULL}};
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
	x.out = output ? fopen(output, "w") : stdout;
	if (!x.out) {
		cli_error("export", "cannot write %s", output);
		rc = ERR_IO;
		goto out;
	}
	sec_uuid4(uuid);
	fprintf(x.out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", uuid);
	struct obj_query q = {
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
	if (rc)
		cli_error("export", "failed: %s", err_name(rc));
	else if (output)
		fprintf(stderr, "exported %zu objects to %s\n", x.n, output);
out:
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
