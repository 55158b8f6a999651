/*
 * Unit tests for the catalog JSON renderers (api/catalog_json.c) against fixed
 * entries: Consul's field order for Node, ServiceNode, NodeService, HealthCheck and
 * CheckServiceNode, [] for empty tag lists, null for empty maps, the omitempty fields,
 * the defaults of absent Proxy/Connect/Definition, re-indentation of stored JSON under
 * pretty printing; and the shape of the filter value trees (api/filter_items.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/catalog_json.h"
#include "api/filter_items.h"

static struct cat_pair tagged[] = {{"lan", "10.0.0.1"}, {"wan", "1.2.3.4"}};
static struct cat_pair nmeta[] = {{"consul-network-segment", ""}};

static struct cat_node node = {
    .create_index = 5,
    .modify_index = 7,
    .id = "40e4a748-2192-161a-0510-9bf59fe950b5",
    .name = "n1",
    .address = "10.0.0.1",
    .datacenter = "dc1",
    .tagged = tagged,
    .ntagged = 2,
    .meta = nmeta,
    .nmeta = 1,
};

static const char *web_tags[] = {"primary", "v1"};
static struct cat_svc_addr web_addrs[] = {{"lan", "10.0.0.1", 80}};
static struct cat_pair web_meta[] = {{"env", "prod"}};

static struct cat_service web = {
    .create_index = 10,
    .modify_index = 11,
    .node = "n1",
    .id = "web-1",
    .name = "web",
    .kind = "",
    .tags = web_tags,
    .ntags = 2,
    .address = "10.0.0.9",
    .tagged = web_addrs,
    .ntagged = 1,
    .meta = web_meta,
    .nmeta = 1,
    .port = 80,
    .socket_path = "",
    .weight_passing = 1,
    .weight_warning = 1,
};

/* A bare service: no tags, maps, port, proxy or connect. */
static struct cat_service bare = {
    .create_index = 3,
    .modify_index = 3,
    .node = "n1",
    .id = "db",
    .name = "db",
    .kind = "",
    .address = "",
    .socket_path = "",
    .weight_passing = 1,
    .weight_warning = 1,
};

static struct cat_check serf = {
    .create_index = 6,
    .modify_index = 6,
    .node = "n1",
    .id = "serfHealth",
    .name = "Serf Health Status",
    .status = CAT_PASSING,
    .notes = "",
    .output = "Agent alive and reachable",
    .service_id = "",
    .service_name = "",
    .type = "",
    .interval = "",
    .timeout = "",
};

static struct cat_check web_check = {
    .create_index = 12,
    .modify_index = 13,
    .node = "n1",
    .id = "service:web-1",
    .name = "Service 'web' check",
    .status = CAT_CRITICAL,
    .notes = "",
    .output = "HTTP GET http://localhost/: 500",
    .service_id = "web-1",
    .service_name = "web",
    .service_tags = web_tags,
    .nservice_tags = 2,
    .type = "http",
    .interval = "10s",
    .timeout = "1s",
    .definition_json = "{\"Interval\":\"10s\",\"HTTP\":\"http://localhost/\"}",
};

static void render(struct buf *out, bool pretty, void (*fn)(struct jsonw *, const void *),
		   const void *arg)
{
	struct jsonw w;
	buf_reset(out);
	jsonw_init(&w, out, pretty);
	fn(&w, arg);
}

static void node_fn(struct jsonw *w, const void *arg)
{
	catalog_json_node(w, arg);
}

