/*
 * Base64, standard alphabet with padding (RFC 4648 section 4), as Consul uses for
 * KV values in JSON. Pure functions, no allocation beyond the output buffer.
 */
#ifndef CAIRN_BASE_B64_H
#define CAIRN_BASE_B64_H

#include "base/buf.h"

#include <stddef.h>

/* Append the encoding of n bytes to out. */
void b64_encode(struct buf *out, const void *p, size_t n);
/* Append the decoding of s (n chars) to out. Returns 0, or -1 on bad input
 * (bad characters, bad padding, wrong length); out is then unspecified. */
int b64_decode(struct buf *out, const char *s, size_t n);

#endif
