/*
 * Catalog registration semantics (Consul's /v1/catalog/register and
 * /deregister): what is stored, defaults, orders, case folding, Consul's error
 * messages, node renames by ID and name conflicts, deregistration precedence.
 */
#include "test_catalog_helpers.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

/* Register r at index and return the message (or NULL); rc in *rc. */
static char *reg_why(struct store *s, uint64_t index, const struct cat_register *r, int *rc)
{
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, index);
	*rc = catalog_txn_register(t, r, &why);
	if (*rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return why;
}

static void expect_error(struct store *s, uint64_t index, const struct cat_register *r, int code,
			 const char *text)
{
	int rc;
	char *before = dump_catalog(s);
	char *why = reg_why(s, index, r, &rc);
	assert_int_equal(rc, code);
	assert_non_null(why);
	assert_string_equal(why, text);
	char *after = dump_catalog(s);
	/* the failed entry still advances the store index: compare past line 1 */
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	free(why);
	free(before);
	free(after);
}

static void test_register_full(void **state)
{
	struct store *s = store_new();
	struct cat_pair tagged[] = {{"wan", "10.0.0.1"}, {"lan", "192.168.0.1"}};
	struct cat_pair meta[] = {{"rack", "r1"}, {"env", "old"}, {"env", "prod"}};
	struct cat_node n = node_tmpl("web-1", "192.168.0.1");
	n.id = "40e4a748-2192-161a-0510-9bf59fe950b5";
	n.tagged = tagged;
	n.ntagged = 2;
	n.meta = meta;
	n.nmeta = 3;
	const char *tags[] = {"v1", "primary", "v1"};
	struct cat_svc_addr saddr[] = {{"lan_ipv4", "10.1.1.1", 81}};
	struct cat_service svc = svc_tmpl(NULL, "web", 8080);
	svc.tags = tags;
	svc.ntags = 3;
	svc.tagged = saddr;
	svc.ntagged = 1;
	svc.proxy_json = "{\"x\":1}";
	struct cat_check chk = chk_tmpl(NULL, "web", CAT_PASSING);
	chk.id = NULL;
	chk.name = "web alive";
	chk.interval = "10s";
	struct cat_register r = {&n, false, &svc, 1, &chk, 1};
	assert_int_equal(reg(s, 5, &r), 0);

	const struct cat_node *got = catalog_node(s, "WEB-1");
	assert_non_null(got);
	assert_string_equal(got->name, "web-1");
	assert_int_equal(got->create_index, 5);
	assert_int_equal(got->ntagged, 2);
	assert_string_equal(got->tagged[0].key, "lan"); /* sorted by key */
	assert_int_equal(got->nmeta, 2);		/* repeated key: last wins */
	assert_string_equal(got->meta[0].value, "prod");
	const struct cat_service *gs = catalog_node_service(s, "web-1", "WEB");
	assert_non_null(gs);
	assert_string_equal(gs->id, "web"); /* ID defaults to the name */
	assert_int_equal(gs->ntags, 3);	    /* tags kept as given */
	assert_string_equal(gs->proxy_json, "{\"x\":1}");
	assert_null(gs->connect_json);
	const struct cat_check *gc = catalog_node_check(s, "web-1", "web alive");
	assert_non_null(gc);
	assert_string_equal(gc->service_name, "web");
	assert_int_equal(gc->nservice_tags, 3);
	assert_string_equal(gc->interval, "10s");
	assert_string_equal(gc->notes, "");
	assert_int_equal(catalog_service_count(s), 1);
	assert_int_equal(catalog_check_count(s), 1);

	const char **u;
	size_t nu = catalog_service_tags(s, "web", NULL, 0, &u);
	assert_int_equal(nu, 2);
	assert_string_equal(u[0], "primary");
	assert_string_equal(u[1], "v1");
	free(u);
	struct cat_pair f_ok = {"env", "prod"}, f_no = {"env", "dev"};
	assert_true(catalog_node_meta_match(got, &f_ok, 1));
	assert_false(catalog_node_meta_match(got, &f_no, 1));
	assert_int_equal(catalog_service_tags(s, "web", &f_no, 1, &u), 0);
	store_free(s);
}

