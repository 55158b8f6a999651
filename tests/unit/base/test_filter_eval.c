/*
 * Unit tests of filter evaluation (src/base/filter_eval.c, filter_regex.c)
 * and of the value tree it reads (filter_value.c): every operator on strings,
 * numbers, bools, lists, maps, nulls and missing keys; ANY over lists; regular
 * expressions; and the examples of Consul's filtering documentation run over
 * the documentation's own data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/filter.h"

#include <string.h>

/* One /v1/health/service item, shaped like Consul's JSON. */
static struct fvalue *health_item(struct fv_arena *a)
{
	struct fvalue *item = fv_new_map(a);
	struct fvalue *node = fv_map_add_map(a, item, "Node");
	fv_map_add_str(a, node, "ID", "40e4a748-2192-161a-0510-9bf59fe950b5");
	fv_map_add_str(a, node, "Node", "node-1");
	fv_map_add_str(a, node, "Address", "10.0.0.1");
	fv_map_add_str(a, node, "Datacenter", "dc1");
	struct fvalue *meta = fv_map_add_map(a, node, "Meta");
	fv_map_add_str(a, meta, "env", "prod");
	fv_map_add_str(a, meta, "rack-id", "r1");
	fv_map_add_str(a, meta, "note", "say \"hi\"\tthere");
	fv_map_add_str(a, meta, "empty", "");
	fv_map_add_str(a, meta, "brace", "x{,2}y}");

	struct fvalue *svc = fv_map_add_map(a, item, "Service");
	fv_map_add_str(a, svc, "ID", "web-1");
	fv_map_add_str(a, svc, "Service", "web");
	struct fvalue *tags = fv_map_add_list(a, svc, "Tags");
	fv_list_add_str(a, tags, "primary");
	fv_list_add_str(a, tags, "v1");
	fv_map_add_str(a, svc, "Address", "");
	fv_map_add_map(a, svc, "Meta");
	fv_map_add_int(a, svc, "Port", 8080);
	fv_map_add_bool(a, svc, "EnableTagOverride", false);
	struct fvalue *w = fv_map_add_map(a, svc, "Weights");
	fv_map_add_int(a, w, "Passing", 1);
	fv_map_add_int(a, w, "Warning", 1);
	struct fvalue *ta = fv_map_add_map(a, fv_map_add_map(a, svc, "TaggedAddresses"), "lan");
	fv_map_add_str(a, ta, "Address", "10.0.0.1");
	fv_map_add_int(a, ta, "Port", 8080);
	fv_map_put(a, svc, "Proxy"); /* null */

	struct fvalue *checks = fv_map_add_list(a, item, "Checks");
	struct fvalue *c = fv_list_add_map(a, checks);
	fv_map_add_str(a, c, "CheckID", "serfHealth");
	fv_map_add_str(a, c, "Status", "passing");
	fv_map_add_str(a, c, "ServiceID", "");
	fv_map_add_list(a, c, "ServiceTags");
	c = fv_list_add_map(a, checks);
	fv_map_add_str(a, c, "CheckID", "service:web-1");
	fv_map_add_str(a, c, "Status", "critical");
	fv_map_add_str(a, c, "ServiceID", "web-1");
	fv_list_add_str(a, fv_map_add_list(a, c, "ServiceTags"), "primary");
	fv_set_float(fv_map_put(a, c, "Score"), 0.25);
	return item;
}

struct expect {
	const char *filter;
	bool match;
};

static void check_all(const struct fvalue *item, const struct expect *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct filter *f;
		struct buf err = BUF_INIT;
		if (filter_parse(cases[i].filter, strlen(cases[i].filter), NULL, &f, &err) != 0)
			fail_msg("%s: %s", cases[i].filter, err.data);
		if (filter_match(f, item) != cases[i].match)
			fail_msg("%s: want %s", cases[i].filter,
				 cases[i].match ? "match" : "no match");
		filter_free(f);
	}
}

#define CHECK(item, cases) check_all(item, cases, sizeof(cases) / sizeof(cases[0]))

