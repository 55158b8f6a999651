/*
 * TTL checks (Consul's CheckTTL): the application reports its own health
 * through /v1/agent/check/pass|warn|fail|update; if no report arrives within
 * the TTL the check turns critical with "TTL expired", followed by the last
 * reported output when there was one:
 *
 *   TTL expired (last output before timeout follows): <output>
 *
 * The timer is armed at start (full TTL, also after a restore of persisted
 * state, as Consul) and re-armed by every update; after an expiry it stays
 * idle until the next update. Output longer than the cap keeps its first cap
 * bytes and gains " ... (captured <cap> of <total> bytes)". TTL results do not
 * go through the StatusHandler counters. Loop thread only.
 */
#include "checks/internal.h"

#include "base/err.h"
#include "base/log.h"

#include <string.h>

static void on_ttl_expired(uv_timer_t *t)
{
	struct check *c = t->data;
	if (c->closing)
		return;
	log_warn("agent", "Check missed TTL, is now critical: check=%s", check_id(c));
	struct buf out = BUF_INIT;
	buf_puts(&out, "TTL expired");
	if (c->ttl_updated && c->output_len > 0)
		buf_printf(&out, " (last output before timeout follows): %s", c->output);
	check_report(c, CHECK_CRITICAL, out.data, out.len);
	buf_free(&out);
}

int check_ttl_start(struct check *c)
{
	return uv_timer_start(&c->timer, on_ttl_expired, check_ns_to_ms(c->def.ttl, 1), 0);
}

int check_ttl_update(struct check *c, enum check_status status, const char *output)
{
	if (c->kind != CHECK_KIND_TTL || c->closing)
		return CAIRN_E_INVAL;
	if (!output)
		output = "";
	size_t total = strlen(output), cap = (size_t)c->output_cap;
	struct buf out = BUF_INIT;
	if (total > cap) {
		buf_append(&out, output, cap);
		buf_printf(&out, " ... (captured %zu of %zu bytes)", cap, total);
	} else {
		buf_append(&out, output, total);
	}
	c->ttl_updated = true;
	check_report(c, status, buf_cstr(&out), out.len);
	buf_free(&out);
	/* the owner's callback may have closed the check */
	if (c->started && !c->closing)
		check_ttl_start(c);
	return 0;
}
