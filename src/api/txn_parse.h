/*
 * Parsing /v1/txn bodies (pure: jansson and the command types, no I/O).
 *
 * A body is a JSON array of up to TXN_MAX_OPS operations, each one of
 *   {"KV":      {"Verb", "Key", "Value" (base64), "Flags", "Index", "Session"}}
 *   {"Node":    {"Verb", "Node": {ID, Node, Address, Datacenter,
 *                                 TaggedAddresses, Meta, ModifyIndex}}}
 *   {"Service": {"Verb", "Node": "<node>", "Service": {ID, Service, Kind, Tags,
 *                Address, TaggedAddresses, Meta, Port, Weights,
 *                EnableTagOverride, ModifyIndex}}}
 *   {"Check":   {"Verb", "Check": {Node, CheckID, Name, Status, Notes, Output,
 *                Type, ServiceID, ExposedPort, Definition, ModifyIndex}}}
 * (the fields Consul's agent/txn_endpoint.go convertOps copies; field names
 * match case-insensitively as Go's decoder does, except the KV op's). A Node
 * without Datacenter gets the agent's (dc). txn_parse turns the body into
 * kv_op rows ready for cmd_encode, or says what is wrong: status 400
 * (malformed), 413 (too many operations) with a message, or 409 with a
 * complete Consul error body (an unknown verb, which Consul reports as a
 * failed operation). Catalog ops: txn_parse_catalog.c. Fuzzed by
 * tests/fuzz/fuzz_txn_body.c.
 */
#ifndef CAIRN_API_TXN_PARSE_H
#define CAIRN_API_TXN_PARSE_H

#include "base/buf.h"
#include "consensus/cmd.h"

#include <stdbool.h>
#include <stddef.h>

#define TXN_MAX_OPS 128

struct txn_parsed {
	struct kv_op *ops; /* n parsed operations (owned) */
	size_t n;
	bool writes;	/* some operation changes the store */
	struct buf err; /* message for a 400/413 */
	int status;	/* on error: 400, 409 or 413 */
};

/* 0 on success; else -1 with p->status and p->err set. Free p either way.
 * dc: the datacenter a Node op without one gets (NULL: left empty). */
int txn_parse(const void *data, size_t len, const char *dc, struct txn_parsed *p);
void txn_parsed_free(struct txn_parsed *p);

#endif
