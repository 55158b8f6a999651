/*
 * The captures of `consul debug` (layout in cli/debug.h): blocking GETs through
 * cli/httpc, re-encoded as Go's json.MarshalIndent(v, "", "\t") would print what
 * Consul's api client decoded, and the log stream, which runs in a child process
 * for the whole duration because a quiet agent leaves its socket silent: a child
 * can be stopped at any moment, a blocked read cannot. The child writes each chunk
 * straight to consul.log with write(2) and ends with _exit, so nothing buffered is
 * lost or written twice.
 */
#include "cli/debug.h"

#include "cli/catalog_commands.h"

#include "base/alloc.h"
#include "base/jsonw.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t debug_stop;

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void newline(struct buf *out, int depth)
{
	buf_putc(out, '\n');
	for (int i = 0; i < depth; i++)
		buf_putc(out, '\t');
}

static void put_value(struct buf *out, json_t *v, bool sorted, int depth)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		if (!n) {
			buf_puts(out, "{}");
			return;
		}
		const char **keys = xcalloc(n, sizeof(*keys));
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) keys[i++] = k;
		if (sorted)
			qsort(keys, n, sizeof(*keys), cmp_key);
		buf_putc(out, '{');
		for (i = 0; i < n; i++) {
			newline(out, depth + 1);
			json_escape(out, keys[i], strlen(keys[i]));
			buf_puts(out, ": ");
			put_value(out, json_object_get(v, keys[i]), sorted, depth + 1);
			if (i + 1 < n)
				buf_putc(out, ',');
		}
		free(keys);
		newline(out, depth);
		buf_putc(out, '}');
		return;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (!n) {
			buf_puts(out, "[]");
			return;
		}
		buf_putc(out, '[');
		for (size_t i = 0; i < n; i++) {
			newline(out, depth + 1);
			put_value(out, json_array_get(v, i), sorted, depth + 1);
			if (i + 1 < n)
				buf_putc(out, ',');
		}
		newline(out, depth);
		buf_putc(out, ']');
		return;
	}
	case JSON_STRING:
		json_escape(out, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		buf_put_i64(out, (int64_t)json_integer_value(v));
		return;
	case JSON_REAL:
		json_put_float(out, json_real_value(v));
		return;
	case JSON_TRUE:
		buf_puts(out, "true");
		return;
	case JSON_FALSE:
		buf_puts(out, "false");
		return;
	case JSON_NULL:
		buf_puts(out, "null");
		return;
	}
}

void debug_json_text(struct buf *out, json_t *v, bool sorted)
{
	if (!v)
		buf_puts(out, "null");
	else
		put_value(out, v, sorted, 0);
}

static void errno_text(struct buf *err, int e)
{
	const char *s = strerror(e);
	buf_printf(err, "%c%s", (s[0] >= 'A' && s[0] <= 'Z') ? s[0] - 'A' + 'a' : s[0], s + 1);
}

int debug_write_file(const char *dir, const char *name, const struct buf *text, struct buf *err)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/%s", dir, name);
	int rc = -1;
	FILE *f = fopen(path.data, "w");
	if (!f) {
		buf_printf(err, "open %s: ", path.data);
		errno_text(err, errno);
		goto out;
	}
	size_t n = text->len ? fwrite(text->data, 1, text->len, f) : 0;
	int bad = n != text->len || fflush(f) != 0;
	int e = errno;
	if (fclose(f) != 0 || bad) {
		buf_printf(err, "write %s: ", path.data);
		errno_text(err, bad ? e : errno);
		goto out;
	}
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

int debug_get_json(const struct httpc *c, const char *path, const char *const *params, json_t **out,
		   struct buf *err)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, false);
	for (size_t i = 0; params && params[i]; i += 2)
		httpc_req_param(&r, params[i], params[i + 1]);
	return catcli_get_json(c, &r, out, err);
}

