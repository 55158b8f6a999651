/*
 * Script checks: exit codes, captured stdout+stderr, legacy `script`, the
 * output cap with Consul's "Captured" prefix, timeouts that kill the whole
 * process group, and commands that cannot start. (Permission to run scripts
 * is checkdef_allowed, tested in test_checkdef.c.)
 */
#include "harness.h"

#include <signal.h>
#include <unistd.h>

struct fixture {
	struct env env;
	struct check c;
	struct rec r;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	env_init(&f->env, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	env_fini(&f->env);
	free(f);
	return 0;
}

static void run_script(struct fixture *f, const char *json)
{
	f->r = (struct rec){0};
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 10000));
}

static void done(struct fixture *f)
{
	stop_check(&f->env, &f->c, &f->r);
}

static void test_exit_codes(void **state)
{
	struct fixture *f = *state;
	run_script(f, "{\"args\":[\"/bin/sh\",\"-c\",\"echo hello\"],\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_PASSING);
	assert_string_equal(buf_cstr(&f->r.output), "hello\n");
	done(f);
	run_script(f, "{\"args\":[\"sh\",\"-c\",\"echo warn; exit 1\"],\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_WARNING);
	assert_string_equal(buf_cstr(&f->r.output), "warn\n");
	done(f);
	run_script(f, "{\"args\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 2\"],"
		      "\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&f->r.output), "out\nerr\n");
	done(f);
	run_script(f, "{\"args\":[\"sh\",\"-c\",\"kill -9 $$\"],\"interval\":\"10s\","
		      "\"status\":\"passing\"}");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	done(f);
}

static void test_legacy_script(void **state)
{
	struct fixture *f = *state;
	run_script(f, "{\"script\":\"echo legacy; exit 1\",\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_WARNING);
	assert_string_equal(buf_cstr(&f->r.output), "legacy\n");
	done(f);
}

static void test_output_cap(void **state)
{
	struct fixture *f = *state;
	run_script(f, "{\"args\":[\"printf\",\"0123456789abcdef\"],\"interval\":\"10s\","
		      "\"output_max_size\":10}");
	assert_int_equal(f->r.status, CHECK_PASSING);
	assert_string_equal(buf_cstr(&f->r.output), "Captured 10 of 16 bytes\n...\n6789abcdef");
	done(f);
}

static bool alive(pid_t pid)
{
	char path[64], st = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return false;
	int n = fscanf(fp, "%*d %*s %c", &st);
	fclose(fp);
	return n == 1 && st != 'Z' && st != 'X';
}

static void test_timeout_kills_group(void **state)
{
	struct fixture *f = *state;
	char tmp[] = "/tmp/cairn-script-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	char json[512];
	snprintf(json, sizeof(json),
		 "{\"args\":[\"sh\",\"-c\",\"echo partial; sleep 30 & echo $! > %s; wait\"],"
		 "\"interval\":\"10s\",\"timeout\":\"300ms\"}",
		 tmp);
	uint64_t t0 = uv_now(&f->env.loop);
	run_script(f, json);
	assert_true(uv_now(&f->env.loop) - t0 < 3000);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&f->r.output), "Timed out (300ms) running check\n\npartial\n");
	FILE *fp = fopen(tmp, "r");
	int pid = 0;
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &pid), 1);
	fclose(fp);
	unlink(tmp);
	run_for(&f->env.loop, 100);
	assert_false(alive(pid)); /* the background child died with its group */
	done(f);
}

static void test_cannot_start(void **state)
{
	struct fixture *f = *state;
	run_script(f, "{\"args\":[\"/nonexistent/check\"],\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&f->r.output),
			    "fork/exec /nonexistent/check: no such file or directory");
	done(f);
	run_script(f, "{\"args\":[\"no-such-command-xyz\"],\"interval\":\"10s\","
		      "\"status\":\"passing\"}");
	assert_string_equal(buf_cstr(&f->r.output),
			    "exec: \"no-such-command-xyz\": executable file not found in $PATH");
	done(f);
}

/* Closing while the script runs kills it and reports nothing. */
static void test_close_while_running(void **state)
{
	struct fixture *f = *state;
	f->r = (struct rec){0};
	assert_int_equal(start_check(&f->env, &f->c, &f->r,
				     "{\"args\":[\"sleep\",\"30\"],\"interval\":\"10s\"}"),
			 0);
	run_for(&f->env.loop, 100);
	assert_non_null(f->c.op);
	uint64_t t0 = uv_now(&f->env.loop);
	done(f);
	assert_true(uv_now(&f->env.loop) - t0 < 2000);
	assert_int_equal(f->r.updates, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_legacy_script, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cannot_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_while_running, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
