/*
 * Member tags: the string map each agent gossips about itself (serf's tags,
 * memberlist's "meta"), and Consul's conventions for reading them.
 *
 * A struct tags is a small map kept sorted by key; it owns copies of its keys
 * and values (tags_free). Keys are non-empty; neither keys nor values hold
 * NUL bytes. The encoding is canonical (sorted, no duplicates), so two agents
 * with the same tags gossip the same bytes and a change is a byte change.
 *
 * Wire form (the alive message's meta, at most TAGS_META_MAX bytes):
 *
 *     offset size field
 *     0      1    version (TAGS_WIRE_VERSION = 1)
 *     1      1    count of pairs
 *     2      ...  count times:
 *                   1   key length k (1..255)
 *                   k   key bytes
 *                   2   value length v, big-endian
 *                   v   value bytes
 *
 * The decoder is strict: known version, keys strictly ascending, no NUL, no
 * byte left over. Tags it does not know are kept: a newer agent may add tags
 * and an older one must carry them through untouched. A future layout change
 * takes a new version byte, which older agents refuse (CAIRN_E_VERSION).
 *
 * Consul's tags (struct consul_tags, tags_consul.c): role ("consul" server,
 * "node" client), dc, segment, ap (partition), id (node ID), build
 * ("1.17.0:abcdef"), vsn / vsn_min / vsn_max (protocol), raft_vsn, port
 * (server RPC), wan_join_port, expect (bootstrap_expect), bootstrap,
 * nonvoter, use_tls.
 */
#ifndef CAIRN_GOSSIP_TAGS_H
#define CAIRN_GOSSIP_TAGS_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAGS_META_MAX	  512 /* memberlist's MetaMaxSize; msg.h GOSSIP_META_MAX */
#define TAGS_WIRE_VERSION 1
#define TAGS_KEY_MAX	  255

struct tag {
	char *key;   /* owned */
	char *value; /* owned */
};

struct tags {
	struct tag *items; /* sorted by key (bytewise), unique keys */
	size_t n;
	size_t cap;
};

#define TAGS_INIT                                                                                  \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void tags_init(struct tags *t);
void tags_free(struct tags *t);
/* Add or replace. Returns CAIRN_E_INVAL for an empty key or one longer than
 * TAGS_KEY_MAX, or a value longer than TAGS_META_MAX. */
int tags_set(struct tags *t, const char *key, const char *value);
/* The value, or NULL. */
const char *tags_get(const struct tags *t, const char *key);
/* Remove; false if absent. */
bool tags_del(struct tags *t, const char *key);
bool tags_equal(const struct tags *a, const struct tags *b);

/* Size of the encoding. */
size_t tags_encoded_size(const struct tags *t);
/* Encode into out (cap bytes, cap >= TAGS_META_MAX is always enough when it
 * fits). CAIRN_E_TOOBIG when the encoding exceeds TAGS_META_MAX; err (if not
 * NULL) then gets "node tags are too large: 600 bytes encoded, the limit is
 * 512 bytes" (also when it exceeds cap). */
int tags_encode(const struct tags *t, uint8_t *out, size_t cap, size_t *len, struct buf *err);
/* Decode n bytes into t (emptied first). 0, CAIRN_E_VERSION or CAIRN_E_PARSE
 * (t is then empty). */
int tags_decode(const void *p, size_t n, struct tags *t);

/* ---- Consul's conventions (tags_consul.c) ---- */

enum consul_role {
	CONSUL_ROLE_UNKNOWN = 0, /* no role tag or another value */
	CONSUL_ROLE_CLIENT,	 /* role=node */
	CONSUL_ROLE_SERVER,	 /* role=consul */
};

/* Strings point into the struct tags they were parsed from (NULL: absent);
 * numbers are -1 when absent. */
struct consul_tags {
	enum consul_role role;
	const char *dc;
	const char *segment;
	const char *partition; /* "ap" */
	const char *id;	       /* node ID */
	const char *build;     /* "1.17.0:abcdef" */
	int vsn, vsn_min, vsn_max;
	int raft_vsn;
	int port; /* server RPC port */
	int wan_join_port;
	int expect;	/* bootstrap_expect */
	bool bootstrap; /* tag present */
	bool nonvoter;	/* tag present ("read_replica" in older agents) */
	bool use_tls;	/* tag present */
};

/* Read Consul's tags; unknown tags are ignored (they stay in t). Returns
 * CAIRN_E_PARSE with a line in err (if not NULL) when a numeric tag is not a
 * number in range, or a server lacks its port. */
int consul_tags_parse(const struct tags *t, struct consul_tags *ct, struct buf *err);
/* Write ct's present fields into t (our own node's tags). */
void consul_tags_put(const struct consul_tags *ct, struct tags *t);
/* `consul members` columns: Type ("server", "client", "unknown"), Build
 * (up to the ':', "< 0.3" when absent), Partition ("default" when absent),
 * Segment ("<all>" for servers, "<default>" for clients when absent). The
 * Protocol column is the raw "vsn" tag (tags_get, "" when absent). */
const char *consul_tags_type(const struct consul_tags *ct);
void consul_tags_build(const struct consul_tags *ct, struct buf *out);
const char *consul_tags_partition(const struct consul_tags *ct);
const char *consul_tags_segment(const struct consul_tags *ct);

#endif
