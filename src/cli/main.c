/*
 * main.c - the renkei binary: dispatches to a subcommand (git's builtin
 * table). Nothing else lives here.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

#define RENKEI_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{"init", cmd_init, "create a hub's database (and, with --demo, the demo hub)"},
	{"serve", cmd_serve, "run the TAXII 2.1 hub"},
	{"org", cmd_org, "add and list organisations"},
	{"user", cmd_user, "add, list, disable, enable users; set passwords"},
	{"token", cmd_token, "create, list and revoke API tokens"},
	{"root", cmd_root, "add and list TAXII API roots"},
	{"collection", cmd_collection, "add, list collections; grant organisations rights"},
	{"import", cmd_import, "import a STIX bundle or TAXII envelope into a collection"},
	{"export", cmd_export, "export a collection as a STIX bundle"},
	{"agreement", cmd_agreement, "load agreements; their status, term and objections"},
	{"share", cmd_share, "share requests, approvals, grants and revocations"},
	{"audit", cmd_audit, "verify and show the audit log"},
	{"config", cmd_config, "print the effective configuration"},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: renkei COMMAND [options]\n\n"
		"renkei %s: a TAXII 2.1 / STIX 2.1 hub for sharing cyber threat information.\n\n"
		"Commands:\n",
		RENKEI_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'renkei COMMAND --help' tells more. 'renkei version' prints the version.\n");
}

int main(int argc, char **argv)
{
	/* What renkei writes (the database, credentials) is for its owner only. */
	umask(077);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		printf("renkei %s\n", RENKEI_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "renkei: unknown command '%s' (see 'renkei --help')\n", name);
	return EXIT_USAGE;
}
