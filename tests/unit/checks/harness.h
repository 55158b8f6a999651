/*
 * Test harness for running checks on a real libuv loop: a runtime with a
 * deterministic random source (first probe at once), a recorder for status
 * updates, run-until helpers, and tiny servers on 127.0.0.1 (HTTP with
 * scripted paths, TCP accept, UDP echo/silent). Each test ends by closing
 * every check, the runtime and the servers, and checks that the loop closes
 * with no handle left open.
 */
#ifndef CAIRN_TEST_CHECKS_HARNESS_H
#define CAIRN_TEST_CHECKS_HARNESS_H

#include "checks/check.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define H_UNUSED __attribute__((unused))

struct rec {
	int updates;		  /* on_update calls */
	enum check_status status; /* last reported */
	struct buf output;	  /* last reported output */
	bool closed;		  /* close callback ran */
};

static H_UNUSED void rec_update(struct check *c, enum check_status st, const char *out, size_t len)
{
	struct rec *r = c->data;
	r->updates++;
	r->status = st;
	buf_reset(&r->output);
	buf_append(&r->output, out, len);
}

static H_UNUSED void rec_closed(struct check *c)
{
	struct rec *r = c->data;
	r->closed = true;
}

static H_UNUSED uint64_t rand_zero(void *ctx)
{
	return 0;
}

static H_UNUSED void wake(uv_timer_t *t)
{
}

/* Run the loop until *flag is true or ms pass; returns *flag. */
static H_UNUSED bool run_until_flag(uv_loop_t *loop, const bool *flag, uint64_t ms)
{
	uv_timer_t guard;
	uv_timer_init(loop, &guard);
	uv_timer_start(&guard, wake, 5, 5);
	uint64_t end = uv_now(loop) + ms;
	while (!*flag && uv_now(loop) < end)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return *flag;
}

/* Run until the recorder saw at least n updates (or ms pass). */
static H_UNUSED bool run_until_updates(uv_loop_t *loop, struct rec *r, int n, uint64_t ms)
{
	uv_timer_t guard;
	uv_timer_init(loop, &guard);
	uv_timer_start(&guard, wake, 5, 5);
	uint64_t end = uv_now(loop) + ms;
	while (r->updates < n && uv_now(loop) < end)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return r->updates >= n;
}

/* Run for ms, whatever happens. */
static H_UNUSED void run_for(uv_loop_t *loop, uint64_t ms)
{
	bool never = false;
	run_until_flag(loop, &never, ms);
}

struct env {
	uv_loop_t loop;
	struct check_runtime rt;
	bool rt_closed;
};

static H_UNUSED void env_rt_closed(struct check_runtime *rt)
{
	struct env *e = (struct env *)((char *)rt - offsetof(struct env, rt));
	e->rt_closed = true;
}

static H_UNUSED void env_init(struct env *e, const struct check_runtime_opts *opts)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(uv_loop_init(&e->loop), 0);
	struct check_runtime_opts o = {.rand = rand_zero, .node_name = "node1"};
	if (opts)
		o = *opts;
	assert_int_equal(check_runtime_init(&e->rt, &e->loop, &o), 0);
}

static H_UNUSED void env_fini(struct env *e)
{
	assert_int_equal(check_runtime_close(&e->rt, env_rt_closed), 0);
	assert_true(run_until_flag(&e->loop, &e->rt_closed, 2000));
	uv_run(&e->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&e->loop), 0);
}

/* Parse + defaults + validate + init + start. */
static H_UNUSED int start_check(struct env *e, struct check *c, struct rec *r, const char *json)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	assert_non_null(j);
	struct checkdef d;
	struct buf err = BUF_INIT;
	int rc = checkdef_parse(j, &d, &err);
	json_decref(j);
	if (rc == 0) {
		if (!d.id && !d.name)
			d.name = xstrdup("test");
		checkdef_set_check_defaults(&d);
		rc = checkdef_validate(&d, &err);
	}
	if (rc == 0)
		rc = check_init(&e->rt, c, &d, rec_update, r);
	if (rc == 0) {
		rc = check_start(c);
		assert_int_equal(rc, 0);
	} else {
		fprintf(stderr, "start_check: %s\n", buf_cstr(&err));
	}
	checkdef_free(&d);
	buf_free(&err);
	return rc;
}

static H_UNUSED void stop_check(struct env *e, struct check *c, struct rec *r)
{
	check_close(c, rec_closed);
	assert_true(run_until_flag(&e->loop, &r->closed, 5000));
	buf_free(&r->output);
}

/* ---- a scripted HTTP/1.1 server ---- */

struct hconn {
	uv_tcp_t tcp;
	struct buf in;
	struct hsrv *srv;
	struct hconn *next; /* server's list of open connections */
	bool answered;
};

struct hsrv {
	uv_tcp_t listener;
	int port;
	struct buf last;     /* the last complete request, as received */
	int requests;	     /* complete requests seen */
	int open;	     /* open handles (listener + connections) */
	bool closed;	     /* every handle closed */
	struct hconn *conns; /* open connections */
};

static H_UNUSED void hsrv_listener_closed(uv_handle_t *h)
{
	struct hsrv *s = h->data;
	if (--s->open == 0)
		s->closed = true;
}

static H_UNUSED void hconn_closed(uv_handle_t *h)
{
	struct hconn *hc = h->data;
	struct hsrv *s = hc->srv;
	for (struct hconn **p = &s->conns; *p; p = &(*p)->next) {
		if (*p == hc) {
			*p = hc->next;
			break;
		}
	}
	buf_free(&hc->in);
	free(hc);
	if (--s->open == 0)
		s->closed = true;
}

