/*
 * Check definitions: parsing (CamelCase, snake_case, any case), durations,
 * headers, Consul's validation messages, script permissions, default IDs and
 * names, types, and the Definition/persistence JSON.
 */
#include "checks/checkdef.h"

#include "base/duration.h"
#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static int parse(const char *json, struct checkdef *d, struct buf *err)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	assert_non_null(j);
	buf_reset(err);
	int rc = checkdef_parse(j, d, err);
	json_decref(j);
	return rc;
}

/* Parse, expect success, validate; returns validate's result, message in err. */
static int parse_validate(const char *json, struct buf *err)
{
	struct checkdef d;
	assert_int_equal(parse(json, &d, err), 0);
	int rc = checkdef_validate(&d, err);
	checkdef_free(&d);
	return rc;
}

static void test_camel_case(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(
	    parse("{\"ID\":\"web-http\",\"Name\":\"Web\",\"Notes\":\"n\","
		  "\"ServiceID\":\"web\",\"Status\":\"passing\",\"HTTP\":\"http://x/\","
		  "\"Method\":\"POST\",\"Header\":{\"X-A\":[\"1\",\"2\"]},\"Body\":\"b\","
		  "\"Interval\":\"10s\",\"Timeout\":\"1s\",\"TLSSkipVerify\":true,"
		  "\"TLSServerName\":\"srv\",\"DisableRedirects\":true,"
		  "\"DeregisterCriticalServiceAfter\":\"90m\","
		  "\"SuccessBeforePassing\":2,\"FailuresBeforeCritical\":3,"
		  "\"FailuresBeforeWarning\":1,\"OutputMaxSize\":100}",
		  &d, &err),
	    0);
	assert_string_equal(d.id, "web-http");
	assert_string_equal(d.name, "Web");
	assert_string_equal(d.notes, "n");
	assert_string_equal(d.service_id, "web");
	assert_true(d.has_status);
	assert_int_equal(d.status, CHECK_PASSING);
	assert_string_equal(d.http, "http://x/");
	assert_string_equal(d.method, "POST");
	assert_int_equal(d.n_headers, 1);
	assert_string_equal(d.headers[0].name, "X-A");
	assert_int_equal(d.headers[0].n_values, 2);
	assert_string_equal(d.headers[0].values[1], "2");
	assert_string_equal(d.body, "b");
	assert_int_equal(d.interval, 10 * DUR_SEC);
	assert_int_equal(d.timeout, DUR_SEC);
	assert_true(d.tls_skip_verify);
	assert_string_equal(d.tls_server_name, "srv");
	assert_true(d.disable_redirects);
	assert_int_equal(d.deregister_critical_after, 90 * DUR_MIN);
	assert_int_equal(d.success_before_passing, 2);
	assert_int_equal(d.failures_before_critical, 3);
	assert_int_equal(d.failures_before_warning, 1);
	assert_int_equal(d.output_max_size, 100);
	assert_int_equal(checkdef_validate(&d, &err), 0);
	assert_int_equal(checkdef_kind(&d), CHECK_KIND_HTTP);
	checkdef_free(&d);
	buf_free(&err);
}

static void test_snake_case(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(parse("{\"check_id\":\"c1\",\"name\":\"n\",\"service_id\":\"s\","
			       "\"grpc\":\"127.0.0.1:1/svc\",\"grpc_use_tls\":true,"
			       "\"tls_skip_verify\":true,\"interval\":1000000000,"
			       "\"deregister_critical_service_after\":\"1m\","
			       "\"success_before_passing\":1,\"failures_before_critical\":2,"
			       "\"output_max_size\":10,\"docker_container_id\":\"\"}",
			       &d, &err),
			 0);
	assert_string_equal(d.id, "c1");
	assert_string_equal(d.service_id, "s");
	assert_true(d.grpc_use_tls);
	assert_true(d.tls_skip_verify);
	assert_int_equal(d.interval, DUR_SEC);
	assert_int_equal(d.deregister_critical_after, DUR_MIN);
	assert_int_equal(checkdef_kind(&d), CHECK_KIND_GRPC);
	assert_string_equal(check_kind_name(checkdef_kind(&d)), "grpc");
	checkdef_free(&d);

	/* args / script_args / ScriptArgs, and any casing Go accepts */
	assert_int_equal(
	    parse("{\"NAME\":\"x\",\"args\":[\"/bin/true\",\"-v\"],\"INTERVAL\":\"5s\"}", &d, &err),
	    0);
	assert_string_equal(d.name, "x");
	assert_int_equal(d.n_args, 2);
	assert_string_equal(d.args[1], "-v");
	assert_int_equal(checkdef_kind(&d), CHECK_KIND_SCRIPT);
	checkdef_free(&d);
	assert_int_equal(parse("{\"script_args\":[\"a\"],\"interval\":\"1s\"}", &d, &err), 0);
	assert_int_equal(d.n_args, 1);
	checkdef_free(&d);
	buf_free(&err);
}

