/*
 * A prepared-query definition as clients send it (POST /v1/query, PUT
 * /v1/query/:id): JSON in, struct prepared_query (state/query.h) out, with
 * Consul's decode errors and Consul's checks (parseQuery). Pure: no store,
 * no I/O; the fuzz target drives it alone.
 *
 * Decoding follows Go's encoding/json over structs.PreparedQuery: field
 * names match ignoring case, unknown fields are ignored, null is the zero
 * value, a value of the wrong kind is "json: cannot unmarshal <kind> into Go
 * struct field PreparedQuery.<path> of type <type>". The fields read are
 * drawn as tables in query_def.c.
 */
#ifndef CAIRN_API_QUERY_DEF_H
#define CAIRN_API_QUERY_DEF_H

#include "base/buf.h"
#include "state/query.h"

#include <stddef.h>

/* Decode body[len]. Returns a new entry (refs 1), or NULL with the 400
 * message (without "Request decode failed: ") in err. */
struct prepared_query *query_def_decode(const char *body, size_t len, struct buf *err);
/* Consul's parseQuery and the template compile check: 0, or -1 with the
 * 500 message in err ("Invalid prepared query: Must provide a Service name
 * to query", ...). */
int query_def_validate(const struct prepared_query *q, struct buf *err);

#endif