static void test_strings(void **state)
{
	static const struct expect cases[] = {
	    {"Node.Node == \"node-1\"", true},
	    {"Node.Node == `node-1`", true},
	    {"Node.Node != \"node-1\"", false},
	    {"Node.Node != \"node-2\"", true},
	    {"Node.Node == \"Node-1\"", false},
	    {"Node.Address contains \"0.0\"", true},
	    {"\"0.0.1\" in Node.Address", true},
	    {"\"0.0.2\" in Node.Address", false},
	    {"Node.Address not contains \"192\"", true},
	    {"\"\" in Node.Address", true},
	    {"Node.Meta.empty is empty", true},
	    {"Node.Meta.env is empty", false},
	    {"Node.Meta.env is not empty", true},
	    {"Node.Meta.note == \"say \\\"hi\\\"\\tthere\"", true},
	    {"Node.Meta.note == `say \"hi\"\tthere`", true},
	    {"Node.Meta[\"rack-id\"] == r1", true},
	    {"Service.Service == web", true},
	};
	struct fv_arena a = FV_ARENA_INIT;
	CHECK(health_item(&a), cases);
	fv_arena_free(&a);
	/* a bare node-1 is the selector "node" and a stray "-1", as Consul users
	 * find out (hashicorp/consul#6467): values with dashes need quotes */
	struct filter *f;
	struct buf err = BUF_INIT;
	assert_int_not_equal(filter_parse("Node.Node == node-1", 19, NULL, &f, &err), 0);
	assert_string_equal(err.data, FILTER_ERR_PREFIX "1:18 (17): no match found, expected: "
							"\"and\", \"or\" or end of input");
	buf_free(&err);
}

static void test_numbers_and_bools(void **state)
{
	static const struct expect cases[] = {
	    {"Service.Port == 8080", true},
	    {"Service.Port == \"8080\"", true},
	    {"Service.Port == 0x1f90", false}, /* a bare 0x1f90 is an invalid number literal */
	    {"Service.Port == \"0x1f90\"", true},
	    {"Service.Port == 8081", false},
	    {"Service.Port != 8081", true},
	    {"Service.Port == 8080.0", false}, /* does not coerce to an integer */
	    {"Service.Port != abc", true},
	    {"Service.Weights.Passing == 1", true},
	    {"Service.EnableTagOverride == false", true},
	    {"Service.EnableTagOverride == F", true},
	    {"Service.EnableTagOverride == 0", true},
	    {"Service.EnableTagOverride != true", true},
	    {"Service.EnableTagOverride == yes", false},
	    {"Checks.Score == 0.25", true},
	    {"Checks.Score == \"2.5e-1\"", true},
	    {"Checks.Score == 0.5", false},
	};
	struct fv_arena a = FV_ARENA_INIT;
	const struct fvalue *item = health_item(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct filter *f;
		int rc = filter_parse(cases[i].filter, strlen(cases[i].filter), NULL, &f, NULL);
		if (i == 2) { /* the bare hex literal */
			assert_int_not_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, 0);
		if (filter_match(f, item) != cases[i].match)
			fail_msg("%s", cases[i].filter);
		filter_free(f);
	}
	fv_arena_free(&a);
}

static void test_lists_and_maps(void **state)
{
	static const struct expect cases[] = {
	    {"\"primary\" in Service.Tags", true},
	    {"primary in Service.Tags", true},
	    {"Service.Tags contains v1", true},
	    {"Service.Tags contains v2", false},
	    {"Service.Tags not contains v2", true},
	    {"\"prim\" in Service.Tags", false}, /* membership, not substring */
	    {"Service.Tags is empty", false},
	    {"Service.Tags is not empty", true},
	    {"Service.Tags == primary", false}, /* == does not apply to lists */
	    {"Service.Tags != primary", true},
	    {"env in Node.Meta", true},
	    {"Node.Meta contains \"rack-id\"", true},
	    {"prod in Node.Meta", false}, /* keys, not values */
	    {"Node.Meta not contains nope", true},
	    {"Node.Meta is empty", false},
	    {"Service.Meta is empty", true},
	    {"Service.TaggedAddresses.lan.Port == 8080", true},
	    {"lan in Service.TaggedAddresses", true},
	    {"Service.Port matches \"80\"", false}, /* matches applies to strings only */
	};
	struct fv_arena a = FV_ARENA_INIT;
	CHECK(health_item(&a), cases);
	fv_arena_free(&a);
}

static void test_missing_and_null(void **state)
{
	/* go-bexpr's "not present" answers, for a missing map key and for a null */
	static const struct expect cases[] = {
	    {"Node.Meta.nope == x", false},
	    {"Node.Meta.nope != x", true},
	    {"x in Node.Meta.nope", false},
	    {"x not in Node.Meta.nope", true},
	    {"Node.Meta.nope contains x", false},
	    {"Node.Meta.nope not contains x", true},
	    {"Node.Meta.nope is empty", true},
	    {"Node.Meta.nope is not empty", false},
	    {"Node.Meta.nope matches \".*\"", false},
	    {"Node.Meta.nope not matches \".*\"", true},
	    {"Service.Proxy == x", false},
	    {"Service.Proxy != x", true},
	    {"Service.Proxy is empty", true},
	    {"Service.Proxy.DestinationServiceName == x", false},
	    {"Nope.Deeper.Still == x", false},
	    {"Nope.Deeper.Still != x", true},
	    {"Service.Port.x is empty", true}, /* walking into a number: missing */
	};
	struct fv_arena a = FV_ARENA_INIT;
	CHECK(health_item(&a), cases);
	fv_arena_free(&a);
}