static void test_h2ping_tls_default(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(parse("{\"h2ping\":\"localhost:1\",\"interval\":\"1s\"}", &d, &err), 0);
	assert_true(d.h2ping_use_tls); /* Consul defaults it to true */
	assert_int_equal(checkdef_kind(&d), CHECK_KIND_H2PING);
	checkdef_free(&d);
	assert_int_equal(
	    parse("{\"h2ping\":\"localhost:1\",\"h2ping_use_tls\":false,\"interval\":\"1s\"}", &d,
		  &err),
	    0);
	assert_false(d.h2ping_use_tls);
	checkdef_free(&d);
	buf_free(&err);
}

static void test_parse_errors(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(parse("{\"Interval\":\"10\"}", &d, &err), CAIRN_E_INVAL);
	assert_string_equal(err.data, "time: missing unit in duration \"10\"");
	assert_int_equal(parse("{\"TTL\":\"abc\"}", &d, &err), CAIRN_E_INVAL);
	assert_string_equal(err.data, "time: invalid duration \"abc\"");
	assert_int_equal(parse("{\"Status\":\"bogus\"}", &d, &err), CAIRN_E_INVAL);
	assert_string_equal(err.data, "Bad check status");
	assert_int_equal(parse("{\"Name\":5}", &d, &err), CAIRN_E_INVAL);
	assert_string_equal(
	    err.data, "json: cannot unmarshal number into Go struct field Name of type string");
	assert_int_equal(parse("{\"Header\":{\"A\":[1]}}", &d, &err), CAIRN_E_INVAL);
	assert_int_equal(parse("{\"Args\":\"x\"}", &d, &err), CAIRN_E_INVAL);
	assert_int_equal(parse("{\"SuccessBeforePassing\":1.5}", &d, &err), CAIRN_E_INVAL);
	/* null is absent; unknown keys are ignored; "" status is absent */
	assert_int_equal(
	    parse("{\"Name\":null,\"Bogus\":1,\"Status\":\"\",\"TTL\":\"1s\"}", &d, &err), 0);
	assert_null(d.name);
	assert_false(d.has_status);
	checkdef_free(&d);
	buf_free(&err);
}

static void test_validate(void **state)
{
	struct buf err = BUF_INIT;
	assert_int_equal(parse_validate("{\"HTTP\":\"http://x\"}", &err), CAIRN_E_INVAL);
	assert_string_equal(
	    err.data,
	    "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks");
	assert_int_equal(parse_validate("{\"TTL\":\"10s\",\"Interval\":\"10s\"}", &err),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data, "Interval and TTL cannot both be specified");
	assert_int_equal(parse_validate("{\"Name\":\"x\"}", &err), CAIRN_E_INVAL);
	assert_string_equal(err.data, "TTL must be > 0 for TTL checks");
	assert_int_equal(
	    parse_validate("{\"AliasService\":\"web\",\"TCP\":\"a:1\",\"Interval\":\"1s\"}", &err),
	    CAIRN_E_INVAL);
	assert_string_equal(err.data, "Interval cannot be set for Alias checks");
	assert_int_equal(parse_validate("{\"AliasService\":\"web\",\"TTL\":\"1s\"}", &err),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data, "TTL must be not be set for Alias checks");
	assert_int_equal(parse_validate("{\"TTL\":\"1s\",\"OutputMaxSize\":-1}", &err),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data, "MaxOutputMaxSize must be positive");
	assert_int_equal(parse_validate("{\"TTL\":\"1s\",\"FailuresBeforeWarning\":2}", &err),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data,
			    "FailuresBeforeWarning can't be higher than FailuresBeforeCritical");
	assert_int_equal(
	    parse_validate("{\"Script\":\"true\",\"Args\":[\"true\"],\"Interval\":\"1s\"}", &err),
	    CAIRN_E_INVAL);
	assert_string_equal(err.data, "Cannot have both script and args");
	buf_reset(&err);
	assert_int_equal(parse_validate("{\"AliasService\":\"web\"}", &err), 0);
	assert_int_equal(parse_validate("{\"TCP\":\"a:1\",\"Interval\":\"10s\"}", &err), 0);
	assert_int_equal(parse_validate("{\"UDP\":\"a:1\",\"Interval\":\"10s\"}", &err), 0);
	assert_int_equal(parse_validate("{\"TTL\":\"30s\"}", &err), 0);
	buf_free(&err);
}

