/*
 * Alias checks (Consul's CheckAlias): the status of another service instance
 * or node, as the worst status among its checks.
 *
 * The owner answers lookups (check.h: check_alias_lookup_fn) and calls
 * check_alias_notify when checks change. Notifications only mark matching
 * aliases dirty and start the runtime's idle handle; the idle callback
 * evaluates every dirty alias once, so a burst of changes costs one lookup
 * per alias per loop iteration, and an alias of an alias settles over a few
 * iterations without recursion. Each alias also refreshes every minute
 * (Consul's maxDurationBetweenUpdates), in case a notification was missed.
 *
 * Results, in Consul's words: "No checks found.", "All checks passing.",
 * `Aliased check "<name>" failing: <output>` and, for a service that does not
 * exist, "Service <id> could not be found on node <AliasNode>". Deviation:
 * Consul also says "could not be found" for a node alias (no service), which
 * makes every remote node alias critical; a node alias here reports the
 * node's checks. Alias results bypass the StatusHandler counters.
 * Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"

#include <stdio.h>
#include <string.h>

#define ALIAS_REFRESH_MS 60000

static const char *target_node(const struct check *c)
{
	const char *n = c->def.alias_node;
	if (!n || !*n || strcmp(n, c->rt->opts.node_name) == 0)
		return NULL;
	return n;
}

static const char *target_service(const struct check *c)
{
	const char *s = c->def.alias_service;
	return s && *s ? s : NULL;
}

/* Go's %q for the check name (strconv.Quote, ASCII control escapes). */
static void go_quote(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			buf_puts(out, "\\\"");
			break;
		case '\\':
			buf_puts(out, "\\\\");
			break;
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '\r':
			buf_puts(out, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(out, "\\x%02x", *p);
			else
				buf_putc(out, (char)*p);
		}
	}
	buf_putc(out, '"');
}

static void evaluate(struct check *c)
{
	struct check_runtime *rt = c->rt;
	struct check_alias_result res;
	memset(&res, 0, sizeof(res));
	res.worst = CHECK_PASSING;
	const char *node = target_node(c), *svc = target_service(c);
	if (rt->opts.alias_lookup)
		rt->opts.alias_lookup(rt->opts.alias_ctx, c, node, svc, &res);
	enum check_status st = CHECK_PASSING;
	struct buf msg = BUF_INIT;
	if (svc && !res.found) {
		st = CHECK_CRITICAL;
		buf_printf(&msg, "Service %s could not be found on node %s", svc,
			   c->def.alias_node ? c->def.alias_node : "");
	} else if (res.n_checks == 0) {
		buf_puts(&msg, "No checks found.");
	} else if (res.worst == CHECK_PASSING) {
		buf_puts(&msg, "All checks passing.");
	} else {
		st = res.worst;
		buf_puts(&msg, "Aliased check ");
		go_quote(&msg, res.failing_name ? res.failing_name : "");
		buf_printf(&msg, " failing: %s", res.failing_output ? res.failing_output : "");
	}
	check_report(c, st, buf_cstr(&msg), msg.len);
	buf_free(&msg);
}

static void on_idle(uv_idle_t *h)
{
	struct check_runtime *rt = h->data;
	uv_idle_stop(h);
	rt->alias_dirty = false;
	/* Collect first: the owner's callbacks may close aliases (their memory
	 * stays valid until their close callbacks, a later loop iteration) or
	 * notify again (which schedules the next round). */
	size_t n = 0, i = 0;
	for (struct check *c = rt->aliases; c; c = c->alias_next)
		n += c->alias_dirty;
	if (!n)
		return;
	struct check **todo = xmalloc(n * sizeof(*todo));
	for (struct check *c = rt->aliases; c; c = c->alias_next) {
		if (c->alias_dirty) {
			c->alias_dirty = false;
			todo[i++] = c;
		}
	}
	for (i = 0; i < n; i++)
		if (!todo[i]->closing)
			evaluate(todo[i]);
	free(todo);
}

static void schedule(struct check_runtime *rt)
{
	if (rt->alias_dirty)
		return;
	rt->alias_dirty = true;
	uv_idle_start(&rt->alias_idle, on_idle);
}

static void on_refresh(uv_timer_t *t)
{
	struct check *c = t->data;
	c->alias_dirty = true;
	schedule(c->rt);
}

int check_alias_start(struct check *c)
{
	int rc = uv_timer_start(&c->timer, on_refresh, ALIAS_REFRESH_MS, ALIAS_REFRESH_MS);
	if (rc)
		return rc;
	c->alias_next = c->rt->aliases;
	c->rt->aliases = c;
	c->alias_dirty = true;
	schedule(c->rt);
	return 0;
}

void check_alias_remove(struct check *c)
{
	for (struct check **p = &c->rt->aliases; *p; p = &(*p)->alias_next) {
		if (*p == c) {
			*p = c->alias_next;
			break;
		}
	}
	c->alias_next = NULL;
}

static bool same_node(const struct check_runtime *rt, const char *a, const char *b)
{
	if (a && strcmp(a, rt->opts.node_name) == 0)
		a = NULL;
	if (b && strcmp(b, rt->opts.node_name) == 0)
		b = NULL;
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void check_alias_notify(struct check_runtime *rt, const char *node, const char *service_id)
{
	if (node && !*node)
		node = NULL;
	bool any = false;
	for (struct check *c = rt->aliases; c; c = c->alias_next) {
		if (!same_node(rt, target_node(c), node))
			continue;
		const char *svc = target_service(c);
		if (service_id && (!svc || strcmp(svc, service_id) != 0))
			continue;
		c->alias_dirty = true;
		any = true;
	}
	if (any)
		schedule(rt);
}
