/*
 * `consul lock [options] PREFIX CHILD...`: run CHILD while holding a lock (-n 1) or a
 * semaphore slot (-n N) at PREFIX, as Consul's command/lock does. The KV protocol is
 * in cli/lock_kv.c (cli/lock.h); this file owns the process side:
 *
 *   acquire    on the main thread, blocking; SIGINT/SIGTERM or -timeout give up with
 *              "Shutdown triggered or timeout during lock acquisition" (exit 1).
 *   child      $SHELL -c "CHILD..." (default /bin/sh; -shell=false runs it directly),
 *              CONSUL_LOCK_HELD=true in its environment, stdin /dev/null unless
 *              -pass-stdin, stdout/stderr inherited.
 *   held       a keeper thread renews the session every TTL/2 and watches the lock
 *              with blocking reads (retrying -monitor-retry times, 1 s apart, on
 *              errors); the main thread polls, every 50 ms, the child, the signal flag
 *              and the keeper's "lost" flag. A signal is forwarded to the child; a
 *              signal or a lost lock terminates the child (SIGTERM, then SIGKILL after
 *              5 s). Only the main thread signals or reaps the child, so a reaped PID
 *              is never signalled.
 *   exit       release, destroy the session, delete the lock key if nobody holds it;
 *              exit 0, or 2 with -child-exit-code when the child failed, 1 on errors.
 *
 * The keeper's blocking reads are at most one second, so joining it after release
 * takes at most that long (a release changes the key, which usually wakes it at once).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"
#include "cli/lock.h"

#include "base/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KILL_GRACE_MS 5000 /* lockKillGracePeriod */

struct lock_opts {
	int64_t limit;		 /* -n */
	bool child_exit_code;	 /* -child-exit-code */
	int64_t monitor_retry;	 /* -monitor-retry */
	const char *name;	 /* -name */
	bool pass_stdin;	 /* -pass-stdin */
	bool shell;		 /* -shell */
	int64_t timeout;	 /* -timeout / -try, nanoseconds */
	bool verbose;		 /* -verbose */
	struct httpc_flags http; /* HTTP API options */
};

const char lock_usage[] =
    "\nUsage: consul lock [options] prefix child...\n"
    "\n"
    "  Acquires a lock or semaphore at a given path, and invokes a child process\n"
    "  when successful. The child process can assume the lock is held while it\n"
    "  executes. If the lock is lost or communication is disrupted the child\n"
    "  process will be sent a SIGTERM signal and given time to gracefully exit.\n"
    "  After the grace period expires the process will be hard terminated.\n"
    "\n"
    "  For Consul agents on Windows, the child process is always hard terminated\n"
    "  with a SIGKILL, since Windows has no POSIX compatible notion for SIGTERM.\n"
    "\n"
    "  When -n=1, only a single lock holder or leader exists providing mutual\n"
    "  exclusion. Setting a higher value switches to a semaphore allowing multiple\n"
    "  holders to coordinate.\n"
    "\n"
    "  The prefix provided must have write privileges.\n";

