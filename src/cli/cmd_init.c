/*
 * cmd_init.c - 'renkei init': create a hub's data directory and database,
 * and with --demo FILE load a demo hub described by a JSON file
 * (examples/demo/demo.json): an API root, organisations with their STIX
 * identities, one user each (password and token printed once, and kept in
 * DIR/demo-credentials.txt, mode 0600), collections with their grants, and
 * STIX objects imported through the same validation as TAXII POST.
 * Running it again changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/admin.h"
#include "../api/agreements.h"
#include "../api/ingest.h"
#include "../common/buf.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char init_help[] =
	"usage: renkei init [--data DIR] [--demo FILE]\n\n"
	"Creates DIR (default ./data) and the hub's database in it, or upgrades an\n"
	"existing database's schema. With --demo FILE (e.g. examples/demo/demo.json),\n"
	"also loads the demo hub it describes, printing each demo user's password and\n"
	"API token once and writing them to DIR/demo-credentials.txt (mode 0600).\n"
	"Running it again on an initialised hub changes nothing.\n\n";

/* mkdir -p */
static bool make_dirs(const char *path)
{
	char tmp[CONFIG_PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return false;
		*p = '/';
	}
	return !mkdir(tmp, 0700) || errno == EEXIST;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int load_demo(struct app *app, struct store_conn *c, const char *file)
{
	json_error_t jerr;
	json_t *demo = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	char dir[CONFIG_PATH_MAX], cred_path[CONFIG_PATH_MAX + 32];
	struct buf creds;
	int code = EXIT_FAIL;
	err_t rc;

	if (!demo) {
		cli_error("init", "%s:%d: %s", file, jerr.line, jerr.text);
		return EXIT_USAGE;
	}
	snprintf(dir, sizeof(dir), "%s", file);
	char *base = dirname(dir);

	/* The agreement file sits beside the demo file (its "agreement" member). */
	char ag_path[2 * CONFIG_PATH_MAX];
	struct buf ag;
	struct agreement_row r;
	snprintf(ag_path, sizeof(ag_path), "%s/%s", base, str(demo, "agreement"));
	buf_init(&ag, 1 << 20);
	if (buf_read_file(&ag, ag_path)) {
		cli_error("init", "%s: cannot read the agreement", ag_path);
		buf_release(&ag);
		json_decref(demo);
		return EXIT_FAIL;
	}
	json_t *agj = json_loadb(buf_cstr(&ag), ag.len, 0, NULL);
	const char *key = str(agj, "key");
	if (store_agreement_get(c, key, 0, &r, NULL) == ERR_OK) {
		printf("The demo hub is already initialised; nothing changed.\n"
		       "Its credentials are in %s/demo-credentials.txt.\n",
		       app->cfg.data_dir);
		json_decref(agj);
		buf_release(&ag);
		json_decref(demo);
		return EXIT_OK;
	}
	json_decref(agj);
	buf_init(&creds, 1 << 20);
	rc = store_tx_begin(c);

	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(demo, "organisations"), i, v)
	{
		if (rc)
			break;
		rc = admin_org_add(app, c, str(v, "name"), str(v, "title"), str(v, "identity_id"),
				   NULL);
		if (rc)
			cli_error("init", "organisation %s: %s", str(v, "name"), err_name(rc));
	}
	buf_addf(&creds, "%-18s %-12s %-26s %s\n", "user", "org", "password", "API token");
	json_array_foreach(json_object_get(demo, "users"), i, v)
	{
		char pw[SEC_TOKEN_MAX], tok[SEC_TOKEN_MAX], msg[200];
		unsigned roles = 0;
		if (rc)
			break;
		rc = admin_roles_parse(str(v, "roles"), &roles, msg, sizeof(msg));
		if (!rc)
			rc = admin_user_add(app, c, str(v, "org"), str(v, "name"), NULL, roles, pw,
					    NULL);
		if (!rc)
			rc = admin_token_create(app, c, str(v, "name"), "demo", 0, tok, NULL);
		if (rc) {
			cli_error("init", "user %s: %s", str(v, "name"), err_name(rc));
			break;
		}
		buf_addf(&creds, "%-18s %-12s %-26s %s\n", str(v, "name"), str(v, "org"), pw, tok);
		sec_wipe(pw, sizeof(pw));
		sec_wipe(tok, sizeof(tok));
	}
	rc = store_tx_end(c, rc);
	if (rc) {
		cli_error("init", "loading the demo failed (%s); nothing was kept", err_name(rc));
		goto out;
	}
	char msg[512];
	rc = agreements_load(app, c, buf_cstr(&ag), ag.len, 0, 0, msg, sizeof(msg), &r);
	if (rc) {
		cli_error("init", "%s: %s", ag_path, msg[0] ? msg : err_name(rc));
		goto out;
	}

	/* The objects go in through ingest, exactly as a TAXII POST would. */
	json_array_foreach(json_object_get(demo, "objects"), i, v)
	{
		char path[2 * CONFIG_PATH_MAX];
		struct org o;
		struct collection col;
		json_t *status = NULL;
		struct buf body;
		snprintf(path, sizeof(path), "%s/%s", base, str(v, "file"));
		buf_init(&body, app->cfg.max_content_length);
		if (buf_read_file(&body, path)) {
			cli_error("init", "%s: cannot read, or too large", path);
			buf_release(&body);
			goto out;
		}
		rc = store_org_find(c, str(v, "org"), &o);
		if (!rc)
			rc = store_collection_find(c, r.root_id, str(v, "collection"), &col);
		struct ingest_who who = {
			.org_id = o.id, .org_identity = o.identity_id, .root_id = r.root_id};
		if (!rc)
			rc = ingest_envelope(app, c, &who, &col, buf_cstr(&body), body.len, &status,
					     msg, sizeof(msg));
		buf_release(&body);
		if (rc) {
			cli_error("init", "%s: %s", path,
				  rc == ERR_UNPROCESSABLE ? msg : err_name(rc));
			goto out;
		}
		json_int_t bad = json_integer_value(json_object_get(status, "failure_count"));
		if (bad) {
			char *s = json_dumps(json_object_get(status, "failures"), JSON_INDENT(2));
			cli_error("init", "%s: %lld objects refused: %s", path, (long long)bad,
				  s ? s : "");
			free(s);
			json_decref(status);
			goto out;
		}
		json_decref(status);
	}

	snprintf(cred_path, sizeof(cred_path), "%s/demo-credentials.txt", app->cfg.data_dir);
	FILE *f = NULL;
	int fd = open(cred_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		f = fdopen(fd, "w");
	if (!f || fputs(buf_cstr(&creds), f) == EOF || fclose(f)) {
		cli_error("init", "cannot write %s", cred_path);
		goto out;
	}
	printf("Demo hub initialised in %s: agreement %s, %zu organisations, %zu users.\n\n"
	       "Demo credentials (shown once; also in %s, mode 0600):\n\n%s\n",
	       app->cfg.data_dir, r.key, json_array_size(json_object_get(demo, "organisations")),
	       json_array_size(json_object_get(demo, "users")), cred_path, buf_cstr(&creds));
	code = EXIT_OK;
out:
	sec_wipe(creds.data, creds.cap);
	buf_release(&creds);
	buf_release(&ag);
	json_decref(demo);
	return code;
}

int cmd_init(int argc, char **argv)
{
	const char *demo = NULL;
	struct cli_opt opts[] = {{"demo", &demo, NULL}, {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;

	if (!cli_parse("init", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help) {
		printf("%s%s", init_help, cli_common_help);
		return EXIT_OK;
	}
	if (a.n_pos) {
		cli_error("init", "takes no arguments (see --help)");
		return EXIT_USAGE;
	}
	if (!make_dirs(a.cfg.data_dir)) {
		cli_error("init", "cannot create %s: %s", a.cfg.data_dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (!cli_open(&a, true, &app))
		return EXIT_FAIL;
	int code = EXIT_OK;
	if (demo) {
		store_conn_get(app.store, &c);
		code = load_demo(&app, c, demo);
		store_conn_put(app.store, c);
	} else {
		char shown[CONFIG_PATH_MAX];
		store_dsn_public(app.cfg.database, shown, sizeof(shown));
		printf("Hub initialised: %s\n", shown);
	}
	app_close(&app);
	return code;
}
