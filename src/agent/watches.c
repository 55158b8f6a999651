/*
 * Agent watches (see watches.h): reconciling the configured set, and each
 * watch's query loop against the agent's own HTTP API on the check runtime's
 * libcurl multi handle. Handlers live in watch_handlers.c.
 *
 * Freeing. A watch has one timer for its whole life, plus the handles of a
 * running script handler. release() is reached once nothing is in flight; it
 * closes the timer and frees the watch in the close callback. When the set is
 * closing and the last watch is freed, the check runtime is closed and then
 * the owner's callback runs.
 */
#include "agent/watches_int.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define QUERY_TIMEOUT_MS (15 * 60 * 1000) /* above the 10 min maximum wait + jitter */
#define BODY_MAX	 (256u << 20)	  /* a larger answer is an error */

static void query_start(struct watch_run *w);

/* ---- lifetime ---- */

static void on_rt_closed(struct check_runtime *rt)
{
	struct watches *ws = (struct watches *)((char *)rt - offsetof(struct watches, rt));
	if (ws->close_cb)
		ws->close_cb(ws);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct watch_run *w = h->data;
	struct watches *ws = w->ws;
	watch_plan_free(&w->plan);
	watch_state_free(&w->st);
	json_decref(w->def);
	buf_free(&w->body);
	free(w->base);
	free(w->unix_path);
	free(w);
	if (--ws->live == 0 && ws->closing)
		check_runtime_close(&ws->rt, on_rt_closed);
}

/* Nothing is in flight any more: unlink and free. */
static void release(struct watch_run *w)
{
	struct watch_run **pp = &w->ws->list;
	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

static void req_drop(struct watch_run *w)
{
	if (w->req_live)
		check_curl_cancel(&w->ws->rt, &w->req);
	w->req_live = false;
	curl_slist_free_all(w->hdrs);
	w->hdrs = NULL;
}

/* Stop a watch. hard: also stop tracking a running script handler. */
static void watch_stop(struct watch_run *w, bool hard)
{
	if (w->stopping && (!hard || w->phase != WP_HANDLER))
		return; /* already released, or left to finish its handler */
	w->stopping = true;
	switch (w->phase) {
	case WP_QUERY:
		req_drop(w);
		release(w);
		break;
	case WP_WAIT:
		uv_timer_stop(&w->timer);
		release(w);
		break;
	case WP_HANDLER:
		if (hard)
			watch_handler_abort(w); /* ends in watch_handler_done */
		break;
	}
}

/* ---- the query loop ---- */

static void on_timer(uv_timer_t *t)
{
	query_start(t->data);
}

static void wait_then_query(struct watch_run *w, uint64_t ms)
{
	w->phase = WP_WAIT;
	uv_timer_start(&w->timer, on_timer, ms, 0);
}

void watch_handler_done(struct watch_run *w)
{
	w->phase = WP_WAIT;
	if (w->stopping)
		release(w);
	else
		wait_then_query(w, 0);
}

static void log_error_retry(struct watch_run *w, const char *err)
{
	log_error("agent.watch", "Watch errored: type=%s error=\"%s\" retry=%llus",
		  w->plan.type_name, err, (unsigned long long)(w->st.retry_ms / 1000));
	wait_then_query(w, w->st.retry_ms);
}

static void on_query_done(struct check_curl_req *r, CURLcode res)
{
	struct watch_run *w = r->data;
	long status = 0;
	struct buf err = BUF_INIT;
	if (res == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	else
		check_curl_error_text(r, res, &err);
	check_curl_req_free(&w->ws->rt, r);
	w->req_live = false;
	curl_slist_free_all(w->hdrs);
	w->hdrs = NULL;
	enum watch_step step;
	if (res != CURLE_OK)
		step = watch_state_failed(&w->st);
	else
		step = watch_state_feed(&w->st, &w->plan, (int)status, w->body.data, w->body.len,
					w->has_index_hdr ? w->index_hdr : NULL, &err);
	buf_reset(&w->body);
	if (step == WATCH_RETRY)
		log_error_retry(w, buf_cstr(&err));
	else if (step == WATCH_AGAIN)
		wait_then_query(w, 0);
	else
		watch_handler_start(w);
	buf_free(&err);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct watch_run *w = ud;
	if (w->body.len + size * n > BODY_MAX)
		return 0;
	buf_append(&w->body, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct watch_run *w = ud;
	size_t len = size * n;
	static const char name[] = "x-consul-index:";
	if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		size_t i = sizeof(name) - 1, j = 0;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof(w->index_hdr))
			w->index_hdr[j++] = p[i++];
		w->index_hdr[j] = '\0';
		w->has_index_hdr = true;
	}
	return len;
}

/* Go's url.URL.EscapedPath for our paths: keep what a path may hold. */
static void escape_path(struct buf *out, const char *s)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(keep, c))
			buf_putc(out, (char)c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

static void query_url(struct watch_run *w, const struct watch_query *q, struct buf *url)
{
	buf_puts(url, w->base);
	escape_path(url, buf_cstr(&q->path));
	for (size_t i = 0; i < q->n; i++) {
		char *v = curl_easy_escape(w->req.easy, q->values[i], 0);
		buf_printf(url, "%c%s=%s", i ? '&' : '?', q->names[i], v ? v : "");
		curl_free(v);
	}
}

static void query_start(struct watch_run *w)
{
	if (w->stopping) {
		release(w);
		return;
	}
	struct watch_query q;
	struct buf url = BUF_INIT;
	check_curl_req_init(&w->ws->rt, &w->req, on_query_done, w);
	w->req_live = true;
	watch_query_build(&w->plan, &w->st, &q);
	query_url(w, &q, &url);
	watch_query_free(&q);
	CURL *e = w->req.easy;
	curl_easy_setopt(e, CURLOPT_URL, buf_cstr(&url));
	if (w->unix_path)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, w->unix_path);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)QUERY_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, w);
	if (w->plan.token && *w->plan.token) {
		struct buf h = BUF_INIT;
		buf_printf(&h, "X-Consul-Token: %s", w->plan.token);
		w->hdrs = curl_slist_append(w->hdrs, buf_cstr(&h));
		buf_free(&h);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->hdrs);
	}
	buf_free(&url);
	buf_reset(&w->body);
	w->has_index_hdr = false;
	w->phase = WP_QUERY;
	if (check_curl_add(&w->ws->rt, &w->req) < 0) {
		req_drop(w);
		watch_state_failed(&w->st);
		log_error_retry(w, "cannot start the request");
	}
}

