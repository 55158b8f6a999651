/*
 * Catalog commands: the register/deregister codec round-trips every field and
 * re-encodes to the same bytes; every truncation and every bad flag, status,
 * boolean or count is rejected; applying through catalog_ops commits a good
 * request and aborts a bad one with Consul's message in the txn_result.
 *
 * With CAIRN_WRITE_CMD_CORPUS=<dir>, test_write_corpus writes seeds for
 * tests/fuzz/corpus/cmd/.
 */
#include "base/err.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *tags[] = {"a", "", "b"};
static struct cat_pair meta[] = {{"k2", "v2"}, {"k1", "v1"}};
static struct cat_pair tagged[] = {{"lan", "10.0.0.1"}};
static struct cat_svc_addr saddr[] = {{"wan", "1.1.1.1", -7}, {"lan", "", 65535}};

static struct cat_node node = {.id = "40e4a748-2192-161a-0510-9bf59fe950b5",
			       .name = "n1",
			       .address = "10.0.0.1",
			       .datacenter = "dc1",
			       .tagged = tagged,
			       .ntagged = 1,
			       .meta = meta,
			       .nmeta = 2};

static struct cat_service svcs[] = {
    {.id = "web1",
     .name = "web",
     .kind = "",
     .tags = tags,
     .ntags = 3,
     .address = "10.0.0.5",
     .tagged = saddr,
     .ntagged = 2,
     .meta = meta,
     .nmeta = 2,
     .port = 8080,
     .socket_path = "/s",
     .weight_passing = 10,
     .weight_warning = -1,
     .enable_tag_override = true,
     .proxy_json = "{}",
     .connect_json = NULL,
     .locality_json = "{\"Region\":\"r\"}"},
    {.name = "bare"},
};

static struct cat_check chks[] = {
    {.id = "c1",
     .name = "check one",
     .status = CAT_WARNING,
     .notes = "n",
     .output = "out\n",
     .service_id = "web1",
     .type = "http",
     .interval = "10s",
     .timeout = "1s",
     .exposed_port = 21000,
     .definition_json = "{\"HTTP\":\"x\"}"},
    {.name = "serfHealth", .status = CAT_MAINTENANCE},
};

static void encode_register(struct buf *out, size_t nsvc, size_t nchk, bool skip)
{
	struct cmd c = {.type = CMD_CATALOG_REGISTER,
			.u.reg = {&node, skip, svcs, nsvc, chks, nchk}};
	cmd_encode(&c, out);
}

static void test_register_roundtrip(void **state)
{
	struct buf enc = BUF_INIT, again = BUF_INIT;
	encode_register(&enc, 2, 2, true);
	struct cmd d;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_int_equal(d.type, CMD_CATALOG_REGISTER);
	assert_int_equal(d.version, 1);
	const struct cat_register *r = &d.u.reg;
	assert_true(r->skip_node_update);
	assert_string_equal(r->node->id, node.id);
	assert_string_equal(r->node->datacenter, "dc1");
	assert_int_equal(r->node->nmeta, 2);
	assert_string_equal(r->node->meta[0].key, "k2"); /* order kept */
	assert_int_equal(r->nservices, 2);
	assert_string_equal(r->services[0].tags[1], "");
	assert_int_equal(r->services[0].tagged[0].port, -7);
	assert_int_equal(r->services[0].tagged[1].port, 65535);
	assert_int_equal(r->services[0].weight_warning, -1);
	assert_true(r->services[0].enable_tag_override);
	assert_string_equal(r->services[0].proxy_json, "{}");
	assert_null(r->services[0].connect_json);
	assert_string_equal(r->services[1].id, ""); /* NULL encodes as "" */
	assert_null(r->services[1].proxy_json);
	assert_int_equal(r->nchecks, 2);
	assert_int_equal(r->checks[0].status, CAT_WARNING);
	assert_string_equal(r->checks[0].output, "out\n");
	assert_int_equal(r->checks[0].exposed_port, 21000);
	assert_int_equal(r->checks[1].status, CAT_MAINTENANCE);
	assert_null(r->checks[1].definition_json);
	cmd_encode(&d, &again);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.data, enc.data, enc.len);
	cmd_free(&d);
	buf_free(&enc);
	buf_free(&again);
}

static void test_deregister_roundtrip(void **state)
{
	struct cmd c = {.type = CMD_CATALOG_DEREGISTER, .u.dereg = {"n1", "web1", NULL}}, d;
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	assert_int_equal(enc.len, 2 + 4 + 2 + 4 + 4 + 4);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_string_equal(d.u.dereg.node, "n1");
	assert_string_equal(d.u.dereg.service_id, "web1");
	assert_string_equal(d.u.dereg.check_id, "");
	cmd_free(&d);
	buf_free(&enc);
}

/* Every strict prefix fails, and so does one extra byte. */
static void assert_truncations_rejected(const struct buf *enc)
{
	struct cmd d;
	for (size_t n = 0; n < enc->len; n++) {
		int rc = cmd_decode(enc->data, n, &d);
		assert_true(rc == CAIRN_E_PARSE);
	}
	char *longer = malloc(enc->len + 1);
	memcpy(longer, enc->data, enc->len);
	longer[enc->len] = 0;
	assert_int_equal(cmd_decode(longer, enc->len + 1, &d), CAIRN_E_PARSE);
	free(longer);
}

