/*
 * Percent-decoding and query splitting like Go's net/url (see url.h).
 *
 * Go's rules, which clients that talk to Consul rely on:
 *   - url.PathUnescape: "%XX" decodes, anything else is literal, '+' included;
 *     a '%' not followed by two hex digits makes the whole URL invalid (400).
 *   - url.QueryUnescape: the same, and '+' is a space.
 *   - url.ParseQuery: split on '&' only (a ';' taints its segment since Go
 *     1.17), name and value split at the first '=', bad pairs dropped.
 * One deviation: a decoded NUL is refused (the path gets 400, a pair is
 * dropped) because every string handed to handlers is a C string.
 */
#include "http/url.h"

#include "base/hex.h"

#include <string.h>

ssize_t url_unescape(const char *s, size_t n, bool plus_space, char *out)
{
	if (!plus_space && !memchr(s, '%', n)) {
		if (memchr(s, '\0', n))
			return -1;
		memcpy(out, s, n); /* the common case: nothing to decode */
		return (ssize_t)n;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hexval((unsigned char)s[i + 1]);
			int lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == '\0')
			return -1;
		out[o++] = (char)c;
	}
	return (ssize_t)o;
}

/* Decode one segment "name[=value]" into out; returns bytes used or -1. */
static ssize_t decode_pair(const char *seg, size_t len, char *out, url_pair_fn fn, void *arg)
{
	const char *eq = memchr(seg, '=', len);
	size_t nlen = eq ? (size_t)(eq - seg) : len;
	ssize_t dn = url_unescape(seg, nlen, true, out);
	if (dn < 0)
		return -1;
	char *name = out;
	name[dn] = '\0';
	char *value = out + dn + 1;
	ssize_t dv = 0;
	if (eq) {
		dv = url_unescape(eq + 1, len - nlen - 1, true, value);
		if (dv < 0)
			return -1;
	}
	value[dv] = '\0';
	fn(arg, name, value, eq != NULL);
	return dn + dv + 2;
}

size_t url_parse_query(const char *q, size_t n, char *out, url_pair_fn fn, void *arg)
{
	size_t used_total = 0;
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - q) : n;
		const char *seg = q + i;
		size_t len = end - i;
		i = end + 1;
		if (len == 0 || memchr(seg, ';', len))
			continue;
		ssize_t used = decode_pair(seg, len, out, fn, arg);
		if (used < 0)
			continue;
		out += used;
		used_total += (size_t)used;
	}
	return used_total;
}
