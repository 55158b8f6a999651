/*
 * Service definitions: the seeds' JSON verbatim (config file web.json, the
 * CamelCase API body with DeregisterCriticalServiceAfter), snake_case and
 * CamelCase spellings, Consul's defaults and validation messages, and the
 * persistence round trip.
 */
#include "base/err.h"
#include "local/servicedef.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* seeds/001: the web service of /etc/consul.d/web.json */
static const char *SEED_WEB = "{\n"
			      "  \"service\": {\n"
			      "    \"name\": \"web\",\n"
			      "    \"tags\": [\"master\"],\n"
			      "    \"address\": \"172.17.0.5\",\n"
			      "    \"port\": 9999,\n"
			      "    \"checks\": [\n"
			      "      {\n"
			      "        \"http\": \"http://localhost:9999/health\",\n"
			      "        \"interval\": \"10s\"\n"
			      "      }\n"
			      "    ]\n"
			      "  }\n"
			      "}\n";

/* seeds/004: PUT /v1/agent/service/register */
static const char *SEED_API = "{\n"
			      "    \"ID\"      : \"service_nginx\",\n"
			      "    \"Name\"    : \"service_nginx\",\n"
			      "    \"Tags\"    : [ \"singleNginx\" ],\n"
			      "    \"Address\" : \"192.168.1.15\",\n"
			      "    \"Port\"    : 80,\n"
			      "    \"Check\"   : {\n"
			      "        \"DeregisterCriticalServiceAfter\" : \"60s\",\n"
			      "        \"HTTP\"     : \"http://192.168.1.15\",\n"
			      "        \"Interval\" : \"10s\"\n"
			      "    },\n"
			      "    \"EnableTagOverride\" : false\n"
			      "}";

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	return j;
}

/* parse + validate + finalize; returns the error code, message in err */
static int full(const char *text, struct service_def *d, struct buf *err)
{
	json_t *j = load(text);
	int rv = servicedef_parse(j, d, err);
	json_decref(j);
	if (rv)
		return rv;
	rv = servicedef_validate(d, err);
	if (rv) {
		servicedef_free(d);
		return rv;
	}
	servicedef_finalize(d);
	return 0;
}

static void test_seed_config_file(void **state)
{
	json_t *file = load(SEED_WEB);
	struct service_def d;
	struct buf err = BUF_INIT;
	assert_int_equal(servicedef_parse(json_object_get(file, "service"), &d, &err), 0);
	assert_int_equal(servicedef_validate(&d, &err), 0);
	servicedef_finalize(&d);
	assert_string_equal(d.id, "web");
	assert_string_equal(d.name, "web");
	assert_int_equal(d.n_tags, 1);
	assert_string_equal(d.tags[0], "master");
	assert_string_equal(d.address, "172.17.0.5");
	assert_int_equal(d.port, 9999);
	assert_int_equal(d.weight_passing, 1);
	assert_int_equal(d.weight_warning, 1);
	assert_int_equal(d.n_checks, 1);
	assert_string_equal(d.checks[0].http, "http://localhost:9999/health");
	assert_int_equal(d.checks[0].interval, 10000000000LL);
	assert_string_equal(d.checks[0].id, "service:web");
	assert_string_equal(d.checks[0].name, "Service 'web' check");
	assert_string_equal(d.checks[0].service_id, "web");
	/* addServiceInternal's default tagged addresses */
	assert_int_equal(d.n_tagged, 2);
	assert_string_equal(d.tagged[0].tag, "lan_ipv4");
	assert_string_equal(d.tagged[0].address, "172.17.0.5");
	assert_int_equal(d.tagged[0].port, 9999);
	assert_string_equal(d.tagged[1].tag, "wan_ipv4");
	servicedef_free(&d);
	json_decref(file);
	buf_free(&err);
}

static void test_seed_api_body(void **state)
{
	struct service_def d;
	struct buf err = BUF_INIT;
	assert_int_equal(full(SEED_API, &d, &err), 0);
	assert_string_equal(d.id, "service_nginx");
	assert_string_equal(d.tags[0], "singleNginx");
	assert_int_equal(d.port, 80);
	assert_false(d.enable_tag_override);
	assert_int_equal(d.n_checks, 1);
	assert_int_equal(d.checks[0].deregister_critical_after, 60000000000LL);
	assert_string_equal(d.checks[0].http, "http://192.168.1.15");
	assert_string_equal(d.checks[0].id, "service:service_nginx");
	servicedef_free(&d);
	buf_free(&err);
}

static void test_snake_and_camel(void **state)
{
	const char *snake =
	    "{\"id\":\"a1\",\"name\":\"api\",\"enable_tag_override\":true,"
	    "\"tagged_addresses\":{\"lan\":{\"address\":\"10.0.0.1\",\"port\":81}},"
	    "\"weights\":{\"passing\":3,\"warning\":2},\"meta\":{\"env\":\"prod\"},"
	    "\"check\":{\"ttl\":\"30s\",\"deregister_critical_service_after\":\"90s\"}}";
	const char *camel =
	    "{\"ID\":\"a1\",\"Name\":\"api\",\"EnableTagOverride\":true,"
	    "\"TaggedAddresses\":{\"lan\":{\"Address\":\"10.0.0.1\",\"Port\":81}},"
	    "\"Weights\":{\"Passing\":3,\"Warning\":2},\"Meta\":{\"env\":\"prod\"},"
	    "\"Check\":{\"TTL\":\"30s\",\"DeregisterCriticalServiceAfter\":\"90s\"}}";
	struct service_def a, b;
	struct buf err = BUF_INIT;
	assert_int_equal(full(snake, &a, &err), 0);
	assert_int_equal(full(camel, &b, &err), 0);
	assert_true(servicedef_same(&a, &b));
	assert_true(a.enable_tag_override);
	assert_int_equal(a.weight_passing, 3);
	assert_int_equal(a.weight_warning, 2);
	assert_string_equal(servicedef_meta(&a, "env"), "prod");
	assert_int_equal(servicedef_tagged(&a, "lan")->port, 81);
	assert_int_equal(a.checks[0].ttl, 30000000000LL);
	assert_int_equal(b.checks[0].deregister_critical_after, 90000000000LL);
	servicedef_free(&a);
	servicedef_free(&b);
	buf_free(&err);
}

