/*
 * Keyring operations across one gossip pool (model and wire forms in
 * pool_keyring.h): the origin's operations collecting answers, every
 * member's handling of requests, and the de-duplication that makes each
 * message gossiped on once.
 *
 * State (struct pool_keyring_state, p->kq) is created on the first message
 * or operation: one timer, the inbox of messages the hook queued (the hook
 * runs inside the SWIM core, where nothing may change the keyring or call
 * back into the agent), the operations this node started, and a ring of the
 * fingerprints of recent messages. The timer drains the inbox, completes
 * finished or timed-out operations (their callbacks run from here, outside
 * any caller) and re-arms for the earliest deadline.
 *
 * Freed by gossip_pool_keyring_close (from gossip_pool_close): operations in
 * flight complete with an error, the timer closes, and its close callback
 * frees the state and drops the pool reference the pool took for it.
 */
#include "gossip/pool_keyring.h"
#include "gossip/pool.h"
#include "gossip/pool_int.h"

#include "base/random.h"
#include "base/alloc.h"
#include "base/b64.h"
#include "base/err.h"
#include "base/log.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEEN_MAX 1024 /* fingerprints remembered: far more than one query's messages */

struct inbox {
	struct inbox *next;
	size_t len;
	uint8_t data[];
};

struct op {
	struct op *next;
	uint64_t qid;
	uint64_t deadline; /* uv_now ms */
	bool finished;	   /* complete before the deadline (all answered, or refused) */
	struct pool_keyring_result res;
	size_t cap_msgs, cap_keys, cap_primary;
	pool_keyring_cb cb;
	void *data;
};

struct pool_keyring_state {
	struct gossip_pool *p;
	uv_timer_t timer;
	struct inbox *in, **in_tail;
	struct op *ops;
	uint64_t seen[SEEN_MAX];
	size_t seen_n, seen_at;
};

static const char *const op_name[] = {
    [POOL_KEYRING_INSTALL] = "install-key",
    [POOL_KEYRING_USE] = "use-key",
    [POOL_KEYRING_REMOVE] = "remove-key",
    [POOL_KEYRING_LIST] = "list-keys",
};

/* ---- de-duplication ---- */

static uint64_t fingerprint(const struct pool_keyring_wire *m)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	uint8_t head[9] = {m->kind};
	for (int i = 0; i < 8; i++)
		head[1 + i] = (uint8_t)(m->qid >> (8 * i));
	for (size_t i = 0; i < sizeof(head); i++)
		h = (h ^ head[i]) * 0x100000001b3ull;
	for (const char *s = m->name; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

/* True when fp was seen; otherwise remembers it. */
static bool seen_before(struct pool_keyring_state *q, uint64_t fp)
{
	for (size_t i = 0; i < q->seen_n; i++)
		if (q->seen[i] == fp)
			return true;
	q->seen[q->seen_at] = fp;
	q->seen_at = (q->seen_at + 1) % SEEN_MAX;
	if (q->seen_n < SEEN_MAX)
		q->seen_n++;
	return false;
}

/* ---- results ---- */

static void add_msg(struct op *o, const char *name, const char *text)
{
	struct pool_keyring_result *r = &o->res;
	if (r->nmsgs == o->cap_msgs) {
		o->cap_msgs = o->cap_msgs ? 2 * o->cap_msgs : 4;
		r->msgs = xrealloc(r->msgs, o->cap_msgs * sizeof(*r->msgs));
	}
	struct pool_keyring_msg *m = &r->msgs[r->nmsgs++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->text = xstrdup(text);
}

static void count_key(struct pool_keyring_count **arr, size_t *n, size_t *cap, const struct gkey *k)
{
	struct buf t = BUF_INIT;
	keyring_encode_key(k, &t);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].key, buf_cstr(&t)) == 0) {
			(*arr)[i].count++;
			buf_free(&t);
			return;
		}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	snprintf((*arr)[*n].key, sizeof((*arr)[*n].key), "%s", buf_cstr(&t));
	(*arr)[(*n)++].count = 1;
	buf_free(&t);
}

