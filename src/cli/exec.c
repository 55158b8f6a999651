/*
 * `consul exec [options] [-|command...]`: the command line of remote execution
 * (the protocol is in cli/exec.h). Checks, in Consul's order and words:
 *
 *   "-" with -shell=false   "Cannot configure -shell=false when reading from stdin"
 *   no command              "Must specify a command to execute", then the help
 *   a bad filter            "Failed to compile node filter regexp: ..." (POSIX ERE
 *                           here; Consul compiles RE2, and agents match with it)
 *   -tag without -service   "Cannot provide tag filter without service filter."
 *   the agent unreachable   "Error querying Consul agent: ..."
 *
 * all exit 1. The command is the arguments joined by spaces and run by a shell,
 * or with -shell=false the argument vector itself; "-" sends stdin as a script.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/exec.h"
#include "cli/catalog_commands.h"
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/jsonw.h"

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exec_opts {
	const char *node;    /* -node */
	const char *service; /* -service */
	const char *tag;     /* -tag */
	const char *prefix;  /* -prefix */
	bool shell;	     /* -shell */
	int64_t wait;	     /* -wait */
	int64_t repl_wait;   /* -wait-repl */
	bool verbose;	     /* -verbose */
	struct httpc_flags http;
};

const char exec_usage[] = "\nUsage: consul exec [options] [-|command...]\n"
			  "\n"
			  "  Evaluates a command on remote Consul nodes. The nodes responding can\n"
			  "  be filtered using regular expressions on node name, service, and tag\n"
			  "  definitions. If a command is '-', stdin will be read until EOF\n"
			  "  and used as a script input.\n";

#define O struct exec_opts
const struct flag_def exec_flags[] = {
    FLAG_DEF("node", FLAG_STRING, O, node, "Regular expression to filter on node names.", NULL),
    FLAG_DEF("service", FLAG_STRING, O, service,
	     "Regular expression to filter on service instances.", NULL),
    FLAG_DEF("tag", FLAG_STRING, O, tag,
	     "Regular expression to filter on service tags. Must be used with -service.", NULL),
    FLAG_DEF("prefix", FLAG_STRING, O, prefix, "Prefix in the KV store to use for request data.",
	     "_rexec"),
    FLAG_DEF("shell", FLAG_BOOL, O, shell, "Use a shell to run the command.", "true"),
    FLAG_DEF("wait", FLAG_DURATION, O, wait,
	     "Period to wait with no responses before terminating execution.", "2s"),
    FLAG_DEF("wait-repl", FLAG_DURATION, O, repl_wait,
	     "Period to wait for replication before firing event. This is an optimization to allow "
	     "stale reads to be performed.",
	     "200ms"),
    FLAG_DEF("verbose", FLAG_BOOL, O, verbose, "Enables verbose output.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};
#undef O

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The command's -h text on stderr after a usage error, as Consul prints it. */
static void usage_error(const char *msg)
{
	struct buf h = BUF_INIT;
	flags_help(&h, exec_usage, exec_flags);
	cli_error("%s", msg);
	cli_error("%s", "");
	cli_error("%s", buf_cstr(&h));
	buf_free(&h);
}

/* Compile a filter as a check only. 0, or 1 with Consul's message printed. */
static int check_regexp(const char *what, const char *re)
{
	if (!re || !*re)
		return 0;
	regex_t rx;
	int e = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (e == 0) {
		regfree(&rx);
		return 0;
	}
	char why[128];
	regerror(e, &rx, why, sizeof(why));
	cli_error("Failed to compile %s filter regexp: %s", what, why);
	return 1;
}

static int read_stdin(struct buf *out)
{
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), stdin)) > 0)
		buf_append(out, tmp, n);
	return ferror(stdin) ? -1 : 0;
}

