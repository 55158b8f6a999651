/*
 * Raft log command codec (formats in cmd.h). Pure: no I/O, no globals.
 *
 * Decoding is strict: every length is checked against what is left, counts
 * against CMD_MAX_OPS, flags and booleans against their ranges, and the body
 * must end exactly where the last field does. Decoded catalog templates own
 * fresh NUL-terminated copies of every string (cmd_free releases them).
 */
#include "consensus/cmd.h"

#include "state/wire.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* Highest body version this binary decodes, per type. */
static const struct {
	enum cmd_type type;
	unsigned version;
} cmd_types[] = {
    {CMD_KV_TXN, 2},	       {CMD_KV_REAP, 1},
    {CMD_CATALOG_REGISTER, 1}, {CMD_CATALOG_DEREGISTER, 1},
    {CMD_SESSION_CREATE, 1},   {CMD_SESSION_DESTROY, 1},
    {CMD_QUERY_SET, 1},	       {CMD_QUERY_DELETE, 1},
    {CMD_RESTORE, 1},	       {CMD_AUTOPILOT_SET, 1},
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

static const char *const kind_names[TXN_OP_KIND_COUNT_] = {
    [TXN_OP_KV] = "KV",
    [TXN_OP_NODE] = "Node",
    [TXN_OP_SERVICE] = "Service",
    [TXN_OP_CHECK] = "Check",
};

/* The verbs of Node, Service and Check ops (Consul's api.NodeOp & co.). */
static const bool catalog_verbs[KV_VERB_COUNT_] = {
    [KV_SET] = true, [KV_CAS] = true, [KV_GET] = true, [KV_DELETE] = true, [KV_DELETE_CAS] = true,
};

const char *txn_op_kind_name(enum txn_op_kind k)
{
	return (unsigned)k < TXN_OP_KIND_COUNT_ ? kind_names[k] : "unknown";
}

bool txn_verb_allowed(enum txn_op_kind k, enum kv_verb v)
{
	if ((unsigned)v >= KV_VERB_COUNT_ || (unsigned)k >= TXN_OP_KIND_COUNT_)
		return false;
	return k == TXN_OP_KV || catalog_verbs[v];
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

static void encode_service(struct buf *b, const struct cat_service *svc)
{
	wire_put_service_body(b, svc);
}

static void encode_check(struct buf *b, const struct cat_check *chk)
{
	wire_put_str(b, chk->id);
	wire_put_str(b, chk->name);
	put_u8(b, (uint8_t)chk->status);
	wire_put_str(b, chk->notes);
	wire_put_str(b, chk->output);
	wire_put_str(b, chk->service_id);
	wire_put_str(b, chk->type);
	wire_put_str(b, chk->interval);
	wire_put_str(b, chk->timeout);
	wire_put_le(b, (uint32_t)chk->exposed_port, 4);
	wire_put_ostr(b, chk->definition_json);
}

static void encode_register(struct buf *b, const struct cat_register *r)
{
	const struct cat_node *n = r->node;
	put_u8(b, r->skip_node_update ? 1 : 0);
	wire_put_str(b, n->id);
	wire_put_str(b, n->name);
	wire_put_str(b, n->address);
	wire_put_str(b, n->datacenter);
	wire_put_map(b, n->tagged, n->ntagged);
	wire_put_map(b, n->meta, n->nmeta);
	wire_put_le(b, r->nservices, 4);
	for (size_t i = 0; i < r->nservices; i++)
		encode_service(b, &r->services[i]);
	wire_put_le(b, r->nchecks, 4);
	for (size_t i = 0; i < r->nchecks; i++)
		encode_check(b, &r->checks[i]);
}

static void encode_session(struct buf *b, const struct session *e)
{
	wire_put_str(b, e->id);
	wire_put_str(b, e->name);
	wire_put_str(b, e->node);
	wire_put_le(b, e->lock_delay_ns, 8);
	put_u8(b, (uint8_t)e->behavior);
	wire_put_str(b, e->ttl);
	wire_put_list(b, e->node_checks, e->nnode_checks);
	wire_put_le(b, e->nsvc_checks, 4);
	for (size_t i = 0; i < e->nsvc_checks; i++) {
		wire_put_str(b, e->svc_checks[i].id);
		wire_put_str(b, e->svc_checks[i].ns);
	}
	wire_put_list(b, e->checks, e->nchecks);
}

static void encode_kv_op(struct buf *out, const struct kv_op *op)
{
	put_u8(out, (uint8_t)op->verb);
	wire_put_le(out, op->flags, 8);
	wire_put_le(out, op->index, 8);
	wire_put_bytes(out, op->key, strlen(op->key));
	put_u8(out, op->has_value);
	if (op->has_value)
		wire_put_bytes(out, op->value, op->value_len);
	wire_put_bytes(out, op->session ? op->session : "", op->session ? strlen(op->session) : 0);
}

/* A version 2 op: kind, then the kind's fields (cmd.h). */
static void encode_txn_op(struct buf *out, const struct kv_op *op)
{
	put_u8(out, (uint8_t)op->kind);
	if (op->kind == TXN_OP_KV) {
		encode_kv_op(out, op);
		return;
	}
	const struct txn_cat_op *cat = op->cat;
	put_u8(out, (uint8_t)op->verb);
	wire_put_le(out, op->index, 8);
	switch (op->kind) {
	case TXN_OP_NODE:
		wire_put_str(out, cat->node.id);
		wire_put_str(out, cat->node.name);
		wire_put_str(out, cat->node.address);
		wire_put_str(out, cat->node.datacenter);
		wire_put_map(out, cat->node.tagged, cat->node.ntagged);
		wire_put_map(out, cat->node.meta, cat->node.nmeta);
		break;
	case TXN_OP_SERVICE:
		wire_put_str(out, cat->node.name);
		encode_service(out, &cat->svc);
		break;
	default:
		wire_put_str(out, cat->chk.node);
		encode_check(out, &cat->chk);
		break;
	}
}

/* CMD_AUTOPILOT_SET (cmd.h) */
static void encode_autopilot(struct buf *out, const struct autopilot_config *a, bool cas,
			     uint64_t cas_index)
{
	put_u8(out, (uint8_t)((a->cleanup_dead_servers ? 1 : 0) |
			      (a->disable_upgrade_migration ? 2 : 0) | (cas ? 4 : 0)));
	wire_put_le(out, a->last_contact_threshold_ns, 8);
	wire_put_le(out, a->max_trailing_logs, 8);
	wire_put_le(out, a->min_quorum, 8);
	wire_put_le(out, a->server_stabilization_time_ns, 8);
	wire_put_str(out, a->redundancy_zone_tag);
	wire_put_str(out, a->upgrade_version_tag);
	wire_put_le(out, cas_index, 8);
}

static bool kv_only(const struct kv_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].kind != TXN_OP_KV)
			return false;
	return true;
}

