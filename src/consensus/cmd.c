/* Raft log command codec (format in cmd.h). Pure: no I/O, no globals. */
#include "consensus/cmd.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* Highest body version this binary decodes, per type. */
static const struct {
	enum cmd_type type;
	unsigned version;
} cmd_types[] = {
    {CMD_KV_TXN, 1},
    {CMD_KV_REAP, 1},
};

static const char *const verb_names[KV_VERB_COUNT_] = {
    [KV_SET] = "set",
    [KV_CAS] = "cas",
    [KV_LOCK] = "lock",
    [KV_UNLOCK] = "unlock",
    [KV_GET] = "get",
    [KV_GET_TREE] = "get-tree",
    [KV_CHECK_INDEX] = "check-index",
    [KV_CHECK_SESSION] = "check-session",
    [KV_CHECK_NOT_EXISTS] = "check-not-exists",
    [KV_DELETE] = "delete",
    [KV_DELETE_TREE] = "delete-tree",
    [KV_DELETE_CAS] = "delete-cas",
};

const char *kv_verb_name(enum kv_verb v)
{
	return (unsigned)v < KV_VERB_COUNT_ ? verb_names[v] : "unknown";
}

int kv_verb_parse(const char *name)
{
	for (int i = 0; i < KV_VERB_COUNT_; i++)
		if (strcmp(name, verb_names[i]) == 0)
			return i;
	return -1;
}

bool kv_verb_is_read(enum kv_verb v)
{
	return v == KV_GET || v == KV_GET_TREE || v == KV_CHECK_INDEX || v == KV_CHECK_SESSION ||
	       v == KV_CHECK_NOT_EXISTS;
}

static unsigned current_version(enum cmd_type t)
{
	for (size_t i = 0; i < sizeof(cmd_types) / sizeof(cmd_types[0]); i++)
		if (cmd_types[i].type == t)
			return cmd_types[i].version;
	return 0;
}

static void put_u8(struct buf *b, uint8_t v)
{
	buf_putc(b, (char)v);
}

static void put_le(struct buf *b, uint64_t v, int size)
{
	unsigned char tmp[8];
	for (int i = 0; i < size; i++)
		tmp[i] = (unsigned char)(v >> (8 * i));
	buf_append(b, tmp, (size_t)size);
}

static void put_bytes(struct buf *b, const char *p, size_t n)
{
	put_le(b, n, 4);
	buf_append(b, p, n);
}

void cmd_encode(const struct cmd *c, struct buf *out)
{
	put_u8(out, (uint8_t)c->type);
	put_u8(out, (uint8_t)current_version(c->type));
	switch (c->type) {
	case CMD_KV_TXN:
		put_le(out, c->u.kv.n, 2);
		for (size_t i = 0; i < c->u.kv.n; i++) {
			const struct kv_op *op = &c->u.kv.ops[i];
			put_u8(out, (uint8_t)op->verb);
			put_le(out, op->flags, 8);
			put_le(out, op->index, 8);
			put_bytes(out, op->key, strlen(op->key));
			put_u8(out, op->has_value);
			if (op->has_value)
				put_bytes(out, op->value, op->value_len);
			put_bytes(out, op->session ? op->session : "",
				  op->session ? strlen(op->session) : 0);
		}
		break;
	case CMD_KV_REAP:
		put_le(out, c->u.reap_index, 8);
		break;
	}
}

/* A bounds-checked reader over the encoded bytes. */
struct reader {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint64_t get_le(struct reader *r, int size)
{
	if (r->bad || r->left < (size_t)size) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < size; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += size;
	r->left -= (size_t)size;
	return v;
}

/* A length-prefixed field as a fresh NUL-terminated copy; NULL when bad. */
static char *get_bytes(struct reader *r, size_t *len, bool allow_nul)
{
	uint64_t n = get_le(r, 4);
	if (r->bad || n > CMD_MAX_FIELD || n > r->left) {
		r->bad = true;
		return NULL;
	}
	if (!allow_nul && memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup((const char *)r->p, n);
	r->p += n;
	r->left -= n;
	*len = n;
	return s;
}

static int decode_kv(struct reader *r, struct cmd *c)
{
	uint64_t n = get_le(r, 2);
	if (r->bad || n == 0 || n > CMD_MAX_OPS)
		return CAIRN_E_PARSE;
	c->u.kv.ops = xcalloc(n, sizeof(struct kv_op));
	c->u.kv.n = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct kv_op *op = &c->u.kv.ops[i];
		size_t len;
		c->u.kv.n = i + 1;
		uint64_t verb = get_le(r, 1);
		op->flags = get_le(r, 8);
		op->index = get_le(r, 8);
		if (r->bad || verb >= KV_VERB_COUNT_)
			return CAIRN_E_PARSE;
		op->verb = (enum kv_verb)verb;
		if (!(op->key = get_bytes(r, &len, false)))
			return CAIRN_E_PARSE;
		uint64_t has = get_le(r, 1);
		if (r->bad || has > 1)
			return CAIRN_E_PARSE;
		op->has_value = has;
		if (has && !(op->value = get_bytes(r, &op->value_len, true)))
			return CAIRN_E_PARSE;
		if (!(op->session = get_bytes(r, &len, false)))
			return CAIRN_E_PARSE;
		if (len == 0) {
			free(op->session);
			op->session = NULL;
		}
	}
	return r->left == 0 ? 0 : CAIRN_E_PARSE;
}

int cmd_decode(const void *data, size_t len, struct cmd *c)
{
	struct reader r = {data, len, false};
	memset(c, 0, sizeof(*c));
	uint64_t type = get_le(&r, 1);
	uint64_t version = get_le(&r, 1);
	if (r.bad)
		return CAIRN_E_PARSE;
	unsigned known = current_version((enum cmd_type)type);
	if (!known)
		return CAIRN_E_VERSION;
	if (version == 0)
		return CAIRN_E_PARSE;
	if (version > known)
		return CAIRN_E_VERSION;
	c->type = (enum cmd_type)type;
	c->version = (unsigned)version;
	int rv;
	switch (c->type) {
	case CMD_KV_TXN:
		rv = decode_kv(&r, c);
		break;
	case CMD_KV_REAP:
		c->u.reap_index = get_le(&r, 8);
		rv = r.bad || r.left ? CAIRN_E_PARSE : 0;
		break;
	default:
		rv = CAIRN_E_VERSION;
	}
	if (rv)
		cmd_free(c);
	return rv;
}

void cmd_free(struct cmd *c)
{
	if (c->type == CMD_KV_TXN && c->u.kv.ops) {
		for (size_t i = 0; i < c->u.kv.n; i++) {
			free(c->u.kv.ops[i].key);
			free(c->u.kv.ops[i].value);
			free(c->u.kv.ops[i].session);
		}
		free(c->u.kv.ops);
	}
	memset(c, 0, sizeof(*c));
}