static void test_node(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, false, node_fn, &node);
	assert_string_equal(out.data,
			    "{\"ID\":\"40e4a748-2192-161a-0510-9bf59fe950b5\",\"Node\":\"n1\","
			    "\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\","
			    "\"TaggedAddresses\":{\"lan\":\"10.0.0.1\",\"wan\":\"1.2.3.4\"},"
			    "\"Meta\":{\"consul-network-segment\":\"\"},"
			    "\"CreateIndex\":5,\"ModifyIndex\":7}");
	struct cat_node empty = node;
	empty.json = (struct cat_json){0}; /* a copy must not share the cache */
	empty.ntagged = empty.nmeta = 0;
	empty.id = "";
	render(&out, false, node_fn, &empty);
	free(empty.json.text); /* the copy's own cache */
	assert_string_equal(out.data, "{\"ID\":\"\",\"Node\":\"n1\",\"Address\":\"10.0.0.1\","
				      "\"Datacenter\":\"dc1\",\"TaggedAddresses\":null,"
				      "\"Meta\":null,\"CreateIndex\":5,\"ModifyIndex\":7}");
	buf_free(&out);
}

static void service_node_fn(struct jsonw *w, const void *arg)
{
	catalog_json_service_node(w, &node, arg);
}

static void test_service_node(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, false, service_node_fn, &web);
	assert_string_equal(
	    out.data,
	    "{\"ID\":\"40e4a748-2192-161a-0510-9bf59fe950b5\",\"Node\":\"n1\","
	    "\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\","
	    "\"TaggedAddresses\":{\"lan\":\"10.0.0.1\",\"wan\":\"1.2.3.4\"},"
	    "\"NodeMeta\":{\"consul-network-segment\":\"\"},"
	    "\"ServiceKind\":\"\",\"ServiceID\":\"web-1\",\"ServiceName\":\"web\","
	    "\"ServiceTags\":[\"primary\",\"v1\"],\"ServiceAddress\":\"10.0.0.9\","
	    "\"ServiceTaggedAddresses\":{\"lan\":{\"Address\":\"10.0.0.1\",\"Port\":80}},"
	    "\"ServiceWeights\":{\"Passing\":1,\"Warning\":1},"
	    "\"ServiceMeta\":{\"env\":\"prod\"},\"ServicePort\":80,\"ServiceSocketPath\":\"\","
	    "\"ServiceEnableTagOverride\":false,"
	    "\"ServiceProxy\":{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}},"
	    "\"ServiceConnect\":{},\"ServiceLocality\":null,"
	    "\"CreateIndex\":10,\"ModifyIndex\":11}");
	render(&out, false, service_node_fn, &bare);
	assert_non_null(strstr(out.data, "\"ServiceTags\":[],\"ServiceAddress\":\"\","
					 "\"ServiceWeights\":"));
	assert_non_null(strstr(out.data, "\"ServiceMeta\":null,\"ServicePort\":0,"));
	assert_null(strstr(out.data, "ServiceTaggedAddresses"));
	buf_free(&out);
}

static void node_service_fn(struct jsonw *w, const void *arg)
{
	catalog_json_node_service(w, arg);
}

static void test_node_service(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, false, node_service_fn, &web);
	assert_string_equal(
	    out.data, "{\"ID\":\"web-1\",\"Service\":\"web\",\"Tags\":[\"primary\",\"v1\"],"
		      "\"Address\":\"10.0.0.9\","
		      "\"TaggedAddresses\":{\"lan\":{\"Address\":\"10.0.0.1\",\"Port\":80}},"
		      "\"Meta\":{\"env\":\"prod\"},\"Port\":80,"
		      "\"Weights\":{\"Passing\":1,\"Warning\":1},\"EnableTagOverride\":false,"
		      "\"Proxy\":{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}},"
		      "\"Connect\":{},\"PeerName\":\"\",\"CreateIndex\":10,\"ModifyIndex\":11}");
	/* omitempty: Kind, TaggedAddresses, Port, SocketPath, Locality */
	render(&out, false, node_service_fn, &bare);
	assert_string_equal(
	    out.data, "{\"ID\":\"db\",\"Service\":\"db\",\"Tags\":[],\"Address\":\"\","
		      "\"Meta\":null,\"Weights\":{\"Passing\":1,\"Warning\":1},"
		      "\"EnableTagOverride\":false,"
		      "\"Proxy\":{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}},"
		      "\"Connect\":{},\"PeerName\":\"\",\"CreateIndex\":3,\"ModifyIndex\":3}");
	struct cat_service proxy = bare;
	proxy.json = (struct cat_json){0}; /* a copy must not share the cache */
	proxy.kind = "connect-proxy";
	proxy.port = 21000;
	proxy.socket_path = "/run/s";
	proxy.proxy_json = "{\"DestinationServiceName\":\"db\",\"Mode\":\"\"}";
	proxy.connect_json = "{\"Native\":true}";
	proxy.locality_json = "{\"Region\":\"r\"}";
	render(&out, false, node_service_fn, &proxy);
	free(proxy.json.text); /* the copy's own cache */
	assert_string_equal(out.data,
			    "{\"Kind\":\"connect-proxy\",\"ID\":\"db\",\"Service\":\"db\","
			    "\"Tags\":[],\"Address\":\"\",\"Meta\":null,\"Port\":21000,"
			    "\"SocketPath\":\"/run/s\",\"Weights\":{\"Passing\":1,\"Warning\":1},"
			    "\"EnableTagOverride\":false,\"Locality\":{\"Region\":\"r\"},"
			    "\"Proxy\":{\"DestinationServiceName\":\"db\",\"Mode\":\"\"},"
			    "\"Connect\":{\"Native\":true},\"PeerName\":\"\","
			    "\"CreateIndex\":3,\"ModifyIndex\":3}");
	buf_free(&out);
}

