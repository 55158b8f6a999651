/*
 * Growable byte buffer.
 *
 * The one way cairn builds output: HTTP responses, JSON, DNS answers, log lines and
 * encoded commands are appended to a struct buf. data is always NUL-terminated
 * after len bytes (the NUL is not counted) so text can be used as a C string.
 * A zeroed struct buf is a valid empty buffer. Not thread-safe; owned by its user.
 */
#ifndef CAIRN_BASE_BUF_H
#define CAIRN_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *data; /* bytes, NUL-terminated after len; NULL while cap == 0 */
	size_t len; /* bytes in use */
	size_t cap; /* bytes allocated */
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Make room for extra more bytes (plus the NUL). */
void buf_grow_(struct buf *b, size_t extra);
static inline void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow_(b, extra);
}
/* Append n bytes (inline: responses are built from many small appends). */
static inline void buf_append(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}
void buf_puts(struct buf *b, const char *s);
static inline void buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* A new malloc'd string formatted as printf does (the caller frees it). */
char *buf_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void buf_put_u64(struct buf *b, uint64_t v);
void buf_put_i64(struct buf *b, int64_t v);
/* Remove the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Hand the memory to the caller (never NULL) and leave b empty. */
char *buf_steal(struct buf *b);
/* Data as a C string ("" when empty). */
const char *buf_cstr(const struct buf *b);

#endif