/* One member's answer, as serf's streamKeyResp counts it. */
static void add_response(struct op *o, const struct pool_keyring_wire *m)
{
	struct pool_keyring_result *r = &o->res;
	if (o->finished || r->num_resp >= r->num_nodes)
		return; /* serf stops reading once everyone answered */
	r->num_resp++;
	if (!m->ok) {
		add_msg(o, m->name, m->msg);
		r->num_err++;
	} else if (*m->msg) {
		add_msg(o, m->name, m->msg);
	}
	for (size_t i = 0; i < m->nkeys; i++)
		count_key(&r->keys, &r->nkeys, &o->cap_keys, &m->keys[i]);
	if (m->primary != 0xff)
		count_key(&r->primary, &r->nprimary, &o->cap_primary, &m->keys[m->primary]);
	if (r->num_resp >= r->num_nodes)
		o->finished = true;
}

static int by_msg_name(const void *a, const void *b)
{
	return strcmp(((const struct pool_keyring_msg *)a)->name,
		      ((const struct pool_keyring_msg *)b)->name);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct pool_keyring_count *)a)->key,
		      ((const struct pool_keyring_count *)b)->key);
}

static void op_free(struct op *o)
{
	for (size_t i = 0; i < o->res.nmsgs; i++)
		free(o->res.msgs[i].text);
	free(o->res.msgs);
	free(o->res.keys);
	free(o->res.primary);
	free(o);
}

/* Unlinked already: set the error as serf's handleKeyRequest, call back, free. */
static void complete(struct gossip_pool *p, struct op *o)
{
	struct pool_keyring_result *r = &o->res;
	if (*r->error) {
		/* the origin's own failure (bad key text, shutdown) */
	} else if (r->num_err) {
		snprintf(r->error, sizeof(r->error), "%zu/%zu nodes reported failure", r->num_err,
			 r->num_nodes);
	} else if (r->num_resp != r->num_nodes) {
		snprintf(r->error, sizeof(r->error), "%zu/%zu nodes reported success", r->num_resp,
			 r->num_nodes);
	}
	if (r->nmsgs)
		qsort(r->msgs, r->nmsgs, sizeof(*r->msgs), by_msg_name);
	if (r->nkeys)
		qsort(r->keys, r->nkeys, sizeof(*r->keys), by_key);
	if (r->nprimary)
		qsort(r->primary, r->nprimary, sizeof(*r->primary), by_key);
	o->cb(p, r, o->data);
	op_free(o);
}

/* ---- one member's side: apply a request and answer ---- */

static const char *self_name(const struct gossip_pool *p)
{
	return p->t.mlcfg.name;
}