static void test_allowed(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(parse("{\"Args\":[\"true\"],\"Interval\":\"1s\"}", &d, &err), 0);
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_REMOTE, false, true, &err),
			 CAIRN_E_PERM);
	assert_string_equal(err.data, "Scripts are disabled on this agent from remote calls; to "
				      "enable, configure 'enable_script_checks' to true");
	buf_reset(&err);
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_LOCAL, false, false, &err),
			 CAIRN_E_PERM);
	assert_string_equal(err.data,
			    "Scripts are disabled on this agent; to enable, configure "
			    "'enable_script_checks' or 'enable_local_script_checks' to true");
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_LOCAL, false, true, NULL), 0);
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_LOCAL, true, false, NULL), 0);
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_REMOTE, true, false, NULL), 0);
	checkdef_free(&d);
	/* non-script checks are always allowed */
	assert_int_equal(parse("{\"TTL\":\"1s\"}", &d, &err), 0);
	assert_int_equal(checkdef_allowed(&d, CHECK_SOURCE_REMOTE, false, false, NULL), 0);
	checkdef_free(&d);
	buf_free(&err);
}

static void test_defaults(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(parse("{\"TTL\":\"1s\"}", &d, &err), 0);
	checkdef_set_service_defaults(&d, "web1", "web", 0, 1);
	assert_string_equal(d.id, "service:web1");
	assert_string_equal(d.name, "Service 'web' check");
	assert_string_equal(d.service_id, "web1");
	checkdef_free(&d);
	assert_int_equal(parse("{\"TTL\":\"1s\"}", &d, &err), 0);
	checkdef_set_service_defaults(&d, "web1", "web", 1, 3);
	assert_string_equal(d.id, "service:web1:2");
	checkdef_free(&d);
	assert_int_equal(parse("{\"TTL\":\"1s\",\"id\":\"mine\",\"name\":\"N\"}", &d, &err), 0);
	checkdef_set_service_defaults(&d, "web1", "web", 0, 2);
	assert_string_equal(d.id, "mine");
	assert_string_equal(d.name, "N");
	checkdef_free(&d);
	assert_int_equal(parse("{\"TTL\":\"1s\",\"name\":\"mem\"}", &d, &err), 0);
	checkdef_set_check_defaults(&d);
	assert_string_equal(d.id, "mem");
	checkdef_free(&d);
	assert_int_equal(parse("{}", &d, &err), 0);
	assert_true(checkdef_empty(&d));
	checkdef_free(&d);
	assert_int_equal(parse("{\"name\":\"x\"}", &d, &err), 0);
	assert_false(checkdef_empty(&d));
	checkdef_free(&d);
	buf_free(&err);
}

static void test_kinds(void **state)
{
	static const struct {
		const char *json, *kind;
	} cases[] = {
	    {"{\"TTL\":\"1s\"}", "ttl"},
	    {"{\"HTTP\":\"http://x\",\"Interval\":\"1s\"}", "http"},
	    {"{\"TCP\":\"x:1\",\"Interval\":\"1s\"}", "tcp"},
	    {"{\"UDP\":\"x:1\",\"Interval\":\"1s\"}", "udp"},
	    {"{\"GRPC\":\"x:1\",\"Interval\":\"1s\"}", "grpc"},
	    {"{\"H2PING\":\"x:1\",\"Interval\":\"1s\"}", "h2ping"},
	    {"{\"AliasNode\":\"n1\"}", "alias"},
	    {"{\"Args\":[\"x\"],\"Interval\":\"1s\"}", "script"},
	    {"{\"Script\":\"x\",\"Interval\":\"1s\"}", "script"},
	    {"{\"Args\":[\"x\"],\"DockerContainerID\":\"c\",\"Interval\":\"1s\"}", "docker"},
	    {"{\"OSService\":\"sshd\",\"Interval\":\"1s\"}", "os_service"},
	    {"{\"HTTP\":\"http://x\"}", ""},
	};
	struct buf err = BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct checkdef d;
		assert_int_equal(parse(cases[i].json, &d, &err), 0);
		assert_string_equal(check_kind_name(checkdef_kind(&d)), cases[i].kind);
		checkdef_free(&d);
	}
	buf_free(&err);
}