static void test_truncations(void **state)
{
	struct buf enc = BUF_INIT;
	encode_register(&enc, 2, 2, false);
	assert_truncations_rejected(&enc);
	buf_reset(&enc);
	struct cmd c = {.type = CMD_CATALOG_DEREGISTER, .u.dereg = {"n1", "", "c"}};
	cmd_encode(&c, &enc);
	assert_truncations_rejected(&enc);
	buf_free(&enc);
}

static void test_bad_fields(void **state)
{
	struct buf enc = BUF_INIT;
	struct cmd d;
	encode_register(&enc, 0, 1, false);
	enc.data[2] = 2; /* unknown flag bit */
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	enc.data[2] = 0;
	enc.data[1] = 2; /* a newer body version */
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_VERSION);
	enc.data[1] = 0;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	enc.data[1] = 1;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	cmd_free(&d);
	buf_free(&enc);

	/* a check status out of range */
	struct cat_check bad = chks[1];
	struct cmd c = {.type = CMD_CATALOG_REGISTER, .u.reg = {&node, false, NULL, 0, &bad, 1}};
	buf_init(&enc);
	cmd_encode(&c, &enc);
	size_t status_at = enc.len - (6 * 4 + 4 + 4) - 1; /* 6 str, port, ostr follow */
	assert_int_equal((unsigned char)enc.data[status_at], CAT_MAINTENANCE);
	enc.data[status_at] = CAT_STATUS_COUNT_;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	buf_free(&enc);

	/* a NUL inside a string, an absurd count */
	struct cmd dc = {.type = CMD_CATALOG_DEREGISTER, .u.dereg = {"n1", "ab", "c"}};
	buf_init(&enc);
	cmd_encode(&dc, &enc);
	enc.data[2 + 4 + 2 + 4] = 0;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	buf_free(&enc);
	buf_init(&enc);
	encode_register(&enc, 0, 0, false);
	enc.data[enc.len - 8] = (char)0xff; /* service count low byte: 255 services */
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	buf_free(&enc);
}

static void test_apply(void **state)
{
	struct store *s = store_new();
	struct txn_result res = {0};
	struct cmd c = {.type = CMD_CATALOG_REGISTER, .u.reg = {&node, false, svcs, 1, chks, 1}};
	assert_int_equal(catalog_ops_apply(store_txn_begin(s, 7), &c, 7, &res), 0);
	assert_null(catalog_ops_error(&res));
	assert_int_equal(res.index, 7);
	assert_int_equal(res.nitems, 0);
	assert_non_null(catalog_node_check(s, "n1", "c1"));
	txn_result_free(&res);

	/* a check for a missing service: Consul's message, nothing applied */
	struct cat_check orphan = chks[0];
	orphan.id = "c2";
	orphan.service_id = "nope";
	struct cmd bad = {.type = CMD_CATALOG_REGISTER,
			  .u.reg = {&node, false, &svcs[1], 1, &orphan, 1}};
	memset(&res, 0, sizeof(res));
	assert_int_equal(catalog_ops_apply(store_txn_begin(s, 8), &bad, 8, &res), CAIRN_E_NOTFOUND);
	assert_string_equal(catalog_ops_error(&res), "Unknown service ID 'nope' for check ID 'c2'");
	assert_int_equal(res.index, 8);
	assert_null(catalog_node_service(s, "n1", "bare"));
	assert_int_equal(store_index(s), 8);
	txn_result_free(&res);

	struct cmd dc = {.type = CMD_CATALOG_DEREGISTER, .u.dereg = {"n1", "web1", NULL}};
	memset(&res, 0, sizeof(res));
	assert_int_equal(catalog_ops_apply(store_txn_begin(s, 9), &dc, 9, &res), 0);
	assert_null(catalog_node_check(s, "n1", "c1")); /* went with its service */
	txn_result_free(&res);
	store_free(s);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void test_write_corpus(void **state)
{
	const char *dir = getenv("CAIRN_WRITE_CMD_CORPUS");
	if (!dir)
		return;
	struct buf enc = BUF_INIT;
	encode_register(&enc, 2, 2, false);
	write_file(dir, "catalog_register", enc.data, enc.len);
	write_file(dir, "catalog_register_trunc", enc.data, enc.len - 5);
	buf_reset(&enc);
	encode_register(&enc, 0, 0, true);
	write_file(dir, "catalog_register_node", enc.data, enc.len);
	buf_reset(&enc);
	struct cmd c = {.type = CMD_CATALOG_DEREGISTER, .u.dereg = {"n1", "web1", "c1"}};
	cmd_encode(&c, &enc);
	write_file(dir, "catalog_deregister", enc.data, enc.len);
	buf_free(&enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_roundtrip),
	    cmocka_unit_test(test_deregister_roundtrip),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_bad_fields),
	    cmocka_unit_test(test_apply),
	    cmocka_unit_test(test_write_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
