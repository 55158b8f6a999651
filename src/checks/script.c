/*
 * Script checks (Consul's CheckMonitor): run a command, judge its exit code.
 *
 * `args` run directly (execvp: PATH is searched); the legacy `script` runs as
 * `$SHELL -c <script>` (/bin/sh when SHELL is unset), as Consul's
 * exec.Script. stdin is /dev/null; stdout and stderr share one pipe, read
 * into a ring that keeps the last output-cap bytes. The child leads its own
 * process group (setsid), so a timeout kills the whole tree with one
 * kill(-pid, SIGKILL), like Consul's KillCommandSubtree.
 *
 *   exit 0 -> passing, exit 1 -> warning, anything else (or a signal) -> critical
 *   output: what was captured, prefixed "Captured <n> of <total> bytes\n...\n"
 *           when more was written than kept
 *   timeout (the check's, else 30 s): critical
 *           "Timed out (30s) running check" [+ "\n\n" + output]
 *   cannot start: critical with Go's text, e.g.
 *           `exec: "nosuch": executable file not found in $PATH`
 * The timeout and start-failure results bypass the StatusHandler counters,
 * as in Consul. The probe ends when the process has exited and its output
 * pipe reached EOF; a grandchild that keeps the pipe open is waited for only
 * until the timeout. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/duration.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct script_probe {
	struct check *c;      /* owner */
	uv_process_t proc;    /* the child */
	uv_pipe_t pipe;	      /* its stdout+stderr */
	uv_timer_t timer;     /* timeout */
	struct tailbuf out;   /* captured output */
	char rbuf[4096];      /* read buffer */
	int64_t exit_status;  /* from the exit callback */
	int term_signal;      /* idem */
	int handles;	      /* open handles */
	bool exited;	      /* exit callback ran */
	bool eof;	      /* pipe reached EOF (or failed) */
	bool timed_out;	      /* killed by the timeout */
	bool cancelled;	      /* check_close: report nothing */
	bool closing;	      /* handles are being closed */
	bool spawn_failed;    /* uv_spawn failed: report spawn_err */
	struct buf spawn_err; /* Go's text for the failure */
};

static void result_text(struct script_probe *p, struct buf *out)
{
	size_t kept = tailbuf_len(&p->out);
	if (p->out.total > kept)
		buf_printf(out, "Captured %zu of %llu bytes\n...\n", kept,
			   (unsigned long long)p->out.total);
	tailbuf_get(&p->out, out);
}

static void report(struct script_probe *p)
{
	struct check *c = p->c;
	struct buf out = BUF_INIT, text = BUF_INIT;
	enum check_status st = CHECK_CRITICAL;
	bool direct = p->timed_out || p->spawn_failed, cancelled = p->cancelled;
	result_text(p, &text);
	if (p->spawn_failed) {
		buf_append(&out, buf_cstr(&p->spawn_err), p->spawn_err.len);
	} else if (p->timed_out) {
		buf_puts(&out, "Timed out (");
		duration_format(&out, check_effective_timeout(c));
		buf_puts(&out, ") running check");
		if (text.len)
			buf_printf(&out, "\n\n%s", text.data);
	} else {
		buf_append(&out, text.data ? text.data : "", text.len);
		if (p->term_signal == 0 && p->exit_status == 0)
			st = CHECK_PASSING;
		else if (p->term_signal == 0 && p->exit_status == 1)
			st = CHECK_WARNING;
	}
	tailbuf_free(&p->out);
	buf_free(&p->spawn_err);
	free(p);
	if (cancelled)
		check_probe_end(c);
	else if (direct)
		check_probe_done_direct(c, st, buf_cstr(&out), out.len);
	else
		check_probe_done(c, st, buf_cstr(&out), out.len);
	buf_free(&out);
	buf_free(&text);
}

static void on_closed(uv_handle_t *h)
{
	struct script_probe *p = h->data;
	if (--p->handles == 0)
		report(p);
}

static void close_all(struct script_probe *p)
{
	if (p->closing)
		return;
	p->closing = true;
	uv_close((uv_handle_t *)&p->timer, on_closed);
	uv_close((uv_handle_t *)&p->pipe, on_closed);
	uv_close((uv_handle_t *)&p->proc, on_closed);
}

