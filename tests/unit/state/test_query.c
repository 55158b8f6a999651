/*
 * Prepared queries in the store and at execution: the table's rules
 * (Consul's messages), abort restoring the table, session invalidation
 * deleting bound queries, indexes, snapshots carrying the table; template
 * resolution (ID, name, longest prefix) and rendering (name.*, match(N),
 * $${, RemoveEmptyTags, errors); execution filters (tags and !tags,
 * OnlyPassing, IgnoreCheckIDs, meta).
 */
#include "helpers.h"

#include "base/alloc.h"
#include "base/err.h"
#include "state/catalog.h"
#include "state/query.h"
#include "state/query_exec.h"
#include "state/session.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct prepared_query *mk(const char *id, const char *name, const char *service)
{
	struct prepared_query *q = pquery_new();
	q->id = xstrdup(id);
	q->name = xstrdup(name);
	q->service = xstrdup(service);
	return q;
}

static int set(struct store *s, uint64_t index, const struct prepared_query *q, bool update,
	       char **why)
{
	struct store_txn *t = store_txn_begin(s, index);
	int rc = pquery_txn_set(t, q, update, why);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return rc;
}

static void expect_err(struct store *s, uint64_t index, const struct prepared_query *q, bool update,
		       int code, const char *msg)
{
	char *why = NULL;
	assert_int_equal(set(s, index, q, update, &why), code);
	assert_string_equal(why, msg);
	free(why);
}

#define ID1 "11111111-2222-3333-4444-555555555555"
#define ID2 "aaaaaaaa-2222-3333-4444-555555555555"

static void test_table_rules(void **state)
{
	struct store *s = store_new();
	char *why = NULL;
	struct prepared_query *q = mk(ID1, "web", "web");
	assert_int_equal(set(s, 2, q, false, &why), 0);
	assert_int_equal(pquery_count(s), 1);
	const struct prepared_query *got = pquery_get(s, "11111111-2222-3333-4444-555555555555");
	assert_non_null(got);
	assert_int_equal(got->create_index, 2);
	assert_ptr_equal(pquery_by_name(s, "WEB"), got);
	expect_err(s, 3, q, false, CAIRN_E_INVAL, "Prepared query ID '" ID1 "' already exists");
	struct prepared_query *q2 = mk(ID2, "Web", "x");
	expect_err(s, 4, q2, false, CAIRN_E_INVAL, "name 'Web' aliases an existing query name");
	free(q2->name);
	q2->name = xstrdup(ID1);
	expect_err(s, 5, q2, false, CAIRN_E_INVAL, "name '" ID1 "' aliases an existing query ID");
	free(q2->name);
	q2->name = xstrdup("other");
	q2->session = xstrdup("nope");
	expect_err(s, 6, q2, false, CAIRN_E_INVAL, "invalid session \"nope\"");
	expect_err(s, 7, q2, true, CAIRN_E_NOTFOUND,
		   "Cannot modify non-existent prepared query: '" ID2 "'");
	/* update keeps CreateIndex, moves ModifyIndex and the indexes */
	free(q->service);
	q->service = xstrdup("api");
	assert_int_equal(set(s, 8, q, true, &why), 0);
	got = pquery_get(s, ID1);
	assert_int_equal(got->create_index, 2);
	assert_int_equal(got->modify_index, 8);
	assert_string_equal(got->service, "api");
	assert_int_equal(pquery_list_index(s), 8);
	assert_int_equal(pquery_id_index(s, ID1), 8);
	/* delete */
	struct store_txn *t = store_txn_begin(s, 9);
	assert_int_equal(pquery_txn_delete(t, ID1, &why), 0);
	store_txn_commit(t);
	assert_null(pquery_get(s, ID1));
	assert_int_equal(pquery_id_index(s, ID1), 9);
	t = store_txn_begin(s, 10);
	assert_int_equal(pquery_txn_delete(t, ID1, &why), CAIRN_E_NOTFOUND);
	free(why);
	store_txn_abort(t);
	pquery_unref(q);
	pquery_unref(q2);
	store_free(s);
}

static void test_empty_template_unique_and_abort(void **state)
{
	struct store *s = store_new();
	char *why = NULL;
	struct prepared_query *a = mk(ID1, "", "${name.full}");
	a->tmpl_type = xstrdup(QUERY_TEMPLATE_PREFIX);
	assert_int_equal(set(s, 2, a, false, &why), 0);
	struct prepared_query *b = mk(ID2, "", "x");
	b->tmpl_type = xstrdup(QUERY_TEMPLATE_PREFIX);
	expect_err(s, 3, b, false, CAIRN_E_INVAL,
		   "a query template with an empty name already exists");
	/* abort undoes a set and a delete */
	struct store_txn *t = store_txn_begin(s, 4);
	assert_int_equal(pquery_txn_delete(t, ID1, &why), 0);
	free(b->tmpl_type);
	b->tmpl_type = NULL;
	free(b->name);
	b->name = xstrdup("n");
	assert_int_equal(pquery_txn_set(t, b, false, &why), 0);
	store_txn_abort(t);
	assert_int_equal(pquery_count(s), 1);
	assert_non_null(pquery_get(s, ID1));
	assert_int_equal(pquery_list_index(s), 2);
	pquery_unref(a);
	pquery_unref(b);
	store_free(s);
}

