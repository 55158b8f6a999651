/*
 * Watch handlers in the agent (see watches.h): what runs when a watch's
 * result changes, as Consul's makeWatchHandler / makeHTTPWatchHandler.
 *
 * Script. uv_spawn with three pipes: stdin gets the result as one line of
 * JSON and is closed once written (a handler that exits without reading it
 * is fine: the write fails with EPIPE, which is ignored); stdout and stderr
 * are read into one buffer of which the last 4 KiB are logged at debug
 * level. The run is over when the process has exited and every pipe is
 * closed (each close callback counts down w->handles).
 *
 * HTTP. One request on the check runtime's CURLM with the result as body;
 * a status outside 2xx or a transport error is logged as an error.
 *
 * Both end in watch_handler_done. Loop thread only.
 */
#include "agent/watches_int.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *watch_handler_name(const struct watch_run *w)
{
	switch (w->plan.handler) {
	case WATCH_HANDLER_SHELL:
		return w->plan.shell;
	case WATCH_HANDLER_ARGS:
		return w->plan.args[0];
	case WATCH_HANDLER_HTTP:
		return w->plan.http.path;
	default:
		return "";
	}
}

/* Keep the tail of the handler's output (Consul's circbuf of WatchBufSize). */
static void out_append(struct watch_run *w, const char *p, size_t n)
{
	w->out_total += n;
	buf_append(&w->body, p, n);
	if (w->body.len > 2 * WATCH_OUTPUT_MAX)
		buf_consume(&w->body, w->body.len - WATCH_OUTPUT_MAX);
}

/* "Captured 4096 of 5000 bytes\n...\n<tail>" when cut, as Consul logs it. */
static void out_text(struct watch_run *w, struct buf *out)
{
	const char *p = w->body.data ? w->body.data : "";
	size_t n = w->body.len;
	if (n > WATCH_OUTPUT_MAX) {
		p += n - WATCH_OUTPUT_MAX;
		n = WATCH_OUTPUT_MAX;
	}
	if (w->out_total > n)
		buf_printf(out, "Captured %zu of %llu bytes\n...\n", n,
			   (unsigned long long)w->out_total);
	buf_append(out, p, n);
}

static void finish(struct watch_run *w)
{
	buf_reset(&w->body);
	w->out_total = 0;
	watch_handler_done(w);
}

/* ---- script ---- */

static void on_handle_closed(uv_handle_t *h)
{
	struct watch_run *w = h->data;
	if (--w->handles > 0)
		return;
	free(w->input);
	w->input = NULL;
	if (w->exit_status != 0 || w->term_signal != 0) {
		struct buf why = BUF_INIT;
		if (w->term_signal)
			buf_printf(&why, "signal: %d", w->term_signal);
		else
			buf_printf(&why, "exit status %lld", (long long)w->exit_status);
		log_error("agent.watch_handler",
			  "Failed to run watch handler: handler=%s error=\"%s\"",
			  watch_handler_name(w), buf_cstr(&why));
		buf_free(&why);
	}
	if (log_enabled(LOG_DEBUG)) {
		struct buf out = BUF_INIT;
		out_text(w, &out);
		log_debug("agent.watch_handler", "watch handler output: handler=%s output=\"%s\"",
			  watch_handler_name(w), buf_cstr(&out));
		buf_free(&out);
	}
	finish(w);
}

static void close_once(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct watch_run *w = p->data;
	w->exit_status = status;
	w->term_signal = sig;
	close_once((uv_handle_t *)p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	static char chunk[16384]; /* loop thread only; consumed before the next read */
	b->base = chunk;
	b->len = sizeof(chunk);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct watch_run *w = s->data;
	if (n > 0)
		out_append(w, b->base, (size_t)n);
	else if (n < 0)
		close_once((uv_handle_t *)s);
}

static void on_written(uv_write_t *req, int status)
{
	struct watch_run *w = req->data;
	close_once((uv_handle_t *)&w->in);
}

static void script_start(struct watch_run *w, char *input)
{
	uv_loop_t *loop = w->ws->loop;
	char *sh_args[4];
	char **args = w->plan.args;
	if (w->plan.handler == WATCH_HANDLER_SHELL) {
		watch_shell_argv(sh_args, w->plan.shell);
		args = sh_args;
	}
	char slot[40];
	char **env = watch_child_env(w->st.fire_index, slot, sizeof(slot));
	uv_pipe_t *pipes[3] = {&w->in, &w->out, &w->err};
	for (int i = 0; i < 3; i++) {
		uv_pipe_init(loop, pipes[i], 0);
		pipes[i]->data = w;
	}
	uv_stdio_container_t stdio[3] = {
	    {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&w->in},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&w->out},
	    {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&w->err},
	};
	uv_process_options_t opts = {
	    .exit_cb = on_exit_cb,
	    .file = args[0],
	    .args = args,
	    .env = env,
	    .stdio_count = 3,
	    .stdio = stdio,
	};
	w->proc.data = w;
	w->handles = 4;
	w->exit_status = 0;
	w->term_signal = 0;
	w->input = input;
	int rc = uv_spawn(loop, &w->proc, &opts);
	free(env);
	if (rc != 0) {
		log_error("agent.watch_handler",
			  "Failed to run watch handler: handler=%s error=\"%s\"",
			  watch_handler_name(w), uv_strerror(rc));
		for (int i = 0; i < 3; i++)
			close_once((uv_handle_t *)pipes[i]);
		close_once((uv_handle_t *)&w->proc);
		return;
	}
	uv_read_start((uv_stream_t *)&w->out, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&w->err, on_alloc, on_read);
	uv_buf_t b = uv_buf_init(input, (unsigned)strlen(input));
	w->wr.data = w;
	if (uv_write(&w->wr, (uv_stream_t *)&w->in, &b, 1, on_written) != 0)
		close_once((uv_handle_t *)&w->in);
}

