/*
 * The check state machine: status and output, Consul's StatusHandler
 * counters, probe scheduling with start-up jitter, and the close protocol.
 *
 * Model (see check.h for the API and internal.h for the runner contract).
 * Every check owns one uv_timer_t. Interval checks arm it for a random delay
 * in [0, interval) at start and for `interval` after each probe ends, so one
 * probe at most is in flight per check and thousands of checks spread evenly
 * over their interval. TTL checks use the timer for expiry, alias checks for a
 * periodic refresh. A check costs its struct (about 600 bytes with the timer),
 * its definition's strings and its output; an idle check costs no CPU.
 *
 * StatusHandler (Consul's agent/checks/check.go). Counters start at their
 * thresholds, so the first result after start is reported at once. A passing
 * or warning result increments successes and clears failures; it is reported
 * when successes >= success_before_passing. A critical result increments
 * failures and clears successes; it is reported as critical when failures >=
 * failures_before_critical, else as warning when failures >=
 * failures_before_warning (which defaults to failures_before_critical), else
 * not at all.
 *
 * Lifetime. check_close stops the timer and cancels the probe in flight; the
 * close callback runs once the timer's close callback has run and the runner
 * has released its probe (check_probe_end). Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/log.h"

#include <limits.h>
#include <string.h>

#define MIN_INTERVAL   DUR_SEC	      /* Consul's checks.MinInterval */
#define PROBE_TIMEOUT  (10 * DUR_SEC) /* HTTP/TCP/UDP/gRPC/H2PING default */
#define SCRIPT_TIMEOUT (30 * DUR_SEC) /* script/os_service default */

static const struct check_runner *runner_for(enum check_kind k)
{
	switch (k) {
	case CHECK_KIND_HTTP:
		return &check_runner_http;
	case CHECK_KIND_TCP:
		return &check_runner_tcp;
	case CHECK_KIND_UDP:
		return &check_runner_udp;
	case CHECK_KIND_GRPC:
		return &check_runner_grpc;
	case CHECK_KIND_H2PING:
		return &check_runner_h2ping;
	case CHECK_KIND_SCRIPT:
		return &check_runner_script;
	case CHECK_KIND_DOCKER:
	case CHECK_KIND_OSSERVICE:
		return &check_runner_unsupported;
	default:
		return NULL;
	}
}

int check_init(struct check_runtime *rt, struct check *c, const struct checkdef *def,
	       check_update_cb cb, void *data)
{
	enum check_kind kind = checkdef_kind(def);
	if (kind == CHECK_KIND_NONE || !def->id || !*def->id)
		return CAIRN_E_INVAL;
	memset(c, 0, sizeof(*c));
	checkdef_copy(&c->def, def);
	c->data = data;
	c->rt = rt;
	c->kind = kind;
	c->runner = runner_for(kind);
	c->status = def->has_status ? def->status : CHECK_CRITICAL;
	c->output = xstrdup("");
	c->update_cb = cb;
	c->output_cap =
	    rt->opts.output_max_size > 0 ? rt->opts.output_max_size : CHECK_OUTPUT_MAX_DEFAULT;
	if (def->output_max_size > 0 && c->output_cap > def->output_max_size)
		c->output_cap = def->output_max_size;
	c->interval = def->interval;
	if (c->runner && c->interval < MIN_INTERVAL) {
		log_warn("agent", "check has interval below minimum: check=%s minimum_interval=1s",
			 def->id);
		c->interval = MIN_INTERVAL;
	}
	/* Consul starts the counters at their thresholds */
	c->successes = def->success_before_passing;
	c->failures = def->failures_before_critical;
	uv_timer_init(rt->loop, &c->timer);
	c->timer.data = c;
	rt->n_checks++;
	return 0;
}

void check_restore(struct check *c, enum check_status status, const char *output)
{
	free(c->output);
	c->output = xstrdup(output ? output : "");
	c->output_len = strlen(c->output);
	c->status = status;
}

