/*
 * GET /v1/agent/monitor?loglevel=&logjson: the agent's log lines, streamed as
 * they are written, until the client goes away (Consul's agent monitor).
 *
 * Model. Each request is one log sink (base/log.h) at the requested level
 * (default info; Consul's names, "Unknown log level: X" and 400 otherwise),
 * writing text lines, or hclog's JSON lines with ?logjson, each ending in a
 * newline, as chunks of a streamed reply (http.h, "Streaming responses").
 *
 * Backpressure. Nothing here ever waits for the client. While more than
 * MONITOR_MAX_PENDING bytes sit unsent on the connection, lines are dropped
 * and counted; the next line that fits is preceded by Consul's note
 * "Monitor dropped N logs during monitor request". The bound is per request,
 * so one slow client cannot grow the agent without limit nor slow the others.
 *
 * Lifetime. The monitor is freed in the request's cancel hook, which the
 * server runs when the connection ends (client gone, idle timeout, shutdown);
 * the sink is removed first, so no line reaches a freed monitor. The sink is
 * called from log_msg on the loop thread and only queues bytes: the socket is
 * written from the server's idle handle, never from inside log_msg. The number
 * of concurrent monitors is bounded by the logger's sink table (503 beyond).
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define MONITOR_MAX_PENDING (512 * 1024)

struct monitor {
	struct http_request *req; /* the streamed request */
	int sink;		  /* log_add_sink handle */
	uint64_t dropped;	  /* lines dropped since the last note */
	uint64_t dropped_total;	  /* for the agent's own warning at the end */
	struct buf line;	  /* scratch: one chunk (note, line, newline) */
};

static void on_line(void *ctx, enum log_level level, const char *line, size_t len)
{
	(void)level;
	struct monitor *m = ctx;
	if (http_stream_pending(m->req) > MONITOR_MAX_PENDING) {
		m->dropped++;
		m->dropped_total++;
		return;
	}
	buf_reset(&m->line);
	if (m->dropped) {
		buf_printf(&m->line, "Monitor dropped %llu logs during monitor request\n",
			   (unsigned long long)m->dropped);
		m->dropped = 0;
	}
	buf_append(&m->line, line, len);
	buf_putc(&m->line, '\n');
	http_stream_write(m->req, m->line.data, m->line.len);
}

static void on_cancel(struct http_request *req)
{
	struct monitor *m = req->ctx;
	log_remove_sink(m->sink);
	uint64_t dropped = m->dropped_total;
	buf_free(&m->line);
	free(m);
	req->ctx = NULL;
	if (dropped)
		log_warn("agent.http", "Dropped logs during monitor request: dropped_count=%llu",
			 (unsigned long long)dropped);
}

/* Consul's logging.ValidateLogLevel: TRACE DEBUG INFO WARN ERR ERROR. */
static int parse_level(const char *s, enum log_level *out)
{
	if (!*s) {
		*out = LOG_INFO;
		return 0;
	}
	if (strcasecmp(s, "off") == 0 || strcasecmp(s, "warning") == 0)
		return -1;
	return log_level_parse(s, out);
}

void api_agent_monitor(void *ctx, struct http_request *req)
{
	const struct http_param *p = http_param_get(req, "loglevel");
	const char *name = p ? p->value : "";
	enum log_level level;
	(void)ctx;
	if (parse_level(name, &level) < 0) {
		api_error(req, 400, "Unknown log level: %s", name);
		return;
	}
	req->resp.content_type = "text/plain; charset=utf-8";
	if (req->method == HTTP_M_HEAD) {
		http_reply(req);
		return;
	}
	struct monitor *m = xcalloc(1, sizeof(*m));
	m->req = req;
	m->sink = log_add_sink(level, api_has(req, "logjson"), on_line, m);
	if (m->sink < 0) {
		free(m);
		api_error(req, 503, "Too many monitors attached to this agent");
		return;
	}
	req->ctx = m;
	req->cancel = on_cancel;
	http_stream_start(req);
}
