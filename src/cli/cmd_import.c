/*
 * cmd_import.c - 'renkei import FILE': a STIX bundle or TAXII envelope into a
 * collection, on behalf of an organisation, through the same validation and
 * the same rules as a TAXII POST (api/ingest.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../api/ingest.h"
#include "../common/buf.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char import_help[] =
	"usage: renkei import FILE --collection COLLECTION --org ORG [--root NAME]\n"
	"                     [--one-date-added]\n\n"
	"Imports FILE (a STIX 2.1 bundle or a TAXII 2.1 envelope; '-' reads standard\n"
	"input) into COLLECTION (UUID or alias) as provided by organisation ORG, with\n"
	"the validation and rules of a TAXII POST. Prints the status resource (JSON).\n"
	"Exits 0 when every object was stored, 1 when some were refused.\n\n"
	"Each object gets its own date_added, one microsecond apart, as with a POST.\n"
	"--one-date-added gives them all the same one instead (a snapshot taken at one\n"
	"instant); TAXII clients then page through it with 'next' (not added_after).\n\n";

int cmd_import(int argc, char **argv)
{
	const char *coll = NULL, *org_name = NULL, *root = NULL;
	bool one_date = false;
	struct cli_opt opts[] = {{"collection", &coll, NULL},
				 {"org", &org_name, NULL},
				 {"root", &root, NULL},
				 {"one-date-added", NULL, &one_date},
				 {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	struct api_root r;
	struct collection col;
	struct org o;
	struct buf body;
	json_t *status = NULL;
	char msg[512];
	err_t rc;

	if (!cli_parse("import", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help) {
		printf("%s%s", import_help, cli_common_help);
		return EXIT_OK;
	}
	if (a.n_pos != 1 || !coll || !org_name) {
		cli_error("import", "usage: renkei import FILE --collection COLLECTION --org ORG");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	buf_init(&body, app.cfg.max_content_length);
	store_conn_get(app.store, &c);
	rc = cli_find_root("import", c, root, &r);
	if (rc)
		goto out;
	rc = store_collection_find(c, r.id, coll, &col);
	if (rc) {
		cli_error("import", "no collection '%s' in /%s/", coll, r.name);
		goto out;
	}
	rc = store_org_find(c, org_name, &o);
	if (rc) {
		cli_error("import", "no organisation '%s'", org_name);
		goto out;
	}
	rc = buf_read_file(&body, a.pos[0]);
	if (rc) {
		cli_error("import", "%s: %s", a.pos[0],
			  rc == ERR_TOOBIG ? "larger than max_content_length" : "cannot read");
		goto out;
	}
	struct ingest_who who = {.org_id = o.id,
				 .org_identity = o.identity_id,
				 .root_id = r.id,
				 .one_date_added = one_date};
	rc = ingest_envelope(&app, c, &who, &col, buf_cstr(&body), body.len, &status, msg,
			     sizeof(msg));
	if (rc) {
		cli_error("import", "%s: %s", a.pos[0],
			  rc == ERR_UNPROCESSABLE ? msg
			  : rc == ERR_TOOBIG	  ? "too many objects"
						  : err_name(rc));
		if (rc == ERR_UNPROCESSABLE)
			rc = ERR_INVALID;
		goto out;
	}
	char *s = json_dumps(status, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
	if (json_integer_value(json_object_get(status, "failure_count")))
		rc = ERR_UNPROCESSABLE;
out:
	json_decref(status);
	buf_release(&body);
	store_conn_put(app.store, c);
	app_close(&app);
	return rc == ERR_INVALID ? EXIT_FAIL : cli_exit_code(rc);
}
