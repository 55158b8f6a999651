/*
 * How a watch handler process is started, the same for `cairn watch` and the
 * agent's config watches (plan.h): a shell handler runs as `$SHELL -c line`
 * (/bin/sh when SHELL is unset), and the child's environment is ours with
 * CONSUL_INDEX set to the index of the result it is handed.
 */
#include "watch/plan.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

void watch_shell_argv(char *argv[4], const char *line)
{
	const char *sh = getenv("SHELL");
	argv[0] = (char *)(sh && *sh ? sh : "/bin/sh");
	argv[1] = "-c";
	argv[2] = (char *)line;
	argv[3] = NULL;
}

char **watch_child_env(uint64_t index, char *slot, size_t len)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 2, sizeof(char *));
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CONSUL_INDEX=", 13) != 0)
			env[j++] = environ[i];
	snprintf(slot, len, "CONSUL_INDEX=%llu", (unsigned long long)index);
	env[j] = slot;
	return env;
}