static void reg_node(struct store *s, uint64_t index, const char *node)
{
	struct cat_node n = {.name = node, .address = "10.0.0.1", .datacenter = "dc1"};
	struct cat_check c = {.id = "serfHealth", .name = "Serf", .status = CAT_PASSING};
	struct cat_register r = {.node = &n, .checks = &c, .nchecks = 1};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, index);
	assert_int_equal(catalog_txn_register(t, &r, &why), 0);
	store_txn_commit(t);
}

static void test_session_destroy_deletes_bound(void **state)
{
	struct store *s = store_new();
	char *why = NULL;
	reg_node(s, 2, "n1");
	static const char *serf[] = {"serfHealth"};
	struct session tmpl = {
	    .id = "s1", .node = "n1", .ttl = "", .node_checks = serf, .nnode_checks = 1};
	struct store_txn *t = store_txn_begin(s, 3);
	assert_int_equal(session_txn_create(t, &tmpl, &why), 0);
	store_txn_commit(t);
	struct prepared_query *q = mk(ID1, "", "web");
	q->session = xstrdup("S1");
	assert_int_equal(set(s, 4, q, false, &why), 0);
	struct prepared_query *q2 = mk(ID2, "free", "web");
	assert_int_equal(set(s, 5, q2, false, &why), 0);
	t = store_txn_begin(s, 6);
	session_txn_destroy(t, "s1");
	store_txn_commit(t);
	assert_null(pquery_get(s, ID1));
	assert_non_null(pquery_get(s, ID2));
	assert_int_equal(pquery_id_index(s, ID1), 6);
	pquery_unref(q);
	pquery_unref(q2);
	store_free(s);
}

static void test_snapshot_roundtrip(void **state)
{
	struct store *s = store_new();
	char *why = NULL;
	struct prepared_query *q = mk(ID1, "web", "web");
	q->tmpl_type = xstrdup(QUERY_TEMPLATE_PREFIX);
	q->tmpl_regexp = xstrdup("^web-(.*)$");
	q->tmpl_remove_empty = true;
	q->nearest_n = 3;
	pq_list_add(&q->dcs, "dc2");
	pq_list_add(&q->tags, "!x");
	pq_list_add(&q->ignore, "c1");
	pq_map_add(&q->node_meta, "rack", "r1");
	pq_map_add(&q->svc_meta, "env", "prod");
	q->only_passing = true;
	q->dns_ttl = xstrdup("5s");
	assert_int_equal(set(s, 7, q, false, &why), 0);
	struct prepared_query *gone = mk(ID2, "gone", "x");
	assert_int_equal(set(s, 8, gone, false, &why), 0);
	struct store_txn *t = store_txn_begin(s, 9);
	assert_int_equal(pquery_txn_delete(t, ID2, &why), 0);
	store_txn_commit(t);

	struct store_frozen *f = store_freeze(s);
	struct buf out = BUF_INIT;
	store_frozen_encode(f, &out);
	store_frozen_release(f);
	struct store *r = store_new();
	assert_int_equal(store_restore(r, out.data, out.len), 0);
	const struct prepared_query *a = pquery_get(s, ID1), *b = pquery_get(r, ID1);
	assert_non_null(b);
	struct buf wa = BUF_INIT, wb = BUF_INIT;
	pquery_wire_put(&wa, a);
	pquery_wire_put(&wb, b);
	assert_int_equal(wa.len, wb.len);
	assert_memory_equal(wa.data, wb.data, wa.len);
	assert_int_equal(b->create_index, 7);
	assert_int_equal(pquery_list_index(r), 9);
	assert_int_equal(pquery_id_index(r, ID2), 9);
	buf_free(&wa);
	buf_free(&wb);
	buf_free(&out);
	pquery_unref(q);
	pquery_unref(gone);
	store_free(s);
	store_free(r);
}

/* ---- templates ---- */

static struct prepared_query *tmpl(const char *name, const char *re, const char *service)
{
	struct prepared_query *t = mk(ID1, name, service);
	t->tmpl_type = xstrdup(QUERY_TEMPLATE_PREFIX);
	if (re)
		t->tmpl_regexp = xstrdup(re);
	return t;
}

