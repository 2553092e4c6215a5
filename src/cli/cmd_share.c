/* cmd_share.c - 'renkei share'. NEEDSWORK: being written. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

int cmd_share(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("share", "not yet available");
	return EXIT_FAIL;
}