static void maybe_finish(struct script_probe *p)
{
	if (p->exited && (p->eof || p->timed_out || p->cancelled))
		close_all(p);
}

static void on_child_exit(uv_process_t *proc, int64_t status, int sig)
{
	struct script_probe *p = proc->data;
	p->exited = true;
	p->exit_status = status;
	p->term_signal = sig;
	maybe_finish(p);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct script_probe *p = h->data;
	*b = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct script_probe *p = s->data;
	if (n > 0) {
		tailbuf_write(&p->out, b->base, (size_t)n);
		return;
	}
	if (n < 0) {
		p->eof = true;
		uv_read_stop(s);
		maybe_finish(p);
	}
}

static void kill_group(struct script_probe *p)
{
	if (!p->exited && p->proc.pid > 0)
		kill(-p->proc.pid, SIGKILL);
}

static void on_timeout(uv_timer_t *t)
{
	struct script_probe *p = t->data;
	if (p->exited) {
		p->eof = true; /* a grandchild holds the pipe: stop waiting for it */
		maybe_finish(p);
		return;
	}
	p->timed_out = true;
	kill_group(p); /* then wait for the exit: never two runs at once */
}

/* Go's exec errors for a command that cannot start. */
static void spawn_error(struct buf *out, const char *file, int rc)
{
	if (rc == UV_ENOENT && !strchr(file, '/'))
		buf_printf(out, "exec: \"%s\": executable file not found in $PATH", file);
	else
		buf_printf(out, "fork/exec %s: %s", file, check_errno_text(rc));
}

static int spawn(struct script_probe *p, uv_file wfd, struct buf *err)
{
	const struct checkdef *d = &p->c->def;
	/* libuv wants a NULL-terminated argv */
	char **argv = xcalloc(d->n_args ? d->n_args + 1 : 4, sizeof(char *));
	if (d->n_args) {
		memcpy(argv, d->args, d->n_args * sizeof(char *));
	} else {
		const char *shell = getenv("SHELL");
		argv[0] = (char *)(shell && *shell ? shell : "/bin/sh");
		argv[1] = "-c";
		argv[2] = d->script;
	}
	uv_stdio_container_t stdio[3] = {
	    {.flags = UV_IGNORE},
	    {.flags = UV_INHERIT_FD, .data.fd = wfd},
	    {.flags = UV_INHERIT_FD, .data.fd = wfd},
	};
	uv_process_options_t o = {
	    .exit_cb = on_child_exit,
	    .file = argv[0],
	    .args = argv,
	    .flags = UV_PROCESS_DETACHED,
	    .stdio_count = 3,
	    .stdio = stdio,
	};
	p->proc.data = p;
	int rc = uv_spawn(p->c->rt->loop, &p->proc, &o);
	if (rc)
		spawn_error(err, argv[0], rc);
	free(argv);
	return rc;
}

static int script_start(struct check *c)
{
	struct script_probe *p = xcalloc(1, sizeof(*p));
	uv_file fds[2];
	p->c = c;
	int rc = uv_pipe(fds, UV_NONBLOCK_PIPE, 0);
	if (rc) {
		free(p);
		return rc;
	}
	tailbuf_init(&p->out, (size_t)c->output_cap);
	c->op = p;
	rc = spawn(p, fds[1], &p->spawn_err);
	close(fds[1]);
	uv_timer_init(c->rt->loop, &p->timer);
	uv_pipe_init(c->rt->loop, &p->pipe, 0);
	p->timer.data = p->pipe.data = p;
	p->handles = 3;
	uv_pipe_open(&p->pipe, fds[0]);
	if (rc) {
		/* the process handle is initialised even on failure: close it too */
		p->spawn_failed = true;
		close_all(p);
		return 0;
	}
	uv_read_start((uv_stream_t *)&p->pipe, on_alloc, on_read);
	uv_timer_start(&p->timer, on_timeout, check_ns_to_ms(check_effective_timeout(c), 1), 0);
	return 0;
}

static void script_cancel(struct check *c)
{
	struct script_probe *p = c->op;
	p->cancelled = true;
	kill_group(p);
	maybe_finish(p);
}

const struct check_runner check_runner_script = {"script", script_start, script_cancel};
