/*
 * The keyring operation messages' codec (the tables are in pool_keyring.h).
 * Pure: no allocation, no state. The decoder takes nothing on trust: kind,
 * version, operation, reserved bits, every length, and that the lengths add
 * up to exactly the input.
 */
#include "gossip/pool_keyring.h"

#include "base/be.h"
#include "base/err.h"

#include <string.h>

#define HDR 12 /* kind, version, op, flags, query id */

static bool op_ok(uint8_t op)
{
	return op >= POOL_KEYRING_INSTALL && op <= POOL_KEYRING_LIST;
}

int pool_keyring_encode(const struct pool_keyring_wire *m, uint8_t *out, size_t cap, size_t *len)
{
	size_t name = strnlen(m->name, sizeof(m->name));
	size_t msg = strnlen(m->msg, sizeof(m->msg));
	bool req = m->kind == POOL_KEYRING_REQ;
	if ((!req && m->kind != POOL_KEYRING_RESP) || !op_ok(m->op) || name == 0 ||
	    name > GOSSIP_NAME_MAX || msg > POOL_KEYRING_MSG_MAX)
		return CAIRN_E_INVAL;
	if (req && (m->key.len > GKEY_MAX || (m->op == POOL_KEYRING_LIST && m->key.len)))
		return CAIRN_E_INVAL;
	if (!req &&
	    (m->nkeys > POOL_KEYRING_KEYS_MAX || (m->primary != 0xff && m->primary >= m->nkeys)))
		return CAIRN_E_INVAL;
	size_t need = HDR + 1 + name;
	if (req) {
		need += 1 + m->key.len;
	} else {
		need += 2 + msg + 2;
		for (size_t i = 0; i < m->nkeys; i++) {
			if (!gkey_valid_len(m->keys[i].len))
				return CAIRN_E_INVAL;
			need += 1 + m->keys[i].len;
		}
	}
	if (need > cap || need > GOSSIP_USER_MAX)
		return CAIRN_E_TOOBIG;
	uint8_t *p = out;
	*p++ = m->kind;
	*p++ = POOL_KEYRING_VERSION;
	*p++ = m->op;
	*p++ = !req && m->ok ? 1 : 0;
	be64_put(p, m->qid);
	p += 8;
	*p++ = (uint8_t)name;
	memcpy(p, m->name, name);
	p += name;
	if (req) {
		*p++ = m->key.len;
		memcpy(p, m->key.b, m->key.len);
		p += m->key.len;
	} else {
		be16_put(p, (uint16_t)msg);
		p += 2;
		memcpy(p, m->msg, msg);
		p += msg;
		*p++ = m->nkeys;
		*p++ = m->primary;
		for (size_t i = 0; i < m->nkeys; i++) {
			*p++ = m->keys[i].len;
			memcpy(p, m->keys[i].b, m->keys[i].len);
			p += m->keys[i].len;
		}
	}
	*len = (size_t)(p - out);
	return 0;
}

/* A length-prefixed name: 1..GOSSIP_NAME_MAX bytes, no NUL. */
static int get_name(const uint8_t **p, const uint8_t *end, char *out)
{
	if (end - *p < 1)
		return CAIRN_E_PARSE;
	size_t n = *(*p)++;
	if (n == 0 || n > GOSSIP_NAME_MAX || (size_t)(end - *p) < n || memchr(*p, 0, n))
		return CAIRN_E_PARSE;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return 0;
}

static int decode_resp(const uint8_t *p, const uint8_t *end, struct pool_keyring_wire *m)
{
	if (end - p < 2)
		return CAIRN_E_PARSE;
	size_t msg = be16_get(p);
	p += 2;
	if (msg > POOL_KEYRING_MSG_MAX || (size_t)(end - p) < msg || memchr(p, 0, msg))
		return CAIRN_E_PARSE;
	memcpy(m->msg, p, msg);
	m->msg[msg] = '\0';
	p += msg;
	if (end - p < 2)
		return CAIRN_E_PARSE;
	m->nkeys = *p++;
	m->primary = *p++;
	if (m->nkeys > POOL_KEYRING_KEYS_MAX || (m->primary != 0xff && m->primary >= m->nkeys) ||
	    (m->nkeys && m->op != POOL_KEYRING_LIST))
		return CAIRN_E_PARSE;
	for (size_t i = 0; i < m->nkeys; i++) {
		if (end - p < 1)
			return CAIRN_E_PARSE;
		size_t k = *p++;
		if (!gkey_valid_len(k) || (size_t)(end - p) < k)
			return CAIRN_E_PARSE;
		m->keys[i].len = (uint8_t)k;
		memcpy(m->keys[i].b, p, k);
		p += k;
	}
	return p == end ? 0 : CAIRN_E_PARSE;
}

int pool_keyring_decode(const uint8_t *p, size_t n, struct pool_keyring_wire *m)
{
	const uint8_t *end = p + n;
	memset(m, 0, sizeof(*m));
	if (n < 2 || (p[0] != POOL_KEYRING_REQ && p[0] != POOL_KEYRING_RESP) ||
	    p[1] != POOL_KEYRING_VERSION)
		return CAIRN_E_VERSION;
	if (n < HDR || !op_ok(p[2]))
		return CAIRN_E_PARSE;
	m->kind = p[0];
	m->op = p[2];
	bool req = m->kind == POOL_KEYRING_REQ;
	if (p[3] & (req ? 0xff : 0xfe))
		return CAIRN_E_PARSE;
	m->ok = !req && (p[3] & 1);
	m->qid = be64_get(p + 4);
	p += HDR;
	if (get_name(&p, end, m->name))
		return CAIRN_E_PARSE;
	if (!req)
		return decode_resp(p, end, m);
	m->primary = 0xff;
	if (end - p < 1)
		return CAIRN_E_PARSE;
	size_t k = *p++;
	if (k > GKEY_MAX || (size_t)(end - p) != k || (m->op == POOL_KEYRING_LIST && k))
		return CAIRN_E_PARSE;
	m->key.len = (uint8_t)k;
	memcpy(m->key.b, p, k);
	return 0;
}
