/*
 * Little-endian field writers shared by every binary format that carries
 * catalog records: Raft commands (consensus/cmd.c) and store snapshots
 * (state/catalog_snap.c, session_snap.c, query.c). One definition, so the two
 * encodings of a node, a service or a check cannot drift apart. The snapshot
 * decoders read those fields back through the bounded reader at the end.
 *
 *   field   encoding
 *   uN      N bytes, little-endian
 *   bytes   u32 length, then the bytes
 *   str     bytes of a C string (NULL written as "")
 *   ostr    str, or the length WIRE_NO_LEN alone when absent (NULL)
 *   map     u32 count, then key str and value str per pair
 *   list    u32 count, then one str per item
 *
 * Pure header-only helpers over struct buf (writers) or a byte range
 * (reader); any thread.
 */
#ifndef CAIRN_STATE_WIRE_H
#define CAIRN_STATE_WIRE_H

#include "base/alloc.h"
#include "base/buf.h"
#include "state/catalog.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WIRE_NO_LEN 0xffffffffu /* ostr: absent */

static inline void wire_put_le(struct buf *b, uint64_t v, int size)
{
	unsigned char tmp[8];
	for (int i = 0; i < size; i++)
		tmp[i] = (unsigned char)(v >> (8 * i));
	buf_append(b, tmp, (size_t)size);
}

static inline void wire_put_bytes(struct buf *b, const char *p, size_t n)
{
	wire_put_le(b, n, 4);
	buf_append(b, p, n);
}

static inline void wire_put_str(struct buf *b, const char *s)
{
	wire_put_bytes(b, s ? s : "", s ? strlen(s) : 0);
}

static inline void wire_put_ostr(struct buf *b, const char *s)
{
	if (s)
		wire_put_str(b, s);
	else
		wire_put_le(b, WIRE_NO_LEN, 4);
}

static inline void wire_put_map(struct buf *b, const struct cat_pair *m, size_t n)
{
	wire_put_le(b, n, 4);
	for (size_t i = 0; i < n; i++) {
		wire_put_str(b, m[i].key);
		wire_put_str(b, m[i].value);
	}
}

static inline void wire_put_list(struct buf *b, const char *const *v, size_t n)
{
	wire_put_le(b, n, 4);
	for (size_t i = 0; i < n; i++)
		wire_put_str(b, v[i]);
}

/* A service's fields from ID to Locality, in the order both the register command
 * and the snapshot carry them (each format adds its own prefix). */
static inline void wire_put_service_body(struct buf *b, const struct cat_service *s)
{
	wire_put_str(b, s->id);
	wire_put_str(b, s->name);
	wire_put_str(b, s->kind);
	wire_put_list(b, s->tags, s->ntags);
	wire_put_str(b, s->address);
	wire_put_le(b, s->ntagged, 4);
	for (size_t i = 0; i < s->ntagged; i++) {
		wire_put_str(b, s->tagged[i].key);
		wire_put_str(b, s->tagged[i].address);
		wire_put_le(b, (uint32_t)s->tagged[i].port, 4);
	}
	wire_put_map(b, s->meta, s->nmeta);
	wire_put_le(b, (uint32_t)s->port, 4);
	wire_put_str(b, s->socket_path);
	wire_put_le(b, (uint32_t)s->weight_passing, 4);
	wire_put_le(b, (uint32_t)s->weight_warning, 4);
	wire_put_le(b, s->enable_tag_override, 1);
	wire_put_ostr(b, s->proxy_json);
	wire_put_ostr(b, s->connect_json);
	wire_put_ostr(b, s->locality_json);
}

/* ---- reader ----
 * Bounds-checked over [p, end): a read past the end, or anything that does
 * not decode, sets bad, and every later read then fails too, so a decoder
 * reads a whole record and checks bad once. */

struct wire_rd {
	const unsigned char *p;	  /* next byte */
	const unsigned char *end; /* one past the last */
	bool bad;
};

static inline uint64_t wire_get_le(struct wire_rd *r, int size)
{
	if (r->bad || r->end - r->p < size) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < size; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += size;
	return v;
}

/* A u32 count of elements of at least min_size bytes each that can still
 * follow; 0 after a bad read. */
static inline size_t wire_get_count(struct wire_rd *r, size_t min_size)
{
	uint64_t n = wire_get_le(r, 4);
	if (n > (uint64_t)(r->end - r->p) / min_size)
		r->bad = true;
	return r->bad ? 0 : (size_t)n;
}

/* n bytes with no NUL in them, as a pointer into the input; NULL (and bad)
 * when they are not all there. */
static inline const unsigned char *wire_get_raw(struct wire_rd *r, uint64_t n)
{
	if (r->bad || n > (uint64_t)(r->end - r->p) || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	const unsigned char *s = r->p;
	r->p += n;
	return s;
}

/* A str field as a fresh NUL-terminated copy; "" (allocated) after a bad read. */
static inline char *wire_get_str(struct wire_rd *r)
{
	uint64_t n = wire_get_le(r, 4);
	const unsigned char *s = wire_get_raw(r, n);
	return s ? xstrndup((const char *)s, n) : xstrdup("");
}

#endif
