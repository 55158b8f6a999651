/*
 * The rejoin snapshot (serf.h; Consul's <data_dir>/serf/local.snapshot and
 * remote.snapshot): what an agent needs after a restart to find its pool
 * again, kept as an append-only text file.
 *
 * Format: one record per line, "\n"-terminated:
 *     alive: <name> <ip:port>     a member is alive at that address
 *                                 (IPv6 as [ip]:port; the name is everything
 *                                 before the last space)
 *     not-alive: <name>           it left, failed or was forgotten
 *     clock: <n>                  member Lamport clock
 *     event-clock: <n>            user event Lamport clock
 *     leave                       we left gracefully
 *     # ...                       comment
 * serf also writes "query-clock:" and "coordinate:" lines; they are accepted
 * and ignored, so a Consul data directory replays. Any other line, and a
 * last line without its newline (a crash cut it), is skipped and counted;
 * opening the file for appending cuts such a line off.
 *
 * Replay yields the members alive at the end (ourselves included when the
 * driver recorded our own join: the caller skips its own name), the last
 * clocks, and whether the last record is "leave". Records after a "leave"
 * belong to a later run, so they clear it.
 *
 * Writing. The object keeps the live state (alive members, clocks) in
 * memory and appends a record only when it changes that state. Appends are
 * plain write(2)s to the page cache, unsynced, as serf's (a lost tail only
 * costs some rejoin candidates); "leave" is fsynced at once and ends the
 * writing for this run. When the file grows past max(SERF_SNAPSHOT_MAX,
 * twice the last compacted size) it is rewritten from the live state into
 * <path>.compact, fsynced, renamed over the file and the directory fsynced;
 * if any step fails we keep appending to the old file. Write errors are not
 * reported (the snapshot is an optimisation; replay tolerates a cut line).
 * Blocking POSIX I/O on the caller's thread: appends are small and the
 * syncs happen at leave and compaction only.
 */
#include "gossip/serf.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct snap_member {
	char name[GOSSIP_NAME_MAX + 1];
	struct gaddr addr;
};

/* Members alive, sorted by name. */
struct snap_set {
	struct snap_member *v;
	size_t n, cap;
};

struct serf_snapshot {
	char *path;
	int fd;
	uint64_t size;	/* bytes in the file */
	uint64_t limit; /* compact beyond this */
	struct snap_set alive;
	uint64_t clock, event_clock;
	bool done; /* "leave" written: nothing more this run */
};

/* ---- the alive set ---- */

static struct snap_member *set_find(const struct snap_set *s, const char *name, size_t *pos)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid].name, name);
		if (c == 0) {
			*pos = mid;
			return &s->v[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return NULL;
}

/* True when it changed the set. */
static bool set_put(struct snap_set *s, const char *name, const struct gaddr *a)
{
	size_t pos;
	struct snap_member *m = set_find(s, name, &pos);
	if (m) {
		if (gaddr_equal(&m->addr, a))
			return false;
		m->addr = *a;
		return true;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof(*s->v));
	m = &s->v[pos];
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, strnlen(name, GOSSIP_NAME_MAX));
	m->addr = *a;
	s->n++;
	return true;
}

static bool set_del(struct snap_set *s, const char *name)
{
	size_t pos;
	if (!set_find(s, name, &pos))
		return false;
	memmove(s->v + pos, s->v + pos + 1, (s->n - pos - 1) * sizeof(*s->v));
	s->n--;
	return true;
}

/* ---- addresses ---- */