static void test_render_interpolation(void **state)
{
	struct prepared_query *t =
	    tmpl("geo-db-", "^geo-db-(.*?)-([^\\-]+?)$", "mysql-${match(1)}");
	pq_list_add(&t->tags, "${match(2)}");
	pq_list_add(&t->tags, "${ name.full }");
	pq_list_add(&t->tags, "${name.prefix}|${name.suffix}");
	pq_list_add(&t->tags, "$${name.full}");
	pq_list_add(&t->tags, "${match(9)}${agent.segment}");
	pq_map_add(&t->node_meta, "az", "${match(1)}");
	char *why = NULL;
	struct prepared_query *r = pquery_render(t, "geo-db-customer-primary", "", &why);
	assert_non_null(r);
	assert_string_equal(r->service, "mysql-customer");
	assert_int_equal(r->tags.n, 5);
	assert_string_equal(r->tags.v[0], "primary");
	assert_string_equal(r->tags.v[1], "geo-db-customer-primary");
	assert_string_equal(r->tags.v[2], "geo-db-|customer-primary");
	assert_string_equal(r->tags.v[3], "${name.full}");
	assert_string_equal(r->tags.v[4], "");
	assert_string_equal(r->node_meta.v[0].value, "customer");
	assert_string_equal(t->service, "mysql-${match(1)}"); /* the template is untouched */
	pquery_unref(r);
	/* RemoveEmptyTags drops what rendered empty; no match leaves groups empty */
	t->tmpl_remove_empty = true;
	r = pquery_render(t, "geo-db-x", "", &why);
	assert_non_null(r);
	assert_string_equal(r->service, "mysql-");
	assert_int_equal(r->tags.n, 3);
	assert_string_equal(r->tags.v[0], "geo-db-x");
	pquery_unref(r);
	pquery_unref(t);
}

static void test_render_errors_and_check(void **state)
{
	char *why = NULL;
	struct prepared_query *t = tmpl("a", NULL, "${name.nope}");
	assert_null(pquery_render(t, "ab", "", &why));
	assert_string_equal(why, "unknown variable accessed: name.nope");
	free(why);
	assert_int_equal(pquery_template_check(t, &why), -1);
	free(why);
	pquery_unref(t);
	t = tmpl("a", NULL, "${match(x)}");
	assert_int_equal(pquery_template_check(t, &why), -1);
	assert_string_equal(why, "bad argument to match(): 'match(x)'");
	free(why);
	pquery_unref(t);
	t = tmpl("a", NULL, "${name.full");
	assert_int_equal(pquery_template_check(t, &why), -1);
	free(why);
	pquery_unref(t);
	t = tmpl("a", "a(b", "x");
	assert_int_equal(pquery_template_check(t, &why), -1);
	assert_true(strncmp(why, "Bad Regexp: ", 12) == 0);
	free(why);
	pquery_unref(t);
	t = tmpl("a", "(?:a)", "x");
	assert_int_equal(pquery_template_check(t, &why), -1);
	free(why);
	free(t->tmpl_type);
	t->tmpl_type = xstrdup("bogus");
	free(t->tmpl_regexp);
	t->tmpl_regexp = NULL;
	assert_int_equal(pquery_template_check(t, &why), -1);
	assert_string_equal(why, "Bad Template.Type 'bogus'");
	free(why);
	pquery_unref(t);
	t = tmpl("d", "^d(\\d+)$", "svc-${match(1)}");
	struct prepared_query *r = pquery_render(t, "d42", "", &why);
	assert_string_equal(r->service, "svc-42");
	pquery_unref(r);
	pquery_unref(t);
}

static void test_resolve_order(void **state)
{
	struct store *s = store_new();
	char *why = NULL;
	struct prepared_query *all = tmpl("", NULL, "all-${name.full}");
	free(all->id);
	all->id = xstrdup("00000000-0000-0000-0000-000000000001");
	struct prepared_query *short_ = tmpl("web", NULL, "short-${name.suffix}");
	free(short_->id);
	short_->id = xstrdup("00000000-0000-0000-0000-000000000002");
	struct prepared_query *long_ = tmpl("web-api", NULL, "long-${name.suffix}");
	free(long_->id);
	long_->id = xstrdup("00000000-0000-0000-0000-000000000003");
	struct prepared_query *plain = mk("00000000-0000-0000-0000-000000000004", "web-x", "plain");
	assert_int_equal(set(s, 2, all, false, &why), 0);
	assert_int_equal(set(s, 3, short_, false, &why), 0);
	assert_int_equal(set(s, 4, long_, false, &why), 0);
	assert_int_equal(set(s, 5, plain, false, &why), 0);
	struct {
		const char *name, *service;
	} cases[] = {
	    {"web-api-v2", "long--v2"}, {"WEB-API", "long-"},
	    {"web-db", "short--db"},	{"web-x", "plain"},
	    {"other", "all-other"},	{"00000000-0000-0000-0000-000000000004", "plain"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prepared_query *r = pquery_resolve(s, cases[i].name, &why);
		assert_non_null(r);
		assert_string_equal(r->service, cases[i].service);
		pquery_unref(r);
	}
	pquery_unref(all);
	pquery_unref(short_);
	pquery_unref(long_);
	pquery_unref(plain);
	store_free(s);
}

/* ---- execution ---- */

static void reg_instance(struct store *s, uint64_t index, const char *node, const char *id,
			 const char *tag, enum cat_status st, const char *meta_v)
{
	struct cat_node n = {.name = node, .address = "10.0.0.2", .datacenter = "dc1"};
	struct cat_pair nm = {"rack", meta_v};
	n.meta = &nm;
	n.nmeta = 1;
	const char *tags[] = {tag};
	struct cat_service sv = {.id = id, .name = "db", .tags = tags, .ntags = 1};
	struct cat_check c = {.id = id, .name = id, .status = st, .service_id = id};
	struct cat_register r = {
	    .node = &n, .services = &sv, .nservices = 1, .checks = &c, .nchecks = 1};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, index);
	assert_int_equal(catalog_txn_register(t, &r, &why), 0);
	store_txn_commit(t);
}

