/*
 * The command-line interface: `cairn <command> [args]`, as `consul <command> [args]`.
 *
 * The binary is the agent and the CLI, like Consul's, and a `consul` symlink to it
 * behaves identically, so every message here is Consul's (Consul's CLI is
 * mitchellh/cli; its dispatch rules are reproduced in cli.c). Commands are rows of
 * one table (cli/commands.c); nested commands ("kv get") are rows whose names have
 * several words. Each command lives in its own file and exports a `*_main` taking
 * (argc, argv) with argv[0] the command's last word, plus its usage text and flag
 * table, from which `-h` is generated.
 *
 * Output conventions (Consul's cli.Ui): results and "Success!" lines go to stdout,
 * errors to stderr, each followed by a newline; a failing command exits 1.
 */
#ifndef CAIRN_CLI_CLI_H
#define CAIRN_CLI_CLI_H

#include "base/buf.h"
#include "cli/flags.h"

#include <stdbool.h>
#include <stddef.h>

struct cli_cmd {
	const char *name;		    /* "kv get": words separated by one space */
	const char *synopsis;		    /* one line in the command lists */
	int (*main)(int argc, char **argv); /* NULL: a group; running it shows its help */
	const char *usage;		    /* -h text before the flags; NULL: main handles -h */
	const struct flag_def *flags;	    /* flag table listed by -h, or NULL */
	bool hidden;			    /* left out of the command lists */
};

/* The program: dispatch argv over the table in cli/commands.c. Returns the exit code. */
int cli_main(int argc, char **argv);

/* Dispatch over any table (cli_main's engine; tests pass their own table). */
int cli_run(const struct cli_cmd *cmds, size_t n, int argc, char **argv);

/* "Usage: consul [--version] ..." and the list of visible top-level commands. */
void cli_root_help(struct buf *out, const struct cli_cmd *cmds, size_t n);

/* A command's -h text: usage, flag sections and, for a group, its "Subcommands:". */
void cli_command_help(struct buf *out, const struct cli_cmd *cmds, size_t n,
		      const struct cli_cmd *cmd);

/* Consul's Ui.Info/Output (stdout) and Ui.Error (stderr): the text and a newline. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
