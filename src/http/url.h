/*
 * Private: percent-decoding and query splitting, as Go's net/url does them.
 *
 * Pure functions over byte ranges; no allocation (the caller passes the output
 * space, sized as documented), no libuv. Used by request.c when a request head
 * is complete, and by the fuzz target through it.
 */
#ifndef CAIRN_HTTP_URL_H
#define CAIRN_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Decode the n bytes at s into out (room for n bytes, no NUL added): "%XX" is
 * the byte 0xXX; with plus_space '+' is a space (query components), otherwise
 * it stays '+' (paths). Returns the decoded length, or -1 when an escape is
 * malformed ("%", "%4", "%zz": Go's url.EscapeError) or decodes to NUL (which
 * a C string cannot carry). */
ssize_t url_unescape(const char *s, size_t n, bool plus_space, char *out);

/* One well-formed name=value pair; name and value are NUL-terminated in the
 * caller's out space. */
typedef void (*url_pair_fn)(void *arg, char *name, char *value, bool has_value);

/* Split the n bytes of a raw query like url.ParseQuery: pairs are separated by
 * '&'; empty segments are skipped; a segment holding ';' or a bad escape is
 * skipped (Go records an error and moves on, and Consul ignores it); the name
 * ends at the first '='. fn sees the pairs in order, repeated names included.
 * out needs room for 2 * n + 2 bytes. Returns the bytes written to out. */
size_t url_parse_query(const char *q, size_t n, char *out, url_pair_fn fn, void *arg);

#endif
