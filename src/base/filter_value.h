/*
 * The values ?filter= expressions are evaluated against.
 *
 * A struct fvalue is a small tagged tree shaped like the JSON Consul returns
 * for one item of a list endpoint: for /v1/health/service one item is
 *
 *     {Node: {Node, Address, Meta: {...}}, Service: {ID, Service, Tags: [...],
 *      Meta: {...}, Port}, Checks: [{Status, ...}, ...]}
 *
 * Maps stand for both Go structs and Go maps (keys are field names or map
 * keys); lists hold any values. The caller builds one tree per item straight
 * from its C structs, runs filter_match() on it and throws it away, so the
 * tree is built for speed, not for editing:
 *
 *   - every node lives in a struct fv_arena (bump allocation in chunks);
 *     fv_arena_reset() between items reuses the memory, fv_arena_free() at
 *     the end releases it. No node is ever freed on its own.
 *   - keys are borrowed: they must outlive the tree (string literals, or
 *     strings owned by the struct the item is built from).
 *   - string values are copied into the arena (fv_set_str) unless the caller
 *     borrows them with fv_set_str_ref, which is cheaper and needs the string
 *     to outlive the match. Strings are counted and also NUL-terminated.
 *   - members keep insertion order; a repeated key is allowed and lookups see
 *     the first one.
 *
 * Build: fv_new_map/fv_new_list make a root; fv_map_put/fv_list_push add a
 * null member and return it for one of the fv_set_* calls; the fv_*_add_*
 * shorthands do both. Not thread-safe; an arena belongs to one thread.
 */
#ifndef CAIRN_BASE_FILTER_VALUE_H
#define CAIRN_BASE_FILTER_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fv_kind {
	FV_NULL, /* JSON null: a nil map, slice or pointer */
	FV_BOOL,
	FV_INT,	  /* every Go integer type (uint64 indexes fit in practice) */
	FV_FLOAT, /* float32/float64 */
	FV_STR,
	FV_LIST,
	FV_MAP, /* a Go struct or a map with string keys */
};

struct fv_member;

struct fvalue {
	enum fv_kind kind;
	union {
		bool b;	   /* FV_BOOL */
		int64_t i; /* FV_INT */
		double f;  /* FV_FLOAT */
		struct {
			const char *s; /* NUL-terminated after len bytes */
			size_t len;
		} str; /* FV_STR */
		struct {
			struct fv_member *head; /* first member, NULL when empty */
			struct fv_member *tail; /* last member, for O(1) appends */
			size_t n;		/* number of members */
		} kids;				/* FV_LIST items, FV_MAP entries */
	} u;
};

/* One list item or map entry. */
struct fv_member {
	struct fv_member *next; /* next in insertion order */
	const char *key;	/* map key (borrowed), NULL in a list */
	size_t klen;		/* bytes of key */
	struct fvalue v;	/* the value itself */
};

struct fv_chunk;

struct fv_arena {
	struct fv_chunk *chunks; /* newest first; the oldest survives a reset */
	char *p;		 /* next free byte in the newest chunk */
	size_t left;		 /* bytes free at p */
};

#define FV_ARENA_INIT                                                                              \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

/* Forget every value, keeping the first chunk for the next item. */
void fv_arena_reset(struct fv_arena *a);
void fv_arena_free(struct fv_arena *a);

struct fvalue *fv_new_map(struct fv_arena *a);
struct fvalue *fv_new_list(struct fv_arena *a);

/* Append a null member and return its value, to be set by the caller. */
struct fvalue *fv_map_put(struct fv_arena *a, struct fvalue *map, const char *key);
struct fvalue *fv_list_push(struct fv_arena *a, struct fvalue *list);

/* s NULL makes a null value. */
void fv_set_str(struct fv_arena *a, struct fvalue *v, const char *s);
void fv_set_strn(struct fv_arena *a, struct fvalue *v, const char *s, size_t n);
void fv_set_str_ref(struct fvalue *v, const char *s);
void fv_set_int(struct fvalue *v, int64_t i);
void fv_set_float(struct fvalue *v, double f);
void fv_set_bool(struct fvalue *v, bool b);
/* Turn v into an empty map or list (and return it, for chaining). */
struct fvalue *fv_set_map(struct fvalue *v);
struct fvalue *fv_set_list(struct fvalue *v);

/* Shorthands: put + set. The _map/_list forms return the new child. */
void fv_map_add_str(struct fv_arena *a, struct fvalue *map, const char *key, const char *s);
void fv_map_add_int(struct fv_arena *a, struct fvalue *map, const char *key, int64_t i);
void fv_map_add_bool(struct fv_arena *a, struct fvalue *map, const char *key, bool b);
struct fvalue *fv_map_add_map(struct fv_arena *a, struct fvalue *map, const char *key);
struct fvalue *fv_map_add_list(struct fv_arena *a, struct fvalue *map, const char *key);
void fv_list_add_str(struct fv_arena *a, struct fvalue *list, const char *s);
struct fvalue *fv_list_add_map(struct fv_arena *a, struct fvalue *list);

/* The first entry of map named key (klen bytes), or NULL. */
const struct fvalue *fv_map_get(const struct fvalue *map, const char *key, size_t klen);

#endif
