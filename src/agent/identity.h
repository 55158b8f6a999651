/*
 * The agent's identity on disk: the data directory (a temporary one in -dev
 * mode, removed at exit) and the node ID, persisted as <data_dir>/node-id like
 * Consul so that a restarted agent keeps its ID (and its Raft server ID, which
 * is derived from it).
 */
#ifndef CAIRN_AGENT_IDENTITY_H
#define CAIRN_AGENT_IDENTITY_H

#include "base/buf.h"

#include <stdint.h>

/* Create dir (and parents) if missing. Returns 0 or a negative errno. */
int identity_mkdir(const char *dir);
/* A fresh directory under $TMPDIR for -dev; NULL on failure. */
char *identity_dev_dir(void);
/* Remove a directory tree (the -dev data dir). */
void identity_remove_tree(const char *dir);
/* The node ID: configured (validated), else read from data_dir/node-id, else a
 * new random UUID written there. Returns a malloc'd string or NULL with err. */
char *identity_node_id(const char *data_dir, const char *configured, struct buf *err);

#endif
