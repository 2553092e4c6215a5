/* cmd_config.c - 'renkei config': the effective settings, after the file and flags. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

int cmd_config(int argc, char **argv)
{
	struct cli_args a;
	if (!cli_parse("config", argc, argv, NULL, &a))
		return EXIT_USAGE;
	if (a.help) {
		printf("usage: renkei config [options]\n\n"
		       "Prints every setting with the value it has after the configuration file\n"
		       "and the flags, in the file's own 'key = value' form.\n\n%s",
		       cli_common_help);
		return EXIT_OK;
	}
	if (a.n_pos) {
		cli_error("config", "takes no arguments (see --help)");
		return EXIT_USAGE;
	}
	config_finish(&a.cfg);
	config_print(&a.cfg, stdout);
	return EXIT_OK;
}
