/*
 * `consul exec`: the remote-execution protocol of Consul's exec command, spoken
 * through the local agent's HTTP API (exec.c parses and checks the command line,
 * exec_job.c runs the job):
 *
 *   1. a session "Remote Exec" (Behavior delete, TTL 15s, renewed every 5s); in a
 *      foreign datacenter it is bound to a passing "consul" server node there;
 *   2. the job spec, {"Command"|"Args"|"Script" (omitted when empty), "Wait": ns},
 *      written to <prefix>/<session>/job acquired by the session;
 *   3. after -wait-repl, the user event "_rexec" with payload
 *      {"Prefix": <prefix>, "Session": <session>} and the -node/-service/-tag
 *      filters;
 *   4. blocking reads of the keys under <prefix>/<session>/ until nothing new came
 *      for -wait (twice that while some node acknowledged and has not exited):
 *      "<node>/ack", "<node>/out/<n>" (output, or a heartbeat when empty) and
 *      "<node>/exit" (the exit code), each printed as Consul's TargetedUI does;
 *   5. "N / M node(s) completed / acknowledged"; the session is destroyed and the
 *      directory deleted. Exit 2 if a node failed or never finished, else 0.
 *
 * Agents handle the event only when their disable_remote_exec is false (it is
 * true by default, in Consul and here): a refusing agent ignores the event, so the
 * job ends with "0 / 0 node(s) completed / acknowledged" and exit 0, exactly as
 * with Consul.
 */
#ifndef CAIRN_CLI_EXEC_H
#define CAIRN_CLI_EXEC_H

#include "base/buf.h"
#include "cli/httpc.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct exec_job {
	const struct httpc *c;	     /* agent client */
	const char *prefix;	     /* -prefix */
	const char *node;	     /* -node filter ("" none) */
	const char *service;	     /* -service filter */
	const char *tag;	     /* -tag filter */
	int64_t wait_ns;	     /* -wait */
	int64_t repl_wait_ns;	     /* -wait-repl */
	bool verbose;		     /* -verbose */
	bool foreign;		     /* -datacenter names another datacenter */
	const char *datacenter;	     /* that datacenter */
	const char *local_dc;	     /* the agent's datacenter */
	const char *local_node;	     /* the agent's node name */
	struct buf spec;	     /* the job spec JSON */
	char *session;		     /* session ID once created */
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM */
};

/* Steps 1-5. Returns the exit code; errors are printed with Consul's messages. */
int exec_run(struct exec_job *j);

#endif