static H_UNUSED void hconn_close(struct hconn *hc)
{
	if (!uv_is_closing((uv_handle_t *)&hc->tcp))
		uv_close((uv_handle_t *)&hc->tcp, hconn_closed);
}

static H_UNUSED void hsrv_written(uv_write_t *w, int status)
{
	struct hconn *hc = w->data;
	free(w);
	hconn_close(hc);
}

static H_UNUSED void hsrv_send(struct hconn *hc, const char *status, const char *extra,
			       const char *body, size_t blen)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
		   blen, extra ? extra : "");
	buf_append(&b, body, blen);
	uv_write_t *w = xmalloc(sizeof(*w) + b.len);
	memcpy(w + 1, b.data, b.len);
	uv_buf_t ub = uv_buf_init((char *)(w + 1), (unsigned)b.len);
	w->data = hc;
	uv_write(w, (uv_stream_t *)&hc->tcp, &ub, 1, hsrv_written);
	buf_free(&b);
}

static H_UNUSED void hsrv_route(struct hconn *hc, const char *path)
{
	if (!strcmp(path, "/ok")) {
		hsrv_send(hc, "200 OK", NULL, "hello", 5);
	} else if (!strcmp(path, "/busy")) {
		hsrv_send(hc, "429 Too Many Requests", NULL, "slow down", 9);
	} else if (!strcmp(path, "/err")) {
		hsrv_send(hc, "500 Internal Server Error", NULL, "boom", 4);
	} else if (!strcmp(path, "/redir")) {
		hsrv_send(hc, "302 Found", "Location: /ok\r\n", "", 0);
	} else if (!strcmp(path, "/redir307")) {
		hsrv_send(hc, "307 Temporary Redirect", "Location: /echo\r\n", "", 0);
	} else if (!strcmp(path, "/loop")) {
		hsrv_send(hc, "302 Found", "Location: /loop\r\n", "", 0);
	} else if (!strcmp(path, "/echo")) {
		hsrv_send(hc, "200 OK", NULL, hc->srv->last.data, hc->srv->last.len);
	} else if (!strcmp(path, "/big")) {
		char *big = xmalloc(10000);
		for (int i = 0; i < 10000; i++)
			big[i] = (char)('a' + i % 26);
		hsrv_send(hc, "200 OK", NULL, big, 10000);
		free(big);
	} else if (!strcmp(path, "/slow")) {
		/* never answer */
	} else {
		hsrv_send(hc, "404 Not Found", NULL, "nope", 4);
	}
}

static H_UNUSED void hsrv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	b->base = xmalloc(65536);
	b->len = 65536;
}

static H_UNUSED void hsrv_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct hconn *hc = st->data;
	if (n > 0)
		buf_append(&hc->in, b->base, (size_t)n);
	free(b->base);
	if (n < 0) {
		hconn_close(hc);
		return;
	}
	const char *end = hc->in.data ? strstr(hc->in.data, "\r\n\r\n") : NULL;
	if (!end || hc->answered)
		return;
	size_t hlen = (size_t)(end - hc->in.data) + 4, clen = 0;
	const char *cl = strcasestr(hc->in.data, "\r\nContent-Length:");
	if (cl && cl < end)
		clen = strtoul(cl + 17, NULL, 10);
	if (hc->in.len < hlen + clen)
		return;
	hc->answered = true;
	buf_reset(&hc->srv->last);
	buf_append(&hc->srv->last, hc->in.data, hlen + clen);
	hc->srv->requests++;
	char path[256] = "";
	sscanf(hc->in.data, "%*s %255s", path);
	hsrv_route(hc, path);
}

static H_UNUSED void hsrv_conn(uv_stream_t *l, int status)
{
	struct hsrv *s = l->data;
	struct hconn *hc = xcalloc(1, sizeof(*hc));
	hc->srv = s;
	uv_tcp_init(l->loop, &hc->tcp);
	hc->tcp.data = hc;
	hc->next = s->conns;
	s->conns = hc;
	s->open++;
	if (uv_accept(l, (uv_stream_t *)&hc->tcp) == 0)
		uv_read_start((uv_stream_t *)&hc->tcp, hsrv_alloc, hsrv_read);
	else
		hconn_close(hc);
}

/* Listen on 127.0.0.1 (port 0 = any); returns the port. */
static H_UNUSED int tcp_listen(uv_loop_t *loop, uv_tcp_t *l, int port, uv_connection_cb cb)
{
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", port, &sa);
	assert_int_equal(uv_tcp_init(loop, l), 0);
	assert_int_equal(uv_tcp_bind(l, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)l, 128, cb), 0);
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_tcp_getsockname(l, (struct sockaddr *)&ss, &len);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static H_UNUSED void hsrv_start(struct hsrv *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof(*s));
	s->port = tcp_listen(loop, &s->listener, 0, hsrv_conn);
	s->listener.data = s;
	s->open = 1;
}

/* Close the listener and every connection still open. */
static H_UNUSED void hsrv_stop(struct hsrv *s, uv_loop_t *loop)
{
	uv_close((uv_handle_t *)&s->listener, hsrv_listener_closed);
	for (struct hconn *hc = s->conns; hc; hc = hc->next)
		hconn_close(hc);
	assert_true(run_until_flag(loop, &s->closed, 2000));
	buf_free(&s->last);
}

/* A port with nothing listening (bound then closed). */
static H_UNUSED int closed_port(uv_loop_t *loop)
{
	uv_tcp_t t;
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_tcp_init(loop, &t);
	assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&sa, 0), 0);
	uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len);
	int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return port;
}

#endif
