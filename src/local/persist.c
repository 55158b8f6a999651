/*
 * The local state on disk (formats in local.h): what the HTTP API registered,
 * maintenance checks and TTL check state, under data_dir, so a restart keeps
 * them.
 *
 * Writing. Changes queue an ID in one of three dirty sets. At the end of a loop
 * iteration persist_flush turns the sets into one batch of file operations
 * (content rendered on the loop from the current entries, or a removal) and runs
 * it in libuv's thread pool: each file is written to <name>.tmp and renamed over
 * <name> (a reader never sees half a file), then one syncfs(2) makes the whole
 * batch durable: one flush per batch instead of one fsync per file and
 * directory, which made registrations disk-bound (69/s against 236/s). Only one
 * batch is in flight; what is queued meanwhile goes into the next, so
 * operations on one file keep their order. The worker touches only the batch.
 *
 * Reading is persist_load.c's.
 */
#include "local/persist.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct persist_op {
	char *rel;     /* path under data_dir */
	char *content; /* NULL: remove the file */
	size_t len;
	int err; /* 0 or -errno, set by the worker */
};

struct persist_batch {
	uv_work_t work;
	struct local_state *ls;
	char *dir; /* data_dir */
	struct persist_op *ops;
	size_t n;
	uint64_t gen; /* ls->gen when the batch was built */
	int sync_err; /* syncfs result, set by the worker */
};

bool persist_enabled(const struct local_state *ls)
{
	return ls->data_dir && ls->data_dir[0];
}

void persist_init(struct local_state *ls)
{
	ls->persist = xcalloc(1, sizeof(*ls->persist));
}

static void free_pending(struct pending_state *p)
{
	if (p) {
		free(p->output);
		free(p);
	}
}

static void clear_states(struct idmap *m)
{
	void **vals;
	size_t n = idmap_values(m, &vals);
	for (size_t i = 0; i < n; i++)
		free_pending(vals[i]);
	free(vals);
	idmap_free(m);
}

void persist_free(struct local_state *ls)
{
	struct persist_state *ps = ls->persist;
	if (!ps)
		return;
	idmap_free(&ps->services);
	idmap_free(&ps->checks);
	clear_states(&ps->states);
	free(ps);
	ls->persist = NULL;
}

/* Lower-case hex SHA-256 of the ID: Consul's StringHashSHA256 file names. */
static void hash_name(const char *id, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(id, strlen(id), md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *persist_rel_path(const char *dir, const char *id)
{
	char h[65];
	struct buf b = BUF_INIT;
	hash_name(id, h);
	buf_printf(&b, "%s/%s", dir, h);
	return buf_steal(&b);
}

void persist_service(struct local_state *ls, const char *id)
{
	if (persist_enabled(ls))
		idmap_put(&ls->persist->services, id, ls);
}

void persist_check(struct local_state *ls, const char *id)
{
	if (persist_enabled(ls))
		idmap_put(&ls->persist->checks, id, ls);
}

void persist_check_state(struct local_state *ls, const char *id, enum check_status st,
			 const char *output, int64_t expires)
{
	if (!persist_enabled(ls))
		return;
	struct pending_state *p = xcalloc(1, sizeof(*p));
	p->status = st;
	p->output = output ? xstrdup(output) : NULL;
	p->expires = expires;
	free_pending(idmap_put(&ls->persist->states, id, p));
	local_schedule(ls);
}

/* ---- rendering a batch (loop thread) ---- */

static char *render(void (*fn)(struct jsonw *, const void *), const void *arg, size_t *len)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	fn(&w, arg);
	*len = b.len;
	return buf_steal(&b);
}

static const char *source_name(enum local_origin o)
{
	return o == LOCAL_ORIGIN_API ? "remote" : "local";
}

static void write_service_file(struct jsonw *w, const void *arg)
{
	const struct local_service *s = arg;
	jsonw_obj_open(w);
	jsonw_kstr(w, "Token", s->def.token ? s->def.token : "");
	jsonw_kstr(w, "Source", source_name(s->origin));
	jsonw_key(w, "Service");
	servicedef_write_json(&s->def, w);
	jsonw_obj_close(w);
}

static void write_check_file(struct jsonw *w, const void *arg)
{
	const struct local_check *c = arg;
	jsonw_obj_open(w);
	jsonw_kstr(w, "Token", "");
	jsonw_kstr(w, "Source", source_name(c->origin));
	if (c->origin == LOCAL_ORIGIN_MAINT) {
		jsonw_key(w, "Maintenance");
		jsonw_obj_open(w);
		jsonw_kstr(w, "CheckID", c->id);
		jsonw_kstr(w, "Name", c->name);
		jsonw_kstr(w, "Notes", c->notes);
		jsonw_kstr(w, "ServiceID", c->service_id);
		jsonw_obj_close(w);
	} else {
		jsonw_key(w, "Check");
		checkdef_write_json(&c->def, w);
	}
	jsonw_obj_close(w);
}

struct state_arg {
	const char *id;
	const struct pending_state *p;
};

static void write_state_file(struct jsonw *w, const void *arg)
{
	const struct state_arg *a = arg;
	jsonw_obj_open(w);
	jsonw_kstr(w, "CheckID", a->id);
	jsonw_kstr(w, "Status", check_status_name(a->p->status));
	jsonw_kstr(w, "Output", a->p->output ? a->p->output : "");
	jsonw_kint(w, "Expires", a->p->expires);
	jsonw_obj_close(w);
}

static struct persist_op *add_op(struct persist_batch *b, const char *dir, const char *id)
{
	struct persist_op *op = &b->ops[b->n++];
	op->rel = persist_rel_path(dir, id);
	return op;
}

static void take_services(struct local_state *ls, struct persist_batch *b)
{
	const char **ids;
	size_t n = idmap_sorted_keys(&ls->persist->services, &ids);
	for (size_t i = 0; i < n; i++) {
		const struct local_service *s = local_service(ls, ids[i]);
		struct persist_op *op = add_op(b, DIR_SERVICES, ids[i]);
		if (s && s->origin != LOCAL_ORIGIN_CONFIG)
			op->content = render(write_service_file, s, &op->len);
	}
	free(ids);
	idmap_free(&ls->persist->services);
}

static void take_checks(struct local_state *ls, struct persist_batch *b)
{
	const char **ids;
	size_t n = idmap_sorted_keys(&ls->persist->checks, &ids);
	for (size_t i = 0; i < n; i++) {
		const struct local_check *c = local_check(ls, ids[i]);
		struct persist_op *op = add_op(b, DIR_CHECKS, ids[i]);
		if (c && c->origin != LOCAL_ORIGIN_CONFIG)
			op->content = render(write_check_file, c, &op->len);
	}
	free(ids);
	idmap_free(&ls->persist->checks);
}

static void take_states(struct local_state *ls, struct persist_batch *b)
{
	const char **ids;
	size_t n = idmap_sorted_keys(&ls->persist->states, &ids);
	for (size_t i = 0; i < n; i++) {
		struct state_arg a = {ids[i], idmap_get(&ls->persist->states, ids[i])};
		struct persist_op *op = add_op(b, DIR_STATE, ids[i]);
		if (a.p->expires >= 0)
			op->content = render(write_state_file, &a, &op->len);
	}
	free(ids);
	clear_states(&ls->persist->states);
}

/* ---- the worker (thread pool: touches only the batch) ---- */

static int write_file(const char *path, const char *data, size_t len)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		off += (size_t)n;
	}
	if (close(fd)) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return rename(tmp, path) ? -errno : 0;
}

