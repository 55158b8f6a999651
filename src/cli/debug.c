/*
 * `consul debug`: watch an agent for -duration, recording what operators ask for
 * when something is wrong, into a directory and then a .tar.gz (layout in
 * cli/debug.h). The run, with Consul's messages ("==> " for output and errors,
 * four spaces for details, warnings bare on stderr):
 *
 *   1. checks: -duration >= 10s, -interval >= 5s, duration >= interval; the agent
 *      answers /v1/agent/self with Config.Version and DebugConfig.EnableDebug; the
 *      -capture targets are known; -output does not exist yet (it is created).
 *      Any failure: "==> Capture validation failed: <why>", exit 1.
 *   2. the static targets (agent, host, members), once; failures are a warning.
 *   3. for duration + 2s (Consul's grace): metrics every interval, logs throughout.
 *      SIGINT/SIGTERM end this step early and the run goes on, as in Consul.
 *   4. index.json, then the archive unless -archive=false; "Saved debug archive".
 *
 * Targets: metrics, logs, pprof, host, agent, members ("cluster" is the old name
 * of members). pprof is always dropped with a warning: without enable_debug
 * Consul's own warning, with it a note that cairn agents serve no Go profiles.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/debug.h"
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/duration.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MIN_DURATION  (10 * DUR_SEC)
#define MIN_INTERVAL  (5 * DUR_SEC)
#define GRACE	      (2 * DUR_SEC)
#define INDEX_VERSION 1

struct debug_opts {
	bool archive;		     /* -archive */
	struct flag_strings capture; /* -capture */
	int64_t duration;	     /* -duration, ns */
	int64_t interval;	     /* -interval, ns */
	const char *output;	     /* -output */
	struct httpc_flags http;
};

/* Every target, in Consul's default order. */
static const char *const all_targets[] = {"metrics", "logs", "pprof", "host", "agent", "members"};
#define NTARGETS (sizeof(all_targets) / sizeof(all_targets[0]))

const char debug_usage[] =
    "\nUsage: consul debug [options]\n"
    "\n"
    "  Monitors a Consul agent for the specified period of time, recording\n"
    "  information about the agent, cluster, and environment to an archive\n"
    "  written to the specified path.\n"
    "\n"
    "  If ACLs are enabled, an 'operator:read' token must be supplied in order\n"
    "  to perform this operation.\n"
    "\n"
    "  To create a debug archive in the current directory for the default\n"
    "  duration and interval, capturing all information available:\n"
    "\n"
    "      $ consul debug\n"
    "\n"
    "  The command stores captured data at the configured output path\n"
    "  through the duration, and will archive the data at the same\n"
    "  path if interrupted.\n"
    "\n"
    "  Flags can be used to customize the duration and interval of the\n"
    "  operation. Duration is the total time to capture data for from the target\n"
    "  agent and interval controls how often dynamic data such as metrics\n"
    "  are scraped.\n"
    "\n"
    "      $ consul debug -interval=20s -duration=1m\n"
    "\n"
    "  The capture flag can be specified multiple times to limit information\n"
    "  retrieved.\n"
    "\n"
    "      $ consul debug -capture metrics -capture agent\n"
    "\n"
    "  By default, the archive containing the debugging information is\n"
    "  saved to the current directory as a .tar.gz file. The\n"
    "  output path can be specified, as well as an option to disable\n"
    "  archiving, leaving the directory intact.\n"
    "\n"
    "      $ consul debug -output=/foo/bar/my-debugging -archive=false\n"
    "\n"
    "  Note: Information collected by this command has the potential\n"
    "  to be highly sensitive. Sensitive material such as ACL tokens and\n"
    "  other commonly secret material are redacted automatically, but we\n"
    "  strongly recommend review of the data within the archive prior to\n"
    "  transmitting it.\n"
    "\n"
    "  For a full list of options and examples, please see the Consul\n"
    "  documentation.\n";