static void test_errors(void **state)
{
	struct store *s = store_new();
	assert_int_equal(reg1(s, 1, "n1", "10.0.0.1", NULL, NULL), 0);
	struct cat_node n = node_tmpl("n1", "10.0.0.1");
	struct cat_register r = {&n, false, NULL, 0, NULL, 0};

	n.name = "";
	expect_error(s, 2, &r, CAIRN_E_INVAL, "Must provide node");
	n.name = "n1";
	n.address = "";
	expect_error(s, 3, &r, CAIRN_E_INVAL, "Must provide address if SkipNodeUpdate is not set");
	n.address = "10.0.0.1";
	n.id = "nope";
	expect_error(s, 4, &r, CAIRN_E_INVAL, "Bad node ID: uuid string is wrong length");
	n.id = "40e4a748x2192-161a-0510-9bf59fe950b5";
	expect_error(s, 5, &r, CAIRN_E_INVAL, "Bad node ID: uuid is improperly formatted");
	n.id = "40e4a748-2192-161a-0510-9bf59fe950bg";
	expect_error(s, 6, &r, CAIRN_E_INVAL,
		     "Bad node ID: encoding/hex: invalid byte: U+0067 'g'");
	n.id = NULL;

	struct cat_service svc = svc_tmpl("db1", "", 1);
	r.services = &svc;
	r.nservices = 1;
	expect_error(s, 7, &r, CAIRN_E_INVAL, "Must provide service name with ID");
	svc.name = "db";
	svc.address = "0.0.0.0";
	expect_error(s, 8, &r, CAIRN_E_INVAL, "Invalid service address");
	svc.address = "";

	/* a check for a service the node lacks: nothing of the request stays */
	struct cat_check chk = chk_tmpl("c1", "ghost", CAT_PASSING);
	r.checks = &chk;
	r.nchecks = 1;
	expect_error(s, 9, &r, CAIRN_E_NOTFOUND, "Unknown service ID 'ghost' for check ID 'c1'");
	assert_null(catalog_node_service(s, "n1", "db1"));
	chk.service_id = "";
	chk.node = "n2";
	expect_error(s, 10, &r, CAIRN_E_INVAL,
		     "Node 'n2' for check 'c1' doesn't match register request node 'n1'");
	chk.node = "N1"; /* same node, other case: fine */
	chk.service_id = "db1";
	assert_int_equal(reg(s, 11, &r), 0);
	assert_non_null(catalog_node_check(s, "n1", "c1"));
	assert_int_equal(store_index(s), 11);

	struct cat_deregister d = {"", NULL, NULL};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, 12);
	assert_int_equal(catalog_txn_deregister(t, &d, &why), CAIRN_E_INVAL);
	store_txn_abort(t);
	assert_string_equal(why, "Must provide node");
	free(why);
	store_free(s);
}

static void test_skip_node_update(void **state)
{
	struct store *s = store_new();
	assert_int_equal(reg1(s, 1, "n1", "10.0.0.1", NULL, NULL), 0);
	struct cat_node n = node_tmpl("n1", "");
	struct cat_service svc = svc_tmpl("a", "a", 1);
	struct cat_register r = {&n, true, &svc, 1, NULL, 0};
	assert_int_equal(reg(s, 2, &r), 0);
	assert_string_equal(catalog_node(s, "n1")->address, "10.0.0.1");
	assert_int_equal(catalog_node(s, "n1")->modify_index, 1);
	/* a missing node is created even so, as Consul does */
	n.name = "n2";
	assert_int_equal(reg(s, 3, &r), 0);
	assert_non_null(catalog_node(s, "n2"));
	store_free(s);
}

static int collect_inst(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct buf *b = ctx;
	buf_printf(b, "%s/%s ", n->name, svc->id);
	return 0;
}

static int collect_check(void *ctx, const struct cat_check *c)
{
	struct buf *b = ctx;
	buf_printf(b, "%s/%s ", c->node, c->id);
	return 0;
}