#define O struct lock_opts
const struct flag_def lock_flags[] = {
    FLAG_DEF("child-exit-code", FLAG_BOOL, O, child_exit_code,
	     "Exit 2 if the child process exited with an error if this is true, otherwise this "
	     "doesn't propagate an error from the child. The default value is false.",
	     NULL),
    FLAG_DEF("monitor-retry", FLAG_INT, O, monitor_retry,
	     "Number of times to retry if Consul returns a 500 error while monitoring the lock. "
	     "This allows riding out brief periods of unavailability without causing leader "
	     "elections, but increases the amount of time required to detect a lost lock in "
	     "some cases. The default value is 3, with a 1s wait between retries. Set this "
	     "value to 0 to disable retires.",
	     "3"),
    FLAG_DEF("n", FLAG_INT, O, limit,
	     "Optional limit on the number of concurrent lock holders. The underlying "
	     "implementation switches from a lock to a semaphore when the value is greater "
	     "than 1. The default value is 1.",
	     "1"),
    FLAG_DEF("name", FLAG_STRING, O, name,
	     "Optional name to associate with the lock session. It not provided, one is "
	     "generated based on the provided child command.",
	     NULL),
    FLAG_DEF("pass-stdin", FLAG_BOOL, O, pass_stdin, "Pass stdin to the child process.", NULL),
    FLAG_DEF("shell", FLAG_BOOL, O, shell,
	     "Use a shell to run the command (can set a custom shell via the SHELL environment "
	     "variable).",
	     "true"),
    FLAG_DEF("timeout", FLAG_DURATION, O, timeout,
	     "Maximum amount of time to wait to acquire the lock, specified as a duration like "
	     "\"1s\" or \"3h\". The default value is 0.",
	     NULL),
    FLAG_DEF("try", FLAG_DURATION, O, timeout, "DEPRECATED. Use -timeout instead.", NULL),
    FLAG_DEF("verbose", FLAG_BOOL, O, verbose, "Enable verbose (debugging) output.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* ---- signals ---- */

static volatile sig_atomic_t got_signal; /* last SIGINT/SIGTERM number, 0 if none */

static void on_signal(int sig)
{
	got_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the child ---- */

/* environ without CONSUL_LOCK_HELD, plus CONSUL_LOCK_HELD=true. Free the array only. */
static char **child_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 2, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CONSUL_LOCK_HELD=", 17) != 0)
			env[k++] = environ[i];
	env[k] = "CONSUL_LOCK_HELD=true";
	return env;
}

/* Start the child: its pid, or -1 with "Error starting handler: ..." printed. */
static pid_t start_child(int argc, char **argv, const struct lock_opts *o)
{
	struct buf script = BUF_INIT;
	const char *shell = getenv("SHELL");
	char *sh_argv[4] = {(char *)(shell && *shell ? shell : "/bin/sh"), "-c", NULL, NULL};
	char **args = argv;
	if (o->shell) {
		for (int i = 0; i < argc; i++)
			buf_printf(&script, "%s%s", i ? " " : "", argv[i]);
		sh_argv[2] = (char *)buf_cstr(&script);
		args = sh_argv;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (!o->pass_stdin)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	char **env = child_env();
	fflush(stdout); /* our lines before the child's, as Consul's unbuffered Ui */
	fflush(stderr);
	pid_t pid;
	int e = posix_spawnp(&pid, args[0], &fa, NULL, args, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (e == ENOENT && !strchr(args[0], '/'))
		cli_error(
		    "Error starting handler: exec: \"%s\": executable file not found in $PATH",
		    args[0]);
	else if (e)
		cli_error("Error starting handler: fork/exec %s: %s", args[0], strerror(e));
	buf_free(&script);
	return e ? -1 : pid;
}

/* Has the child exited? Leaves it unreaped, so its PID stays ours to signal. */
static bool child_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid == pid;
}

/* Reap the child; 0 if it exited 0, else 2 with Consul's "Error running handler". */
static int reap_child(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		cli_error("Error running handler: exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		cli_error("Error running handler: signal: %s", strsignal(WTERMSIG(status)));
	return 2;
}

/* killChild: SIGTERM, up to 5 s of grace, then SIGKILL; then reap. */
static void kill_child(pid_t pid, bool verbose)
{
	if (verbose)
		cli_info("Terminating child pid %d", (int)pid);
	kill(pid, SIGTERM);
	uint64_t end = lock_now_ms() + KILL_GRACE_MS;
	while (!child_exited(pid) && lock_now_ms() < end)
		sleep_ms(20);
	if (child_exited(pid)) {
		if (verbose)
			cli_info("Child terminated");
	} else {
		if (verbose) {
			cli_info("Child did not exit after grace period of 5s");
			cli_info("Killing child pid %d", (int)pid);
		}
		kill(pid, SIGKILL);
	}
	reap_child(pid);
}

/* ---- the keeper thread: renew and monitor while held ---- */

struct keeper {
	struct lock_ctx *l; /* the lock (read-only here but for next_renew_ms) */
	int retries;	    /* -monitor-retry */
	atomic_bool stop;   /* set by the main thread before release */
	atomic_bool lost;   /* set here: the lock is gone */
	pthread_t thread;   /* the keeper */
};

static void *keeper_run(void *arg)
{
	struct keeper *k = arg;
	uint64_t index = 0;
	int retries = k->retries;
	while (!atomic_load(&k->stop)) {
		if (lock_now_ms() >= k->l->next_renew_ms && lock_session_renew(k->l) == 1)
			break;
		int m = lock_monitor(k->l, &index, 1000);
		if (atomic_load(&k->stop))
			return NULL;
		if (m == 0)
			break;
		if (m > 0) {
			retries = k->retries;
			continue;
		}
		if (retries-- <= 0)
			break;
		index = 0;
		for (int i = 0; i < 50 && !atomic_load(&k->stop); i++)
			sleep_ms(20);
	}
	atomic_store(&k->lost, true);
	return NULL;
}

static int keeper_start(struct keeper *k)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int e = pthread_create(&k->thread, NULL, keeper_run, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e ? -1 : 0;
}

/* ---- the command ---- */

/* Run the child while held; returns its code (0 or 2). */
static int hold(struct lock_ctx *l, const struct lock_opts *o, int argc, char **argv)
{
	if (o->verbose)
		cli_info("Starting handler");
	pid_t pid = start_child(argc, argv, o);
	if (pid < 0) {
		if (o->verbose)
			cli_info("Child terminated, releasing lock");
		return 2;
	}
	struct keeper k = {.l = l, .retries = (int)o->monitor_retry};
	atomic_init(&k.stop, false);
	atomic_init(&k.lost, false);
	bool keeper = keeper_start(&k) == 0;
	int code = 0, fwd = 0;
	for (;;) {
		if (child_exited(pid)) {
			code = reap_child(pid);
			if (o->verbose)
				cli_info("Child terminated, releasing lock");
			break;
		}
		if (got_signal && got_signal != fwd) {
			fwd = got_signal;
			kill(pid, fwd); /* forward, then shut down */
			if (o->verbose)
				cli_info("Shutdown triggered, killing child");
			kill_child(pid, o->verbose);
			break;
		}
		if (!keeper || atomic_load(&k.lost)) {
			if (o->verbose)
				cli_info("Lock lost, killing child");
			kill_child(pid, o->verbose);
			break;
		}
		sleep_ms(50);
	}
	atomic_store(&k.stop, true);
	/* Release before joining: the change wakes the keeper's blocking read. */
	struct buf err = BUF_INIT;
	int rel = lock_release(l, &err);
	if (keeper)
		pthread_join(k.thread, NULL);
	if (rel < 0) {
		cli_error("Lock release failed: %s", buf_cstr(&err));
		code = -1;
	}
	buf_free(&err);
	return code;
}

static int check_args(const struct lock_opts *o, int nargs)
{
	if (o->limit <= 0) {
		cli_error("Lock holder limit must be positive");
		return 1;
	}
	if (nargs < 2) {
		cli_error("Key prefix and child command must be specified");
		return 1;
	}
	if (o->timeout < 0) {
		cli_error("Timeout must be positive");
		return 1;
	}
	if (o->monitor_retry < 0) {
		cli_error("Number for 'monitor-retry' must be >= 0");
		return 1;
	}
	return 0;
}

static int agent_reachable(const struct httpc *c)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/self", false);
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = httpc_do(c, &r, &resp, &err);
	if (rc == 0 && resp.status != 200) {
		httpc_status_error(&err, &resp, false);
		rc = -1;
	}
	if (rc < 0)
		cli_error("Error querying Consul agent: %s", buf_cstr(&err));
	if (rc == 0 || resp.status)
		httpc_resp_free(&resp);
	buf_free(&err);
	return rc;
}

/* After the child: release (done by hold), destroy the session, clean up. */
static int finish(struct lock_ctx *l, const struct lock_opts *o, int code)
{
	lock_session_destroy(l);
	if (code < 0)
		return 1;
	struct buf err = BUF_INIT;
	int c = lock_cleanup(l, &err);
	if (c < 0) {
		cli_error("Lock cleanup failed: %s", buf_cstr(&err));
		code = -1;
	} else if (c == 1 && o->verbose) {
		cli_info("Cleanup aborted, lock in use");
	} else if (c == 0 && o->verbose) {
		cli_info("Cleanup succeeded");
	}
	buf_free(&err);
	if (code < 0)
		return 1;
	return o->child_exit_code ? code : 0;
}

static int run(struct lock_ctx *l, const struct lock_opts *o, int argc, char **argv)
{
	if (o->verbose && l->limit == 1)
		cli_info("Setting up lock at path: %s", l->lock_key);
	else if (o->verbose)
		cli_info("Setting up semaphore (limit %d) at prefix: %s", l->limit, l->prefix);
	install_signals();
	if (o->verbose)
		cli_info("Attempting lock acquisition");
	struct buf err = BUF_INIT;
	int got = lock_session_create(l, &err);
	if (got == 0) {
		if (l->limit > 1) {
			struct buf b = BUF_INIT;
			buf_printf(&b, "%s/%s", l->prefix, l->session);
			l->contender_key = buf_steal(&b);
		}
		got = lock_acquire(l, &err);
	}
	if (got <= 0) {
		if (l->limit > 1 && l->session) {
			struct buf ignore = BUF_INIT;
			lock_release(l, &ignore); /* drop the contender entry */
			buf_free(&ignore);
		}
		lock_session_destroy(l);
		if (got == 0)
			cli_error("Shutdown triggered or timeout during lock acquisition");
		else
			cli_error("Lock acquisition failed: %s", buf_cstr(&err));
		buf_free(&err);
		return 1;
	}
	buf_free(&err);
	int code = 0;
	if (got_signal) {
		cli_error("Shutdown triggered during lock acquisition");
		struct buf e2 = BUF_INIT;
		if (lock_release(l, &e2) < 0) {
			cli_error("Lock release failed: %s", buf_cstr(&e2));
			code = -1;
		}
		buf_free(&e2);
	} else {
		code = hold(l, o, argc, argv);
	}
	return finish(l, o, code);
}

int lock_main(int argc, char **argv)
{
	struct lock_opts o = {.limit = 1, .monitor_retry = 3, .shell = true};
	int rest;
	if (flags_parse(lock_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	int nargs = argc - rest;
	if (check_args(&o, nargs))
		return 1;
	char *prefix = argv[rest]; /* path.Join: no leading or trailing "/" */
	while (*prefix == '/')
		prefix++;
	for (size_t n = strlen(prefix); n && prefix[n - 1] == '/'; n--)
		prefix[n - 1] = '\0';
	struct buf name = BUF_INIT;
	if (o.name && *o.name) {
		buf_puts(&name, o.name);
	} else {
		buf_puts(&name, "Consul lock for '");
		for (int i = rest + 1; i < argc; i++)
			buf_printf(&name, "%s%s", i > rest + 1 ? " " : "", argv[i]);
		buf_printf(&name, "' at '%s'", prefix);
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0) {
		buf_free(&name);
		return 1;
	}
	int rc = 1;
	if (agent_reachable(&c) == 0) {
		struct buf key = BUF_INIT;
		buf_printf(&key, "%s%s.lock", prefix, *prefix ? "/" : "");
		struct lock_ctx l = {
		    .c = &c,
		    .limit = (int)o.limit,
		    .prefix = prefix,
		    .lock_key = buf_steal(&key),
		    .name = buf_cstr(&name),
		    .timeout_ms = o.timeout / 1000000,
		    .stop = &got_signal,
		};
		if (o.timeout > 0 && l.timeout_ms == 0)
			l.timeout_ms = 1;
		rc = run(&l, &o, nargs - 1, argv + rest + 1);
		free(l.lock_key);
		free(l.contender_key);
		free(l.session);
	}
	httpc_free(&c);
	buf_free(&name);
	return rc;
}
