/*
 * `consul watch -type T [params] [child...]`: watch a view of Consul and run a
 * child process on every change (Consul's command/watch).
 *
 * The flags become Consul's watch parameters and go through the same parser
 * as the agent's `watches` (watch/plan.h), so both give Consul's messages. The
 * agent is probed first with GET /v1/status/leader ("Error querying Consul
 * agent: ..."). Then one blocking request at a time (cli/httpc), the plan's
 * state deciding what to do with each response:
 *   - no child: the first result is printed as JSON indented by four spaces
 *     and the command exits 0 (Consul: "the latest values are dumped to stdout
 *     and the watch terminates");
 *   - a child: its arguments joined by spaces are run by $SHELL -c (default
 *     /bin/sh; -shell=false runs them directly) with the result as one line of
 *     JSON on stdin and CONSUL_INDEX in the environment, stdout and stderr
 *     inherited. The watch waits for it; a child that fails ends the watch
 *     with "Error executing handler: exit status N" and exit code 1.
 * Errors back off as the plan says and are logged as Consul's watch logs them.
 * SIGINT/SIGTERM are forwarded to a running child and end the watch with 0.
 *
 * Single-threaded; the child's stdin is an in-memory file (memfd), so a large
 * result never blocks on a child that does not read it.
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "watch/plan.h"

#include "base/alloc.h"
#include "base/file.h"
#include "base/strconv.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct watch_opts {
	const char *type;	 /* -type */
	const char *key;	 /* -key */
	const char *prefix;	 /* -prefix */
	const char *service;	 /* -service */
	struct flag_strings tag; /* -tag, repeatable */
	const char *passingonly; /* -passingonly, a Go bool text */
	bool shell;		 /* -shell (default true) */
	const char *state;	 /* -state */
	const char *name;	 /* -name */
	const char *filter;	 /* -filter */
	struct httpc_flags http;
};

const char watch_usage[] =
    "\nUsage: consul watch [options] [child...]\n"
    "\n"
    "  Watches for changes in a given data view from Consul. If a child process\n"
    "  is specified, it will be invoked with the latest results on changes. Otherwise,\n"
    "  the latest values are dumped to stdout and the watch terminates.\n"
    "\n"
    "  Providing the watch type is required, and other parameters may be required\n"
    "  or supported depending on the watch type.\n";

