/* cli.c - option parsing and shared helpers of the subcommands. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/banned.h"

const char cli_common_help[] =
	"Common options:\n"
	"  --data DIR            the hub's data directory (default ./data; env RENKEI_DATA)\n"
	"  --config FILE         a configuration file (default DIR/renkei.conf when present)\n"
	"  --database DSN        the database: a SQLite file path (default DIR/renkei.db)\n"
	"                        or postgresql://USER@HOST/DB (docs/postgresql.md)\n"
	"  --SETTING VALUE       any setting of docs/configuration.md, e.g. --log-format json\n"
	"  -h, --help            this text\n";

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "renkei %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_exit_code(err_t rc)
{
	switch (rc) {
	case ERR_OK: return EXIT_OK;
	case ERR_INVALID: return EXIT_USAGE;
	case ERR_NOTFOUND: return EXIT_NOTFOUND;
	case ERR_EXISTS: return EXIT_EXISTS;
	default: return EXIT_FAIL;
	}
}

/* "--log-format" -> "log_format" */
static void setting_key(const char *opt, char *out, size_t n)
{
	snprintf(out, n, "%s", opt);
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

bool cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	       struct cli_args *a)
{
	char msg[256], key[128];
	const char *config_file = NULL;
	const char *env = getenv("RENKEI_DATA");

	memset(a, 0, sizeof(*a));
	config_defaults(&a->cfg);
	if (env && *env)
		config_set(&a->cfg, "data_dir", env, msg, sizeof(msg));

	/* First pass: --config and --data, so that a file is read before
	 * the flags that override it. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "--data")) && i + 1 < argc) {
			if (!strcmp(argv[i], "--config"))
				config_file = argv[i + 1];
			else if (config_set(&a->cfg, "data_dir", argv[i + 1], msg, sizeof(msg))) {
				cli_error(cmd, "%s", msg);
				return false;
			}
			i++;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config_file = argv[i] + 9;
		} else if (!strncmp(argv[i], "--data=", 7)) {
			if (config_set(&a->cfg, "data_dir", argv[i] + 7, msg, sizeof(msg))) {
				cli_error(cmd, "%s", msg);
				return false;
			}
		}
	}
	char dflt[CONFIG_PATH_MAX + 16];
	if (!config_file) {
		snprintf(dflt, sizeof(dflt), "%.1000s/renkei.conf", a->cfg.data_dir);
		if (access(dflt, R_OK) == 0)
			config_file = dflt;
	}
	if (config_file) {
		if (config_load(&a->cfg, config_file, msg, sizeof(msg))) {
			cli_error(cmd, "%s", msg);
			return false;
		}
	}

	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (only_pos || arg[0] != '-' || !strcmp(arg, "-")) {
			if (a->n_pos == CLI_MAX_POS) {
				cli_error(cmd, "too many arguments");
				return false;
			}
			a->pos[a->n_pos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			a->help = true;
			continue;
		}
		if (strncmp(arg, "--", 2)) {
			cli_error(cmd, "unknown option '%s' (see --help)", arg);
			return false;
		}
		const char *name = arg + 2, *value = NULL;
		char namebuf[128];
		const char *eq = strchr(name, '=');
		if (eq) {
			snprintf(namebuf, sizeof(namebuf), "%.*s", (int)(eq - name), name);
			name = namebuf;
			value = eq + 1;
		}
		if (!strcmp(name, "config") || !strcmp(name, "data")) {
			if (!eq)
				i++;
			continue; /* handled in the first pass */
		}
		const struct cli_opt *o = NULL;
		for (size_t k = 0; opts && opts[k].name; k++)
			if (!strcmp(opts[k].name, name))
				o = &opts[k];
		if (o && o->flag) {
			if (eq) {
				cli_error(cmd, "--%s takes no value", name);
				return false;
			}
			*o->flag = true;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				cli_error(cmd, "--%s needs a value", name);
				return false;
			}
			value = argv[++i];
		}
		if (o) {
			*o->value = value;
			continue;
		}
		setting_key(name, key, sizeof(key));
		err_t rc = config_set(&a->cfg, key, value, msg, sizeof(msg));
		if (rc == ERR_NOTFOUND) {
			cli_error(cmd, "unknown option '--%s' (see --help)", name);
			return false;
		}
		if (rc) {
			cli_error(cmd, "%s", msg);
			return false;
		}
	}
	enum log_format fmt = LOG_TEXT;
	log_format_parse(a->cfg.log_format, &fmt);
	enum log_level lvl = LOG_INFO;
	if (!strcmp(a->cfg.log_level, "error"))
		lvl = LOG_ERROR;
	else if (!strcmp(a->cfg.log_level, "warn"))
		lvl = LOG_WARN;
	else if (!strcmp(a->cfg.log_level, "debug"))
		lvl = LOG_DEBUG;
	log_setup(fmt, lvl);
	return true;
}

bool cli_open(struct cli_args *a, bool create, struct app *app)
{
	char msg[CONFIG_PATH_MAX + 128];
	if (app_open(app, &a->cfg, create, msg, sizeof(msg))) {
		fprintf(stderr, "renkei: %s\n", msg);
		return false;
	}
	return true;
}

bool cli_read_line(char *out, size_t n)
{
	if (!fgets(out, (int)n, stdin))
		return false;
	size_t len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return true;
}

struct root_count {
	size_t n;
	struct api_root first;
};

static err_t count_root(void *ctx, const struct api_root *r)
{
	struct root_count *rc = ctx;
	if (rc->n++ == 0)
		rc->first = *r;
	return ERR_OK;
}

err_t cli_find_root(const char *cmd, struct store_conn *c, const char *name, struct api_root *r)
{
	if (name) {
		err_t rc = store_root_find(c, name, r);
		if (rc == ERR_NOTFOUND)
			cli_error(cmd, "no API root named '%s'", name);
		return rc;
	}
	struct root_count cnt = {0};
	err_t rc = store_root_list(c, count_root, &cnt);
	if (rc)
		return rc;
	if (cnt.n != 1) {
		cli_error(cmd, cnt.n ? "there are several API roots: name one with --root"
				     : "there is no API root yet: add one with 'renkei root add'");
		return cnt.n ? ERR_INVALID : ERR_NOTFOUND;
	}
	*r = cnt.first;
	return ERR_OK;
}