static void check_fn(struct jsonw *w, const void *arg)
{
	catalog_json_check(w, arg);
}

static void test_check(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, false, check_fn, &serf);
	assert_string_equal(
	    out.data, "{\"Node\":\"n1\",\"CheckID\":\"serfHealth\","
		      "\"Name\":\"Serf Health Status\",\"Status\":\"passing\",\"Notes\":\"\","
		      "\"Output\":\"Agent alive and reachable\",\"ServiceID\":\"\","
		      "\"ServiceName\":\"\",\"ServiceTags\":[],\"Type\":\"\",\"Interval\":\"\","
		      "\"Timeout\":\"\",\"ExposedPort\":0,\"Definition\":{},"
		      "\"CreateIndex\":6,\"ModifyIndex\":6}");
	render(&out, false, check_fn, &web_check);
	assert_string_equal(
	    out.data, "{\"Node\":\"n1\",\"CheckID\":\"service:web-1\","
		      "\"Name\":\"Service 'web' check\",\"Status\":\"critical\",\"Notes\":\"\","
		      "\"Output\":\"HTTP GET http://localhost/: 500\",\"ServiceID\":\"web-1\","
		      "\"ServiceName\":\"web\",\"ServiceTags\":[\"primary\",\"v1\"],"
		      "\"Type\":\"http\",\"Interval\":\"10s\",\"Timeout\":\"1s\","
		      "\"ExposedPort\":0,"
		      "\"Definition\":{\"Interval\":\"10s\",\"HTTP\":\"http://localhost/\"},"
		      "\"CreateIndex\":12,\"ModifyIndex\":13}");
	buf_free(&out);
}

static void csn_fn(struct jsonw *w, const void *arg)
{
	const struct cat_check *checks[] = {&serf, &web_check};
	catalog_json_check_service_node(w, &node, arg, checks, arg == &web ? 2 : 0);
}

static void test_check_service_node(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, false, csn_fn, &web);
	assert_true(strncmp(out.data, "{\"Node\":{\"ID\":\"40e4a748", 22) == 0);
	assert_non_null(strstr(out.data, "\"ModifyIndex\":7},\"Service\":{\"ID\":\"web-1\""));
	assert_non_null(strstr(out.data, "\"ModifyIndex\":11},\"Checks\":[{\"Node\":\"n1\","
					 "\"CheckID\":\"serfHealth\""));
	assert_non_null(strstr(out.data, "},{\"Node\":\"n1\",\"CheckID\":\"service:web-1\""));
	assert_true(out.data[out.len - 1] == '}' && out.data[out.len - 2] == ']');
	render(&out, false, csn_fn, &bare);
	assert_non_null(strstr(out.data, "\"Checks\":[]}"));
	buf_free(&out);
}

