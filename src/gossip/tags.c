/*
 * Member tags: the sorted map and its wire form (tags.h has the layout).
 * Lookups are binary searches; maps hold a dozen entries, so inserts just
 * shift the array.
 */
#include "gossip/tags.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

void tags_init(struct tags *t)
{
	memset(t, 0, sizeof(*t));
}

void tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].key);
		free(t->items[i].value);
	}
	free(t->items);
	tags_init(t);
}

/* Index of key, or of where it would go (*found false). */
static size_t find(const struct tags *t, const char *key, bool *found)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->items[mid].key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Take ownership of key and value (both malloc'ed). */
static void put_owned(struct tags *t, char *key, char *value)
{
	bool found;
	size_t i = find(t, key, &found);
	if (found) {
		free(key);
		free(t->items[i].value);
		t->items[i].value = value;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
	}
	memmove(t->items + i + 1, t->items + i, (t->n - i) * sizeof(*t->items));
	t->items[i].key = key;
	t->items[i].value = value;
	t->n++;
}

int tags_set(struct tags *t, const char *key, const char *value)
{
	size_t kl = strlen(key);
	if (kl == 0 || kl > TAGS_KEY_MAX || strlen(value) > TAGS_META_MAX)
		return CAIRN_E_INVAL;
	put_owned(t, xstrdup(key), xstrdup(value));
	return 0;
}

const char *tags_get(const struct tags *t, const char *key)
{
	bool found;
	size_t i = find(t, key, &found);
	return found ? t->items[i].value : NULL;
}

bool tags_del(struct tags *t, const char *key)
{
	bool found;
	size_t i = find(t, key, &found);
	if (!found)
		return false;
	free(t->items[i].key);
	free(t->items[i].value);
	memmove(t->items + i, t->items + i + 1, (t->n - i - 1) * sizeof(*t->items));
	t->n--;
	return true;
}

bool tags_equal(const struct tags *a, const struct tags *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
		    strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	return true;
}

size_t tags_encoded_size(const struct tags *t)
{
	size_t n = 2;
	for (size_t i = 0; i < t->n; i++)
		n += 3 + strlen(t->items[i].key) + strlen(t->items[i].value);
	return n;
}

int tags_encode(const struct tags *t, uint8_t *out, size_t cap, size_t *len, struct buf *err)
{
	size_t need = tags_encoded_size(t);
	size_t limit = cap < TAGS_META_MAX ? cap : TAGS_META_MAX;
	/* 255 pairs cannot fit: each takes at least 4 bytes */
	if (need > limit || t->n > 255) {
		if (err)
			buf_printf(err,
				   "node tags are too large: %zu bytes encoded, the limit is %zu "
				   "bytes",
				   need, limit);
		return CAIRN_E_TOOBIG;
	}
	uint8_t *p = out;
	*p++ = TAGS_WIRE_VERSION;
	*p++ = (uint8_t)t->n;
	for (size_t i = 0; i < t->n; i++) {
		size_t kl = strlen(t->items[i].key), vl = strlen(t->items[i].value);
		*p++ = (uint8_t)kl;
		memcpy(p, t->items[i].key, kl);
		p += kl;
		*p++ = (uint8_t)(vl >> 8);
		*p++ = (uint8_t)vl;
		memcpy(p, t->items[i].value, vl);
		p += vl;
	}
	*len = (size_t)(p - out);
	return 0;
}

static int decode(const uint8_t *p, size_t n, struct tags *t)
{
	if (n < 1)
		return CAIRN_E_PARSE;
	if (p[0] != TAGS_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (n < 2 || n > TAGS_META_MAX)
		return CAIRN_E_PARSE;
	size_t count = p[1], off = 2;
	const char *prev = NULL;
	size_t prev_len = 0;
	for (size_t i = 0; i < count; i++) {
		if (off >= n)
			return CAIRN_E_PARSE;
		size_t kl = p[off++];
		if (kl == 0 || kl + 2 > n - off)
			return CAIRN_E_PARSE;
		const char *key = (const char *)p + off;
		off += kl;
		size_t vl = (size_t)p[off] << 8 | p[off + 1];
		off += 2;
		if (vl > n - off)
			return CAIRN_E_PARSE;
		const char *val = (const char *)p + off;
		off += vl;
		if (memchr(key, 0, kl) || memchr(val, 0, vl))
			return CAIRN_E_PARSE;
		if (prev) { /* strictly ascending, as strcmp orders */
			size_t m = kl < prev_len ? kl : prev_len;
			int c = memcmp(prev, key, m);
			if (c > 0 || (c == 0 && prev_len >= kl))
				return CAIRN_E_PARSE;
		}
		prev = key;
		prev_len = kl;
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 8;
			t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
		}
		t->items[t->n].key = xstrndup(key, kl);
		t->items[t->n].value = xstrndup(val, vl);
		t->n++;
	}
	return off == n ? 0 : CAIRN_E_PARSE;
}

int tags_decode(const void *p, size_t n, struct tags *t)
{
	tags_free(t);
	int rc = decode(p, n, t);
	if (rc)
		tags_free(t);
	return rc;
}
