/*
 * Unit tests for `consul debug`'s files (cli/debug_capture.c, cli/debug_archive.c):
 * the MarshalIndent-with-tabs printer, and the .tar.gz read back with zlib and a
 * small ustar reader (names in walk order, checksums, sizes, contents, the two
 * end blocks), and the directory removed afterwards.
 */
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

#include "cli/debug.h"

#include <zlib.h>

static void test_json_text(void **state)
{
	(void)state;
	json_t *v = json_loads("{\"b\":{\"y\":[1,0.1,true,null],\"x\":\"<&>\"},\"a\":{},\"c\":[]}",
			       0, NULL);
	assert_non_null(v);
	struct buf out = BUF_INIT;
	debug_json_text(&out, v, true);
	assert_string_equal(out.data, "{\n"
				      "\t\"a\": {},\n"
				      "\t\"b\": {\n"
				      "\t\t\"x\": \"\\u003c\\u0026\\u003e\",\n"
				      "\t\t\"y\": [\n"
				      "\t\t\t1,\n"
				      "\t\t\t0.1,\n"
				      "\t\t\ttrue,\n"
				      "\t\t\tnull\n"
				      "\t\t]\n"
				      "\t},\n"
				      "\t\"c\": []\n"
				      "}");
	buf_reset(&out);
	debug_json_text(&out, v, false);
	assert_memory_equal(out.data, "{\n\t\"b\": {\n\t\t\"y\"", 15);
	buf_reset(&out);
	debug_json_text(&out, NULL, false);
	assert_string_equal(out.data, "null");
	json_decref(v);
	buf_free(&out);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static unsigned long octal(const unsigned char *f, size_t n)
{
	char tmp[16] = {0};
	memcpy(tmp, f, n);
	return strtoul(tmp, NULL, 8);
}

static void test_archive(void **state)
{
	(void)state;
	char root[] = "/tmp/cairn-test-debug-XXXXXX";
	assert_non_null(mkdtemp(root));
	char dir[600], sub[700];
	snprintf(dir, sizeof(dir), "%s/consul-debug-1", root);
	snprintf(sub, sizeof(sub), "%s/1700000000", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(dir, "index.json", "{}");
	put(dir, "agent.json", "{\"a\": 1}");
	put(sub, "metrics.json", "[]");
	char big[1500];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(dir, "consul.log", big);

	struct buf err = BUF_INIT;
	assert_int_equal(debug_archive(dir, &err), 0);
	struct stat st;
	assert_int_not_equal(stat(dir, &st), 0); /* removed */

	char gzpath[700];
	snprintf(gzpath, sizeof(gzpath), "%s.tar.gz", dir);
	gzFile gz = gzopen(gzpath, "rb");
	assert_non_null(gz);
	static unsigned char data[65536];
	int n = gzread(gz, data, sizeof(data));
	gzclose(gz);
	assert_true(n > 0 && n % 512 == 0);

	static const char *const want[] = {
	    "consul-debug-1/",
	    "consul-debug-1/1700000000/",
	    "consul-debug-1/1700000000/metrics.json",
	    "consul-debug-1/agent.json",
	    "consul-debug-1/consul.log",
	    "consul-debug-1/index.json",
	};
	static const unsigned long sizes[] = {0, 0, 2, 8, 1499, 2};
	size_t off = 0, k = 0;
	while (off + 512 <= (size_t)n) {
		const unsigned char *h = data + off;
		static const unsigned char zero[512];
		if (memcmp(h, zero, 512) == 0)
			break;
		assert_true(k < 6);
		assert_string_equal((const char *)h, want[k]);
		assert_memory_equal(h + 257,
				    "ustar\0"
				    "00",
				    8);
		unsigned sum = 0;
		for (int i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : h[i];
		assert_int_equal(octal(h + 148, 7), sum);
		unsigned long size = octal(h + 124, 11);
		assert_int_equal(size, sizes[k]);
		assert_int_equal(h[156], want[k][strlen(want[k]) - 1] == '/' ? '5' : '0');
		if (k == 4)
			assert_memory_equal(h + 512, big, size);
		off += 512 + (size + 511) / 512 * 512;
		k++;
	}
	assert_int_equal(k, 6);
	assert_int_equal((size_t)n, off + 1024); /* two zero blocks end it */

	unlink(gzpath);
	rmdir(root);
	buf_free(&err);
}

static void test_archive_missing_dir(void **state)
{
	(void)state;
	struct buf err = BUF_INIT;
	assert_int_equal(debug_archive("/tmp/cairn-test-debug-does-not-exist", &err), -1);
	assert_non_null(strstr(err.data, "failed to walk filepath for archive"));
	assert_int_not_equal(access("/tmp/cairn-test-debug-does-not-exist.tar.gz", F_OK), 0);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_text),
	    cmocka_unit_test(test_archive),
	    cmocka_unit_test(test_archive_missing_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
