/*
 * The check runtime: what all checks on one loop share. It holds the options
 * (output cap, node name, alias lookup, random source), the batching handle
 * for alias re-evaluation and, once an HTTP/gRPC/H2PING check runs, the one
 * CURLM (curl.c). Caller-owned memory; closing is asynchronous and allowed
 * only after every check is closed. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <string.h>
#include <unistd.h>

static void on_curl_closed(struct check_runtime *rt);

int check_runtime_init(struct check_runtime *rt, uv_loop_t *loop,
		       const struct check_runtime_opts *opts)
{
	memset(rt, 0, sizeof(*rt));
	rt->loop = loop;
	if (opts)
		rt->opts = *opts;
	rt->opts.node_name = xstrdup(rt->opts.node_name ? rt->opts.node_name : "");
	rt->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)rt;
	if (!rt->rng)
		rt->rng = 0x9e3779b97f4a7c15ULL;
	int rc = uv_idle_init(loop, &rt->alias_idle);
	if (rc) {
		free((char *)rt->opts.node_name);
		return rc;
	}
	rt->alias_idle.data = rt;
	return 0;
}

static void closed_one(struct check_runtime *rt)
{
	if (--rt->closing == 0) {
		free((char *)rt->opts.node_name);
		rt->opts.node_name = NULL;
		if (rt->close_cb)
			rt->close_cb(rt);
	}
}

static void on_idle_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

static void on_curl_closed(struct check_runtime *rt)
{
	closed_one(rt);
}

int check_runtime_close(struct check_runtime *rt, check_runtime_close_cb cb)
{
	if (rt->n_checks > 0)
		return CAIRN_E_BUSY;
	rt->close_cb = cb;
	rt->closing = 2;
	uv_close((uv_handle_t *)&rt->alias_idle, on_idle_closed);
	check_curl_close(rt, on_curl_closed);
	return 0;
}

/* xorshift64*: fast, good enough to spread timers; not for secrets. */
static uint64_t next_rand(struct check_runtime *rt)
{
	if (rt->opts.rand)
		return rt->opts.rand(rt->opts.rand_ctx);
	uint64_t x = rt->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rt->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t check_rand_below(struct check_runtime *rt, uint64_t n)
{
	return n ? next_rand(rt) % n : 0;
}

uint64_t check_ns_to_ms(int64_t ns, uint64_t min_ms)
{
	uint64_t ms = ns > 0 ? ((uint64_t)ns + 999999) / 1000000 : 0;
	return ms < min_ms ? min_ms : ms;
}