void cmd_encode(const struct cmd *c, struct buf *out)
{
	put_u8(out, (uint8_t)c->type);
	unsigned version = current_version(c->type);
	/* KV-only transactions keep the version 1 layout (see cmd.h) */
	if (c->type == CMD_KV_TXN && kv_only(c->u.kv.ops, c->u.kv.n))
		version = 1;
	put_u8(out, (uint8_t)version);
	switch (c->type) {
	case CMD_KV_TXN:
		wire_put_le(out, c->u.kv.n, 2);
		for (size_t i = 0; i < c->u.kv.n; i++) {
			if (version == 1)
				encode_kv_op(out, &c->u.kv.ops[i]);
			else
				encode_txn_op(out, &c->u.kv.ops[i]);
		}
		break;
	case CMD_KV_REAP:
		wire_put_le(out, c->u.reap_index, 8);
		break;
	case CMD_CATALOG_REGISTER:
		encode_register(out, &c->u.reg);
		break;
	case CMD_CATALOG_DEREGISTER:
		wire_put_str(out, c->u.dereg.node);
		wire_put_str(out, c->u.dereg.service_id);
		wire_put_str(out, c->u.dereg.check_id);
		break;
	case CMD_SESSION_CREATE:
		encode_session(out, &c->u.sess);
		break;
	case CMD_SESSION_DESTROY:
		wire_put_str(out, c->u.session_id);
		break;
	case CMD_QUERY_SET:
		put_u8(out, c->u.query.update ? 1 : 0);
		pquery_wire_put(out, c->u.query.q);
		break;
	case CMD_QUERY_DELETE:
		wire_put_str(out, c->u.query_id);
		break;
	case CMD_RESTORE:
		buf_append(out, c->u.restore.data, c->u.restore.len);
		break;
	case CMD_AUTOPILOT_SET:
		encode_autopilot(out, &c->u.autopilot.conf, c->u.autopilot.cas,
				 c->u.autopilot.cas_index);
		break;
	}
}