#define O struct debug_opts
const struct flag_def debug_flags[] = {
    FLAG_DEF("capture", FLAG_STRINGS, O, capture,
	     "One or more types of information to capture. This can be used to capture a subset "
	     "of information, and defaults to capturing everything available. Possible "
	     "information for capture: metrics, logs, pprof, host, agent, members. This can be "
	     "repeated multiple times.",
	     NULL),
    FLAG_DEF("interval", FLAG_DURATION, O, interval,
	     "The interval in which to capture dynamic information such as telemetry, and "
	     "profiling. Defaults to 30s.",
	     "30s"),
    FLAG_DEF("duration", FLAG_DURATION, O, duration,
	     "The total time to record information. Defaults to 2m0s.", "2m0s"),
    FLAG_DEF("archive", FLAG_BOOL, O, archive,
	     "Boolean value for if the files should be archived and compressed. Setting this to "
	     "false will skip the archive step and leave the directory of information on the "
	     "current path.",
	     "true"),
    FLAG_DEF("output", FLAG_STRING, O, output,
	     "The path to the compressed archive that will be created with the information after "
	     "collection.",
	     "consul-debug-<unix time>"),
    HTTPC_CLIENT_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* The run's resolved settings. */
struct run {
	const char **targets; /* -capture (or all), pprof removed */
	size_t ntargets;      /* count */
	char *version;	      /* the agent's Config.Version */
};

static bool wants(const struct run *r, const char *t)
{
	for (size_t i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i], t) == 0 ||
		    (strcmp(t, "members") == 0 && strcmp(r->targets[i], "cluster") == 0))
			return true;
	return false;
}

static bool known(const char *t)
{
	for (size_t i = 0; i < NTARGETS; i++)
		if (strcmp(all_targets[i], t) == 0)
			return true;
	return strcmp(t, "cluster") == 0;
}

static void go_errno(struct buf *err, int e)
{
	const char *s = strerror(e);
	buf_printf(err, "%c%s", (s[0] >= 'A' && s[0] <= 'Z') ? s[0] - 'A' + 'a' : s[0], s + 1);
}