/* ---- the set ---- */

int watches_init(struct watches *ws, uv_loop_t *loop)
{
	memset(ws, 0, sizeof(*ws));
	ws->loop = loop;
	return check_runtime_init(&ws->rt, loop, NULL);
}

/* The agent's HTTP address as Consul's APIConfig picks it. 0, or -1 when
 * there is no HTTP endpoint. */
static int agent_address(const struct config *cfg, char **base, char **unix_path)
{
	*base = *unix_path = NULL;
	if (cfg->ports.http < 0)
		return -1;
	const char *list = cfg->addresses.http && *cfg->addresses.http ? cfg->addresses.http
			   : cfg->client_addr && *cfg->client_addr     ? cfg->client_addr
								       : "127.0.0.1";
	size_t n = strcspn(list, " ");
	char *first = xstrndup(list, n);
	struct buf b = BUF_INIT;
	if (strncmp(first, "unix://", 7) == 0) {
		*unix_path = xstrdup(first + 7);
		buf_puts(&b, "http://localhost");
	} else if (strcmp(first, "0.0.0.0") == 0) {
		buf_printf(&b, "http://127.0.0.1:%d", cfg->ports.http);
	} else if (strcmp(first, "::") == 0 || strcmp(first, "[::]") == 0) {
		buf_printf(&b, "http://[::1]:%d", cfg->ports.http);
	} else if (strchr(first, ':') && first[0] != '[') {
		buf_printf(&b, "http://[%s]:%d", first, cfg->ports.http);
	} else {
		buf_printf(&b, "http://%s:%d", first, cfg->ports.http);
	}
	free(first);
	*base = buf_steal(&b);
	return 0;
}

static void watch_begin(struct watches *ws, json_t *def, struct watch_plan *plan,
			const struct config *cfg)
{
	struct watch_run *w = xcalloc(1, sizeof(*w));
	w->ws = ws;
	w->def = json_deep_copy(def);
	w->plan = *plan;
	memset(plan, 0, sizeof(*plan));
	agent_address(cfg, &w->base, &w->unix_path);
	if (w->plan.handler == WATCH_HANDLER_SHELL)
		log_warn("agent", "The 'handler' field in watches has been deprecated and replaced "
				  "with the 'args' field. See "
				  "https://www.consul.io/docs/agent/watches.html");
	uv_timer_init(ws->loop, &w->timer);
	w->timer.data = w;
	w->next = ws->list;
	ws->list = w;
	ws->live++;
	query_start(w);
}

int watches_apply(struct watches *ws, const struct config *cfg, struct buf *err)
{
	size_t n = json_array_size(cfg->watches);
	if (n > 0 && cfg->ports.http < 0) {
		buf_puts(err, "watch plans require an HTTP or HTTPS endpoint");
		return -1;
	}
	struct watch_plan *plans = xcalloc(n ? n : 1, sizeof(*plans));
	bool *kept = xcalloc(n ? n : 1, sizeof(bool));
	size_t parsed = 0;
	for (; parsed < n; parsed++)
		if (watch_plan_parse(&plans[parsed], json_array_get(cfg->watches, parsed), true,
				     err) < 0)
			break;
	int rc = parsed == n ? 0 : -1;
	if (rc == 0) {
		/* keep running watches whose object is unchanged; stop the rest */
		struct watch_run *w = ws->list, *next;
		for (; w; w = next) {
			next = w->next;
			if (w->stopping)
				continue;
			size_t i = 0;
			while (i < n &&
			       (kept[i] || !json_equal(w->def, json_array_get(cfg->watches, i))))
				i++;
			if (i < n)
				kept[i] = true;
			else
				watch_stop(w, false);
		}
		for (size_t i = 0; i < n; i++)
			if (!kept[i])
				watch_begin(ws, json_array_get(cfg->watches, i), &plans[i], cfg);
	}
	for (size_t i = 0; i < parsed; i++)
		watch_plan_free(&plans[i]);
	free(plans);
	free(kept);
	return rc;
}

int watches_check(const struct config *cfg, struct buf *err)
{
	struct watch_plan p;
	if (json_array_size(cfg->watches) > 0 && cfg->ports.http < 0) {
		buf_puts(err, "watch plans require an HTTP or HTTPS endpoint");
		return -1;
	}
	for (size_t i = 0; i < json_array_size(cfg->watches); i++) {
		if (watch_plan_parse(&p, json_array_get(cfg->watches, i), true, err) < 0)
			return -1;
		watch_plan_free(&p);
	}
	return 0;
}

void watches_close(struct watches *ws, watches_close_cb cb)
{
	if (ws->closing)
		return;
	ws->closing = true;
	ws->close_cb = cb;
	struct watch_run *w = ws->list, *next;
	for (; w; w = next) {
		next = w->next;
		watch_stop(w, true);
	}
	if (ws->live == 0)
		check_runtime_close(&ws->rt, on_rt_closed);
}