/* Apply op to our keyring and fill the answer r (serf's handle*Key). */
static void apply(struct gossip_pool *p, uint8_t op, const struct gkey *key,
		  struct pool_keyring_wire *r)
{
	struct keyring *kr = &p->keyring;
	char err[KEYRING_ERR_MAX] = "";
	int rc = 0;
	r->ok = false;
	r->primary = 0xff;
	if (kr->n == 0) {
		snprintf(r->msg, sizeof(r->msg), "%s",
			 op == POOL_KEYRING_LIST ? "Keyring is empty (encryption not enabled)"
						 : "No keyring to modify (encryption not enabled)");
		log_warn(gossip_pool_log(p), "%s", r->msg);
		return;
	}
	log_info(gossip_pool_log(p), "received %s query", op_name[op]);
	if (op == POOL_KEYRING_LIST) {
		for (size_t i = 0; i < kr->n && i < POOL_KEYRING_KEYS_MAX; i++)
			r->keys[r->nkeys++] = kr->keys[i];
		r->primary = r->nkeys ? 0 : 0xff;
		if (kr->n > POOL_KEYRING_KEYS_MAX)
			snprintf(r->msg, sizeof(r->msg),
				 "truncated key list response, showing first %d of %zu keys",
				 POOL_KEYRING_KEYS_MAX, kr->n);
		r->ok = true;
		return;
	}
	if (op == POOL_KEYRING_INSTALL) {
		/* memberlist's AddKey message has no "Invalid key: " prefix */
		if (!gkey_valid_len(key->len)) {
			snprintf(err, sizeof(err), "key size must be 16, 24 or 32 bytes");
			rc = CAIRN_E_INVAL;
		} else {
			rc = keyring_install_key(kr, key, err);
		}
	} else {
		struct buf text = BUF_INIT;
		keyring_encode_key(key, &text);
		rc = op == POOL_KEYRING_USE ? keyring_use(kr, buf_cstr(&text), err)
					    : keyring_remove(kr, buf_cstr(&text), err);
		if (text.data)
			OPENSSL_cleanse(text.data, text.cap);
		buf_free(&text);
	}
	if (rc == 0)
		rc = gossip_pool_keyring_save(p, err);
	if (rc) {
		snprintf(r->msg, sizeof(r->msg), "%s", err);
		log_warn(gossip_pool_log(p), "%s query failed: %s", op_name[op], err);
		return;
	}
	r->ok = true;
}

/* Encode r, dropping listed keys until it fits (serf's
 * keyListResponseWithCorrectSize). */
static int encode_answer(struct pool_keyring_wire *r, uint8_t *out, size_t *len)
{
	size_t total = r->nkeys;
	for (;;) {
		int rc = pool_keyring_encode(r, out, GOSSIP_USER_MAX, len);
		if (rc != CAIRN_E_TOOBIG || r->nkeys == 0)
			return rc;
		r->nkeys--;
		if (r->primary != 0xff && r->primary >= r->nkeys)
			r->primary = 0xff;
		snprintf(r->msg, sizeof(r->msg),
			 "truncated key list response, showing first %u of %zu keys",
			 (unsigned)r->nkeys, total);
	}
}

