/*
 * commands.h - the subcommands of the renkei binary, one file each
 * (cmd_NAME.c), dispatched from the table in main.c. Each takes argc/argv
 * with argv[0] its own name and returns the process exit code.
 */
#ifndef RENKEI_COMMANDS_H
#define RENKEI_COMMANDS_H

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_root(int argc, char **argv);
int cmd_collection(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_agreement(int argc, char **argv);
int cmd_share(int argc, char **argv);
int cmd_audit(int argc, char **argv);

#endif
