/*
 * cmd_agreement.c - 'renkei agreement load|list|show|status|object': the
 * agreements of the hub (DESIGN.md §3.7), through api/agreements.h. The
 * command line is the operator: loads are audited with actor 0, objections
 * on behalf of a named administrator of a party.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/agreements.h"
#include "../common/buf.h"
#include "../common/timeutil.h"
#include "../policy/term.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

/* An agreement definition is a short document; anything larger is a mistake. */
#define AGREEMENT_FILE_MAX ((size_t)1 << 20)

static const char agreement_help[] =
	"usage: renkei agreement load FILE\n"
	"       renkei agreement list [--json]\n"
	"       renkei agreement show KEY [--date YYYY-MM-DD] [--json]\n"
	"       renkei agreement status [KEY] [--date YYYY-MM-DD] [--json]\n"
	"       renkei agreement object KEY --as USER [--reason TEXT] [--json]\n\n"
	"load reads an agreement definition (e.g. examples/agreement-2024-12-27.json;\n"
	"'-' reads standard input) and creates or updates its API root, collections,\n"
	"default scopes and grants. Every organisation it names must exist.\n\n"
	"status reports the agreement's term (Art. 4): the current term, its end, the\n"
	"objection deadline, the days left and the objections on file, on --date or\n"
	"today (Japan time). KEY may be omitted when the hub has one agreement.\n\n"
	"object files an objection to the renewal on behalf of USER, an administrator\n"
	"of a party: filed on or before the deadline, the agreement ends at the end of\n"
	"the current term; filed later, at the end of the next one.\n\n";

struct root_name {
	int64_t id;
	char name[STORE_NAME_MAX];
};

static err_t match_root(void *ctx, const struct api_root *r)
{
	struct root_name *rn = ctx;
	if (r->id == rn->id)
		snprintf(rn->name, sizeof(rn->name), "%s", r->name);
	return ERR_OK;
}

/* The name of API root id into rn->name ("?" when it has gone). The store
 * has no lookup by id; a hub has a handful of roots. */
static void root_name_of(struct store_conn *c, int64_t id, struct root_name *rn)
{
	rn->id = id;
	snprintf(rn->name, sizeof(rn->name), "?");
	store_root_list(c, match_root, rn);
}

static json_t *row_json(struct store_conn *c, const struct agreement_row *a)
{
	struct root_name rn;
	char loaded[TS_BUFSZ];
	root_name_of(c, a->root_id, &rn);
	ts_format(a->loaded, loaded);
	return json_pack("{s:s, s:s, s:I, s:s}", "key", a->key, "api_root", rn.name, "generation",
			 (json_int_t)a->generation, "loaded", loaded);
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
}

/* A --reason as the store keeps it: UTF-8 (it goes into JSON and the audit
 * chain) and short enough not to be cut. */
static bool reason_ok(const char *reason)
{
	json_t *s = reason ? json_string(reason) : NULL;
	json_decref(s);
	if (reason && (!s || strlen(reason) >= STORE_TITLE_MAX)) {
		cli_error("agreement", "--reason: at most %d bytes of UTF-8 text",
			  STORE_TITLE_MAX - 1);
		return false;
	}
	return true;
}

/* ---- list ---- */

struct list_ctx {
	struct store_conn *c;
	bool print;
	json_t *out; /* with --json */
	size_t n;
	struct agreement_row first;
};

static err_t list_one(void *ctx, const struct agreement_row *a)
{
	struct list_ctx *l = ctx;
	if (l->n++ == 0)
		l->first = *a;
	if (l->out) {
		json_t *j = row_json(l->c, a);
		return j && !json_array_append_new(l->out, j) ? ERR_OK : ERR_NOMEM;
	}
	if (l->print) {
		struct root_name rn;
		char loaded[TS_BUFSZ];
		root_name_of(l->c, a->root_id, &rn);
		ts_format_ms(a->loaded, loaded);
		printf("%-24s /%s/  generation %lld  loaded %s\n", a->key, rn.name,
		       (long long)a->generation, loaded);
	}
	return ERR_OK;
}

