/*
 * Unit tests for command dispatch (src/cli/cli.c) over a fake command table: the root
 * usage layout, a group's "Subcommands:" list, nested lookup, and the exit codes of
 * Consul's CLI for help, unknown commands, misplaced flags and bare groups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

static const char *ran;	   /* name of the fake command that ran */
static int ran_argc;	   /* its argc */
static char ran_args[256]; /* its argv joined by '|' */

static int record(const char *name, int argc, char **argv)
{
	ran = name;
	ran_argc = argc;
	ran_args[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(ran_args, "|");
		strcat(ran_args, argv[i]);
	}
	return 7;
}

static int fake_agent(int argc, char **argv)
{
	return record("agent", argc, argv);
}

static int fake_get(int argc, char **argv)
{
	return record("kv get", argc, argv);
}

static int fake_put(int argc, char **argv)
{
	return record("kv put", argc, argv);
}

static int fake_version(int argc, char **argv)
{
	return record("version", argc, argv);
}

static const struct cli_cmd table[] = {
    {"version", "Prints the Consul version", fake_version, "Usage: consul version", NULL, false},
    {"kv", "Interact with the key-value store", NULL, "Usage: consul kv <subcommand>", NULL, false},
    {"kv put", "Sets or updates data in the KV store", fake_put, "Usage: consul kv put", NULL,
     false},
    {"kv get", "Retrieves or lists data from the KV store", fake_get, "Usage: consul kv get", NULL,
     false},
    {"agent", "Runs a Consul agent", fake_agent, NULL, NULL, false},
    {"force-leave", "Secret", fake_agent, "x", NULL, true},
};
#define N (sizeof(table) / sizeof(table[0]))

static int run(const char *line)
{
	char copy[256], *argv[32];
	int argc = 0;
	snprintf(copy, sizeof(copy), "consul %s", line);
	for (char *t = strtok(copy, " "); t; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	ran = NULL;
	return cli_run(table, N, argc, argv);
}

static void test_root_help(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	cli_root_help(&b, table, N);
	assert_string_equal(b.data, "Usage: consul [--version] [--help] <command> [<args>]\n\n"
				    "Available commands are:\n"
				    "    agent      Runs a Consul agent\n"
				    "    kv         Interact with the key-value store\n"
				    "    version    Prints the Consul version\n");
	buf_free(&b);
}

static void test_group_help(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	cli_command_help(&b, table, N, &table[1]);
	assert_string_equal(b.data, "Usage: consul kv <subcommand>\n\n"
				    "Subcommands:\n"
				    "    get    Retrieves or lists data from the KV store\n"
				    "    put    Sets or updates data in the KV store\n");
	buf_reset(&b);
	cli_command_help(&b, table, N, &table[3]);
	assert_string_equal(b.data, "Usage: consul kv get\n");
	buf_free(&b);
}

static void test_dispatch(void **state)
{
	(void)state;
	assert_int_equal(run("kv get -recurse foo"), 7);
	assert_string_equal(ran, "kv get");
	assert_string_equal(ran_args, "get|-recurse|foo");
	assert_int_equal(run("agent -dev"), 7);
	assert_string_equal(ran_args, "agent|-dev");
	/* -h goes to commands that print their own help */
	assert_int_equal(run("agent -h"), 7);
	assert_string_equal(ran_args, "agent|-h");
	/* version flags anywhere before "--" */
	assert_int_equal(run("kv get -v"), 7);
	assert_string_equal(ran_args, "version");
	assert_int_equal(run("--version"), 7);
	assert_string_equal(ran, "version");
	assert_int_equal(run("-version"), 7);
	assert_string_equal(ran, "version");
}

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(run(""), 127);	       /* no command: usage */
	assert_int_equal(run("nosuch"), 127);  /* unknown: usage */
	assert_int_equal(run("kvx get"), 127); /* not a word boundary */
	assert_int_equal(run("-h"), 0);	       /* root help */
	assert_int_equal(run("--help"), 0);
	assert_int_equal(run("kv get -h"), 0); /* command help */
	assert_int_equal(run("kv put key -help"), 0);
	assert_null(ran);
	assert_int_equal(run("kv"), 1);		   /* a group alone: help on stderr */
	assert_int_equal(run("kv getx"), 1);	   /* unknown subcommand: the group */
	assert_int_equal(run("-x kv get foo"), 1); /* flags before the command */
	assert_null(ran);
	assert_int_equal(run("-- -v"), 127); /* "--" stops the version shortcut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root_help),
	    cmocka_unit_test(test_group_help),
	    cmocka_unit_test(test_dispatch),
	    cmocka_unit_test(test_exit_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