static void on_probe_timer(uv_timer_t *t)
{
	struct check *c = t->data;
	if (c->closing || c->op)
		return;
	int rc = c->runner->start(c);
	if (rc == 0)
		return;
	const char *msg = cairn_strerror(rc);
	c->op = (void *)1; /* keep check_probe_done's bookkeeping uniform */
	check_probe_done(c, CHECK_CRITICAL, msg, strlen(msg));
}

int check_start(struct check *c)
{
	if (c->started || c->closing)
		return CAIRN_E_INVAL;
	int rc;
	if (c->kind == CHECK_KIND_TTL) {
		rc = check_ttl_start(c);
	} else if (c->kind == CHECK_KIND_ALIAS) {
		rc = check_alias_start(c);
	} else {
		uint64_t ms = check_ns_to_ms(c->interval, 1);
		rc = uv_timer_start(&c->timer, on_probe_timer, check_rand_below(c->rt, ms), 0);
	}
	if (rc == 0)
		c->started = true;
	return rc;
}

void check_report(struct check *c, enum check_status st, const char *out, size_t len)
{
	if (st == c->status && len == c->output_len && memcmp(out, c->output, len) == 0)
		return;
	char *copy = xmalloc(len + 1);
	memcpy(copy, out, len);
	copy[len] = '\0';
	free(c->output);
	c->output = copy;
	c->output_len = len;
	c->status = st;
	if (!c->closing && c->update_cb)
		c->update_cb(c, st, c->output, len);
}

/* Consul's StatusHandler.updateCheck. */
void check_status_handler(struct check *c, enum check_status st, const char *out, size_t len)
{
	const struct checkdef *d = &c->def;
	if (st != CHECK_CRITICAL) {
		c->successes = c->successes < INT_MAX / 2 ? c->successes + 1 : c->successes;
		c->failures = 0;
		if (c->successes >= d->success_before_passing)
			check_report(c, st, out, len);
		return;
	}
	c->failures = c->failures < INT_MAX / 2 ? c->failures + 1 : c->failures;
	c->successes = 0;
	int before_warning =
	    d->failures_before_warning ? d->failures_before_warning : d->failures_before_critical;
	if (c->failures >= d->failures_before_critical)
		check_report(c, CHECK_CRITICAL, out, len);
	else if (c->failures >= before_warning)
		check_report(c, CHECK_WARNING, out, len);
}

static void maybe_finish(struct check *c)
{
	if (!c->timer_closed || c->op)
		return;
	check_close_cb cb = c->close_cb;
	c->rt->n_checks--;
	checkdef_free(&c->def);
	free(c->output);
	c->output = NULL;
	if (cb)
		cb(c);
}

void check_probe_end(struct check *c)
{
	c->op = NULL;
	c->runs++;
	if (c->closing) {
		maybe_finish(c);
		return;
	}
	uv_timer_start(&c->timer, on_probe_timer, check_ns_to_ms(c->interval, 1), 0);
}

void check_probe_done(struct check *c, enum check_status st, const char *out, size_t len)
{
	c->op = NULL; /* so that check_close from the owner's callback cancels nothing */
	if (!c->closing)
		check_status_handler(c, st, out, len);
	check_probe_end(c);
}

void check_probe_done_direct(struct check *c, enum check_status st, const char *out, size_t len)
{
	c->op = NULL;
	if (!c->closing)
		check_report(c, st, out, len);
	check_probe_end(c);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct check *c = h->data;
	c->timer_closed = true;
	maybe_finish(c);
}

void check_close(struct check *c, check_close_cb cb)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_cb = cb;
	if (c->kind == CHECK_KIND_ALIAS && c->started)
		check_alias_remove(c);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	if (c->op)
		c->runner->cancel(c);
}

enum check_status check_get_status(const struct check *c)
{
	return c->status;
}

const char *check_get_output(const struct check *c)
{
	return c->output ? c->output : "";
}

const char *check_id(const struct check *c)
{
	return c->def.id ? c->def.id : "";
}

int64_t check_effective_timeout(const struct check *c)
{
	if (c->def.timeout > 0)
		return c->def.timeout;
	if (c->kind == CHECK_KIND_SCRIPT || c->kind == CHECK_KIND_OSSERVICE)
		return SCRIPT_TIMEOUT;
	return PROBE_TIMEOUT;
}
