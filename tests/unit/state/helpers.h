/*
 * Shared helpers for the state unit tests (header-only: each test_*.c is its
 * own executable). dump_store renders everything a store holds, tombstones,
 * index and floor included, so "unchanged" can be asserted as string equality.
 */
#ifndef CAIRN_TEST_STATE_HELPERS_H
#define CAIRN_TEST_STATE_HELPERS_H

#include "state/internal.h"
#include "state/store.h"

#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline void dump_one(void *ctx, struct kv_entry *e, bool tomb)
{
	struct buf *b = ctx;
	buf_printf(b, "%s%s c=%llu m=%llu l=%llu f=%llu s=%s v=", tomb ? "T:" : "", e->key,
		   (unsigned long long)e->create_index, (unsigned long long)e->modify_index,
		   (unsigned long long)e->lock_index, (unsigned long long)e->flags,
		   e->session ? e->session : "-");
	if (e->value) {
		buf_putc(b, '[');
		for (size_t i = 0; i < e->value_len; i++)
			buf_printf(b, "%02x", (unsigned char)e->value[i]);
		buf_putc(b, ']');
	} else {
		buf_puts(b, "null");
	}
	buf_putc(b, '\n');
}

/* Everything the store holds, as text (caller frees). */
static inline char *dump_store(const struct store *s)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "index=%llu floor=%llu live=%zu tombs=%zu\n",
		   (unsigned long long)store_index(s), (unsigned long long)s->floor, kv_count(s),
		   kv_tombstone_count(s));
	kvt_each(&s->kv, dump_one, &b);
	return buf_steal(&b);
}

/* One committed transaction setting key to the string val. */
static inline void put(struct store *s, uint64_t index, const char *key, const char *val)
{
	struct store_txn *t = store_txn_begin(s, index);
	kv_txn_set(t, key, val, val ? strlen(val) : 0, 0);
	store_txn_commit(t);
}

static inline void del(struct store *s, uint64_t index, const char *key)
{
	struct store_txn *t = store_txn_begin(s, index);
	kv_txn_delete(t, key);
	store_txn_commit(t);
}

#endif
