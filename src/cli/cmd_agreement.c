/* cmd_agreement.c - 'renkei agreement'. NEEDSWORK: being written. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

int cmd_agreement(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("agreement", "not yet available");
	return EXIT_FAIL;
}