/* One flush for the whole batch: file contents and the renames. */
static int sync_all(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rv = syncfs(fd) ? -errno : 0;
	close(fd);
	return rv;
}

static void do_batch(uv_work_t *w)
{
	struct persist_batch *b = w->data;
	static const char *dirs[] = {DIR_SERVICES, DIR_CHECKS, DIR_STATE};
	char path[4096];
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", b->dir, dirs[i]);
		mkdir(path, 0700);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct persist_op *op = &b->ops[i];
		snprintf(path, sizeof(path), "%s/%s", b->dir, op->rel);
		if (op->content)
			op->err = write_file(path, op->content, op->len);
		else if (unlink(path) && errno != ENOENT)
			op->err = -errno;
	}
	b->sync_err = sync_all(b->dir);
}

static void free_batch(struct persist_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->ops[i].rel);
		free(b->ops[i].content);
	}
	free(b->ops);
	free(b->dir);
	free(b);
}

static void batch_done(uv_work_t *w, int status)
{
	struct persist_batch *b = w->data;
	struct local_state *ls = b->ls;
	for (size_t i = 0; i < b->n; i++)
		if (b->ops[i].err)
			log_error(LOCAL_LOG,
				  "failed to persist local state: file=%s/%s error=\"%s\"", b->dir,
				  b->ops[i].rel, cairn_strerror(b->ops[i].err));
	if (b->sync_err)
		log_error(LOCAL_LOG, "failed to flush local state: %s",
			  cairn_strerror(b->sync_err));
	if (status)
		log_error(LOCAL_LOG, "failed to persist local state: %s", uv_strerror(status));
	ls->persist->inflight = NULL;
	if (b->gen > ls->persist_gen)
		ls->persist_gen = b->gen;
	free_batch(b);
	if (ls->closing)
		local_close_progress(ls);
	else
		local_schedule(ls);
}

bool persist_flush(struct local_state *ls)
{
	struct persist_state *ps = ls->persist;
	if (!ps)
		return true;
	if (!persist_enabled(ls)) {
		idmap_free(&ps->services);
		idmap_free(&ps->checks);
		clear_states(&ps->states);
		return true;
	}
	if (ps->inflight)
		return false;
	size_t n = ps->services.count + ps->checks.count + ps->states.count;
	if (!n)
		return true;
	struct persist_batch *b = xcalloc(1, sizeof(*b));
	b->ls = ls;
	b->dir = xstrdup(ls->data_dir);
	b->gen = ls->gen;
	b->ops = xcalloc(n, sizeof(*b->ops));
	take_services(ls, b);
	take_checks(ls, b);
	take_states(ls, b);
	b->work.data = b;
	int rv = uv_queue_work(ls->loop, &b->work, do_batch, batch_done);
	if (rv) {
		log_error(LOCAL_LOG, "failed to persist local state: %s", uv_strerror(rv));
		free_batch(b);
		return true;
	}
	ps->inflight = b;
	return false;
}
