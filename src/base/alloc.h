/*
 * Allocation that never returns NULL.
 *
 * cairn treats running out of memory as fatal: every allocation goes through these
 * wrappers, which print one line and abort. That keeps every caller free of
 * OOM branches that could never be tested. Thread-safe (plain malloc underneath).
 */
#ifndef CAIRN_BASE_ALLOC_H
#define CAIRN_BASE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copy of the n bytes at s, NUL-terminated (s may contain NULs). */
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

#endif