static void test_orders(void **state)
{
	struct store *s = store_new();
	const char *nodes[] = {"zeta", "Alpha", "mid"};
	const char *ids[] = {"web-b", "WEB-a", "web-c"};
	uint64_t idx = 1;
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			struct cat_service svc = svc_tmpl(ids[j], j == 1 ? "Web" : "web", 80);
			struct cat_check c =
			    chk_tmpl(j == 0 ? "z-chk" : "a-chk", NULL, CAT_PASSING);
			char cid[32];
			snprintf(cid, sizeof(cid), "%c-%s", 'x' - j, ids[j]);
			c.id = cid;
			c.service_id = ids[j];
			assert_int_equal(reg1(s, idx++, nodes[i], "10.0.0.1", &svc, &c), 0);
		}
		struct cat_check nc = chk_tmpl("serfHealth", NULL, CAT_PASSING);
		assert_int_equal(reg1(s, idx++, nodes[i], "10.0.0.1", NULL, &nc), 0);
	}
	struct buf b = BUF_INIT;
	catalog_service_instances(s, "WEB", collect_inst, &b);
	assert_string_equal(b.data, "Alpha/WEB-a Alpha/web-b Alpha/web-c mid/WEB-a mid/web-b "
				    "mid/web-c zeta/WEB-a zeta/web-b zeta/web-c ");
	buf_reset(&b);
	const struct cat_service *svc = catalog_node_service(s, "mid", "web-b");
	catalog_instance_checks(s, svc, collect_check, &b);
	assert_string_equal(b.data, "mid/serfHealth mid/x-web-b ");
	buf_reset(&b);
	catalog_service_checks(s, "web", collect_check, &b);
	assert_string_equal(b.data,
			    "Alpha/v-web-c Alpha/w-WEB-a Alpha/x-web-b mid/v-web-c "
			    "mid/w-WEB-a mid/x-web-b zeta/v-web-c zeta/w-WEB-a zeta/x-web-b ");
	buf_reset(&b);
	catalog_checks_in_state(s, CAT_PASSING, collect_check, &b);
	assert_int_equal(strlen(b.data), strlen(b.data)); /* walked */
	assert_true(strncmp(b.data, "Alpha/serfHealth Alpha/v-web-c", 30) == 0);
	buf_reset(&b);
	assert_int_equal(catalog_checks_in_state(s, CAT_CRITICAL, collect_check, &b), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(catalog_service_instance_count(s, "wEb"), 9);
	buf_free(&b);
	store_free(s);
}

static void test_deregister(void **state)
{
	struct store *s = store_new();
	struct cat_service a = svc_tmpl("a", "a", 1), b = svc_tmpl("b", "b", 2);
	struct cat_check ca = chk_tmpl("ca", "a", CAT_PASSING),
			 cb = chk_tmpl("cb", "b", CAT_PASSING);
	struct cat_check cn = chk_tmpl("node", "", CAT_PASSING);
	assert_int_equal(reg1(s, 1, "n1", "10.0.0.1", &a, &ca), 0);
	assert_int_equal(reg1(s, 2, "n1", "10.0.0.1", &b, &cb), 0);
	assert_int_equal(reg1(s, 3, "n1", "10.0.0.1", NULL, &cn), 0);
	/* a service goes with its checks; a service wins over a check */
	assert_int_equal(dereg(s, 4, "n1", "a", "cb"), 0);
	assert_null(catalog_node_service(s, "n1", "a"));
	assert_null(catalog_node_check(s, "n1", "ca"));
	assert_non_null(catalog_node_check(s, "n1", "cb"));
	assert_int_equal(catalog_service_instance_count(s, "a"), 0);
	/* a check alone */
	assert_int_equal(dereg(s, 5, "n1", NULL, "cb"), 0);
	assert_null(catalog_node_check(s, "n1", "cb"));
	assert_non_null(catalog_node_service(s, "n1", "b"));
	/* missing things: success, nothing moves */
	char *before = dump_catalog(s);
	assert_int_equal(dereg(s, 6, "n1", "zz", NULL), 0);
	assert_int_equal(dereg(s, 7, "n1", NULL, "zz"), 0);
	assert_int_equal(dereg(s, 8, "ghost", NULL, NULL), 0);
	char *after = dump_catalog(s);
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	free(before);
	free(after);
	/* the node with everything on it */
	assert_int_equal(dereg(s, 9, "N1", "", ""), 0);
	assert_int_equal(catalog_node_count(s), 0);
	assert_int_equal(catalog_service_count(s), 0);
	assert_int_equal(catalog_check_count(s), 0);
	assert_int_equal(s->cat->groups.n, 0);
	store_free(s);
}

