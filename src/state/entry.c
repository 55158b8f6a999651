/*
 * KV entries: one allocation each, reference counted, immutable once built.
 *
 * Layout of the single block:
 *
 *   struct kv_entry | key bytes, NUL | session bytes, NUL (if any) | value bytes
 *
 * e->session and e->value point into the block, so kv_entry_unref frees it with
 * one free(). Tombstones are entries with no value and no session whose
 * modify_index is the delete index; only the tree knows which nodes are
 * tombstones. refs is changed on the loop thread only: the snapshot encoder
 * in another thread reads entries but never counts them.
 */
#include "state/internal.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

struct kv_entry *kv_entry_new(const char *key, size_t klen, const void *val, size_t vlen,
			      const char *session, size_t slen)
{
	size_t size =
	    sizeof(struct kv_entry) + klen + 1 + (session ? slen + 1 : 0) + (val ? vlen : 0);
	struct kv_entry *e = xmalloc(size);
	memset(e, 0, sizeof(*e));
	e->refs = 1;
	e->key_len = klen;
	memcpy(e->key, key, klen);
	e->key[klen] = '\0';
	char *p = e->key + klen + 1;
	if (session) {
		e->session = p;
		memcpy(p, session, slen);
		p[slen] = '\0';
		p += slen + 1;
	}
	if (val) {
		e->value = p;
		e->value_len = vlen;
		if (vlen)
			memcpy(p, val, vlen);
	}
	return e;
}

struct kv_entry *kv_tomb_new(const char *key, size_t klen, uint64_t index)
{
	struct kv_entry *e = kv_entry_new(key, klen, NULL, 0, NULL, 0);
	e->modify_index = index;
	return e;
}

void kv_entry_ref(struct kv_entry *e)
{
	e->refs++;
}

void kv_entry_unref(struct kv_entry *e)
{
	if (e && --e->refs == 0)
		free(e);
}
