/*
 * One libcurl multi handle per runtime, driven by the libuv loop (curl's
 * "multi_socket" interface): curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one uv_poll_t per socket) and when to call it
 * back (CURLMOPT_TIMERFUNCTION -> one uv_timer_t); we tell curl what happened
 * with curl_multi_socket_action and collect finished transfers with
 * curl_multi_info_read. HTTP, gRPC and H2PING checks all share it. Name
 * resolution happens in curl's resolver thread, never on the loop.
 *
 * Ownership. struct check_curl is created on the first request and freed by
 * check_curl_close after its timer and poll handles are closed. A request's
 * easy handle belongs to its caller (check_curl_req_free/cancel). Nothing is
 * removed from the multi handle inside a curl callback: completions are
 * collected after curl_multi_socket_action returns. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <errno.h>
#include <string.h>

struct curl_sock {
	uv_poll_t poll;		  /* watches the socket */
	curl_socket_t fd;	  /* the socket */
	struct check_curl *cc;	  /* owner */
	struct curl_sock *next;	  /* live sockets, for close */
	struct curl_sock **pprev; /* link to us */
};

struct check_curl {
	CURLM *multi;		  /* shared by all requests */
	uv_timer_t timer;	  /* curl's timeout */
	struct check_runtime *rt; /* back pointer */
	struct curl_sock *socks;  /* sockets being watched */
	int closing;		  /* handles whose close callbacks are pending */
};

static void process_done(struct check_curl *cc)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(cc->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct check_curl_req *r = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		curl_multi_remove_handle(cc->multi, easy);
		if (r && r->done)
			r->done(r, res);
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct curl_sock *s = h->data;
	struct check_curl *cc = s->cc;
	int flags = 0, running;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cc->multi, s->fd, flags, &running);
	process_done(cc);
}

static void on_timeout(uv_timer_t *t)
{
	struct check_curl *cc = t->data;
	int running;
	curl_multi_socket_action(cc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process_done(cc);
}

static void maybe_freed(struct check_curl *cc)
{
	if (cc->closing > 0 || cc->multi || !cc->rt)
		return;
	struct check_runtime *rt = cc->rt;
	rt->curl = NULL;
	free(cc);
	if (rt->curl_closed_cb)
		rt->curl_closed_cb(rt);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct curl_sock *s = h->data;
	struct check_curl *cc = s->cc;
	free(s);
	cc->closing--;
	maybe_freed(cc);
}

static void sock_release(struct curl_sock *s)
{
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	s->cc->closing++;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct check_curl *cc = userp;
	struct curl_sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(cc->multi, fd, NULL);
			sock_release(s);
		}
		return 0;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		if (uv_poll_init_socket(cc->rt->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->fd = fd;
		s->cc = cc;
		s->poll.data = s;
		s->next = cc->socks;
		if (s->next)
			s->next->pprev = &s->next;
		s->pprev = &cc->socks;
		cc->socks = s;
		curl_multi_assign(cc->multi, fd, s);
	}
	int ev = 0;
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct check_curl *cc = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&cc->timer);
	else
		uv_timer_start(&cc->timer, on_timeout, (uint64_t)timeout_ms, 0);
	return 0;
}

static struct check_curl *get_curl(struct check_runtime *rt)
{
	if (rt->curl)
		return rt->curl;
	struct check_curl *cc = xcalloc(1, sizeof(*cc));
	cc->rt = rt;
	cc->multi = curl_multi_init();
	if (!cc->multi)
		abort();
	uv_timer_init(rt->loop, &cc->timer);
	cc->timer.data = cc;
	curl_multi_setopt(cc->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(cc->multi, CURLMOPT_SOCKETDATA, cc);
	curl_multi_setopt(cc->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(cc->multi, CURLMOPT_TIMERDATA, cc);
	rt->curl = cc;
	return cc;
}

void check_curl_req_init(struct check_runtime *rt, struct check_curl_req *r,
			 check_curl_done_fn done, void *data)
{
	static bool global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = true;
	}
	r->easy = curl_easy_init();
	if (!r->easy)
		abort();
	r->done = done;
	r->data = data;
	r->connect_to = NULL;
	r->errbuf[0] = '\0';
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	/* Consul's check transports disable keep-alive */
	curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
}

int check_curl_add(struct check_runtime *rt, struct check_curl_req *r)
{
	struct check_curl *cc = get_curl(rt);
	CURLMcode mc = curl_multi_add_handle(cc->multi, r->easy);
	return mc == CURLM_OK ? 0 : CAIRN_E_INTERNAL;
}

void check_curl_cancel(struct check_runtime *rt, struct check_curl_req *r)
{
	if (!r->easy)
		return;
	if (rt->curl)
		curl_multi_remove_handle(rt->curl->multi, r->easy);
	check_curl_req_free(rt, r);
}

void check_curl_req_free(struct check_runtime *rt, struct check_curl_req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	r->easy = NULL;
	curl_slist_free_all(r->connect_to);
	r->connect_to = NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct check_curl *cc = h->data;
	cc->closing--;
	maybe_freed(cc);
}

void check_curl_close(struct check_runtime *rt, void (*cb)(struct check_runtime *rt))
{
	struct check_curl *cc = rt->curl;
	rt->curl_closed_cb = cb;
	if (!cc) {
		cb(rt);
		return;
	}
	/* cleanup may still report sockets to remove; keep the callbacks valid */
	curl_multi_cleanup(cc->multi);
	cc->multi = NULL;
	while (cc->socks)
		sock_release(cc->socks);
	cc->closing++;
	uv_close((uv_handle_t *)&cc->timer, on_timer_closed);
}
