/*
 * The agent: `cairn agent [flags]`.
 *
 * agent_main loads the configuration (flags, files, -dev defaults), sets up
 * logging, opens the state store and Raft, starts the HTTP API, the DNS
 * interface and the config's watches, and runs the libuv loop until SIGINT/SIGTERM, reloading on
 * SIGHUP. It returns the process exit code: 0 after a clean shutdown, 1 on a configuration or
 * start-up error.
 */
#ifndef CAIRN_AGENT_AGENT_H
#define CAIRN_AGENT_AGENT_H

/* argv[0] is "agent"; flags follow. */
int agent_main(int argc, char **argv);

#endif
