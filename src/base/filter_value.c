/*
 * Filter values and their arena (see filter_value.h).
 *
 * The arena is a list of chunks with bump allocation in the newest. A reset
 * that finds more than one chunk replaces them with a single chunk as large as
 * all of them together, so after the first few items of a request every item
 * is built without calling malloc.
 */
#include "base/filter_value.h"

#include "base/alloc.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 4096

struct fv_chunk {
	struct fv_chunk *next; /* older chunk */
	size_t size;	       /* bytes of data[] */
	alignas(max_align_t) char data[];
};

static void add_chunk(struct fv_arena *a, size_t size)
{
	struct fv_chunk *c = xmalloc(sizeof(*c) + size);
	c->next = a->chunks;
	c->size = size;
	a->chunks = c;
	a->p = c->data;
	a->left = size;
}

static void *arena_alloc(struct fv_arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (n > a->left) {
		size_t size = a->chunks ? a->chunks->size * 2 : CHUNK_MIN;
		while (size < n)
			size *= 2;
		add_chunk(a, size);
	}
	void *p = a->p;
	a->p += n;
	a->left -= n;
	return p;
}

void fv_arena_reset(struct fv_arena *a)
{
	if (!a->chunks)
		return;
	if (!a->chunks->next) {
		a->p = a->chunks->data;
		a->left = a->chunks->size;
		return;
	}
	size_t total = 0;
	while (a->chunks) {
		struct fv_chunk *c = a->chunks;
		a->chunks = c->next;
		total += c->size;
		free(c);
	}
	add_chunk(a, total);
}

void fv_arena_free(struct fv_arena *a)
{
	while (a->chunks) {
		struct fv_chunk *c = a->chunks;
		a->chunks = c->next;
		free(c);
	}
	a->p = NULL;
	a->left = 0;
}

struct fvalue *fv_new_map(struct fv_arena *a)
{
	struct fvalue *v = arena_alloc(a, sizeof(*v));
	return fv_set_map(v);
}

struct fvalue *fv_new_list(struct fv_arena *a)
{
	struct fvalue *v = arena_alloc(a, sizeof(*v));
	return fv_set_list(v);
}

static struct fvalue *append(struct fv_arena *a, struct fvalue *parent, const char *key)
{
	struct fv_member *m = arena_alloc(a, sizeof(*m));
	m->next = NULL;
	m->key = key;
	m->klen = key ? strlen(key) : 0;
	m->v.kind = FV_NULL;
	if (parent->u.kids.tail)
		parent->u.kids.tail->next = m;
	else
		parent->u.kids.head = m;
	parent->u.kids.tail = m;
	parent->u.kids.n++;
	return &m->v;
}

struct fvalue *fv_map_put(struct fv_arena *a, struct fvalue *map, const char *key)
{
	return append(a, map, key);
}

struct fvalue *fv_list_push(struct fv_arena *a, struct fvalue *list)
{
	return append(a, list, NULL);
}

void fv_set_strn(struct fv_arena *a, struct fvalue *v, const char *s, size_t n)
{
	if (!s) {
		v->kind = FV_NULL;
		return;
	}
	char *copy = arena_alloc(a, n + 1);
	memcpy(copy, s, n);
	copy[n] = '\0';
	v->kind = FV_STR;
	v->u.str.s = copy;
	v->u.str.len = n;
}

void fv_set_str(struct fv_arena *a, struct fvalue *v, const char *s)
{
	fv_set_strn(a, v, s, s ? strlen(s) : 0);
}

void fv_set_str_ref(struct fvalue *v, const char *s)
{
	if (!s) {
		v->kind = FV_NULL;
		return;
	}
	v->kind = FV_STR;
	v->u.str.s = s;
	v->u.str.len = strlen(s);
}

void fv_set_int(struct fvalue *v, int64_t i)
{
	v->kind = FV_INT;
	v->u.i = i;
}

void fv_set_float(struct fvalue *v, double f)
{
	v->kind = FV_FLOAT;
	v->u.f = f;
}

void fv_set_bool(struct fvalue *v, bool b)
{
	v->kind = FV_BOOL;
	v->u.b = b;
}

struct fvalue *fv_set_map(struct fvalue *v)
{
	v->kind = FV_MAP;
	v->u.kids.head = v->u.kids.tail = NULL;
	v->u.kids.n = 0;
	return v;
}

struct fvalue *fv_set_list(struct fvalue *v)
{
	fv_set_map(v);
	v->kind = FV_LIST;
	return v;
}

void fv_map_add_str(struct fv_arena *a, struct fvalue *map, const char *key, const char *s)
{
	fv_set_str(a, fv_map_put(a, map, key), s);
}

void fv_map_add_int(struct fv_arena *a, struct fvalue *map, const char *key, int64_t i)
{
	fv_set_int(fv_map_put(a, map, key), i);
}

void fv_map_add_bool(struct fv_arena *a, struct fvalue *map, const char *key, bool b)
{
	fv_set_bool(fv_map_put(a, map, key), b);
}

struct fvalue *fv_map_add_map(struct fv_arena *a, struct fvalue *map, const char *key)
{
	return fv_set_map(fv_map_put(a, map, key));
}

struct fvalue *fv_map_add_list(struct fv_arena *a, struct fvalue *map, const char *key)
{
	return fv_set_list(fv_map_put(a, map, key));
}

void fv_list_add_str(struct fv_arena *a, struct fvalue *list, const char *s)
{
	fv_set_str(a, fv_list_push(a, list), s);
}

struct fvalue *fv_list_add_map(struct fv_arena *a, struct fvalue *list)
{
	return fv_set_map(fv_list_push(a, list));
}

const struct fvalue *fv_map_get(const struct fvalue *map, const char *key, size_t klen)
{
	if (map->kind != FV_MAP)
		return NULL;
	for (const struct fv_member *m = map->u.kids.head; m; m = m->next)
		if (m->klen == klen && (!klen || m->key[0] == key[0]) &&
		    memcmp(m->key, key, klen) == 0)
			return &m->v;
	return NULL;
}