static bool addr_format(const struct gaddr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->family == 4 && inet_ntop(AF_INET, a->ip, ip, sizeof(ip)))
		snprintf(out, cap, "%s:%u", ip, a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->ip, ip, sizeof(ip)))
		snprintf(out, cap, "[%s]:%u", ip, a->port);
	else
		return false;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool addr_parse(const char *s, struct gaddr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	memset(out, 0, sizeof(*out));
	if (*s == '[') {
		const char *end = strstr(s, "]:");
		if (!end || (size_t)(end - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end + 1;
		out->family = 6;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return false;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		out->family = 4;
	}
	uint64_t port;
	if (!parse_u64(colon + 1, &port) || port > 65535)
		return false;
	out->port = (uint16_t)port;
	return inet_pton(out->family == 4 ? AF_INET : AF_INET6, host, out->ip) == 1;
}

/* ---- replay ---- */

struct replay_state {
	struct snap_set alive;
	uint64_t clock, event_clock;
	bool left;
	size_t skipped;
};

static const char *after(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(line, prefix, n) == 0 ? line + n : NULL;
}

/* One line (NUL-terminated, no newline). False when it does not parse. */
static bool replay_line(struct replay_state *r, char *line)
{
	const char *v;
	if (!*line || *line == '#')
		return true;
	if (strcmp(line, "leave") == 0) {
		r->left = true;
		return true;
	}
	if ((v = after(line, "alive: "))) {
		char *sp = strrchr(v, ' ');
		struct gaddr a;
		if (!sp || sp == v || (size_t)(sp - v) > GOSSIP_NAME_MAX || !addr_parse(sp + 1, &a))
			return false;
		*sp = '\0';
		set_put(&r->alive, v, &a);
	} else if ((v = after(line, "not-alive: "))) {
		if (!*v || strlen(v) > GOSSIP_NAME_MAX)
			return false;
		set_del(&r->alive, v);
	} else if ((v = after(line, "clock: "))) {
		if (!parse_u64(v, &r->clock))
			return false;
	} else if ((v = after(line, "event-clock: "))) {
		if (!parse_u64(v, &r->event_clock))
			return false;
	} else if (after(line, "query-clock: ") || after(line, "coordinate: ")) {
		/* serf's; we keep neither */
	} else {
		return false;
	}
	r->left = false; /* a record after "leave": a later run */
	return true;
}

static void replay_text(struct replay_state *r, char *text, size_t len)
{
	size_t off = 0;
	while (off < len) {
		char *nl = memchr(text + off, '\n', len - off);
		if (!nl) {
			r->skipped++; /* the last line was cut */
			return;
		}
		*nl = '\0';
		if (strlen(text + off) != (size_t)(nl - text - off) || !replay_line(r, text + off))
			r->skipped++; /* a NUL inside, or a record we do not read */
		off = (size_t)(nl - text) + 1;
	}
}

static int read_file(const char *path, struct buf *out, struct buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		buf_printf(err, "Failed to open snapshot %s: %s", path, strerror(errno));
		return CAIRN_E_IO;
	}
	for (;;) {
		buf_reserve(out, 65536);
		ssize_t got = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			buf_printf(err, "Failed to read snapshot %s: %s", path, strerror(errno));
			close(fd);
			return CAIRN_E_IO;
		}
		if (got == 0)
			break;
		out->len += (size_t)got;
		out->data[out->len] = '\0';
	}
	close(fd);
	return 0;
}

void serf_snapshot_replay_free(struct serf_snapshot_replay *r)
{
	free(r->names);
	free(r->addrs);
	memset(r, 0, sizeof(*r));
}

static void replay_out(const struct replay_state *st, struct serf_snapshot_replay *r)
{
	memset(r, 0, sizeof(*r));
	r->n = st->alive.n;
	if (r->n) {
		r->names = xcalloc(r->n, sizeof(*r->names));
		r->addrs = xcalloc(r->n, sizeof(*r->addrs));
	}
	for (size_t i = 0; i < r->n; i++) {
		memcpy(r->names[i], st->alive.v[i].name, sizeof(r->names[i]));
		r->addrs[i] = st->alive.v[i].addr;
	}
	r->clock = st->clock;
	r->event_clock = st->event_clock;
	r->left = st->left;
	r->skipped = st->skipped;
}

/* ---- writing ---- */

/* The live state as records. */
static void render(const struct serf_snapshot *ss, struct buf *out)
{
	char a[INET6_ADDRSTRLEN + 16];
	for (size_t i = 0; i < ss->alive.n; i++)
		if (addr_format(&ss->alive.v[i].addr, a, sizeof(a)))
			buf_printf(out, "alive: %s %s\n", ss->alive.v[i].name, a);
	buf_printf(out, "clock: %" PRIu64 "\nevent-clock: %" PRIu64 "\n", ss->clock,
		   ss->event_clock);
}

static void compact(struct serf_snapshot *ss)
{
	struct buf tmp = BUF_INIT, text = BUF_INIT;
	buf_printf(&tmp, "%s.compact", ss->path);
	render(ss, &text);
	int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && file_write_all(fd, text.data, text.len) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	ok = ok && rename(tmp.data, ss->path) == 0;
	if (ok) {
		file_sync_dir(ss->path);
		int nfd = open(ss->path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (nfd >= 0) {
			close(ss->fd);
			ss->fd = nfd;
		}
		ss->size = text.len;
		ss->limit = 2 * text.len > SERF_SNAPSHOT_MAX ? 2 * text.len : SERF_SNAPSHOT_MAX;
	} else {
		unlink(tmp.data);
		ss->limit = ss->size + SERF_SNAPSHOT_MAX; /* try again later, not every append */
	}
	buf_free(&tmp);
	buf_free(&text);
}

static void append(struct serf_snapshot *ss, const char *line, size_t len)
{
	if (ss->fd < 0 || ss->done)
		return;
	if (file_write_all(ss->fd, line, len) == 0)
		ss->size += len;
	if (ss->size > ss->limit)
		compact(ss);
}

static void make_parent(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700); /* one level (data_dir/serf); EEXIST is fine */
	}
	free(dir);
}

