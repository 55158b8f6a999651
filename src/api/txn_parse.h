/*
 * Parsing /v1/txn bodies (pure: jansson and the command types, no I/O).
 *
 * A body is a JSON array of up to TXN_MAX_OPS operations, each {"KV": {"Verb",
 * "Key", "Value" (base64), "Flags", "Index", "Session"}}. txn_parse turns it into
 * kv_op rows ready for cmd_encode, or says what is wrong: status 400 (malformed),
 * 413 (too many operations) with a message, or 409 with a complete Consul error
 * body (an unknown verb, which Consul reports as a failed operation). Fuzzed by
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

/* 0 on success; else -1 with p->status and p->err set. Free p either way. */
int txn_parse(const void *data, size_t len, struct txn_parsed *p);
void txn_parsed_free(struct txn_parsed *p);

#endif
