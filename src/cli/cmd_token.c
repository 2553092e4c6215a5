/* cmd_token.c - 'renkei token create|list|revoke': API tokens. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/admin.h"
#include "../common/sec.h"
#include "../common/timeutil.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char token_help[] =
	"usage: renkei token create USER [--label TEXT] [--expires-days N]\n"
	"       renkei token list [USER]\n"
	"       renkei token revoke ID\n\n"
	"A token is 256 random bits, shown once at creation and stored only as a hash.\n"
	"Use it as 'Authorization: Bearer TOKEN', or as the password of HTTP Basic.\n\n";

static err_t print_token(void *ctx, const struct token *t)
{
	struct store_conn *c = ctx;
	struct user u;
	char created[TS_BUFSZ], expires[TS_BUFSZ];
	if (store_user_get(c, t->user_id, &u))
		snprintf(u.name, sizeof(u.name), "?");
	ts_format_ms(t->created, created);
	if (t->expires)
		ts_format_ms(t->expires, expires);
	else
		snprintf(expires, sizeof(expires), "never");
	printf("%-6lld %-18s %-12s… %-8s created %s expires %s %s\n", (long long)t->id, u.name,
	       t->prefix, t->revoked ? "revoked" : "active", created, expires, t->label);
	return ERR_OK;
}

static bool parse_id(const char *s, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !*s || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

int cmd_token(int argc, char **argv)
{
	const char *label = NULL, *days_s = NULL;
	struct cli_opt opts[] = {
		{"label", &label, NULL}, {"expires-days", &days_s, NULL}, {NULL, NULL, NULL}};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	long long days = 0, id = 0;
	err_t rc = ERR_OK;

	if (!cli_parse("token", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", token_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	if (!strcmp(sub, "create")) {
		if (a.n_pos != 2) {
			cli_error("token", "usage: renkei token create USER");
			return EXIT_USAGE;
		}
		if (days_s && (!parse_id(days_s, &days) || days > 3650)) {
			cli_error("token", "--expires-days: a whole number of days from 1 to 3650");
			return EXIT_USAGE;
		}
	} else if (!strcmp(sub, "revoke")) {
		if (a.n_pos != 2 || !parse_id(a.pos[1], &id)) {
			cli_error("token",
				  "usage: renkei token revoke ID (a number from 'token list')");
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "list") || a.n_pos > 2) {
		cli_error("token", "unknown subcommand or extra arguments (see --help)");
		return EXIT_USAGE;
	}
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (!strcmp(sub, "create")) {
		char secret[SEC_TOKEN_MAX];
		struct token t;
		int64_t expires = days ? app_now(&app) + days * 86400LL * 1000000 : 0;
		rc = admin_token_create(&app, c, a.pos[1], label, expires, secret, &t);
		if (rc == ERR_NOTFOUND)
			cli_error("token", "no user named '%s'", a.pos[1]);
		else if (rc)
			cli_error("token", "failed: %s", err_name(rc));
		else
			printf("token %lld for %s (shown once):\n%s\n", (long long)t.id, a.pos[1],
			       secret);
		sec_wipe(secret, sizeof(secret));
	} else if (!strcmp(sub, "revoke")) {
		rc = admin_token_revoke(&app, c, id);
		if (rc == ERR_NOTFOUND)
			cli_error("token", "no token %lld", id);
		else if (rc)
			cli_error("token", "failed: %s", err_name(rc));
		else
			printf("token %lld revoked\n", id);
	} else {
		int64_t uid = 0;
		if (a.n_pos == 2) {
			struct user u;
			rc = store_user_find(c, a.pos[1], &u);
			if (rc == ERR_NOTFOUND)
				cli_error("token", "no user named '%s'", a.pos[1]);
			uid = u.id;
		}
		if (!rc)
			rc = store_token_list(c, uid, print_token, c);
	}
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