#define O struct watch_opts
const struct flag_def watch_flags[] = {
    FLAG_DEF("filter", FLAG_STRING, O, filter, "Filter to use with the request", NULL),
    FLAG_DEF("key", FLAG_STRING, O, key, "Specifies the key to watch. Only for 'key' type.", NULL),
    FLAG_DEF("name", FLAG_STRING, O, name,
	     "Specifies an event name to watch. Only for 'event' type.", NULL),
    FLAG_DEF("passingonly", FLAG_STRING, O, passingonly,
	     "Specifies if only hosts passing all checks are displayed. Optional for 'service' "
	     "type, must be one of `[true|false]`. Defaults false.",
	     NULL),
    FLAG_DEF("prefix", FLAG_STRING, O, prefix,
	     "Specifies the key prefix to watch. Only for 'keyprefix' type.", NULL),
    FLAG_DEF("service", FLAG_STRING, O, service,
	     "Specifies the service to watch. Required for 'service' type, optional for "
	     "'checks' type.",
	     NULL),
    FLAG_DEF("shell", FLAG_BOOL, O, shell,
	     "Use a shell to run the command (can set a custom shell via the SHELL environment "
	     "variable).",
	     "true"),
    FLAG_DEF("state", FLAG_STRING, O, state,
	     "Specifies the states to watch. Optional for 'checks' type.", NULL),
    FLAG_DEF("tag", FLAG_STRINGS, O, tag,
	     "Specifies the service tag(s) to filter on. Optional for 'service' type. May be "
	     "specified multiple times",
	     NULL),
    FLAG_DEF("type", FLAG_STRING, O, type,
	     "Specifies the watch type. One of key, keyprefix, services, nodes, service, checks, "
	     "or event.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* ---- signals: forward to the child, then exit 0 (Consul's shutdown) ---- */

static volatile sig_atomic_t child_pid;

static void on_shutdown(int sig)
{
	pid_t p = child_pid;
	if (p > 0)
		kill(p, sig);
	_exit(0);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_shutdown;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- parameters ---- */

static void set_str(json_t *params, const char *name, const char *v)
{
	if (v && *v)
		json_object_set_new(params, name, json_string(v));
}

/* The parameters Consul's command builds from its flags; NULL after printing
 * an error. */
static json_t *build_params(const struct watch_opts *o, const struct httpc *c)
{
	json_t *params = json_object();
	set_str(params, "type", o->type);
	set_str(params, "datacenter", c->datacenter);
	set_str(params, "token", c->token);
	set_str(params, "key", o->key);
	set_str(params, "prefix", o->prefix);
	set_str(params, "service", o->service);
	set_str(params, "filter", o->filter);
	if (o->tag.n) {
		json_t *tags = json_array();
		for (size_t i = 0; i < o->tag.n; i++)
			json_array_append_new(tags, json_string(o->tag.v[i]));
		json_object_set_new(params, "tag", tags);
	}
	if (o->http.stale)
		json_object_set_new(params, "stale", json_true());
	set_str(params, "state", o->state);
	set_str(params, "name", o->name);
	if (o->passingonly && *o->passingonly) {
		bool b;
		if (strconv_parse_bool(o->passingonly, &b) < 0) {
			cli_error("Failed to parse passingonly flag: strconv.ParseBool: parsing "
				  "\"%s\": invalid syntax",
				  o->passingonly);
			json_decref(params);
			return NULL;
		}
		json_object_set_new(params, "passingonly", json_boolean(b));
	}
	return params;
}

/* ---- the child ---- */

/* Go's ProcessState.String for a failed wait status. */
static void describe_status(struct buf *out, int status)
{
	if (WIFEXITED(status)) {
		buf_printf(out, "exit status %d", WEXITSTATUS(status));
		return;
	}
	const char *s = strsignal(WTERMSIG(status));
	buf_puts(out, "signal: ");
	for (; s && *s; s++)
		buf_putc(out, (char)tolower((unsigned char)*s));
}

/* Run the child with data on stdin and wait for it. 0, or -1 after printing
 * Consul's error. */
static int run_child(char **args, int nargs, bool shell, json_t *data, uint64_t index)
{
	char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	int fd = memfd_create("consul-watch", MFD_CLOEXEC);
	int bad = fd < 0 || file_write_all(fd, text, strlen(text)) != 0;
	free(text);
	if (bad || write(fd, "\n", 1) != 1 || lseek(fd, 0, SEEK_SET) != 0) {
		cli_error("Error encoding output: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}

	struct buf line = BUF_INIT;
	char *sh_argv[4];
	char **argv = args;
	if (shell) {
		for (int i = 0; i < nargs; i++)
			buf_printf(&line, "%s%s", i ? " " : "", args[i]);
		watch_shell_argv(sh_argv, buf_cstr(&line));
		argv = sh_argv;
	}
	char slot[40];
	char **env = watch_child_env(index, slot, sizeof(slot));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 0);
	pid_t pid;
	fflush(stdout);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(fd);
	if (rc != 0) {
		if (rc == ENOENT && !strchr(argv[0], '/'))
			cli_error("Error starting handler: exec: \"%s\": executable file not found "
				  "in $PATH",
				  argv[0]);
		else
			cli_error("Error starting handler: fork/exec %s: %s", argv[0],
				  strerror(rc));
		buf_free(&line);
		return -1;
	}
	buf_free(&line);
	child_pid = pid;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	struct buf why = BUF_INIT;
	describe_status(&why, status);
	cli_error("Error executing handler: %s", buf_cstr(&why));
	buf_free(&why);
	return -1;
}

/* ---- the loop ---- */

/* hclog's line for a watch error. */
static void log_watch_error(const struct watch_plan *p, const char *err, uint64_t retry_ms)
{
	char ts[48];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	localtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ld", now.tv_nsec / 1000000);
	n = strlen(ts);
	strftime(ts + n, sizeof(ts) - n, "%z", &tm);
	struct buf q = BUF_INIT;
	for (const char *s = err; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(&q, '\\');
		buf_putc(&q, *s);
	}
	fprintf(stderr, "%s [ERROR] watch: Watch errored: type=%s error=\"%s\" retry=%llus\n", ts,
		p->type_name, buf_cstr(&q), (unsigned long long)(retry_ms / 1000));
	buf_free(&q);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int run_plan(const struct httpc *c, const struct watch_plan *p, char **args, int nargs,
		    bool shell)
{
	struct watch_state s = WATCH_STATE_INIT;
	int rc = -1;
	for (;;) {
		struct watch_query q;
		watch_query_build(p, &s, &q);
		struct httpc_req r;
		httpc_req_init(&r, "GET", buf_cstr(&q.path), true);
		for (size_t i = 0; i < q.n; i++)
			catcli_req_add(&r, q.names[i], q.values[i]);
		struct httpc_resp resp;
		struct buf err = BUF_INIT;
		enum watch_step step;
		if (httpc_do(c, &r, &resp, &err) < 0) {
			step = watch_state_failed(&s);
		} else {
			step = watch_state_feed(&s, p, resp.status, resp.body.data, resp.body.len,
						httpc_resp_header(&resp, "X-Consul-Index"), &err);
			httpc_resp_free(&resp);
		}
		watch_query_free(&q);
		if (step == WATCH_RETRY) {
			log_watch_error(p, buf_cstr(&err), s.retry_ms);
			buf_free(&err);
			sleep_ms(s.retry_ms);
			continue;
		}
		buf_free(&err);
		if (step != WATCH_FIRE)
			continue;
		if (nargs == 0) {
			char *text = json_dumps(s.last, JSON_INDENT(4) | JSON_ENCODE_ANY);
			cli_info("%s", text);
			free(text);
			rc = 0;
			break;
		}
		if (run_child(args, nargs, shell, s.last, s.fire_index) < 0)
			break;
	}
	watch_state_free(&s);
	return rc;
}

/* GET /v1/status/leader, as Consul checks the agent before watching. */
static int probe_agent(const struct httpc *c)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/status/leader", true);
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = httpc_do(c, &r, &resp, &err);
	if (rc == 0) {
		if (resp.status != 200) {
			httpc_status_error(&err, &resp, true);
			rc = -1;
		}
		httpc_resp_free(&resp);
	}
	if (rc < 0)
		cli_error("Error querying Consul agent: %s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

int watch_main(int argc, char **argv)
{
	struct watch_opts o = {.shell = true};
	struct watch_plan p;
	struct httpc c;
	struct buf err = BUF_INIT;
	int rest, rc = 1;
	if (flags_parse(watch_flags, &o, argc, argv, 1, &rest) < 0)
		goto out;
	if (!o.type || !*o.type) {
		struct buf help = BUF_INIT;
		flags_help(&help, watch_usage, watch_flags);
		cli_error("Watch type must be specified");
		cli_error("%s", "");
		cli_error("%s", buf_cstr(&help));
		buf_free(&help);
		goto out;
	}
	if (httpc_init(&c, &o.http, &err) < 0) {
		cli_error("%s", buf_cstr(&err));
		goto out;
	}
	json_t *params = build_params(&o, &c);
	if (params && watch_plan_parse(&p, params, false, &err) < 0) {
		cli_error("%s", buf_cstr(&err));
		json_decref(params);
		params = NULL;
	}
	if (params) {
		json_decref(params);
		/* the client adds dc, stale and the token to every request */
		free(p.datacenter);
		free(p.token);
		p.datacenter = p.token = NULL;
		p.stale = false;
		if (probe_agent(&c) == 0) {
			install_signals();
			rc = run_plan(&c, &p, argv + rest, argc - rest, o.shell) < 0 ? 1 : 0;
		}
		watch_plan_free(&p);
	}
	httpc_free(&c);
out:
	flag_strings_free(&o.tag);
	buf_free(&err);
	return rc;
}