static void test_pretty(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	render(&out, true, node_service_fn, &bare);
	assert_non_null(strstr(out.data, "    \"Tags\": [],\n"));
	assert_non_null(strstr(out.data, "    \"Proxy\": {\n"
					 "        \"Mode\": \"\",\n"
					 "        \"MeshGateway\": {},\n"
					 "        \"Expose\": {}\n"
					 "    },\n"
					 "    \"Connect\": {},\n"));
	struct jsonw w;
	buf_reset(&out);
	jsonw_init(&w, &out, true);
	catalog_json_raw(&w, "{\"a\":[1,2.5,true,null,\"x\"],\"b\":{}}", "{}");
	assert_string_equal(out.data, "{\n    \"a\": [\n        1,\n        2.5,\n        true,\n"
				      "        null,\n        \"x\"\n    ],\n    \"b\": {}\n}");
	buf_free(&out);
}

/* Compact output is cached on the entry; a second rendering comes from the cache
 * and is identical, inside a container too; pretty output never uses it. */
static void test_cache(void **state)
{
	(void)state;
	struct cat_check c = web_check;
	c.json = (struct cat_json){0};
	struct buf first = BUF_INIT, again = BUF_INIT;
	render(&first, false, check_fn, &c);
	assert_non_null(c.json.text);
	assert_int_equal(c.json.len, first.len);
	assert_string_equal(c.json.text, first.data);
	render(&again, false, check_fn, &c);
	assert_string_equal(again.data, first.data);
	struct jsonw w;
	buf_reset(&again);
	jsonw_init(&w, &again, false);
	jsonw_arr_open(&w);
	catalog_json_check(&w, &c);
	catalog_json_check(&w, &c);
	jsonw_arr_close(&w);
	struct buf want = BUF_INIT;
	buf_printf(&want, "[%s,%s]", first.data, first.data);
	assert_string_equal(again.data, want.data);
	render(&again, true, check_fn, &c);
	assert_non_null(strstr(again.data, "\n    \"CheckID\": "));
	free(c.json.text);
	buf_free(&first);
	buf_free(&again);
	buf_free(&want);
}

static const char *str_at(const struct fvalue *v, const char *k1, const char *k2)
{
	const struct fvalue *x = fv_map_get(v, k1, strlen(k1));
	if (x && k2)
		x = fv_map_get(x, k2, strlen(k2));
	return x && x->kind == FV_STR ? x->u.str.s : NULL;
}

static void test_filter_items(void **state)
{
	(void)state;
	struct fv_arena a = FV_ARENA_INIT;
	const struct cat_check *checks[] = {&serf, &web_check};
	struct fvalue *v = fitem_check_service_node(&a, &node, &web, checks, 2);
	assert_string_equal(str_at(v, "Node", "Node"), "n1");
	assert_string_equal(str_at(v, "Service", "Service"), "web");
	assert_string_equal(str_at(v, "Service", "Kind"), "");
	const struct fvalue *meta = fv_map_get(fv_map_get(v, "Service", 7), "Meta", 4);
	assert_string_equal(str_at(meta, "env", NULL), "prod");
	const struct fvalue *proxy = fv_map_get(fv_map_get(v, "Service", 7), "Proxy", 5);
	assert_string_equal(str_at(proxy, "DestinationServiceName", NULL), "");
	assert_string_equal(str_at(proxy, "MeshGateway", "Mode"), "");
	const struct fvalue *cl = fv_map_get(v, "Checks", 6);
	assert_int_equal(cl->kind, FV_LIST);
	assert_int_equal(cl->u.kids.n, 2);
	assert_string_equal(str_at(&cl->u.kids.tail->v, "Status", NULL), "critical");
	fv_arena_reset(&a);

	v = fitem_service_node(&a, &node, &bare);
	assert_int_equal(fv_map_get(v, "ServiceMeta", 11)->kind, FV_NULL);
	assert_int_equal(fv_map_get(v, "ServiceTags", 11)->kind, FV_LIST);
	assert_string_equal(str_at(v, "NodeMeta", "consul-network-segment"), "");
	fv_arena_reset(&a);

	struct cat_service p = bare;
	p.json = (struct cat_json){0}; /* a copy must not share the cache */
	p.proxy_json = "{\"DestinationServiceName\":\"web\",\"LocalServicePort\":8080,"
		       "\"Upstreams\":[{\"DestinationName\":\"db\",\"LocalBindPort\":9000}]}";
	v = fitem_node_service(&a, &p);
	proxy = fv_map_get(v, "Proxy", 5);
	assert_string_equal(str_at(proxy, "DestinationServiceName", NULL), "web");
	assert_int_equal(fv_map_get(proxy, "LocalServicePort", 16)->u.i, 8080);
	const struct fvalue *ups = fv_map_get(proxy, "Upstreams", 9);
	assert_int_equal(ups->u.kids.n, 1);
	assert_string_equal(str_at(&ups->u.kids.head->v, "DestinationName", NULL), "db");
	fv_arena_free(&a);
}