static void test_any_over_lists(void **state)
{
	static const struct expect cases[] = {
	    {"Checks.Status == critical", true},
	    {"Checks.Status == passing", true},
	    {"Checks.Status == warning", false},
	    {"Checks.Status != passing", true}, /* some check is not passing */
	    {"not Checks.Status == critical", false},
	    {"Checks.CheckID == serfHealth and Checks.Status == critical", true},
	    {"Checks.ServiceTags contains primary", true},
	    {"Checks.ServiceTags is empty", true}, /* serfHealth's */
	    {"Checks.Score == 0.25", true},
	    {"Checks.Nope == x", false},
	    {"Checks.Nope != x", true},
	    {"Checks is not empty", true},
	};
	struct fv_arena a = FV_ARENA_INIT;
	CHECK(health_item(&a), cases);

	/* on an empty list every operator is false, negations included */
	static const struct expect none[] = {
	    {"Checks.Status == x", false},     {"Checks.Status != x", false},
	    {"Checks.Status is empty", false}, {"Checks.Status not contains x", false},
	    {"Checks is empty", true},
	};
	fv_arena_reset(&a);
	struct fvalue *item = fv_new_map(&a);
	fv_map_add_list(&a, item, "Checks");
	CHECK(item, none);
	fv_arena_free(&a);
}

static void test_regex(void **state)
{
	static const struct expect cases[] = {
	    {"Service.Service matches \"^w.b$\"", true},
	    {"Service.Service matches \"eb\"", true}, /* unanchored, as RE2 */
	    {"Service.Service matches \"^eb\"", false},
	    {"Service.Service not matches \"^eb\"", true},
	    {"Node.Node matches `^node-\\d+$`", true},
	    {"Node.Node matches `^node-\\D+$`", false},
	    {"Node.Node matches \"(?i)^NODE-1$\"", true},
	    {"Node.Node matches \"^NODE-1$\"", false},
	    {"Service.ID matches \"^(?:web|api)-[[:digit:]]+$\"", true},
	    {"Service.ID matches \"^(?P<name>[a-z]+)-1$\"", true},
	    {"Service.ID matches \"^web-.+?$\"", true},
	    {"Service.ID matches `^[\\w]+-[\\d]$`", true},
	    {"Service.ID matches `^[a\\-z]+`", false}, /* a, - or z; "w" is none */
	    {"Service.ID matches `^[\\]w]`", true},
	    {"Node.Address matches `^10\\.0\\.`", true},
	    {"Node.Meta.note matches \"\\\"hi\\\"\\t\"", true},
	    {"Node.Node matches `\\Anode-1\\z`", true},
	    {"Checks.Status matches \"^crit\"", true}, /* ANY */
	    {"Node.Node matches \"\"", true},
	    {"Node.Meta.brace matches \"^x{,2}y}$\"", true}, /* braces that are no count */
	    {"Node.Meta.brace matches `^x\\{,2\\}y\\}$`", true},
	    {"Node.Meta.note matches `\\x22hi\\x{22}\\t`", true},
	    {"Node.Meta.note matches `^\\163ay`", true},
	    {"Service.ID matches \"^we{1}b{1,}-1{0,1}$\"", true},
	    {"Service.ID matches \"^(w|x)(e)(b)[-]\\\\d\"", true}, /* the string's \\ is one \ */
	    {"Node.Node matches \"^[^a-c]+-1$\"", true},
	    {"Node.Node matches \"^[\\\\^x]\"", false},
	};
	struct fv_arena a = FV_ARENA_INIT;
	CHECK(health_item(&a), cases);

	/* values are counted: a NUL byte does not end them */
	fv_arena_reset(&a);
	struct fvalue *item = fv_new_map(&a);
	fv_set_strn(&a, fv_map_put(&a, item, "K"), "a\0b", 3);
	static const struct expect nul[] = {
	    {"K matches \"b$\"", true},
	    {"K == \"a\\x00b\"", true},
	    {"K contains \"\\x00\"", true},
	};
	CHECK(item, nul);
	fv_arena_free(&a);
}

