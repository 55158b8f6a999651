/*
 * Unit tests: the rejoin snapshot (serf_snapshot.c) in a temporary
 * directory: replay of alive members and clocks, appends only on change, the
 * leave marker (and a later run clearing it), a cut last line, lines we do
 * not read (serf's own are accepted), IPv6 addresses, names that could forge
 * a record, compaction keeping the live state, and I/O errors at open.
 */
#include "gossip/serf.h"

#include "base/alloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];
static char path[128];

static int make_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cairn-serf-snap-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* the serf/ subdirectory does not exist yet: open creates it */
	snprintf(path, sizeof(path), "%s/serf/local.snapshot", dir);
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct gaddr addr4(int last, uint16_t port)
{
	struct gaddr a = {.family = 4, .port = port};
	a.ip[0] = 10;
	a.ip[3] = (uint8_t)last;
	return a;
}

static void slurp(struct buf *out)
{
	buf_reset(out);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(out, tmp, n);
	fclose(f);
}

static void append_raw(const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct serf_snapshot *reopen(struct serf_snapshot_replay *r)
{
	struct buf err = BUF_INIT;
	struct serf_snapshot *ss = serf_snapshot_open(path, r, &err);
	assert_non_null(ss);
	assert_int_equal(err.len, 0);
	buf_free(&err);
	return ss;
}

static int find(const struct serf_snapshot_replay *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

static void test_replay(void **state)
{
	struct serf_snapshot_replay r;
	struct serf_snapshot *ss = reopen(&r);
	assert_int_equal(r.n, 0);
	assert_false(r.left);
	struct gaddr a = addr4(1, 8301), b = addr4(2, 8301), c = addr4(3, 8301);
	serf_snapshot_alive(ss, "a", &a);
	serf_snapshot_alive(ss, "b", &b);
	serf_snapshot_alive(ss, "c", &c);
	serf_snapshot_not_alive(ss, "b");
	serf_snapshot_clocks(ss, 5, 7);
	struct buf text = BUF_INIT;
	slurp(&text);
	size_t before = text.len;
	/* nothing new: nothing written */
	serf_snapshot_alive(ss, "a", &a);
	serf_snapshot_not_alive(ss, "b");
	serf_snapshot_not_alive(ss, "never");
	serf_snapshot_clocks(ss, 5, 7);
	slurp(&text);
	assert_int_equal(text.len, before);
	/* a new address is */
	a = addr4(11, 9000);
	serf_snapshot_alive(ss, "a", &a);
	serf_snapshot_close(ss);
	slurp(&text);
	assert_non_null(strstr(text.data, "alive: a 10.0.0.11:9000\n"));
	assert_non_null(strstr(text.data, "not-alive: b\n"));
	assert_non_null(strstr(text.data, "clock: 5\nevent-clock: 7\n"));

	serf_snapshot_replay_free(&r);
	ss = reopen(&r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.names[0], "a");
	assert_true(gaddr_equal(&r.addrs[0], &a));
	assert_string_equal(r.names[1], "c");
	assert_true(r.clock == 5 && r.event_clock == 7);
	assert_false(r.left);
	assert_int_equal(r.skipped, 0);
	serf_snapshot_replay_free(&r);
	/* the replayed state is the live state: no duplicate records */
	serf_snapshot_alive(ss, "c", &c);
	serf_snapshot_clocks(ss, 5, 7);
	serf_snapshot_close(ss);
	slurp(&text);
	assert_int_equal(text.len, before + strlen("alive: a 10.0.0.11:9000\n"));
	buf_free(&text);
	assert_null(r.names);
}

static void test_leave_marker(void **state)
{
	struct serf_snapshot_replay r;
	struct serf_snapshot *ss = reopen(&r);
	serf_snapshot_replay_free(&r);
	struct gaddr a = addr4(1, 8301), d = addr4(4, 8301);
	serf_snapshot_alive(ss, "a", &a);
	serf_snapshot_leave(ss);
	serf_snapshot_alive(ss, "d", &d); /* after leave: not written */
	serf_snapshot_clocks(ss, 99, 99);
	serf_snapshot_close(ss);
	ss = reopen(&r);
	assert_true(r.left);
	assert_true(find(&r, "a") >= 0);
	assert_int_equal(find(&r, "d"), -1);
	assert_true(r.clock != 99);
	serf_snapshot_replay_free(&r);
	/* a later run that records anything clears it */
	serf_snapshot_alive(ss, "d", &d);
	serf_snapshot_close(ss);
	ss = reopen(&r);
	assert_false(r.left);
	assert_true(find(&r, "d") >= 0);
	serf_snapshot_replay_free(&r);
	serf_snapshot_close(ss);
}

static void test_cut_and_foreign_lines(void **state)
{
	struct serf_snapshot_replay r;
	struct serf_snapshot *ss = reopen(&r);
	serf_snapshot_replay_free(&r);
	struct gaddr a = addr4(1, 8301);
	serf_snapshot_alive(ss, "a", &a);
	serf_snapshot_close(ss);
	append_raw("# a comment\n"
		   "\n"
		   "query-clock: 12\n"
		   "coordinate: {\"Vec\":[0]}\n"
		   "bogus line\n"
		   "clock: 12x\n"
		   "alive: noaddr\n"
		   "alive: v6 [fd00::1]:8302\n"
		   "alive: with space 10.0.0.9:8301\n"
		   "event-clock: 3\n"
		   "alive: x 10.0.0.7:83"); /* cut by a crash in "...:8301\n" */
	ss = reopen(&r);
	assert_int_equal(r.skipped, 4); /* bogus, 12x, noaddr, the cut line */
	assert_int_equal(find(&r, "x"), -1);
	int v6 = find(&r, "v6");
	assert_true(v6 >= 0);
	assert_int_equal(r.addrs[v6].family, 6);
	assert_int_equal(r.addrs[v6].ip[0], 0xfd);
	assert_int_equal(r.addrs[v6].ip[15], 1);
	assert_int_equal(r.addrs[v6].port, 8302);
	assert_true(find(&r, "with space") >= 0);
	assert_true(r.event_clock == 3);
	serf_snapshot_replay_free(&r);
	/* the cut line was cut off: the next record stands alone */
	struct gaddr y = addr4(8, 8301);
	serf_snapshot_alive(ss, "y", &y);
	/* a name that could break a record apart is not written */
	serf_snapshot_alive(ss, "evil\nleave", &y);
	serf_snapshot_close(ss);
	ss = reopen(&r);
	assert_int_equal(r.skipped, 3);
	assert_int_equal(find(&r, "x"), -1);
	assert_true(find(&r, "y") >= 0);
	assert_false(r.left);
	/* IPv6 written back as [ip]:port */
	serf_snapshot_replay_free(&r);
	struct buf text = BUF_INIT;
	struct gaddr w6 = {.family = 6, .port = 7};
	w6.ip[15] = 1;
	serf_snapshot_alive(ss, "w6", &w6);
	serf_snapshot_close(ss);
	slurp(&text);
	assert_non_null(strstr(text.data, "alive: w6 [::1]:7\n"));
	buf_free(&text);
}

static void test_compaction(void **state)
{
	struct serf_snapshot_replay r;
	struct serf_snapshot *ss = reopen(&r);
	serf_snapshot_replay_free(&r);
	struct gaddr k1 = addr4(1, 8301), k2 = addr4(2, 8301);
	serf_snapshot_alive(ss, "keep-1", &k1);
	/* churn well past SERF_SNAPSHOT_MAX */
	char name[32];
	for (int i = 0; i < 5000; i++) {
		struct gaddr a = addr4(i % 250, 8301);
		snprintf(name, sizeof(name), "churn-%d", i);
		serf_snapshot_alive(ss, name, &a);
		serf_snapshot_not_alive(ss, name);
		serf_snapshot_clocks(ss, (uint64_t)i, (uint64_t)i / 2);
	}
	serf_snapshot_alive(ss, "keep-2", &k2);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < (off_t)SERF_SNAPSHOT_MAX);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.compact", path);
	assert_int_not_equal(access(tmp, F_OK), 0);
	serf_snapshot_close(ss);
	ss = reopen(&r);
	assert_int_equal(r.n, 2);
	assert_true(find(&r, "keep-1") >= 0);
	assert_true(find(&r, "keep-2") >= 0);
	assert_true(r.clock == 4999 && r.event_clock == 2499);
	assert_int_equal(r.skipped, 0);
	serf_snapshot_replay_free(&r);
	serf_snapshot_close(ss);
}

static void test_open_errors(void **state)
{
	struct serf_snapshot_replay r;
	struct buf err = BUF_INIT;
	char bad[160];
	/* two missing levels: only one is created */
	snprintf(bad, sizeof(bad), "%s/no/such/local.snapshot", dir);
	assert_null(serf_snapshot_open(bad, &r, &err));
	assert_non_null(strstr(err.data, "Failed to open snapshot"));
	/* a directory where the file should be */
	buf_reset(&err);
	snprintf(bad, sizeof(bad), "%s/isdir", dir);
	assert_int_equal(mkdir(bad, 0700), 0);
	assert_null(serf_snapshot_open(bad, &r, &err));
	assert_true(err.len > 0);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replay, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(test_leave_marker, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(test_cut_and_foreign_lines, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(test_compaction, make_dir, remove_dir),
	    cmocka_unit_test_setup_teardown(test_open_errors, make_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
