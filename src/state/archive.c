/* Snapshot archives (format in archive.h). */
#include "state/archive.h"

#include "state/snapshot.h"
#include "state/wire.h"

#include "base/err.h"

#include <string.h>

static uint64_t get_le(const unsigned char *p, int size)
{
	uint64_t v = 0;
	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void archive_encode(struct buf *out, const struct archive_meta *m, const void *state, size_t len)
{
	size_t start = out->len;
	buf_append(out, ARCHIVE_MAGIC, 4);
	wire_put_le(out, ARCHIVE_VERSION, 4);
	wire_put_le(out, m->index, 8);
	wire_put_le(out, m->term, 8);
	wire_put_le(out, m->created_ms, 8);
	wire_put_le(out, len, 8);
	buf_append(out, state, len);
	wire_put_le(out, snapshot_checksum(out->data + start, out->len - start), 8);
}

static int bad(const char **msg, const char *why, int err)
{
	if (msg)
		*msg = why;
	return err;
}

int archive_decode(const void *data, size_t len, struct archive_meta *m, const void **state,
		   size_t *state_len, const char **msg)
{
	const unsigned char *p = data;
	if (len < ARCHIVE_HEADER_SIZE + 8 || memcmp(p, ARCHIVE_MAGIC, 4) != 0)
		return bad(msg, "not a cairn snapshot archive", CAIRN_E_PARSE);
	m->version = (uint32_t)get_le(p + 4, 4);
	if (m->version != ARCHIVE_VERSION)
		return bad(msg, "unsupported snapshot archive version", CAIRN_E_VERSION);
	m->index = get_le(p + 8, 8);
	m->term = get_le(p + 16, 8);
	m->created_ms = get_le(p + 24, 8);
	m->size = get_le(p + 32, 8);
	if (m->size != len - ARCHIVE_HEADER_SIZE - 8)
		return bad(msg, "snapshot archive is truncated or has trailing data",
			   CAIRN_E_PARSE);
	if (get_le(p + len - 8, 8) != snapshot_checksum(p, len - 8))
		return bad(msg, "snapshot archive checksum mismatch", CAIRN_E_PARSE);
	const unsigned char *s = p + ARCHIVE_HEADER_SIZE;
	size_t n = (size_t)m->size;
	if (n < SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE || memcmp(s, SNAPSHOT_MAGIC, 4) != 0 ||
	    get_le(s + n - 8, 8) != snapshot_checksum(s, n - 8))
		return bad(msg, "snapshot archive holds no valid state", CAIRN_E_PARSE);
	*state = s;
	*state_len = n;
	return 0;
}

void archive_id(const struct archive_meta *m, struct buf *out)
{
	buf_printf(out, "%llu-%llu-%llu", (unsigned long long)m->term, (unsigned long long)m->index,
		   (unsigned long long)m->created_ms);
}
