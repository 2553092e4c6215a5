/*
 * cli.h - what every subcommand shares: option parsing (its own options,
 * then any setting of config.h as --setting-name VALUE), opening the hub,
 * and one-line errors with meaningful exit codes.
 *
 * Exit codes: 0 success, 1 the operation failed, 2 the command line is
 * wrong, 3 the thing named does not exist, 4 it exists already.
 */
#ifndef RENKEI_CLI_H
#define RENKEI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "../api/app.h"
#include "../common/config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOTFOUND = 3, EXIT_EXISTS = 4 };

struct cli_opt {
	const char *name;   /* without the leading "--" */
	const char **value; /* takes a value: where to put it */
	bool *flag;	    /* or is a flag: set to true */
};

#define CLI_MAX_POS 8

struct cli_args {
	struct config cfg;
	const char *pos[CLI_MAX_POS];
	size_t n_pos;
	bool help;
};

/*
 * Parses argv[1..argc) (argv[0] is the subcommand's name). Options in opts
 * come first; then --config FILE (read before any other setting, so that
 * flags win), --data DIR, and every setting name of config.h with '_' or
 * '-'. Positional arguments go to a->pos. On error prints a one-line reason
 * and returns false.
 */
bool cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
	       struct cli_args *a);

/* Opens the hub of a->cfg (create: make it when missing). Prints the reason
 * and returns false on failure. */
bool cli_open(struct cli_args *a, bool create, struct app *app);

/* Prints "renkei CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit code for an error of the store or the api. */
int cli_exit_code(err_t rc);

/* Finds the API root named name, or the only one when name is NULL.
 * Prints the reason and returns the error on failure. */
err_t cli_find_root(const char *cmd, struct store_conn *c, const char *name, struct api_root *r);

/* Reads one line (a password) from standard input, without its newline. */
bool cli_read_line(char *out, size_t n);

/* The settings every subcommand takes, for --help texts. */
extern const char cli_common_help[];

#endif
