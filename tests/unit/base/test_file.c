/* Unit tests for base/file: atomic replacement and its failure report. */
#include "base/file.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cairn-test-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void read_back(const char *path, const char *want)
{
	char got[64] = {0};
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	assert_int_equal(n, strlen(want));
	assert_string_equal(got, want);
}

/* The new content replaces the old, with the mode asked for, and no
 * temporary file is left behind. */
static void test_replace(void **state)
{
	(void)state;
	char path[128], tmp[160];
	snprintf(path, sizeof(path), "%s/conf", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	mode_t old = umask(0);
	assert_int_equal(file_replace(path, "first\n", 6, 0600, NULL), 0);
	assert_int_equal(file_replace(path, "second\n", 7, 0640, NULL), 0);
	umask(old);
	read_back(path, "second\n");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640); /* each write makes a new file */
	assert_int_not_equal(access(tmp, F_OK), 0);
}

/* A failed step is named, the old file stays, no temporary is left. */
static void test_failures(void **state)
{
	(void)state;
	const char *step = NULL;
	char path[128];
	snprintf(path, sizeof(path), "%s/missing/conf", dir);
	assert_true(file_replace(path, "x", 1, 0600, &step) < 0);
	assert_string_equal(step, "open");

	/* rename onto a directory fails after the temporary was written */
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	char inner[160], tmp[160];
	snprintf(inner, sizeof(inner), "%s/keep", path);
	assert_int_equal(file_replace(inner, "kept", 4, 0600, NULL), 0);
	step = NULL;
	assert_true(file_replace(path, "x", 1, 0600, &step) < 0);
	assert_string_equal(step, "rename");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(access(tmp, F_OK), 0);
	read_back(inner, "kept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