struct serf_snapshot *serf_snapshot_open(const char *path, struct serf_snapshot_replay *replay,
					 struct buf *err)
{
	struct buf text = BUF_INIT;
	if (read_file(path, &text, err) != 0) {
		buf_free(&text);
		return NULL;
	}
	/* a cut last line (no newline): keep the bytes before it */
	const char *nl = text.len ? memrchr(text.data, '\n', text.len) : NULL;
	size_t keep = nl ? (size_t)(nl - text.data) + 1 : 0;
	struct replay_state st = {0};
	replay_text(&st, text.data ? text.data : (char *)"", text.len); /* cuts text up */
	make_parent(path);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		buf_printf(err, "Failed to open snapshot %s: %s", path, strerror(errno));
		buf_free(&text);
		free(st.alive.v);
		return NULL;
	}
	if (replay)
		replay_out(&st, replay);
	struct serf_snapshot *ss = xcalloc(1, sizeof(*ss));
	ss->path = xstrdup(path);
	ss->fd = fd;
	ss->size = text.len;
	ss->limit = SERF_SNAPSHOT_MAX;
	ss->alive = st.alive;
	ss->clock = st.clock;
	ss->event_clock = st.event_clock;
	if (keep < text.len) {
		/* drop the cut line: ended by our next record it could read as
		 * another one ("alive: n 10.0.0.1:83" from "...:8301") */
		if (ftruncate(fd, (off_t)keep) == 0)
			ss->size = keep;
		else
			append(ss, "\n", 1); /* at least end it: it stays malformed */
	}
	if (ss->size > ss->limit)
		compact(ss);
	buf_free(&text);
	return ss;
}

/* A name that cannot break a record apart (a "\n" in a gossiped name could
 * otherwise forge a "leave" line). */
static bool line_safe(const char *name)
{
	return *name && strlen(name) <= GOSSIP_NAME_MAX && !strpbrk(name, "\r\n");
}

void serf_snapshot_alive(struct serf_snapshot *ss, const char *name, const struct gaddr *addr)
{
	char a[INET6_ADDRSTRLEN + 16];
	if (ss->done || !line_safe(name) || !addr_format(addr, a, sizeof(a)) ||
	    !set_put(&ss->alive, name, addr))
		return;
	struct buf line = BUF_INIT;
	buf_printf(&line, "alive: %.*s %s\n", GOSSIP_NAME_MAX, name, a);
	append(ss, line.data, line.len);
	buf_free(&line);
}

void serf_snapshot_not_alive(struct serf_snapshot *ss, const char *name)
{
	if (ss->done || !line_safe(name) || !set_del(&ss->alive, name))
		return;
	struct buf line = BUF_INIT;
	buf_printf(&line, "not-alive: %s\n", name);
	append(ss, line.data, line.len);
	buf_free(&line);
}

void serf_snapshot_clocks(struct serf_snapshot *ss, uint64_t clock, uint64_t event_clock)
{
	char line[64];
	if (ss->done)
		return;
	if (clock != ss->clock) {
		ss->clock = clock;
		int n = snprintf(line, sizeof(line), "clock: %" PRIu64 "\n", clock);
		append(ss, line, (size_t)n);
	}
	if (event_clock != ss->event_clock) {
		ss->event_clock = event_clock;
		int n = snprintf(line, sizeof(line), "event-clock: %" PRIu64 "\n", event_clock);
		append(ss, line, (size_t)n);
	}
}

void serf_snapshot_leave(struct serf_snapshot *ss)
{
	if (ss->done)
		return;
	append(ss, "leave\n", 6);
	if (ss->fd >= 0)
		fsync(ss->fd);
	ss->done = true;
}

void serf_snapshot_close(struct serf_snapshot *ss)
{
	if (!ss)
		return;
	if (ss->fd >= 0)
		close(ss->fd);
	free(ss->alive.v);
	free(ss->path);
	free(ss);
}
