/* cmd_audit.c - 'renkei audit'. NEEDSWORK: being written. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

int cmd_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("audit", "not yet available");
	return EXIT_FAIL;
}
