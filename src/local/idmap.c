/* String-keyed hash map (see idmap.h): FNV-1a, chaining, doubling. */
#include "local/idmap.h"

#include "base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct idmap_entry {
	struct idmap_entry *next;
	void *value;
	uint64_t hash;
	char key[];
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void idmap_free(struct idmap *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct idmap_entry *e = m->buckets[i], *n;
		for (; e; e = n) {
			n = e->next;
			free(e);
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static struct idmap_entry **slot(const struct idmap *m, const char *key, uint64_t h)
{
	struct idmap_entry **p = &m->buckets[h & (m->nbuckets - 1)];
	for (; *p; p = &(*p)->next)
		if ((*p)->hash == h && strcmp((*p)->key, key) == 0)
			break;
	return p;
}

void *idmap_get(const struct idmap *m, const char *key)
{
	if (!m->count)
		return NULL;
	struct idmap_entry **p = slot(m, key, hash_str(key));
	return *p ? (*p)->value : NULL;
}

static void grow(struct idmap *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
	struct idmap_entry **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct idmap_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *idmap_put(struct idmap *m, const char *key, void *value)
{
	if (m->count >= m->nbuckets)
		grow(m);
	uint64_t h = hash_str(key);
	struct idmap_entry **p = slot(m, key, h);
	if (*p) {
		void *old = (*p)->value;
		(*p)->value = value;
		return old;
	}
	size_t len = strlen(key);
	struct idmap_entry *e = xmalloc(sizeof(*e) + len + 1);
	e->next = NULL;
	e->value = value;
	e->hash = h;
	memcpy(e->key, key, len + 1);
	*p = e;
	m->count++;
	return NULL;
}

void *idmap_del(struct idmap *m, const char *key)
{
	if (!m->count)
		return NULL;
	struct idmap_entry **p = slot(m, key, hash_str(key));
	struct idmap_entry *e = *p;
	if (!e)
		return NULL;
	void *v = e->value;
	*p = e->next;
	free(e);
	m->count--;
	return v;
}

size_t idmap_values(const struct idmap *m, void ***out)
{
	size_t n = 0;
	*out = m->count ? xmalloc(m->count * sizeof(void *)) : NULL;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct idmap_entry *e = m->buckets[i]; e; e = e->next)
			(*out)[n++] = e->value;
	return n;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t idmap_sorted_keys(const struct idmap *m, const char ***out)
{
	size_t n = 0;
	*out = m->count ? xmalloc(m->count * sizeof(char *)) : NULL;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct idmap_entry *e = m->buckets[i]; e; e = e->next)
			(*out)[n++] = e->key;
	if (n > 1)
		qsort(*out, n, sizeof(char *), cmp_key);
	return n;
}