static size_t run(struct store *s, struct prepared_query *q)
{
	struct pq_result r = {0};
	pquery_exec(s, q, NULL, NULL, &r);
	size_t n = r.n;
	pq_result_free(&r);
	return n;
}

static void test_exec_filters(void **state)
{
	struct store *s = store_new();
	reg_instance(s, 2, "n1", "a", "primary", CAT_PASSING, "r1");
	reg_instance(s, 3, "n2", "b", "replica", CAT_WARNING, "r2");
	reg_instance(s, 4, "n3", "c", "primary", CAT_CRITICAL, "r1");
	struct prepared_query *q = mk(ID1, "q", "db");
	assert_int_equal(run(s, q), 2);
	q->only_passing = true;
	assert_int_equal(run(s, q), 1);
	q->only_passing = false;
	pq_list_add(&q->ignore, "c");
	assert_int_equal(run(s, q), 3);
	pq_list_add(&q->tags, "PRIMARY");
	assert_int_equal(run(s, q), 2);
	pq_map_add(&q->node_meta, "rack", "r1");
	assert_int_equal(run(s, q), 2);
	pq_map_add(&q->node_meta, "rack", "r2");
	assert_int_equal(run(s, q), 0);
	pquery_unref(q);
	q = mk(ID1, "q", "db");
	pq_list_add(&q->tags, "!primary");
	assert_int_equal(run(s, q), 1);
	pq_map_add(&q->svc_meta, "env", "x");
	assert_int_equal(run(s, q), 0);
	pquery_unref(q);
	store_free(s);
}

/* Consul's queryFailover order: NearestN first, then the listed ones that
 * are known and not taken yet. */
static void test_failover_order(void **state)
{
	(void)state;
	const char known[4][64] = {"east", "west", "north", "south"}; /* nearest first */
	char out[8][64];
	struct prepared_query *q = pquery_new();
	assert_int_equal(pquery_failover_dcs(q, known, 4, out, 8), 0);
	q->nearest_n = 2;
	assert_int_equal(pquery_failover_dcs(q, known, 4, out, 8), 2);
	assert_string_equal(out[0], "east");
	assert_string_equal(out[1], "west");
	pq_list_add(&q->dcs, "south");
	pq_list_add(&q->dcs, "dc1");   /* ours: not in known */
	pq_list_add(&q->dcs, "west");  /* taken by NearestN */
	pq_list_add(&q->dcs, "mars");  /* unknown */
	pq_list_add(&q->dcs, "south"); /* listed twice */
	assert_int_equal(pquery_failover_dcs(q, known, 4, out, 8), 3);
	assert_string_equal(out[2], "south");
	q->nearest_n = 9; /* more than there are */
	assert_int_equal(pquery_failover_dcs(q, known, 4, out, 8), 4);
	assert_string_equal(out[3], "south");
	assert_int_equal(pquery_failover_dcs(q, known, 4, out, 2), 2); /* cap */
	q->nearest_n = 0;
	assert_int_equal(pquery_failover_dcs(q, known, 0, out, 8), 0); /* none known */
	pquery_unref(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_rules),
	    cmocka_unit_test(test_empty_template_unique_and_abort),
	    cmocka_unit_test(test_session_destroy_deletes_bound),
	    cmocka_unit_test(test_snapshot_roundtrip),
	    cmocka_unit_test(test_render_interpolation),
	    cmocka_unit_test(test_render_errors_and_check),
	    cmocka_unit_test(test_resolve_order),
	    cmocka_unit_test(test_exec_filters),
	    cmocka_unit_test(test_failover_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