static bool matches(const char *expr, const struct filter_field *schema, const struct fvalue *v)
{
	struct filter *f = NULL;
	struct buf err = BUF_INIT;
	int rc = filter_parse(expr, strlen(expr), schema, &f, &err);
	if (rc != 0)
		print_error("%s: %s\n", expr, buf_cstr(&err));
	assert_int_equal(rc, 0);
	bool ok = filter_match(f, v);
	filter_free(f);
	buf_free(&err);
	return ok;
}

static void test_filter_schemas(void **state)
{
	(void)state;
	struct fv_arena a = FV_ARENA_INIT;
	const struct cat_check *checks[] = {&serf, &web_check};
	const struct fvalue *v = fitem_check_service_node(&a, &node, &web, checks, 2);
	const struct filter_field *s = filter_check_service_node_fields;
	assert_true(matches("Service.Meta.env == prod and Checks.Status == critical", s, v));
	assert_true(matches("\"primary\" in Service.Tags and Service.Port == 80", s, v));
	assert_true(matches("Node.TaggedAddresses.wan == \"1.2.3.4\"", s, v));
	assert_true(matches("Service.Proxy.DestinationServiceName == \"\"", s, v));
	assert_true(matches("Service.TaggedAddresses.lan.Port == 80", s, v));
	assert_false(matches("Service.Weights.Passing != 1", s, v));
	assert_true(matches("Checks.ServiceTags contains v1", s, v));

	v = fitem_node(&a, &node);
	assert_true(matches("Meta[\"consul-network-segment\"] is empty", filter_node_fields, v));
	assert_true(matches("Node matches \"^n[0-9]$\"", filter_node_fields, v));
	v = fitem_service_node(&a, &node, &web);
	assert_true(matches("ServiceName == web and NodeMeta is not empty and "
			    "ServiceConnect.Native == false",
			    filter_service_node_fields, v));
	v = fitem_node_service(&a, &bare);
	assert_true(matches("Meta is empty and Tags is empty and Port == 0",
			    filter_node_service_fields, v));
	v = fitem_check(&a, &web_check);
	assert_true(matches("Status == critical and ServiceName == web and ExposedPort == 0",
			    filter_check_fields, v));

	/* a selector the item type lacks is refused, as Consul does */
	struct filter *f = NULL;
	struct buf err = BUF_INIT;
	assert_int_not_equal(filter_parse("Nope == 1", 9, filter_check_fields, &f, &err), 0);
	assert_null(f);
	assert_true(strncmp(err.data, FILTER_ERR_PREFIX, strlen(FILTER_ERR_PREFIX)) == 0);
	buf_free(&err);
	fv_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_node),
	    cmocka_unit_test(test_service_node),
	    cmocka_unit_test(test_node_service),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_check_service_node),
	    cmocka_unit_test(test_pretty),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_filter_items),
	    cmocka_unit_test(test_filter_schemas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
