/*
 * `consul monitor [-log-level L] [-log-json]`: attach to the agent's log stream
 * (GET /v1/agent/monitor, a chunked reply that lasts until one side leaves) and
 * print each line as it arrives, as Consul's monitor command does:
 *
 *   a bad level         "Error starting monitor: Unexpected response code: 400
 *                       (Unknown log level: X)", exit 1
 *   the agent goes away "Remote side ended the monitor! This usually means that the
 *                       remote side has exited or crashed.", exit 1
 *   Ctrl-C / SIGTERM    exit 0
 *
 * The lines are written to stdout as they arrive, flushed at once (stdout is often
 * a pipe). SIGINT/SIGTERM end the process from the handler with _exit(0): the only
 * state is the socket and stdout, which is flushed after every write.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

struct monitor_opts {
	const char *log_level; /* -log-level */
	bool log_json;	       /* -log-json */
	struct httpc_flags http;
};

const char monitor_usage[] =
    "\nUsage: consul monitor [options]\n"
    "\n"
    "  Shows recent log messages of a Consul agent, and attaches to the agent,\n"
    "  outputting log messages as they occur in real time. The monitor lets you\n"
    "  listen for log levels that may be filtered out of the Consul agent. For\n"
    "  example your agent may only be logging at INFO level, but with the monitor\n"
    "  you can see the DEBUG level logs.\n";

#define O struct monitor_opts
const struct flag_def monitor_flags[] = {
    FLAG_DEF("log-level", FLAG_STRING, O, log_level, "Log level of the agent.", "INFO"),
    FLAG_DEF("log-json", FLAG_BOOL, O, log_json, "Output logs in JSON format.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    FLAG_END,
};
#undef O

static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* ctx: a bool set once the agent accepted the request (a 200 head arrived). */
static int print_chunk(void *ctx, const char *data, size_t len)
{
	*(bool *)ctx = true;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
	return 0;
}

int monitor_main(int argc, char **argv)
{
	struct monitor_opts o = {.log_level = "INFO"};
	int rest;
	if (flags_parse(monitor_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/monitor", false);
	httpc_req_param(&r, "loglevel", o.log_level);
	if (o.log_json)
		httpc_req_param(&r, "logjson", "");
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = 1;
	bool started = false;
	int sent = httpc_stream(&c, &r, &resp, print_chunk, &started, &err);
	if (sent < 0 && !started) {
		cli_error("Error starting monitor: %s", buf_cstr(&err));
	} else if (sent == 0 && resp.status != 200) {
		httpc_status_error(&err, &resp, true);
		cli_error("Error starting monitor: %s", buf_cstr(&err));
		httpc_resp_free(&resp);
	} else {
		/* the stream ended, cleanly or not (an agent killed mid-chunk) */
		cli_info("Remote side ended the monitor! This usually means that the\n"
			 "remote side has exited or crashed.");
		if (sent == 0)
			httpc_resp_free(&resp);
	}
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
