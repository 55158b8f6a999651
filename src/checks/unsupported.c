/*
 * Docker and OSService checks are parsed, validated, listed and shown in the
 * catalog like any other, but this agent cannot run them: Docker checks need
 * the Docker Engine API (an exec in the container over the Docker socket) and
 * OSService checks a Windows service manager or systemd over D-Bus. Each
 * interval reports critical, through the StatusHandler like Consul's runners:
 *
 *   "Docker checks are not supported on this agent"
 *   "OSService checks are not supported on this agent"
 */
#include "checks/internal.h"

#include <string.h>

static int unsupported_start(struct check *c)
{
	const char *msg = c->kind == CHECK_KIND_DOCKER
			      ? "Docker checks are not supported on this agent"
			      : "OSService checks are not supported on this agent";
	c->op = c; /* a probe "in flight" for the bookkeeping, ended at once */
	check_probe_done(c, CHECK_CRITICAL, msg, strlen(msg));
	return 0;
}

static void unsupported_cancel(struct check *c)
{
	check_probe_end(c);
}

const struct check_runner check_runner_unsupported = {"unsupported", unsupported_start,
						      unsupported_cancel};