static err_t do_list(struct store_conn *c, bool json)
{
	struct list_ctx l = {.c = c, .print = !json, .out = json ? json_array() : NULL};
	err_t rc = json && !l.out ? ERR_NOMEM : store_agreement_list(c, list_one, &l);
	if (rc)
		cli_error("agreement", "failed: %s", err_name(rc));
	else if (json)
		print_json(l.out);
	else if (!l.n)
		printf("no agreements\n");
	json_decref(l.out);
	return rc;
}

/* The agreement named key, or the only one when key is NULL. */
static err_t find_agreement(struct store_conn *c, const char *key, struct agreement_row *a)
{
	err_t rc;
	if (key) {
		rc = store_agreement_get(c, key, 0, a, NULL);
		if (rc == ERR_NOTFOUND)
			cli_error("agreement", "no agreement '%s'", key);
		else if (rc)
			cli_error("agreement", "failed: %s", err_name(rc));
		return rc;
	}
	struct list_ctx l = {.c = c};
	rc = store_agreement_list(c, list_one, &l);
	if (rc) {
		cli_error("agreement", "failed: %s", err_name(rc));
		return rc;
	}
	if (l.n != 1) {
		cli_error("agreement", l.n ? "there are several agreements: name one"
					   : "there is no agreement yet: load one with "
					     "'renkei agreement load'");
		return l.n ? ERR_INVALID : ERR_NOTFOUND;
	}
	*a = l.first;
	return ERR_OK;
}

/* ---- status ---- */

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "?";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* The status report of agreements_status_json as text; on_day: say which
 * day it is about (a --date was given). */
static void print_status(json_t *st, unsigned warn_days, bool on_day)
{
	const char *state = str(st, "state");
	bool ended = !strcmp(state, "ended");
	printf("agreement %s: %s", str(st, "agreement"),
	       !strcmp(state, "in-force")	    ? "in force"
	       : !strcmp(state, "not-yet-in-force") ? "not yet in force"
	       : ended				    ? "ended on "
						    : state);
	if (ended)
		printf("%s", str(st, "ends_on"));
	if (on_day)
		printf(" (on %s)", str(st, "today"));
	printf("\n");
	if (!strcmp(state, "not-yet-in-force"))
		printf("signed on %s: term 1 starts then\n", str(st, "signed_on"));
	printf("%sterm %lld: %s .. %s", ended ? "last " : "", num(st, "term"),
	       str(st, "term_start"), str(st, "term_end"));
	long long left = num(st, "days_left");
	if (ended)
		printf("\n");
	else if (left == 0)
		printf(" (its last day)\n");
	else if (left > 0)
		printf(" (%lld day%s left)\n", left, left == 1 ? "" : "s");

	long long dl = num(st, "days_to_deadline");
	if (!ended) {
		printf("objection deadline: %s", str(st, "objection_deadline"));
		if (dl == 0)
			printf(" (today)");
		else if (dl > 0)
			printf(" (in %lld day%s)", dl, dl == 1 ? "" : "s");
		else
			printf(" (passed)");
		if (json_is_true(json_object_get(st, "warning")))
			printf("   [WARNING: within %u days]", warn_days);
		printf("\n");
	}

	json_t *objs = json_object_get(st, "objections");
	if (!json_array_size(objs)) {
		printf("objections on file: none\n");
	} else {
		printf("objections on file:\n");
		size_t i;
		json_t *o;
		json_array_foreach(objs, i, o)
		{
			const char *reason = str(o, "reason");
			printf("  %s, filed %s: ends the agreement on %s%s%s\n", str(o, "org"),
			       str(o, "filed_on"), str(o, "ends_agreement_on"), *reason ? "; " : "",
			       reason);
		}
	}
	if (!ended && json_object_get(st, "ends_on"))
		printf("the agreement will end on %s: it is not renewed\n", str(st, "ends_on"));
}