/* os.MkdirAll(path, 0755). 0, or -1 with Go's error in err. */
static int mkdir_all(const char *path, struct buf *err)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		struct stat st;
		if (stat(p, &st) != 0 && mkdir(p, 0755) != 0 && errno != EEXIST) {
			buf_printf(err, "mkdir %s: ", p);
			go_errno(err, errno);
			rc = -1;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* Step 1. Returns 0, or -1 with the reason in err. */
static int prepare(const struct debug_opts *o, const struct httpc *c, struct run *r,
		   struct buf *err)
{
	struct buf d = BUF_INIT, i = BUF_INIT;
	if (o->duration < MIN_DURATION) {
		buf_puts(err, "duration must be longer than 10s");
		return -1;
	}
	if (o->interval < MIN_INTERVAL) {
		buf_puts(err, "interval must be longer than 5s");
		return -1;
	}
	if (o->duration < o->interval) {
		duration_format(&d, o->duration);
		duration_format(&i, o->interval);
		buf_printf(err, "duration (%s) must be longer than interval (%s)", d.data, i.data);
		buf_free(&d);
		buf_free(&i);
		return -1;
	}
	json_t *self = NULL;
	struct buf why = BUF_INIT;
	int rc = -1;
	if (debug_get_json(c, "/v1/agent/self", NULL, &self, &why) < 0) {
		buf_printf(err,
			   "error querying target agent: %s. verify connectivity and agent address",
			   buf_cstr(&why));
		goto out;
	}
	json_t *ver = json_object_get(json_object_get(self, "Config"), "Version");
	if (!json_is_string(ver)) {
		buf_puts(err, "agent response did not contain version key");
		goto out;
	}
	r->version = xstrdup(json_string_value(ver));
	json_t *dbg = json_object_get(json_object_get(self, "DebugConfig"), "EnableDebug");
	if (!json_is_boolean(dbg)) {
		buf_puts(err, "agent response did not contain debug key");
		goto out;
	}
	size_t n = o->capture.n ? o->capture.n : NTARGETS;
	r->targets = xcalloc(n, sizeof(*r->targets));
	bool dropped = false;
	for (size_t k = 0; k < n; k++) {
		const char *t = o->capture.n ? o->capture.v[k] : all_targets[k];
		if (strcmp(t, "pprof") == 0)
			dropped = true;
		else
			r->targets[r->ntargets++] = t;
	}
	if (dropped && !json_is_true(dbg))
		cli_error(
		    "[WARN] Unable to capture pprof. Set enable_debug to true on target agent "
		    "to enable profiling.");
	else if (dropped)
		cli_error("[WARN] Unable to capture pprof. cairn agents do not serve Go profiles.");
	for (size_t k = 0; k < r->ntargets; k++) {
		if (!known(r->targets[k])) {
			buf_printf(err, "target not found: %s", r->targets[k]);
			goto out;
		}
	}
	struct stat st;
	if (stat(o->output, &st) == 0 || errno != ENOENT) {
		buf_printf(err, "output directory already exists: %s", o->output);
		goto out;
	}
	buf_reset(&why);
	if (mkdir_all(o->output, &why) < 0) {
		buf_printf(err, "could not create output directory: %s", buf_cstr(&why));
		goto out;
	}
	rc = 0;
out:
	json_decref(self);
	buf_free(&why);
	return rc;
}

/* Go's Time.String() of a UTC time: "2006-01-02 15:04:05.123 +0000 UTC". */
static void time_text(struct buf *out, const struct timespec *ts)
{
	struct tm tm;
	gmtime_r(&ts->tv_sec, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	buf_puts(out, day);
	if (ts->tv_nsec) {
		char frac[16];
		snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
		size_t n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
		buf_puts(out, frac);
	}
	buf_puts(out, " +0000 UTC");
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * DUR_SEC + ts.tv_nsec;
}

/* Sleep until the monotonic deadline or a stop signal. */
static void sleep_until(int64_t deadline)
{
	for (int64_t now = mono_ns(); now < deadline && !debug_stop; now = mono_ns()) {
		int64_t left = deadline - now;
		struct timespec ts = {.tv_sec = left / DUR_SEC, .tv_nsec = left % DUR_SEC};
		nanosleep(&ts, NULL);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	debug_stop = 1;
}

/* Print "==> <what> <now> (<n>)". */
static void say_interval(const char *what, int n)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct buf t = BUF_INIT;
	time_text(&t, &now);
	cli_info("==> %s %s (%d)", what, t.data, n);
	fflush(stdout);
	buf_free(&t);
}

/* Step 3: metrics every interval and logs throughout, for duration + grace. */
static void capture_dynamic(const struct debug_opts *o, const struct httpc *c, const struct run *r)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct buf err = BUF_INIT;
	int log_pid = -1;
	bool metrics = wants(r, "metrics"), failed = false;
	if (wants(r, "logs") && (log_pid = debug_logs_start(c, o->output, &err)) < 0) {
		cli_error("==> Error encountered during collection: %s", err.data);
		buf_reset(&err);
	}
	int64_t start = mono_ns(), end = start + o->duration + GRACE;
	say_interval("Beginning capture interval", 0);
	for (int n = 0; !debug_stop; n++) {
		if (metrics && !failed) {
			if (debug_capture_metrics(c, o->output, (int64_t)time(NULL), &err) < 0) {
				cli_error("==> Error encountered during collection: %s", err.data);
				buf_reset(&err);
				failed = true;
			} else {
				say_interval("Capture successful", n);
			}
		}
		int64_t next = start + (int64_t)(n + 1) * o->interval;
		if (next >= end) {
			sleep_until(end);
			break;
		}
		sleep_until(next);
	}
	if (log_pid > 0)
		debug_logs_stop(log_pid);
	if (debug_stop)
		cli_error("==> Error encountered during collection: stopping collection due to "
			  "shutdown signal");
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	buf_free(&err);
}

/* Step 4's index.json. 0, or -1 with err. */
static int write_index(const struct debug_opts *o, const struct run *r, struct buf *err)
{
	struct buf d = BUF_INIT, i = BUF_INIT, text = BUF_INIT;
	duration_format(&i, o->interval);
	duration_format(&d, o->duration);
	json_t *idx = json_object();
	json_object_set_new(idx, "Version", json_integer(INDEX_VERSION));
	json_object_set_new(idx, "AgentVersion", json_string(r->version));
	json_object_set_new(idx, "Interval", json_string(i.data));
	json_object_set_new(idx, "Duration", json_string(d.data));
	json_t *t = json_array();
	for (size_t k = 0; k < r->ntargets; k++)
		json_array_append_new(t, json_string(r->targets[k]));
	json_object_set_new(idx, "Targets", t);
	debug_json_text(&text, idx, false);
	int rc = debug_write_file(o->output, "index.json", &text, err);
	json_decref(idx);
	buf_free(&d);
	buf_free(&i);
	buf_free(&text);
	return rc;
}

static void print_header(const struct debug_opts *o, const struct run *r, const char *archive)
{
	struct buf d = BUF_INIT, i = BUF_INIT, t = BUF_INIT;
	duration_format(&i, o->interval);
	duration_format(&d, o->duration);
	for (size_t k = 0; k < r->ntargets; k++)
		buf_printf(&t, "%s%s", k ? ", " : "", r->targets[k]);
	cli_info("==> Starting debugger and capturing static information...");
	cli_info("     Agent Version: '%s'", r->version);
	cli_info("          Interval: '%s'", i.data);
	cli_info("          Duration: '%s'", d.data);
	cli_info("            Output: '%s'", archive);
	cli_info("           Capture: '%s'", buf_cstr(&t));
	fflush(stdout);
	buf_free(&d);
	buf_free(&i);
	buf_free(&t);
}

static int run(const struct debug_opts *o, const struct httpc *c)
{
	struct run r = {0};
	struct buf err = BUF_INIT, archive = BUF_INIT;
	int rc = 1;
	if (prepare(o, c, &r, &err) < 0) {
		cli_error("==> Capture validation failed: %s", err.data);
		goto out;
	}
	buf_printf(&archive, "%s%s", o->output, o->archive ? ".tar.gz" : "");
	print_header(o, &r, archive.data);
	if (debug_capture_static(c, o->output, wants(&r, "agent"), wants(&r, "host"),
				 wants(&r, "members"), &err) > 0)
		cli_error("Static capture failed: %s", err.data);
	buf_reset(&err);
	if (wants(&r, "metrics") || wants(&r, "logs"))
		capture_dynamic(o, c, &r);
	if (write_index(o, &r, &err) < 0) {
		cli_error("==> Error creating index document: %s", err.data);
		goto out;
	}
	if (o->archive && debug_archive(o->output, &err) < 0) {
		cli_error("Archive creation failed: %s", err.data);
		goto out;
	}
	cli_info("    Saved debug archive: %s", archive.data);
	rc = 0;
out:
	free(r.targets);
	free(r.version);
	buf_free(&err);
	buf_free(&archive);
	return rc;
}

int debug_main(int argc, char **argv)
{
	char deflt[64];
	snprintf(deflt, sizeof(deflt), "consul-debug-%lld", (long long)time(NULL));
	struct debug_opts o = {
	    .archive = true,
	    .duration = 2 * DUR_MIN,
	    .interval = 30 * DUR_SEC,
	    .output = deflt,
	};
	int rest, rc = 1;
	if (flags_parse(debug_flags, &o, argc, argv, 1, &rest) < 0)
		goto out;
	if (argc > rest) {
		cli_error("==> debug: Too many arguments provided, expected 0");
		goto out;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		goto out;
	rc = run(&o, &c);
	httpc_free(&c);
out:
	flag_strings_free(&o.capture);
	return rc;
}