static void answer(struct pool_keyring_state *q, const struct pool_keyring_wire *req)
{
	struct gossip_pool *p = q->p;
	struct pool_keyring_wire *r = xcalloc(1, sizeof(*r));
	r->kind = POOL_KEYRING_RESP;
	r->op = req->op;
	r->qid = req->qid;
	snprintf(r->name, sizeof(r->name), "%s", self_name(p));
	apply(p, req->op, &req->key, r);
	uint8_t out[GOSSIP_USER_MAX];
	size_t len = 0;
	seen_before(q, fingerprint(r)); /* our own answer coming back is not news */
	if (encode_answer(r, out, &len) != 0 || gossip_pool_broadcast(p, out, len) != 0)
		log_warn(gossip_pool_log(p), "could not send the %s answer", op_name[req->op]);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* ---- the timer ---- */

static struct op *find_op(struct pool_keyring_state *q, uint64_t qid)
{
	for (struct op *o = q->ops; o; o = o->next)
		if (o->qid == qid)
			return o;
	return NULL;
}

static void handle(struct pool_keyring_state *q, const uint8_t *data, size_t len)
{
	struct pool_keyring_wire *m = xcalloc(1, sizeof(*m));
	if (pool_keyring_decode(data, len, m) == 0) {
		if (m->kind == POOL_KEYRING_REQ) {
			answer(q, m);
		} else {
			struct op *o = find_op(q, m->qid);
			if (o && o->res.op == m->op)
				add_response(o, m);
		}
	}
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

static void arm(struct pool_keyring_state *q);

static void on_timer(uv_timer_t *h)
{
	struct pool_keyring_state *q = h->data;
	struct gossip_pool *p = q->p;
	while (q->in) {
		struct inbox *b = q->in;
		q->in = b->next;
		if (!q->in)
			q->in_tail = &q->in;
		handle(q, b->data, b->len);
		OPENSSL_cleanse(b->data, b->len);
		free(b);
	}
	uint64_t now = uv_now(p->loop);
	for (;;) {
		struct op **pp = &q->ops;
		while (*pp && !(*pp)->finished && (*pp)->deadline > now)
			pp = &(*pp)->next;
		struct op *o = *pp;
		if (!o)
			break;
		*pp = o->next; /* unlinked before the callback, which may start another */
		complete(p, o);
	}
	arm(q);
}

static void arm(struct pool_keyring_state *q)
{
	if (q->p->closing)
		return;
	if (q->in) {
		uv_timer_start(&q->timer, on_timer, 0, 0);
		return;
	}
	uint64_t now = uv_now(q->p->loop), next = UINT64_MAX;
	for (struct op *o = q->ops; o; o = o->next) {
		uint64_t d = o->finished ? now : o->deadline;
		if (d < next)
			next = d;
	}
	if (next == UINT64_MAX)
		uv_timer_stop(&q->timer);
	else
		uv_timer_start(&q->timer, on_timer, next > now ? next - now : 0, 0);
}

static struct pool_keyring_state *state(struct gossip_pool *p)
{
	if (p->kq)
		return p->kq;
	struct pool_keyring_state *q = xcalloc(1, sizeof(*q));
	q->p = p;
	q->in_tail = &q->in;
	uv_timer_init(p->loop, &q->timer);
	q->timer.data = q;
	p->kq = q;
	return q;
}

/* ---- the hook (inside the core) ---- */

bool gossip_pool_keyring_msg(struct gossip_pool *p, const uint8_t *data, size_t len)
{
	if (p->closing || !p->started)
		return false;
	struct pool_keyring_wire *m = xcalloc(1, sizeof(*m));
	bool news = false;
	int rc = pool_keyring_decode(data, len, m);
	if (rc) {
		log_debug(gossip_pool_log(p), "dropped a keyring message of %zu bytes: %s", len,
			  cairn_strerror(rc));
	} else {
		struct pool_keyring_state *q = state(p);
		news = !seen_before(q, fingerprint(m));
		/* answers to others' queries are only passed on */
		if (news && (m->kind == POOL_KEYRING_REQ || find_op(q, m->qid))) {
			struct inbox *b = xmalloc(sizeof(*b) + len);
			b->next = NULL;
			b->len = len;
			memcpy(b->data, data, len);
			*q->in_tail = b;
			q->in_tail = &b->next;
			arm(q);
		}
	}
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	return news;
}

/* ---- the origin ---- */

/* serf's DefaultQueryTimeout: gossip_interval * 16 * ceil(log10(n + 1)). */
static uint64_t query_timeout(const struct gossip_pool *p, size_t n)
{
	uint64_t mult = 0;
	for (uint64_t m = 1; m < (uint64_t)n + 1; m *= 10)
		mult++;
	return p->t.mlcfg.gossip_interval * POOL_KEYRING_QUERY_MULT * (mult ? mult : 1);
}

static uint64_t random_qid(void)
{
	uint64_t v;
	random_bytes(&v, sizeof(v));
	return v;
}

/* Decode the operator's key text as serf does before it asks anyone. */
static int decode_key(const char *text, struct gkey *out, char *err)
{
	struct buf b = BUF_INIT;
	size_t at = 0;
	int rc = 0;
	if (b64_decode_go(&b, text, strlen(text), &at) != 0) {
		snprintf(err, KEYRING_ERR_MAX, "illegal base64 data at input byte %zu", at);
		rc = CAIRN_E_INVAL;
	} else if (b.len > GKEY_MAX) {
		snprintf(err, KEYRING_ERR_MAX, "key size must be 16, 24 or 32 bytes");
		rc = CAIRN_E_INVAL;
	} else {
		out->len = (uint8_t)b.len;
		if (b.len)
			memcpy(out->b, b.data, b.len);
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.cap);
	buf_free(&b);
	return rc;
}

/* The origin's own answer, truncated as everyone's. */
static void answer_own(struct gossip_pool *p, struct op *o, const struct pool_keyring_wire *req)
{
	struct pool_keyring_wire *self = xcalloc(1, sizeof(*self));
	self->kind = POOL_KEYRING_RESP;
	self->op = req->op;
	self->qid = req->qid;
	snprintf(self->name, sizeof(self->name), "%s", req->name);
	apply(p, req->op, &req->key, self);
	uint8_t enc[GOSSIP_USER_MAX];
	size_t len;
	encode_answer(self, enc, &len);
	OPENSSL_cleanse(enc, sizeof(enc));
	add_response(o, self);
	OPENSSL_cleanse(self, sizeof(*self));
	free(self);
}

/* Ask everyone, then answer ourselves. On failure the operation ends with
 * the origin's error. */
static void start(struct pool_keyring_state *q, struct op *o, struct pool_keyring_wire *req,
		  const char *key)
{
	struct gossip_pool *p = q->p;
	if (req->op != POOL_KEYRING_LIST && decode_key(key ? key : "", &req->key, o->res.error)) {
		o->finished = true; /* nobody asked: NumNodes 0, as serf */
		return;
	}
	o->res.num_nodes = serf_num_alive(p->serf);
	o->deadline = uv_now(p->loop) + query_timeout(p, o->res.num_nodes);
	seen_before(q, fingerprint(req));
	uint8_t out[GOSSIP_USER_MAX];
	size_t len = 0;
	int rc = pool_keyring_encode(req, out, sizeof(out), &len);
	if (rc == 0)
		rc = gossip_pool_broadcast(p, out, len);
	OPENSSL_cleanse(out, sizeof(out));
	if (rc) {
		snprintf(o->res.error, sizeof(o->res.error), "%s", cairn_strerror(rc));
		o->finished = true;
		return;
	}
	log_info(gossip_pool_log(p), "starting %s query", op_name[req->op]);
	answer_own(p, o, req);
}

int gossip_pool_keyring_op(struct gossip_pool *p, enum pool_keyring_op kind, const char *key,
			   pool_keyring_cb cb, void *data)
{
	if (p->closing || !p->started || !p->serf || kind < POOL_KEYRING_INSTALL ||
	    kind > POOL_KEYRING_LIST)
		return CAIRN_E_SHUTDOWN;
	struct pool_keyring_state *q = state(p);
	struct op *o = xcalloc(1, sizeof(*o));
	o->cb = cb;
	o->data = data;
	o->qid = random_qid();
	o->res.op = kind;
	o->next = q->ops;
	q->ops = o;
	struct pool_keyring_wire *req = xcalloc(1, sizeof(*req));
	req->kind = POOL_KEYRING_REQ;
	req->op = (uint8_t)kind;
	req->qid = o->qid;
	req->primary = 0xff;
	snprintf(req->name, sizeof(req->name), "%s", self_name(p));
	start(q, o, req, key);
	OPENSSL_cleanse(req, sizeof(*req));
	free(req);
	arm(q);
	return 0;
}

/* ---- close ---- */

static void closed(uv_handle_t *h)
{
	struct pool_keyring_state *q = h->data;
	struct gossip_pool *p = q->p;
	free(q);
	gossip_pool_release(p);
}

bool gossip_pool_keyring_close(struct gossip_pool *p)
{
	struct pool_keyring_state *q = p->kq;
	if (!q)
		return false;
	p->kq = NULL;
	while (q->in) {
		struct inbox *b = q->in;
		q->in = b->next;
		OPENSSL_cleanse(b->data, b->len);
		free(b);
	}
	while (q->ops) {
		struct op *o = q->ops;
		q->ops = o->next;
		snprintf(o->res.error, sizeof(o->res.error), "gossip is shutting down");
		complete(p, o);
	}
	uv_close((uv_handle_t *)&q->timer, closed);
	return true;
}
