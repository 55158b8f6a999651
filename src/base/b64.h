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

/* Go's base64.StdEncoding.DecodeString: as b64_decode, but CR and LF are skipped
 * anywhere, and on bad input *bad_at is the offset Go's error names ("illegal
 * base64 data at input byte N"). Decodes without copying the input (callers
 * decode key material). */
int b64_decode_go(struct buf *out, const char *s, size_t n, size_t *bad_at);

#endif