static void test_rename_by_id(void **state)
{
	struct store *s = store_new();
	const char *id = "40e4a748-2192-161a-0510-9bf59fe950b5";
	struct cat_node n = node_tmpl("old", "10.0.0.1");
	n.id = id;
	struct cat_service a = svc_tmpl("a", "a", 1);
	struct cat_register r = {&n, false, &a, 1, NULL, 0};
	assert_int_equal(reg(s, 1, &r), 0);
	/* same ID, new name: the old node and all it held go */
	n.name = "new";
	r.nservices = 0;
	assert_int_equal(reg(s, 2, &r), 0);
	assert_null(catalog_node(s, "old"));
	assert_string_equal(catalog_node(s, "new")->id, id);
	assert_int_equal(catalog_service_instance_count(s, "a"), 0);

	/* a name held by another ID with a passing serfHealth is reserved */
	struct cat_check serf = chk_tmpl("serfHealth", "", CAT_PASSING);
	struct cat_node holder = node_tmpl("taken", "10.0.0.9");
	holder.id = "11111111-2222-3333-4444-555555555555";
	struct cat_register rh = {&holder, false, NULL, 0, &serf, 1};
	assert_int_equal(reg(s, 3, &rh), 0);
	struct cat_node thief = node_tmpl("TAKEN", "10.0.0.2");
	thief.id = "99999999-2222-3333-4444-555555555555";
	struct cat_register rt = {&thief, false, NULL, 0, NULL, 0};
	int rc;
	char *why = reg_why(s, 4, &rt, &rc);
	assert_int_equal(rc, CAIRN_E_EXIST);
	assert_string_equal(why, "failed inserting node: failed inserting node: Node name TAKEN is "
				 "reserved by node 11111111-2222-3333-4444-555555555555 with "
				 "name taken (10.0.0.9)");
	free(why);
	/* once its serfHealth is critical the name can be taken */
	serf.status = CAT_CRITICAL;
	assert_int_equal(reg(s, 5, &rh), 0);
	assert_int_equal(reg(s, 6, &rt), 0);
	assert_string_equal(catalog_node(s, "taken")->id, thief.id);
	assert_string_equal(catalog_node(s, "taken")->name, "TAKEN");
	store_free(s);
}

static void test_service_change_rewrites_checks(void **state)
{
	struct store *s = store_new();
	struct cat_service a = svc_tmpl("a1", "a", 1);
	struct cat_check c = chk_tmpl("c", "a1", CAT_PASSING);
	assert_int_equal(reg1(s, 1, "n1", "10.0.0.1", &a, &c), 0);
	const char *tags[] = {"t"};
	a.name = "b";
	a.tags = tags;
	a.ntags = 1;
	assert_int_equal(reg1(s, 2, "n1", "10.0.0.1", &a, NULL), 0);
	const struct cat_check *got = catalog_node_check(s, "n1", "c");
	assert_string_equal(got->service_name, "b");
	assert_int_equal(got->nservice_tags, 1);
	assert_int_equal(got->create_index, 1);
	assert_int_equal(got->modify_index, 2);
	assert_int_equal(catalog_service_instance_count(s, "a"), 0);
	assert_int_equal(catalog_service_instance_count(s, "b"), 1);
	const struct cat_service *gs = catalog_node_service(s, "n1", "a1");
	assert_int_equal(gs->create_index, 1);
	assert_int_equal(gs->modify_index, 2);
	store_free(s);
}

static void test_status_names(void **state)
{
	for (int st = 0; st < CAT_STATUS_COUNT_; st++)
		assert_int_equal(cat_status_parse(cat_status_name(st)), st);
	assert_int_equal(cat_status_parse("any"), CAT_ANY);
	assert_int_equal(cat_status_parse("bogus"), -2);
	assert_string_equal(cat_status_name(CAT_MAINTENANCE), "maintenance");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_full),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_skip_node_update),
	    cmocka_unit_test(test_orders),
	    cmocka_unit_test(test_deregister),
	    cmocka_unit_test(test_rename_by_id),
	    cmocka_unit_test(test_service_change_rewrites_checks),
	    cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
