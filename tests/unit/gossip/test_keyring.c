/*
 * Unit tests of the gossip keyring (src/gossip/keyring.c, keyring_file.c): base64
 * validation with Go's error offsets, install/use/remove/list semantics and Consul's
 * messages, the JSON file (both of Consul's forms), atomic saves in a temporary
 * directory, boot from `encrypt` vs an existing file, and the verify_incoming /
 * verify_outgoing decision tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "gossip/keyring.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define K16  "cg8StVXbQJ0gPvMd9o7yrg=="
#define K16B "4W6DGn2VQVqDEceOdmuRTQ=="
#define K24  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
#define K32  "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="

/* The keyring's keys as "k1,k2,..." (primary first). */
static const char *list(const struct keyring *kr)
{
	static char s[1024];
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < kr->n; i++) {
		if (i)
			buf_putc(&b, ',');
		keyring_key_text(kr, i, &b);
	}
	snprintf(s, sizeof(s), "%s", buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void test_decode(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int len;	 /* key length, or -1 when invalid */
		const char *err; /* Go's message */
	} cases[] = {
	    {K16, 16, NULL},
	    {K24, 24, NULL},
	    {K32, 32, NULL},
	    {"cg8StVXbQJ0g\nPvMd9o7yrg==", 16, NULL}, /* Go skips newlines */
	    {"this is not a valid key", -1, "illegal base64 data at input byte 4"},
	    {"abc", -1, "illegal base64 data at input byte 0"},
	    {"abcde", -1, "illegal base64 data at input byte 4"},
	    {"YQ=x", -1, "illegal base64 data at input byte 2"},
	    {"YQ=", -1, "illegal base64 data at input byte 3"},
	    {"=YQ=", -1, "illegal base64 data at input byte 0"},
	    {"YQ==YQ==", -1, "illegal base64 data at input byte 4"},
	    {"YWI=x", -1, "illegal base64 data at input byte 4"},
	    {"cg8StVXbQJ0gPvMd9o7yrg=", -1, "illegal base64 data at input byte 23"},
	    {"cg8-tVXbQJ0gPvMd9o7yrg==", -1, "illegal base64 data at input byte 3"},
	    {"", -1, "key size must be 16, 24 or 32 bytes"},
	    {"YWJj", -1, "key size must be 16, 24 or 32 bytes"},
	    {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj", -1,
	     "key size must be 16, 24 or 32 bytes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gkey k;
		char err[KEYRING_ERR_MAX] = "";
		int rc = keyring_decode_key(cases[i].text, &k, err);
		if (cases[i].len < 0) {
			assert_int_equal(rc, CAIRN_E_INVAL);
			assert_string_equal(err, cases[i].err);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(k.len, cases[i].len);
		}
	}
	struct gkey k;
	assert_int_equal(keyring_decode_key(K32, &k, NULL), 0);
	struct buf b = BUF_INIT;
	keyring_encode_key(&k, &b);
	assert_string_equal(b.data, K32);
	buf_free(&b);
}

static void test_ops(void **state)
{
	(void)state;
	struct keyring kr;
	keyring_init(&kr);
	char err[KEYRING_ERR_MAX] = "";
	assert_null(keyring_primary(&kr));

	assert_int_equal(keyring_install(&kr, K16, err), 0);
	assert_string_equal(list(&kr), K16); /* the first key becomes primary */
	assert_int_equal(keyring_install(&kr, K32, err), 0);
	assert_int_equal(keyring_install(&kr, K24, err), 0);
	assert_int_equal(keyring_install(&kr, K32, err), 0); /* no-op */
	assert_string_equal(list(&kr), K16 "," K32 "," K24);
	assert_int_equal(keyring_primary(&kr)->len, 16);

	assert_int_equal(keyring_install(&kr, "not a key", err), CAIRN_E_INVAL);
	assert_string_equal(err, "Invalid key: illegal base64 data at input byte 3");
	assert_int_equal(keyring_install(&kr, "YWJj", err), CAIRN_E_INVAL);
	assert_string_equal(err, "Invalid key: key size must be 16, 24 or 32 bytes");

	/* use: the chosen key moves to the front, the others keep their order */
	assert_int_equal(keyring_use(&kr, K24, err), 0);
	assert_string_equal(list(&kr), K24 "," K16 "," K32);
	assert_int_equal(keyring_use(&kr, K24, err), 0);
	assert_string_equal(list(&kr), K24 "," K16 "," K32);
	assert_int_equal(keyring_use(&kr, K16B, err), CAIRN_E_NOTFOUND);
	assert_string_equal(err, "Requested key is not in the keyring");
	assert_int_equal(keyring_use(&kr, "YWJj", err), CAIRN_E_NOTFOUND);
	assert_int_equal(keyring_use(&kr, "!!", err), CAIRN_E_INVAL);

	/* remove: never the primary; an absent key is fine */
	assert_int_equal(keyring_remove(&kr, K24, err), CAIRN_E_INVAL);
	assert_string_equal(err, "Removing the primary key is not allowed");
	assert_int_equal(keyring_remove(&kr, K16B, err), 0);
	assert_int_equal(keyring_remove(&kr, K16, err), 0);
	assert_string_equal(list(&kr), K24 "," K32);
	assert_int_equal(keyring_remove(&kr, K32, err), 0);
	assert_string_equal(list(&kr), K24);
	assert_int_equal(kr.n, 1);

	/* grows past its first allocation */
	for (int i = 0; i < 20; i++) {
		struct gkey k = {.len = 16};
		k.b[0] = (uint8_t)i;
		assert_int_equal(keyring_install_key(&kr, &k, err), 0);
	}
	assert_int_equal(kr.n, 21);
	struct gkey bad = {.len = 15};
	assert_int_equal(keyring_install_key(&kr, &bad, err), CAIRN_E_INVAL);

	keyring_free(&kr);
	assert_int_equal(kr.n, 0);
	assert_null(keyring_primary(&kr));
	keyring_free(&kr); /* twice is fine */
}

static void test_json(void **state)
{
	(void)state;
	struct keyring kr;
	keyring_init(&kr);
	char err[KEYRING_ERR_MAX];
	struct buf b = BUF_INIT;
	keyring_to_json(&kr, &b);
	assert_string_equal(b.data, "[]");

	const char *compact = "[\"" K16 "\"]";
	assert_int_equal(keyring_parse_json(&kr, compact, strlen(compact), err), 0);
	assert_string_equal(list(&kr), K16);

	const char *indented = "[\n  \"" K32 "\",\n  \"" K16 "\"\n]";
	assert_int_equal(keyring_parse_json(&kr, indented, strlen(indented), err), 0);
	assert_string_equal(list(&kr), K32 "," K16);
	buf_reset(&b);
	keyring_to_json(&kr, &b);
	assert_string_equal(b.data, indented); /* serf's MarshalIndent form */

	/* escapes, duplicates (dropped), whitespace */
	const char *odd = " \t[\"pUqJrVyVRj5jsiYEkM\\/tFQYfWyJIv4s3XkvDwy7Cu5s\\u003d\" , \"" K32
			  "\",\"" K24 "\"]\r\n";
	assert_int_equal(keyring_parse_json(&kr, odd, strlen(odd), err), 0);
	assert_string_equal(list(&kr), K32 "," K24);

	static const struct {
		const char *json;
		const char *err;
	} bad[] = {
	    {K16, "invalid character 'c' looking for beginning of value"},
	    {"", "unexpected end of JSON input"},
	    {"[", "unexpected end of JSON input"},
	    {"[\"" K16, "unexpected end of JSON input"},
	    {"[\"" K16 "\"", "unexpected end of JSON input"},
	    {"[\"" K16 "\";", "invalid character ';' after array element"},
	    {"[\"" K16 "\"] x", "invalid character 'x' after top-level value"},
	    {"[]", "no keys present in keyring"},
	    {"null", "no keys present in keyring"},
	    {"[1]", "keyring file must be a JSON array of strings"},
	    {"{\"a\":1}", "keyring file must be a JSON array of strings"},
	    {"[\"" K16 "\",]", "invalid character ']' looking for beginning of value"},
	    {"[\"abc\"]", "illegal base64 data at input byte 0"},
	    {"[\"YWJj\"]", "key size must be 16, 24 or 32 bytes"},
	    {"[\"\\u00e9\"]", "illegal base64 data at input byte 0"},
	    {"[\"a\\u0000\"]", "illegal base64 data at input byte 1"},
	    {"[\"a\\x\"]", "invalid escape in string literal"},
	    {"[\"a\\u12\"]", "invalid escape in string literal"},
	    {"[\"a\nb\"]", "invalid character in string literal"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(keyring_parse_json(&kr, bad[i].json, strlen(bad[i].json), err),
				     0);
		assert_string_equal(err, bad[i].err);
		assert_string_equal(list(&kr), K32 "," K24); /* unchanged */
	}
	buf_free(&b);
	keyring_free(&kr);
}

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cairn-keyring-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char data[4096];
	size_t n = fread(data, 1, sizeof(data) - 1, f);
	fclose(f);
	data[n] = '\0';
	return data;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_files(void **state)
{
	(void)state;
	char path[512], dir[300], err[KEYRING_ERR_MAX];
	snprintf(dir, sizeof(dir), "%s/data/serf", tmpdir);
	snprintf(path, sizeof(path), "%s/local.keyring", dir);
	struct keyring kr, back;
	keyring_init(&kr);
	keyring_init(&back);
	assert_int_equal(keyring_load_file(&back, path, err), CAIRN_E_NOTFOUND);

	assert_int_equal(keyring_install(&kr, K16, err), 0);
	assert_int_equal(keyring_install(&kr, K32, err), 0);
	assert_int_equal(keyring_use(&kr, K32, err), 0);
	assert_int_equal(keyring_save_file(&kr, path, err), 0); /* creates data/serf */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */
	assert_string_equal(slurp(path), "[\n  \"" K32 "\",\n  \"" K16 "\"\n]");

	assert_int_equal(keyring_load_file(&back, path, err), 0);
	assert_string_equal(list(&back), K32 "," K16);

	/* replace: the new content, still one file */
	assert_int_equal(keyring_remove(&kr, K16, err), 0);
	assert_int_equal(keyring_save_file(&kr, path, err), 0);
	assert_int_equal(keyring_load_file(&back, path, err), 0);
	assert_string_equal(list(&back), K32);
	assert_int_equal(count_entries(dir), 1);

	/* a broken file names itself and leaves the keyring alone */
	FILE *f = fopen(path, "w");
	fputs("[]", f);
	fclose(f);
	assert_int_equal(keyring_load_file(&back, path, err), CAIRN_E_INVAL);
	char want[700];
	snprintf(want, sizeof(want), "no keys present in keyring: %s", path);
	assert_string_equal(err, want);
	f = fopen(path, "w");
	fputs(K16, f);
	fclose(f);
	assert_int_equal(keyring_load_file(&back, path, err), CAIRN_E_PARSE);
	snprintf(want, sizeof(want), "%s: invalid character 'c' looking for beginning of value",
		 path);
	assert_string_equal(err, want);
	assert_string_equal(list(&back), K32);

	/* write failures are reported, not hidden */
	assert_int_equal(keyring_save_file(&kr, "/dev/null/x/local.keyring", err), CAIRN_E_IO);
	assert_non_null(strstr(err, "Failed to write keyring file"));
	snprintf(path, sizeof(path), "%s/isdir", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(keyring_save_file(&kr, path, err), CAIRN_E_IO);

	keyring_free(&kr);
	keyring_free(&back);
}

static void test_setup(void **state)
{
	(void)state;
	char data[300], path[KEYRING_ERR_MAX], warn[KEYRING_ERR_MAX], err[KEYRING_ERR_MAX];
	char want[600];
	snprintf(data, sizeof(data), "%s/setup", tmpdir);
	struct keyring kr;
	keyring_init(&kr);

	/* nothing configured, no file: encryption off */
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, data, NULL, false, path, warn, err), 0);
	assert_int_equal(kr.n, 0);
	assert_string_equal(warn, "");

	/* encrypt and no file: the file is created with that key (compact, as Consul) */
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, data, K16, false, path, warn, err), 0);
	snprintf(want, sizeof(want), "%s/serf/local.keyring", data);
	assert_string_equal(path, want);
	assert_string_equal(slurp(want), "[\"" K16 "\"]");
	assert_string_equal(list(&kr), K16);
	assert_string_equal(warn, "");
	keyring_free(&kr);

	/* the file exists: it wins over a different encrypt, with Consul's warning */
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, data, K32, false, path, warn, err), 0);
	assert_string_equal(list(&kr), K16);
	assert_string_equal(warn, "WARNING: LAN keyring exists but -encrypt given, using keyring");
	keyring_free(&kr);

	/* the file alone is loaded without encrypt */
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, data, "", false, path, warn, err), 0);
	assert_string_equal(list(&kr), K16);
	assert_string_equal(warn, "");
	keyring_free(&kr);

	/* WAN has its own file */
	assert_int_equal(keyring_setup(&kr, KEYRING_WAN, data, K32, false, path, warn, err), 0);
	snprintf(want, sizeof(want), "%s/serf/remote.keyring", data);
	assert_string_equal(path, want);
	assert_string_equal(list(&kr), K32);
	keyring_free(&kr);
	assert_int_equal(keyring_setup(&kr, KEYRING_WAN, data, K24, false, path, warn, err), 0);
	assert_string_equal(warn, "WARNING: WAN keyring exists but -encrypt given, using keyring");
	keyring_free(&kr);

	/* an invalid encrypt is an error even when a file exists */
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, data, "this is not a valid key", false,
				       path, warn, err),
			 CAIRN_E_INVAL);
	assert_string_equal(err, "Invalid key: illegal base64 data at input byte 4");

	/* disable_keyring_file: the key in memory only */
	char other[400];
	snprintf(other, sizeof(other), "%s/nofile", tmpdir);
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, other, K24, true, path, warn, err), 0);
	assert_string_equal(list(&kr), K24);
	assert_string_equal(path, "");
	struct stat st;
	assert_int_not_equal(stat(other, &st), 0);
	keyring_free(&kr);
	assert_int_equal(keyring_setup(&kr, KEYRING_LAN, other, NULL, true, path, warn, err), 0);
	assert_int_equal(kr.n, 0);

	assert_string_equal(keyring_file_name(KEYRING_LAN), "serf/local.keyring");
	assert_string_equal(keyring_file_name(KEYRING_WAN), "serf/remote.keyring");
}

