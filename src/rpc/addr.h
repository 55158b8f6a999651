/*
 * "ip:port" and "[v6]:port" text to a socket address, for the Raft transport
 * and the RPC client (addresses come from Raft configurations and gossip
 * tags, always literals).
 */
#ifndef CAIRN_RPC_ADDR_H
#define CAIRN_RPC_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* 0, or -1 for text that is not a literal address with a port (1..65535, or
 * 0 too when port0 is set: a source address to bind). */
int rpc_addr_parse(const char *text, bool port0, struct sockaddr_storage *sa);

#endif