/* One static target: GET, then the file whatever happened (null on failure). */
static void capture_one(const struct httpc *c, const char *dir, const char *path,
			const char *const *params, const char *file, bool sorted, struct buf *errs,
			int *nerr)
{
	json_t *v = NULL;
	struct buf err = BUF_INIT, text = BUF_INIT;
	if (debug_get_json(c, path, params, &v, &err) < 0) {
		buf_printf(errs, "\t* %s\n", buf_cstr(&err));
		(*nerr)++;
	}
	debug_json_text(&text, v, sorted);
	buf_reset(&err);
	if (debug_write_file(dir, file, &text, &err) < 0) {
		buf_printf(errs, "\t* %s\n", buf_cstr(&err));
		(*nerr)++;
	}
	json_decref(v);
	buf_free(&err);
	buf_free(&text);
}

int debug_capture_static(const struct httpc *c, const char *dir, bool agent, bool host,
			 bool members, struct buf *err)
{
	static const char *const wan[] = {"wan", "1", NULL};
	struct buf list = BUF_INIT;
	int n = 0;
	if (host)
		capture_one(c, dir, "/v1/agent/host", NULL, "host.json", true, &list, &n);
	if (agent)
		capture_one(c, dir, "/v1/agent/self", NULL, "agent.json", true, &list, &n);
	if (members)
		capture_one(c, dir, "/v1/agent/members", wan, "members.json", false, &list, &n);
	if (n) /* hashicorp/go-multierror's default format */
		buf_printf(err, "%d error%s occurred:\n%s\n", n, n == 1 ? "" : "s",
			   buf_cstr(&list));
	buf_free(&list);
	return n;
}

int debug_capture_metrics(const struct httpc *c, const char *dir, int64_t unix_ts, struct buf *err)
{
	struct buf sub = BUF_INIT, text = BUF_INIT;
	buf_printf(&sub, "%s/%lld", dir, (long long)unix_ts);
	json_t *v = NULL;
	int rc = -1;
	if (mkdir(sub.data, 0755) != 0 && errno != EEXIST) {
		buf_printf(err, "mkdir %s: ", sub.data);
		errno_text(err, errno);
		goto out;
	}
	if (debug_get_json(c, "/v1/agent/metrics", NULL, &v, err) < 0)
		goto out;
	debug_json_text(&text, v, false);
	rc = debug_write_file(sub.data, "metrics.json", &text, err);
out:
	json_decref(v);
	buf_free(&sub);
	buf_free(&text);
	return rc;
}

/* ---- the log child ---- */

static int log_fd = -1;

static void child_signal(int sig)
{
	(void)sig;
	_exit(0);
}

static int write_chunk(void *ctx, const char *data, size_t len)
{
	bool *started = ctx;
	*started = true;
	while (len) {
		ssize_t w = write(log_fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static void log_child(const struct httpc *c)
{
	struct sigaction sa = {.sa_handler = child_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/monitor", false);
	httpc_req_param(&r, "loglevel", "TRACE");
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	bool started = false;
	int rc = httpc_stream(c, &r, &resp, write_chunk, &started, &err);
	if (rc == 0 && resp.status != 200) {
		httpc_status_error(&err, &resp, true);
		rc = -1;
	}
	if (rc < 0) {
		fprintf(stderr, "==> Error encountered during collection: %s\n", buf_cstr(&err));
		_exit(1);
	}
	_exit(0); /* the agent ended the stream */
}

int debug_logs_start(const struct httpc *c, const char *dir, struct buf *err)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/consul.log", dir);
	int fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		buf_printf(err, "open %s: ", path.data);
		errno_text(err, errno);
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		buf_puts(err, "fork: ");
		errno_text(err, errno);
		close(fd);
		return -1;
	}
	if (pid == 0) {
		log_fd = fd;
		log_child(c);
	}
	close(fd);
	return (int)pid;
}

int debug_logs_stop(int pid)
{
	int status = 0;
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? -1 : 0;
}