/* The documentation's examples (api-docs/features/filtering), on its data. */
static void test_consul_examples(void **state)
{
	struct fv_arena a = FV_ARENA_INIT;
	struct filter *f;
	static const char *const ids[] = {"redis1", "redis2", "redis3"};
	static const char *const tags[][2] = {
	    {"primary", "production"}, {"secondary", "production"}, {"primary", "qa"}};
	static const char *const envs[] = {"production", "production", "qa"};
	const char *q = "Meta.env == \"qa\"";
	assert_int_equal(filter_parse(q, strlen(q), NULL, &f, NULL), 0);
	int hits = 0;
	for (int i = 0; i < 3; i++) {
		fv_arena_reset(&a);
		struct fvalue *s = fv_new_map(&a);
		fv_map_add_str(&a, s, "ID", ids[i]);
		fv_map_add_str(&a, s, "Service", "redis");
		struct fvalue *t = fv_map_add_list(&a, s, "Tags");
		fv_list_add_str(&a, t, tags[i][0]);
		fv_list_add_str(&a, t, tags[i][1]);
		fv_map_add_str(&a, fv_map_add_map(&a, s, "Meta"), "env", envs[i]);
		fv_map_add_int(&a, s, "Port", 1234 + (i == 1));
		if (filter_match(f, s)) {
			hits++;
			assert_int_equal(i, 2);
		}
	}
	assert_int_equal(hits, 1);
	filter_free(f);

	/* catalog: NodeMeta.os == "linux" keeps node-2 only */
	q = "NodeMeta.os == \"linux\"";
	assert_int_equal(filter_parse(q, strlen(q), NULL, &f, NULL), 0);
	static const char *const os[] = {"darwin", "linux", "freebsd"};
	for (int i = 0; i < 3; i++) {
		fv_arena_reset(&a);
		struct fvalue *s = fv_new_map(&a);
		fv_map_add_str(&a, fv_map_add_map(&a, s, "NodeMeta"), "os", os[i]);
		fv_map_put(&a, s, "TaggedAddresses");
		assert_int_equal(filter_match(f, s), i == 1);
	}
	filter_free(f);

	/* health: ServiceName != "" keeps service checks */
	q = "ServiceName != \"\"";
	assert_int_equal(filter_parse(q, strlen(q), NULL, &f, NULL), 0);
	fv_arena_reset(&a);
	struct fvalue *c = fv_new_map(&a);
	fv_map_add_str(&a, c, "ServiceName", "");
	assert_false(filter_match(f, c));
	fv_arena_reset(&a);
	c = fv_new_map(&a);
	fv_map_add_str(&a, c, "ServiceName", "web");
	assert_true(filter_match(f, c));
	filter_free(f);

	/* the example, and the precedence example */
	static const struct expect health[] = {
	    {"Service.Tags contains \"primary\" and Node.Meta.env == \"prod\"", true},
	    {"Service.Tags contains \"primary\" and Node.Meta.env == \"qa\"", false},
	    {"Service.Port == 1 or Service.Port == 8080 and Node.Node == nope", false},
	    {"(Service.Port == 1 or Service.Port == 8080) and Node.Node == \"node-1\"", true},
	    {"not Service.Port == 1 and Node.Node == \"node-1\"", true},
	    {"not (Service.Port == 8080 and Node.Node == \"node-1\")", false},
	    {"Service.Port == 8080 and not Node.Node == nope or Service.Port == 1", true},
	};
	fv_arena_reset(&a);
	CHECK(health_item(&a), health);
	fv_arena_free(&a);
}

static void test_arena(void **state)
{
	struct fv_arena a = FV_ARENA_INIT;
	fv_arena_reset(&a); /* fresh: a no-op */
	for (int round = 0; round < 3; round++) {
		struct fvalue *list = fv_new_list(&a);
		char big[10000];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for (int i = 0; i < 200; i++)
			fv_list_add_str(&a, list, i == 100 ? big : "v");
		assert_int_equal(list->u.kids.n, 200);
		fv_arena_reset(&a);
	}
	assert_non_null(a.chunks);
	/* borrowed strings, and lookups see the first of a repeated key */
	struct fvalue *m = fv_new_map(&a);
	fv_set_str_ref(fv_map_put(&a, m, "k"), "first");
	fv_map_add_str(&a, m, "k", "second");
	fv_set_str_ref(fv_map_put(&a, m, "n"), NULL);
	const struct fvalue *k = fv_map_get(m, "k", 1);
	assert_non_null(k);
	assert_string_equal(k->u.str.s, "first");
	assert_int_equal(fv_map_get(m, "n", 1)->kind, FV_NULL);
	assert_null(fv_map_get(m, "nope", 4));
	assert_null(fv_map_get(k, "k", 1));
	fv_arena_free(&a);
	fv_arena_free(&a); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),	    cmocka_unit_test(test_numbers_and_bools),
	    cmocka_unit_test(test_lists_and_maps),  cmocka_unit_test(test_missing_and_null),
	    cmocka_unit_test(test_any_over_lists),  cmocka_unit_test(test_regex),
	    cmocka_unit_test(test_consul_examples), cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