/* The rules of agreement a; ERR_NOTFOUND when they have gone meanwhile. */
static err_t rules_of(struct app *app, struct store_conn *c, const struct agreement_row *a,
		      struct rules *r)
{
	err_t rc = agreements_rules(app, c, a->root_id, r);
	if (!rc && !r->present)
		rc = ERR_NOTFOUND;
	if (rc)
		cli_error("agreement", "the rules of '%s': %s", a->key, err_name(rc));
	return rc;
}

static err_t do_status(struct app *app, struct store_conn *c, const char *key, day_t day,
		       bool on_day, bool json)
{
	struct agreement_row a;
	struct rules r;
	err_t rc = find_agreement(c, key, &a);
	if (!rc)
		rc = rules_of(app, c, &a, &r);
	if (rc)
		return rc;
	json_t *st = agreements_status_json(app, c, &r, day);
	if (!st) {
		cli_error("agreement", "failed: %s", err_name(ERR_NOMEM));
		return ERR_NOMEM;
	}
	if (json)
		print_json(st);
	else
		print_status(st, r.warn_days, on_day);
	json_decref(st);
	return ERR_OK;
}

/* ---- show ---- */

static err_t do_show(struct app *app, struct store_conn *c, const char *key, day_t day, bool on_day,
		     bool json)
{
	struct agreement_row a;
	struct rules r;
	char *def_text = NULL;
	json_t *def = NULL, *st = NULL, *out = NULL;
	err_t rc = store_agreement_get(c, key, 0, &a, &def_text);

	if (rc == ERR_NOTFOUND)
		cli_error("agreement", "no agreement '%s'", key);
	if (rc)
		goto out;
	rc = rules_of(app, c, &a, &r);
	if (rc)
		goto out;
	def = json_loads(def_text ? def_text : "", 0, NULL);
	st = agreements_status_json(app, c, &r, day);
	out = row_json(c, &a);
	if (!def || !st || !out) {
		rc = def ? ERR_NOMEM : ERR_STORE;
		goto out;
	}
	if (json) {
		json_object_set(out, "definition", def);
		json_object_set(out, "status", st);
		print_json(out);
	} else {
		printf("agreement %s: API root /%s/, generation %lld, loaded %s\n\n", a.key,
		       str(out, "api_root"), (long long)a.generation, str(out, "loaded"));
		print_json(def);
		printf("\n");
		print_status(st, r.warn_days, on_day);
	}
out:
	if (rc && rc != ERR_NOTFOUND)
		cli_error("agreement", "failed: %s", err_name(rc));
	json_decref(out);
	json_decref(st);
	json_decref(def);
	free(def_text);
	return rc;
}

/* ---- load and object ---- */

static err_t do_load(struct app *app, struct store_conn *c, const char *file)
{
	struct buf body;
	struct agreement_row a;
	struct root_name rn;
	char msg[512];
	err_t rc;

	buf_init(&body, AGREEMENT_FILE_MAX);
	rc = buf_read_file(&body, file);
	if (rc) {
		cli_error("agreement", "%s: %s", file,
			  rc == ERR_TOOBIG ? "larger than 1 MiB" : "cannot read");
		goto out;
	}
	rc = agreements_load(app, c, buf_cstr(&body), body.len, 0, 0, msg, sizeof(msg), &a);
	if (rc) {
		cli_error("agreement", "%s: %s", file, msg[0] ? msg : err_name(rc));
		goto out;
	}
	root_name_of(c, a.root_id, &rn);
	printf("agreement %s loaded: API root /%s/, generation %lld\n", a.key, rn.name,
	       (long long)a.generation);
out:
	buf_release(&body);
	return rc;
}