/* ---- http ---- */

static size_t on_http_body(char *p, size_t size, size_t n, void *ud)
{
	out_append(ud, p, size * n);
	return size * n;
}

static void on_http_done(struct check_curl_req *r, CURLcode res)
{
	struct watch_run *w = r->data;
	struct buf out = BUF_INIT;
	long status = 0;
	if (res == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		out_text(w, &out);
		if (status >= 200 && status <= 299)
			log_trace("agent.watch_handler",
				  "http watch handler output: handler=%s "
				  "output=\"%s\"",
				  w->plan.http.path, buf_cstr(&out));
		else
			log_error("agent.watch_handler",
				  "http watch handler failed with output: "
				  "handler=%s status=%ld output=\"%s\"",
				  w->plan.http.path, status, buf_cstr(&out));
	} else {
		check_curl_error_text(r, res, &out);
		log_error("agent.watch_handler",
			  "Failed to invoke http watch handler: handler=%s "
			  "error=\"%s\"",
			  w->plan.http.path, buf_cstr(&out));
	}
	buf_free(&out);
	check_curl_req_free(&w->ws->rt, r);
	w->req_live = false;
	curl_slist_free_all(w->hdrs);
	w->hdrs = NULL;
	free(w->input);
	w->input = NULL;
	finish(w);
}

static void http_start(struct watch_run *w, char *input)
{
	const struct watch_http *h = &w->plan.http;
	check_curl_req_init(&w->ws->rt, &w->req, on_http_done, w);
	w->req_live = true;
	w->input = input;
	CURL *e = w->req.easy;
	curl_easy_setopt(e, CURLOPT_URL, h->path);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(input));
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, input);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, h->method);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(h->timeout_ns / 1000000));
	if (h->tls_skip_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_http_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	struct buf line = BUF_INIT;
	w->hdrs = curl_slist_append(w->hdrs, "Content-Type: application/json");
	buf_printf(&line, "X-Consul-Index: %llu", (unsigned long long)w->st.fire_index);
	w->hdrs = curl_slist_append(w->hdrs, buf_cstr(&line));
	const char *k;
	json_t *vals;
	json_object_foreach(h->header, k, vals)
	{
		size_t i;
		json_t *v;
		json_array_foreach(vals, i, v)
		{
			buf_reset(&line);
			buf_printf(&line, "%s: %s", k, json_string_value(v));
			w->hdrs = curl_slist_append(w->hdrs, buf_cstr(&line));
		}
	}
	buf_free(&line);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->hdrs);
	if (check_curl_add(&w->ws->rt, &w->req) < 0)
		on_http_done(&w->req, CURLE_FAILED_INIT);
}

/* ---- entry points ---- */

void watch_handler_start(struct watch_run *w)
{
	w->phase = WP_HANDLER;
	buf_reset(&w->body);
	w->out_total = 0;
	char *json = json_dumps(w->st.last, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n = strlen(json);
	char *input = xmalloc(n + 2);
	memcpy(input, json, n);
	input[n] = '\n';
	input[n + 1] = '\0';
	free(json);
	if (w->plan.handler == WATCH_HANDLER_HTTP)
		http_start(w, input);
	else
		script_start(w, input);
}

void watch_handler_abort(struct watch_run *w)
{
	if (w->plan.handler == WATCH_HANDLER_HTTP) {
		if (w->req_live)
			check_curl_cancel(&w->ws->rt, &w->req);
		w->req_live = false;
		curl_slist_free_all(w->hdrs);
		w->hdrs = NULL;
		free(w->input);
		w->input = NULL;
		finish(w);
		return;
	}
	uv_pipe_t *pipes[3] = {&w->in, &w->out, &w->err};
	for (int i = 0; i < 3; i++)
		close_once((uv_handle_t *)pipes[i]);
	close_once((uv_handle_t *)&w->proc);
}