static void test_several_checks(void **state)
{
	const char *j = "{\"Name\":\"db\",\"Check\":{\"TTL\":\"5s\"},"
			"\"Checks\":[{\"TCP\":\"127.0.0.1:1\",\"Interval\":\"1s\"},"
			"{\"CheckID\":\"mine\",\"TTL\":\"5s\",\"Name\":\"Mine\"},null,{}],"
			"\"Tags\":null}";
	struct service_def d;
	struct buf err = BUF_INIT;
	assert_int_equal(full(j, &d, &err), 0);
	assert_int_equal(d.n_checks, 3); /* null and {} are empty checks */
	assert_string_equal(d.checks[0].id, "service:db:1");
	assert_string_equal(d.checks[1].id, "service:db:2");
	assert_string_equal(d.checks[2].id, "mine");
	assert_string_equal(d.checks[2].name, "Mine");
	assert_int_equal(d.n_tags, 0);
	servicedef_free(&d);
	buf_free(&err);
}

static void expect_error(const char *text, int code, const char *msg)
{
	struct service_def d;
	struct buf err = BUF_INIT;
	assert_int_equal(full(text, &d, &err), code);
	assert_string_equal(buf_cstr(&err), msg);
	buf_free(&err);
}

static void test_validation_messages(void **state)
{
	expect_error("{\"Port\":80}", CAIRN_E_INVAL, "Missing service name");
	expect_error("{\"Name\":\"x\",\"Address\":\"0.0.0.0\"}", CAIRN_E_INVAL,
		     "Invalid service address");
	expect_error("{\"Name\":\"x\",\"Weights\":{\"Warning\":1}}", CAIRN_E_INVAL,
		     "Invalid Weights: Passing must be greater than 0");
	expect_error("{\"Name\":\"x\",\"Meta\":{\"consul-x\":\"1\"}}", CAIRN_E_INVAL,
		     "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): "
		     "Key prefix 'consul-' is reserved for internal use");
	expect_error("{\"Name\":\"x\",\"Meta\":{\"a b\":\"1\"}}", CAIRN_E_INVAL,
		     "Invalid Service Meta: Couldn't load metadata pair ('a b', '1'): "
		     "Key contains invalid characters");
	expect_error("{\"Name\":\"x\",\"Check\":{\"HTTP\":\"http://a\"}}", CAIRN_E_INVAL,
		     "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP "
		     "or OSService checks");
	expect_error("{\"Name\":\"x\",\"Check\":{\"TTL\":\"5s\",\"Status\":\"bogus\"}}",
		     CAIRN_E_INVAL, "Status for checks must 'passing', 'warning', 'critical'");
	expect_error("{\"Name\":\"x\",\"Port\":\"80\"}", CAIRN_E_PARSE, "Port: expected a number");
	expect_error("{\"Name\":\"x\",\"Tags\":[1]}", CAIRN_E_PARSE,
		     "Tags: expected a list of strings");
	expect_error("[1]", CAIRN_E_PARSE, "service definition must be an object");
}

static void test_round_trip(void **state)
{
	const char *j = "{\"ID\":\"w1\",\"Name\":\"web\",\"Tags\":[\"a\",\"a\",\"b\"],"
			"\"Address\":\"::1\",\"Port\":8080,\"Meta\":{\"z\":\"1\",\"a\":\"2\"},"
			"\"Kind\":\"\",\"Weights\":{\"Passing\":5,\"Warning\":0},"
			"\"Connect\":{\"Native\":true}}";
	struct service_def a, b;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct jsonw w;
	assert_int_equal(full(j, &a, &err), 0);
	assert_string_equal(a.meta[0].key, "a"); /* sorted as Go prints maps */
	assert_non_null(servicedef_tagged(&a, "lan_ipv6"));
	jsonw_init(&w, &out, false);
	servicedef_write_json(&a, &w);
	assert_int_equal(full(buf_cstr(&out), &b, &err), 0);
	assert_true(servicedef_same(&a, &b));
	struct service_def c;
	servicedef_copy(&c, &a);
	assert_true(servicedef_same(&a, &c));
	servicedef_free(&a);
	servicedef_free(&b);
	servicedef_free(&c);
	buf_free(&err);
	buf_free(&out);
}

static void test_key_folding(void **state)
{
	assert_true(servicedef_key_is("EnableTagOverride", "enabletagoverride"));
	assert_true(servicedef_key_is("enable_tag_override", "enabletagoverride"));
	assert_true(servicedef_key_is("ID", "id"));
	assert_false(servicedef_key_is("IDs", "id"));
	assert_false(servicedef_key_is("", "id"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_config_file),	cmocka_unit_test(test_seed_api_body),
	    cmocka_unit_test(test_snake_and_camel),	cmocka_unit_test(test_several_checks),
	    cmocka_unit_test(test_validation_messages), cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_key_folding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