static err_t do_object(struct app *app, struct store_conn *c, const char *key, const char *as,
		       const char *reason, bool json)
{
	struct agreement_row a;
	struct rules r;
	struct user u;
	char msg[256];
	err_t rc = store_user_find(c, as, &u);

	if (rc == ERR_NOTFOUND)
		cli_error("agreement", "no user named '%s'", as);
	else if (rc)
		cli_error("agreement", "failed: %s", err_name(rc));
	if (rc)
		return rc;
	if (u.disabled || !(u.roles & ROLE_ADMIN)) {
		cli_error("agreement", "%s %s", u.name,
			  u.disabled ? "is disabled"
				     : "lacks the admin role: objections are filed by an "
				       "administrator of a party");
		return ERR_FORBIDDEN;
	}
	rc = find_agreement(c, key, &a);
	if (!rc)
		rc = rules_of(app, c, &a, &r);
	if (rc)
		return rc;
	msg[0] = '\0';
	rc = agreements_object(app, c, &r, u.id, u.org_id, reason, msg, sizeof(msg));
	if (rc) {
		cli_error("agreement", "%s", msg[0] ? msg : err_name(rc));
		return rc;
	}
	if (json) {
		/* The objection changed the rules: report the status it leaves. */
		struct rules after;
		json_t *st = NULL;
		if (!agreements_rules(app, c, a.root_id, &after) && after.present)
			st = agreements_status_json(app, c, &after, term_day_of(app_now(app)));
		json_t *out = json_pack("{s:s, s:s, s:s, s:o*}", "agreement", a.key, "user", u.name,
					"message", msg, "status", st);
		print_json(out);
		json_decref(out);
	} else {
		printf("agreement %s: %s\n", a.key, msg);
	}
	return ERR_OK;
}

int cmd_agreement(int argc, char **argv)
{
	const char *date_s = NULL, *as = NULL, *reason = NULL;
	bool json = false;
	struct cli_opt opts[] = {{"date", &date_s, NULL},
				 {"as", &as, NULL},
				 {"reason", &reason, NULL},
				 {"json", NULL, &json},
				 {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	day_t day = 0;
	err_t rc = ERR_OK;

	if (!cli_parse("agreement", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", agreement_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	size_t min = 1, max = 1;
	if (!strcmp(sub, "load") || !strcmp(sub, "show") || !strcmp(sub, "object"))
		min = max = 2;
	else if (!strcmp(sub, "status"))
		max = 2;
	else if (strcmp(sub, "list")) {
		cli_error("agreement", "unknown subcommand '%s' (see --help)", sub);
		return EXIT_USAGE;
	}
	if (a.n_pos < min || a.n_pos > max) {
		cli_error("agreement", "wrong number of arguments (see --help)");
		return EXIT_USAGE;
	}
	if (date_s && strcmp(sub, "status") && strcmp(sub, "show")) {
		cli_error("agreement", "--date goes with status and show");
		return EXIT_USAGE;
	}
	if (date_s && term_day_parse(date_s, &day)) {
		cli_error("agreement", "--date: a day as YYYY-MM-DD, not '%s'", date_s);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "object") && !as) {
		cli_error("agreement", "object needs --as USER (an administrator of a party)");
		return EXIT_USAGE;
	}
	if ((as || reason) && strcmp(sub, "object")) {
		cli_error("agreement", "--as and --reason go with object");
		return EXIT_USAGE;
	}
	if (!reason_ok(reason))
		return EXIT_USAGE;
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (!date_s)
		day = term_day_of(app_now(&app));
	if (!strcmp(sub, "load"))
		rc = do_load(&app, c, a.pos[1]);
	else if (!strcmp(sub, "list"))
		rc = do_list(c, json);
	else if (!strcmp(sub, "show"))
		rc = do_show(&app, c, a.pos[1], day, date_s != NULL, json);
	else if (!strcmp(sub, "status"))
		rc = do_status(&app, c, a.n_pos == 2 ? a.pos[1] : NULL, day, date_s != NULL, json);
	else
		rc = do_object(&app, c, a.pos[1], as, reason, json);
	store_conn_put(app.store, c);
	app_close(&app);
	/* A bad definition file is a failed load, not a wrong command line. */
	if (rc == ERR_INVALID && !strcmp(sub, "load"))
		return EXIT_FAIL;
	return cli_exit_code(rc);
}
