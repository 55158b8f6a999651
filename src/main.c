/*
 * cairn: a Consul-compatible service-discovery agent and server.
 *
 * The binary is both the agent and the CLI, as Consul's is: argv[1] selects a
 * command from the table in cli/commands.c. Installed beside it, a `consul`
 * symlink runs the same code.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
