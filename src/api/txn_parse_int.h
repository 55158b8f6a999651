/*
 * Private to txn_parse*.c: the error helpers both halves of the /v1/txn body
 * parser use, and the catalog half (txn_parse_catalog.c).
 */
#ifndef CAIRN_API_TXN_PARSE_INT_H
#define CAIRN_API_TXN_PARSE_INT_H

#include "api/txn_parse.h"

#include <jansson.h>

/* A 400/413 message for op i ((size_t)-1: none); returns -1. */
int txn_parse_fail(struct txn_parsed *p, int status, const char *msg, size_t i);
/* Consul's 409 body for an unknown verb of op i ("unknown Node verb \"x\"");
 * returns -1. */
int txn_parse_bad_verb(struct txn_parsed *p, enum txn_op_kind kind, json_t *verb, size_t i);
/* Parse op i of a catalog kind from its object (the value of "Node",
 * "Service" or "Check"); 0 or -1 with the error set. */
int txn_parse_catalog(struct txn_parsed *p, enum txn_op_kind kind, json_t *obj, size_t i,
		      const char *dc);

#endif