/* Reads go through state/wire.h's bounds-checked reader (struct wire_rd);
 * the helpers below add the command's own limits. */
static size_t left(const struct wire_rd *r)
{
	return (size_t)(r->end - r->p);
}

/* The end of a record: every byte read, none bad. */
static int finished(const struct wire_rd *r)
{
	return r->bad || left(r) ? CAIRN_E_PARSE : 0;
}

/* A length-prefixed field as a fresh NUL-terminated copy; NULL when bad. */
static char *get_bytes(struct wire_rd *r, size_t *len, bool allow_nul)
{
	uint64_t n = wire_get_le(r, 4);
	if (r->bad || n > CMD_MAX_FIELD || n > left(r)) {
		r->bad = true;
		return NULL;
	}
	if (!allow_nul && memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup((const char *)r->p, n);
	r->p += n;
	*len = n;
	return s;
}

/* A str field (fresh copy); on a bad read "" is not allocated: NULL, r->bad. */
static char *get_str(struct wire_rd *r)
{
	size_t len;
	return get_bytes(r, &len, false);
}

static char *get_ostr(struct wire_rd *r)
{
	if (left(r) >= 4 && r->p[0] == 0xff && r->p[1] == 0xff && r->p[2] == 0xff &&
	    r->p[3] == 0xff) {
		wire_get_le(r, 4);
		return NULL;
	}
	return get_str(r);
}

/* A count of elements of at least min_size bytes each. */
static size_t get_count(struct wire_rd *r, size_t min_size)
{
	uint64_t n = wire_get_le(r, 4);
	if (n > CMD_MAX_OPS || n > left(r) / min_size)
		r->bad = true;
	return r->bad ? 0 : (size_t)n;
}

static struct cat_pair *get_map(struct wire_rd *r, size_t *n)
{
	*n = get_count(r, 8);
	struct cat_pair *m = xcalloc(*n ? *n : 1, sizeof(*m));
	for (size_t i = 0; i < *n; i++) {
		m[i].key = get_str(r);
		m[i].value = get_str(r);
	}
	return m;
}

static const char **get_list(struct wire_rd *r, size_t *n)
{
	*n = get_count(r, 4);
	const char **v = xcalloc(*n ? *n : 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = get_str(r);
	return v;
}

static void decode_service(struct wire_rd *r, struct cat_service *svc)
{
	svc->id = get_str(r);
	svc->name = get_str(r);
	svc->kind = get_str(r);
	svc->tags = get_list(r, &svc->ntags);
	svc->address = get_str(r);
	svc->ntagged = get_count(r, 12);
	struct cat_svc_addr *ta = xcalloc(svc->ntagged ? svc->ntagged : 1, sizeof(*ta));
	svc->tagged = ta;
	for (size_t i = 0; i < svc->ntagged; i++) {
		ta[i].key = get_str(r);
		ta[i].address = get_str(r);
		ta[i].port = (int32_t)(uint32_t)wire_get_le(r, 4);
	}
	svc->meta = get_map(r, &svc->nmeta);
	svc->port = (int32_t)(uint32_t)wire_get_le(r, 4);
	svc->socket_path = get_str(r);
	svc->weight_passing = (int32_t)(uint32_t)wire_get_le(r, 4);
	svc->weight_warning = (int32_t)(uint32_t)wire_get_le(r, 4);
	uint64_t eto = wire_get_le(r, 1);
	if (eto > 1)
		r->bad = true;
	svc->enable_tag_override = eto == 1;
	svc->proxy_json = get_ostr(r);
	svc->connect_json = get_ostr(r);
	svc->locality_json = get_ostr(r);
}

static void decode_check(struct wire_rd *r, struct cat_check *chk)
{
	chk->id = get_str(r);
	chk->name = get_str(r);
	uint64_t st = wire_get_le(r, 1);
	if (st >= CAT_STATUS_COUNT_)
		r->bad = true;
	chk->status = (enum cat_status)st;
	chk->notes = get_str(r);
	chk->output = get_str(r);
	chk->service_id = get_str(r);
	chk->type = get_str(r);
	chk->interval = get_str(r);
	chk->timeout = get_str(r);
	chk->exposed_port = (int32_t)(uint32_t)wire_get_le(r, 4);
	chk->definition_json = get_ostr(r);
}

/* Smallest encodings: a service of empty fields, a check of empty fields. */
#define MIN_SERVICE 57
#define MIN_CHECK   41

static int decode_kv_op(struct wire_rd *r, struct kv_op *op)
{
	size_t len;
	uint64_t verb = wire_get_le(r, 1);
	op->flags = wire_get_le(r, 8);
	op->index = wire_get_le(r, 8);
	if (r->bad || verb >= KV_VERB_COUNT_)
		return CAIRN_E_PARSE;
	op->verb = (enum kv_verb)verb;
	if (!(op->key = get_bytes(r, &len, false)))
		return CAIRN_E_PARSE;
	uint64_t has = wire_get_le(r, 1);
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
	return 0;
}

/* A version 2 op (cmd.h). */
static int decode_txn_op(struct wire_rd *r, struct kv_op *op)
{
	uint64_t kind = wire_get_le(r, 1);
	if (r->bad || kind >= TXN_OP_KIND_COUNT_)
		return CAIRN_E_PARSE;
	op->kind = (enum txn_op_kind)kind;
	if (op->kind == TXN_OP_KV)
		return decode_kv_op(r, op);
	uint64_t verb = wire_get_le(r, 1);
	op->index = wire_get_le(r, 8);
	if (r->bad || verb >= KV_VERB_COUNT_ || !txn_verb_allowed(op->kind, (enum kv_verb)verb))
		return CAIRN_E_PARSE;
	op->verb = (enum kv_verb)verb;
	struct txn_cat_op *cat = op->cat = xcalloc(1, sizeof(*cat));
	switch (op->kind) {
	case TXN_OP_NODE:
		cat->node.id = get_str(r);
		cat->node.name = get_str(r);
		cat->node.address = get_str(r);
		cat->node.datacenter = get_str(r);
		cat->node.tagged = get_map(r, &cat->node.ntagged);
		cat->node.meta = get_map(r, &cat->node.nmeta);
		break;
	case TXN_OP_SERVICE:
		cat->node.name = get_str(r);
		if (!r->bad)
			decode_service(r, &cat->svc);
		break;
	default:
		cat->chk.node = get_str(r);
		if (!r->bad)
			decode_check(r, &cat->chk);
		break;
	}
	return r->bad ? CAIRN_E_PARSE : 0;
}

static int decode_kv(struct wire_rd *r, struct cmd *c)
{
	uint64_t n = wire_get_le(r, 2);
	if (r->bad || n == 0 || n > CMD_MAX_OPS)
		return CAIRN_E_PARSE;
	c->u.kv.ops = xcalloc(n, sizeof(struct kv_op));
	c->u.kv.n = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct kv_op *op = &c->u.kv.ops[i];
		c->u.kv.n = i + 1;
		int rv = c->version == 1 ? decode_kv_op(r, op) : decode_txn_op(r, op);
		if (rv)
			return rv;
	}
	/* version 2 only carries transactions with a catalog op (cmd.h) */
	if (c->version > 1 && kv_only(c->u.kv.ops, c->u.kv.n))
		return CAIRN_E_PARSE;
	return left(r) == 0 ? 0 : CAIRN_E_PARSE;
}

static int decode_register(struct wire_rd *r, struct cat_register *reg)
{
	uint64_t flags = wire_get_le(r, 1);
	if (flags > 1)
		return CAIRN_E_PARSE;
	reg->skip_node_update = flags & 1;
	struct cat_node *n = xcalloc(1, sizeof(*n));
	reg->node = n;
	n->id = get_str(r);
	n->name = get_str(r);
	n->address = get_str(r);
	n->datacenter = get_str(r);
	n->tagged = get_map(r, &n->ntagged);
	n->meta = get_map(r, &n->nmeta);
	reg->nservices = get_count(r, MIN_SERVICE);
	struct cat_service *svcs = xcalloc(reg->nservices ? reg->nservices : 1, sizeof(*svcs));
	reg->services = svcs;
	for (size_t i = 0; i < reg->nservices && !r->bad; i++)
		decode_service(r, &svcs[i]);
	reg->nchecks = get_count(r, MIN_CHECK);
	struct cat_check *chks = xcalloc(reg->nchecks ? reg->nchecks : 1, sizeof(*chks));
	reg->checks = chks;
	for (size_t i = 0; i < reg->nchecks && !r->bad; i++)
		decode_check(r, &chks[i]);
	return finished(r);
}

static int decode_session(struct wire_rd *r, struct session *e)
{
	e->id = get_str(r);
	e->name = get_str(r);
	e->node = get_str(r);
	e->lock_delay_ns = wire_get_le(r, 8);
	uint64_t b = wire_get_le(r, 1);
	if (b >= SESSION_BEHAVIOR_COUNT_)
		r->bad = true;
	e->behavior = (enum session_behavior)b;
	e->ttl = get_str(r);
	e->node_checks = get_list(r, &e->nnode_checks);
	e->nsvc_checks = get_count(r, 8);
	e->svc_checks = xcalloc(e->nsvc_checks ? e->nsvc_checks : 1, sizeof(*e->svc_checks));
	for (size_t i = 0; i < e->nsvc_checks; i++) {
		e->svc_checks[i].id = get_str(r);
		e->svc_checks[i].ns = get_str(r);
	}
	e->checks = get_list(r, &e->nchecks);
	return finished(r);
}

static int decode_query(struct wire_rd *r, struct cmd *c)
{
	uint64_t op = wire_get_le(r, 1);
	if (r->bad || op > 1)
		return CAIRN_E_PARSE;
	c->u.query.update = op == 1;
	const unsigned char *p = r->p;
	c->u.query.q = pquery_wire_get(&p, r->end);
	if (!c->u.query.q || p != r->end)
		return CAIRN_E_PARSE;
	r->p = p;
	return 0;
}

/* A str field into a fixed array of cap bytes (NUL included). */
static void get_tag(struct wire_rd *r, char *out, size_t cap)
{
	char *s = get_str(r);
	if (s && strlen(s) < cap)
		strcpy(out, s);
	else
		r->bad = true;
	free(s);
}

static int decode_autopilot(struct wire_rd *r, struct cmd *c)
{
	struct autopilot_config *a = &c->u.autopilot.conf;
	uint64_t flags = wire_get_le(r, 1);
	a->cleanup_dead_servers = flags & 1;
	a->disable_upgrade_migration = flags & 2;
	c->u.autopilot.cas = flags & 4;
	a->last_contact_threshold_ns = wire_get_le(r, 8);
	a->max_trailing_logs = wire_get_le(r, 8);
	a->min_quorum = wire_get_le(r, 8);
	a->server_stabilization_time_ns = wire_get_le(r, 8);
	get_tag(r, a->redundancy_zone_tag, sizeof(a->redundancy_zone_tag));
	get_tag(r, a->upgrade_version_tag, sizeof(a->upgrade_version_tag));
	c->u.autopilot.cas_index = wire_get_le(r, 8);
	return r->bad || left(r) || (flags & ~7u) ? CAIRN_E_PARSE : 0;
}

static int decode_restore(struct wire_rd *r, struct cmd *c)
{
	if (left(r) == 0 || left(r) > SIZE_MAX / 2)
		return CAIRN_E_PARSE;
	void *copy = xmalloc(left(r));
	memcpy(copy, r->p, left(r));
	c->u.restore.data = copy;
	c->u.restore.len = left(r);
	r->p = r->end;
	return 0;
}

int cmd_decode(const void *data, size_t len, struct cmd *c)
{
	struct wire_rd r = {data, (const unsigned char *)data + len, false};
	memset(c, 0, sizeof(*c));
	uint64_t type = wire_get_le(&r, 1);
	uint64_t version = wire_get_le(&r, 1);
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
		c->u.reap_index = wire_get_le(&r, 8);
		rv = finished(&r);
		break;
	case CMD_CATALOG_REGISTER:
		rv = decode_register(&r, &c->u.reg);
		break;
	case CMD_CATALOG_DEREGISTER:
		c->u.dereg.node = get_str(&r);
		c->u.dereg.service_id = get_str(&r);
		c->u.dereg.check_id = get_str(&r);
		rv = finished(&r);
		break;
	case CMD_SESSION_CREATE:
		rv = decode_session(&r, &c->u.sess);
		break;
	case CMD_SESSION_DESTROY:
		c->u.session_id = get_str(&r);
		rv = finished(&r);
		break;
	case CMD_QUERY_SET:
		rv = decode_query(&r, c);
		break;
	case CMD_QUERY_DELETE:
		c->u.query_id = get_str(&r);
		rv = finished(&r);
		break;
	case CMD_RESTORE:
		rv = decode_restore(&r, c);
		break;
	case CMD_AUTOPILOT_SET:
		rv = decode_autopilot(&r, c);
		break;
	default:
		rv = CAIRN_E_VERSION;
	}
	if (rv)
		cmd_free(c);
	return rv;
}

