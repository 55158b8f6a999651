/*
 * The Consul version cairn is compatible with, reported wherever Consul reports its
 * own: `consul version` and, through the agent, /v1/agent/self (Config.Version) and
 * gossip tags. Clients and test harnesses read it to decide which features to use,
 * so there is one constant, here. CAIRN_VERSION (cairn's own release) comes from the
 * build.
 */
#ifndef CAIRN_CLI_VERSION_H
#define CAIRN_CLI_VERSION_H

#include "base/version.h" /* CAIRN_CONSUL_VERSION: one constant for CLI and agent */

/* Consul's RPC protocol versions: the default spoken, and the range understood. */
#define CAIRN_PROTOCOL_DEFAULT 2
#define CAIRN_PROTOCOL_MIN     2
#define CAIRN_PROTOCOL_MAX     3

#endif