/* The job spec (rExecSpec): Command, Args, Script omitted when empty; Wait in ns. */
static void make_spec(struct buf *out, const char *cmd, char **args, int nargs,
		      const struct buf *script, int64_t wait)
{
	struct jsonw w;
	jsonw_init(&w, out, false);
	jsonw_obj_open(&w);
	if (cmd && *cmd)
		jsonw_kstr(&w, "Command", cmd);
	if (nargs > 0) {
		jsonw_key(&w, "Args");
		jsonw_arr_open(&w);
		for (int i = 0; i < nargs; i++)
			jsonw_str(&w, args[i]);
		jsonw_arr_close(&w);
	}
	if (script->len) {
		jsonw_key(&w, "Script");
		jsonw_base64(&w, script->data, script->len);
	}
	jsonw_kint(&w, "Wait", wait);
	jsonw_obj_close(&w);
}

/* Ask the agent who it is; 0 with the job's local_dc/local_node, or 1 printed. */
static int query_self(struct exec_job *j, json_t **self)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/self", false);
	struct buf err = BUF_INIT;
	int rc = 0;
	if (catcli_get_json(j->c, &r, self, &err) < 0) {
		cli_error("Error querying Consul agent: %s", buf_cstr(&err));
		rc = 1;
	} else {
		json_t *cfg = json_object_get(*self, "Config");
		j->local_dc = kv_json_str(cfg, "Datacenter");
		j->local_node = kv_json_str(cfg, "NodeName");
	}
	buf_free(&err);
	return rc;
}

int exec_main(int argc, char **argv)
{
	struct exec_opts o = {
	    .prefix = "_rexec",
	    .shell = true,
	    .wait = 2 * DUR_SEC,
	    .repl_wait = 200 * DUR_MS,
	};
	int rest;
	if (flags_parse(exec_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct buf cmd = BUF_INIT, script = BUF_INIT;
	char **args = NULL;
	int nargs = 0, rc = 1;
	for (int i = rest; i < argc; i++)
		buf_printf(&cmd, "%s%s", i > rest ? " " : "", argv[i]);
	if (strcmp(buf_cstr(&cmd), "-") == 0) {
		if (!o.shell) {
			cli_error("Cannot configure -shell=false when reading from stdin");
			goto out;
		}
		buf_reset(&cmd);
		if (read_stdin(&script) < 0) {
			usage_error("Failed to read stdin: read error");
			goto out;
		}
	} else if (!o.shell) {
		buf_reset(&cmd);
		args = argv + rest;
		nargs = argc - rest;
	}
	if (cmd.len == 0 && script.len == 0 && nargs == 0) {
		usage_error("Must specify a command to execute");
		goto out;
	}
	if (check_regexp("node", o.node) || check_regexp("service", o.service) ||
	    check_regexp("tag", o.tag))
		goto out;
	if (o.tag && *o.tag && !(o.service && *o.service)) {
		cli_error("Cannot provide tag filter without service filter.");
		goto out;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		goto out;
	struct exec_job j = {
	    .c = &c,
	    .prefix = o.prefix,
	    .node = o.node ? o.node : "",
	    .service = o.service ? o.service : "",
	    .tag = o.tag ? o.tag : "",
	    .wait_ns = o.wait,
	    .repl_wait_ns = o.repl_wait,
	    .verbose = o.verbose,
	    .datacenter = c.datacenter,
	    .stop = &stop,
	};
	json_t *self = NULL;
	if (query_self(&j, &self) == 0) {
		if (c.datacenter && *c.datacenter && strcmp(c.datacenter, j.local_dc) != 0) {
			if (o.verbose)
				cli_info("Remote exec in foreign datacenter, using Session TTL");
			j.foreign = true;
		}
		make_spec(&j.spec, cmd.data, args, nargs, &script, o.wait);
		struct sigaction sa = {.sa_handler = on_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		rc = exec_run(&j);
	}
	json_decref(self);
	buf_free(&j.spec);
	free(j.session);
	httpc_free(&c);
out:
	buf_free(&cmd);
	buf_free(&script);
	return rc;
}