static void test_policy(void **state)
{
	(void)state;
	struct keyring none, keyed;
	keyring_init(&none);
	keyring_init(&keyed);
	assert_int_equal(keyring_install(&keyed, K16, NULL), 0);

	assert_false(keyring_encrypt_outgoing(&none, true));
	assert_false(keyring_encrypt_outgoing(&none, false));
	assert_true(keyring_encrypt_outgoing(&keyed, true));
	assert_false(keyring_encrypt_outgoing(&keyed, false));

	static const struct {
		bool keyed, verify;
		int open_rc;
		enum keyring_in want;
	} packets[] = {
	    {false, true, CAIRN_E_PERM, KEYRING_IN_PLAIN},
	    {false, false, 0, KEYRING_IN_PLAIN},
	    {true, true, 0, KEYRING_IN_DECRYPTED},
	    {true, false, 0, KEYRING_IN_DECRYPTED},
	    {true, true, CAIRN_E_PERM, KEYRING_IN_DROP},
	    {true, true, CAIRN_E_PARSE, KEYRING_IN_DROP},
	    {true, false, CAIRN_E_PERM, KEYRING_IN_PLAIN}, /* rolling onto encryption */
	    {true, false, CAIRN_E_VERSION, KEYRING_IN_PLAIN},
	};
	for (size_t i = 0; i < sizeof(packets) / sizeof(packets[0]); i++)
		assert_int_equal(keyring_incoming_packet(packets[i].keyed ? &keyed : &none,
							 packets[i].verify, packets[i].open_rc),
				 packets[i].want);

	static const struct {
		bool keyed, verify, encrypted;
		int open_rc;
		enum keyring_in want;
		const char *why;
	} streams[] = {
	    {false, true, false, 0, KEYRING_IN_PLAIN, NULL},
	    {false, true, true, 0, KEYRING_IN_DROP,
	     "Remote state is encrypted and encryption is not configured"},
	    {true, true, true, 0, KEYRING_IN_DECRYPTED, NULL},
	    {true, false, true, CAIRN_E_PERM, KEYRING_IN_DROP,
	     "No installed keys could decrypt the message"},
	    {true, true, false, 0, KEYRING_IN_DROP,
	     "Encryption is configured but remote state is not encrypted"},
	    {true, false, false, 0, KEYRING_IN_PLAIN, NULL},
	};
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		const char *why = "unset";
		assert_int_equal(keyring_incoming_stream(streams[i].keyed ? &keyed : &none,
							 streams[i].verify, streams[i].encrypted,
							 streams[i].open_rc, &why),
				 streams[i].want);
		if (streams[i].why)
			assert_string_equal(why, streams[i].why);
		else
			assert_null(why);
	}
	keyring_free(&keyed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_ops),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test_setup_teardown(test_files, setup_dir, teardown_dir),
	    cmocka_unit_test_setup_teardown(test_setup, setup_dir, teardown_dir),
	    cmocka_unit_test(test_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