static void test_definition_json(void **state)
{
	struct checkdef d;
	struct buf err = BUF_INIT, out = BUF_INIT;
	assert_int_equal(parse("{\"HTTP\":\"http://x/\",\"Interval\":\"10s\",\"Timeout\":\"1s\","
			       "\"Header\":{\"Zed\":[\"z\"],\"Accept\":[\"a\",\"b\"]},"
			       "\"Method\":\"GET\",\"TLSSkipVerify\":true}",
			       &d, &err),
			 0);
	struct jsonw w;
	jsonw_init(&w, &out, false);
	checkdef_write_definition(&d, &w);
	assert_string_equal(out.data, "{\"Interval\":\"10s\",\"Timeout\":\"1s\",\"HTTP\":\"http://"
				      "x/\",\"TLSSkipVerify\":true,\"Header\":{\"Accept\":[\"a\","
				      "\"b\"],\"Zed\":[\"z\"]},\"Method\":\"GET\"}");
	checkdef_free(&d);
	buf_reset(&out);
	assert_int_equal(parse("{\"TTL\":\"15s\"}", &d, &err), 0);
	jsonw_init(&w, &out, false);
	checkdef_write_definition(&d, &w);
	assert_string_equal(out.data, "{\"TTL\":15000000000}");
	checkdef_free(&d);
	buf_reset(&out);
	checkdef_format_duration(&out, 0);
	assert_string_equal(buf_cstr(&out), "");
	checkdef_format_duration(&out, 90 * DUR_SEC);
	assert_string_equal(buf_cstr(&out), "1m30s");
	buf_free(&out);
	buf_free(&err);
}

/* write_json output parses back to the same definition. */
static void test_roundtrip(void **state)
{
	const char *in = "{\"ID\":\"c\",\"Name\":\"n\",\"Notes\":\"x\",\"ServiceID\":\"s\","
			 "\"Status\":\"warning\",\"HTTP\":\"https://h/\",\"Method\":\"PUT\","
			 "\"Header\":{\"B\":[\"1\"],\"A\":[\"\",\"2\"]},\"Body\":\"{}\","
			 "\"Interval\":\"1m30s\",\"Timeout\":\"1.5s\",\"TLSSkipVerify\":true,"
			 "\"TLSServerName\":\"sni\",\"DisableRedirects\":true,"
			 "\"DeregisterCriticalServiceAfter\":\"2h\",\"SuccessBeforePassing\":2,"
			 "\"FailuresBeforeWarning\":1,\"FailuresBeforeCritical\":4,"
			 "\"OutputMaxSize\":77,\"H2PING\":\"h:1\",\"H2PingUseTLS\":false}";
	struct checkdef a, b, copy;
	struct buf err = BUF_INIT, j1 = BUF_INIT, j2 = BUF_INIT, j3 = BUF_INIT;
	assert_int_equal(parse(in, &a, &err), 0);
	struct jsonw w;
	jsonw_init(&w, &j1, false);
	checkdef_write_json(&a, &w);
	assert_int_equal(parse(j1.data, &b, &err), 0);
	jsonw_init(&w, &j2, false);
	checkdef_write_json(&b, &w);
	assert_string_equal(j1.data, j2.data);
	assert_false(b.h2ping_use_tls);
	assert_int_equal(b.timeout, 1500 * DUR_MS);
	checkdef_copy(&copy, &b);
	checkdef_free(&b);
	jsonw_init(&w, &j3, false);
	checkdef_write_json(&copy, &w);
	assert_string_equal(j1.data, j3.data);
	checkdef_free(&copy);
	checkdef_free(&a);
	buf_free(&j1);
	buf_free(&j2);
	buf_free(&j3);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_camel_case),	       cmocka_unit_test(test_snake_case),
	    cmocka_unit_test(test_h2ping_tls_default), cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_validate),	       cmocka_unit_test(test_allowed),
	    cmocka_unit_test(test_defaults),	       cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_definition_json),    cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