static void free_pairs(const struct cat_pair *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free((char *)m[i].key);
		free((char *)m[i].value);
	}
	free((void *)m);
}

static void free_list(const char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free((char *)v[i]);
	free(v);
}

static void free_service(const struct cat_service *svc)
{
	free((char *)svc->id);
	free((char *)svc->name);
	free((char *)svc->kind);
	free_list(svc->tags, svc->ntags);
	free((char *)svc->address);
	for (size_t i = 0; svc->tagged && i < svc->ntagged; i++) {
		free((char *)svc->tagged[i].key);
		free((char *)svc->tagged[i].address);
	}
	free(svc->tagged);
	free_pairs(svc->meta, svc->nmeta);
	free((char *)svc->socket_path);
	free((char *)svc->proxy_json);
	free((char *)svc->connect_json);
	free((char *)svc->locality_json);
}

static void free_check(const struct cat_check *chk)
{
	const char *s[] = {chk->id,	  chk->name,	   chk->notes,
			   chk->output,	  chk->service_id, chk->type,
			   chk->interval, chk->timeout,	   chk->definition_json};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free((char *)s[i]);
}

/* Decoded registers only: every pointer is the decoder's (or NULL). */
static void free_register(struct cat_register *reg)
{
	const struct cat_node *n = reg->node;
	if (n) {
		free((char *)n->id);
		free((char *)n->name);
		free((char *)n->address);
		free((char *)n->datacenter);
		free_pairs(n->tagged, n->ntagged);
		free_pairs(n->meta, n->nmeta);
		free((void *)n);
	}
	for (size_t i = 0; reg->services && i < reg->nservices; i++)
		free_service(&reg->services[i]);
	free((void *)reg->services);
	for (size_t i = 0; reg->checks && i < reg->nchecks; i++)
		free_check(&reg->checks[i]);
	free((void *)reg->checks);
}

/* Decoded sessions only: every pointer is the decoder's (or NULL). */
static void free_session(struct session *e)
{
	free((char *)e->id);
	free((char *)e->name);
	free((char *)e->node);
	free((char *)e->ttl);
	free_list(e->node_checks, e->nnode_checks);
	free_list(e->checks, e->nchecks);
	for (size_t i = 0; e->svc_checks && i < e->nsvc_checks; i++) {
		free((char *)e->svc_checks[i].id);
		free((char *)e->svc_checks[i].ns);
	}
	free(e->svc_checks);
}

void txn_cat_op_free(struct txn_cat_op *op)
{
	if (!op)
		return;
	free((char *)op->node.id);
	free((char *)op->node.name);
	free((char *)op->node.address);
	free((char *)op->node.datacenter);
	free_pairs(op->node.tagged, op->node.ntagged);
	free_pairs(op->node.meta, op->node.nmeta);
	free_service(&op->svc);
	free((char *)op->chk.node);
	free_check(&op->chk);
	free(op);
}

void cmd_free(struct cmd *c)
{
	if (c->type == CMD_KV_TXN && c->u.kv.ops) {
		for (size_t i = 0; i < c->u.kv.n; i++) {
			free(c->u.kv.ops[i].key);
			free(c->u.kv.ops[i].value);
			free(c->u.kv.ops[i].session);
			txn_cat_op_free(c->u.kv.ops[i].cat);
		}
		free(c->u.kv.ops);
	} else if (c->type == CMD_CATALOG_REGISTER) {
		free_register(&c->u.reg);
	} else if (c->type == CMD_CATALOG_DEREGISTER) {
		free((char *)c->u.dereg.node);
		free((char *)c->u.dereg.service_id);
		free((char *)c->u.dereg.check_id);
	} else if (c->type == CMD_SESSION_CREATE) {
		free_session(&c->u.sess);
	} else if (c->type == CMD_SESSION_DESTROY) {
		free((char *)c->u.session_id);
	} else if (c->type == CMD_QUERY_SET) {
		pquery_unref(c->u.query.q);
	} else if (c->type == CMD_QUERY_DELETE) {
		free((char *)c->u.query_id);
	} else if (c->type == CMD_RESTORE) {
		free((void *)c->u.restore.data);
	}
	memset(c, 0, sizeof(*c));
}
