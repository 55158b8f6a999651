/*
 * Catalog data in snapshots: a round trip keeps every entry and every index
 * (per service name, per node, tables, floors) and re-encodes to the same
 * bytes; a snapshot without catalog sections (older format) restores an empty
 * catalog; records that do not hold together (a service on a missing node, a
 * check on a missing service, repeated names, an index past the store's) are
 * rejected and leave the store as it was; restore fires catalog watchers.
 *
 * With CAIRN_WRITE_SNAPSHOT_CORPUS=<dir>, test_write_corpus writes catalog
 * seeds for tests/fuzz/corpus/snapshot/.
 */
#include "test_catalog_helpers.h"

#include "state/snapshot.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

static struct store *sample(void)
{
	struct store *s = store_new();
	struct cat_pair meta[] = {{"env", "prod"}}, tagged[] = {{"lan", "10.0.0.1"}};
	struct cat_node n = node_tmpl("n1", "10.0.0.1");
	n.id = "40e4a748-2192-161a-0510-9bf59fe950b5";
	n.meta = meta;
	n.nmeta = 1;
	n.tagged = tagged;
	n.ntagged = 1;
	const char *tags[] = {"v1", "x"};
	struct cat_svc_addr sa[] = {{"wan", "1.2.3.4", 443}};
	struct cat_service svcs[] = {svc_tmpl("web1", "web", 80), svc_tmpl("db", "db", 5432)};
	svcs[0].tags = tags;
	svcs[0].ntags = 2;
	svcs[0].tagged = sa;
	svcs[0].ntagged = 1;
	svcs[0].meta = meta;
	svcs[0].nmeta = 1;
	svcs[0].connect_json = "{\"Native\":true}";
	svcs[1].kind = "connect-proxy";
	svcs[1].socket_path = "/tmp/s";
	svcs[1].enable_tag_override = true;
	struct cat_check chks[] = {chk_tmpl("serfHealth", "", CAT_PASSING),
				   chk_tmpl("web-http", "web1", CAT_WARNING)};
	chks[1].output = "HTTP GET: 429";
	chks[1].definition_json = "{\"HTTP\":\"http://x\"}";
	chks[1].exposed_port = -1;
	struct cat_register r = {&n, false, svcs, 2, chks, 2};
	assert_int_equal(reg(s, 3, &r), 0);
	struct cat_service other = svc_tmpl("web2", "Web", 81);
	assert_int_equal(reg1(s, 4, "N2", "10.0.0.2", &other, NULL), 0);
	assert_int_equal(reg1(s, 5, "gone", "10.0.0.3", NULL, NULL), 0);
	assert_int_equal(dereg(s, 6, "gone", NULL, NULL), 0);
	struct cat_service tmp = svc_tmpl("t", "temp", 1);
	assert_int_equal(reg1(s, 7, "N2", "10.0.0.2", &tmp, NULL), 0);
	assert_int_equal(dereg(s, 8, "N2", "t", NULL), 0);
	struct store_txn *t = store_txn_begin(s, 9);
	kv_txn_set(t, "k", "v", 1, 0);
	store_txn_commit(t);
	return s;
}

static void encode(struct store *s, struct buf *out)
{
	struct store_frozen *f = store_freeze(s);
	store_frozen_encode(f, out);
	store_frozen_release(f);
}

static void test_round_trip(void **state)
{
	struct store *s = sample(), *r = store_new();
	struct buf a = BUF_INIT, b = BUF_INIT;
	encode(s, &a);
	assert_int_equal(store_restore(r, a.data, a.len), 0);
	char *x = dump_catalog(s), *y = dump_catalog(r);
	assert_string_equal(x, y);
	assert_non_null(strstr(y, "nfloor=6 sfloor=8"));
	assert_int_equal(catalog_service_index(r, "web"), 4);
	assert_int_equal(kv_count(r), 1);
	encode(r, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* the restored catalog takes writes like any other */
	struct cat_service more = svc_tmpl("web3", "web", 82);
	assert_int_equal(reg1(r, 10, "n1", "10.0.0.1", &more, NULL), 0);
	assert_int_equal(catalog_service_instance_count(r, "WEB"), 3);
	assert_int_equal(dereg(r, 11, "n1", NULL, NULL), 0);
	assert_int_equal(catalog_service_instance_count(r, "web"), 1);
	free(x);
	free(y);
	buf_free(&a);
	buf_free(&b);
	store_free(s);
	store_free(r);
}

static void test_frozen_survives_writes(void **state)
{
	struct store *s = sample();
	struct store_frozen *f = store_freeze(s);
	struct buf a = BUF_INIT, b = BUF_INIT;
	encode(s, &a);
	assert_int_equal(dereg(s, 20, "n1", NULL, NULL), 0); /* frees nothing frozen */
	store_frozen_encode(f, &b);
	store_frozen_release(f);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	buf_free(&a);
	buf_free(&b);
	store_free(s);
}

/* A store with KV data only writes the old format: no catalog section. */
static void test_old_format(void **state)
{
	struct store *s = store_new(), *r = sample();
	struct store_txn *t = store_txn_begin(s, 2);
	kv_txn_set(t, "k", "v", 1, 0);
	store_txn_commit(t);
	struct buf a = BUF_INIT;
	encode(s, &a);
	/* header, KV, tombstones (each one section), trailer */
	uint64_t kv_body = SNAPSHOT_KV_REC_SIZE + 2;
	assert_int_equal(a.len, SNAPSHOT_HEADER_SIZE + 2 * SNAPSHOT_SECTION_SIZE + kv_body +
				    SNAPSHOT_TRAILER_SIZE);
	assert_int_equal(store_restore(r, a.data, a.len), 0);
	assert_int_equal(catalog_node_count(r), 0);
	assert_int_equal(catalog_nodes_index(r), 1);
	assert_int_equal(r->cat->groups.n, 0);
	buf_free(&a);
	store_free(s);
	store_free(r);
}

/* ---- hand-made snapshots ---- */

static void le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		buf_putc(b, (char)(v >> (8 * i)));
}

static void str(struct buf *b, const char *s)
{
	le(b, strlen(s), 4);
	buf_puts(b, s);
}

static void node_rec(struct buf *b, const char *name, const char *id, uint64_t idx)
{
	le(b, 1, 8);
	le(b, 1, 8);
	le(b, idx, 8);
	str(b, id);
	str(b, name);
	str(b, "10.0.0.1");
	str(b, "dc1");
	le(b, 0, 4);
	le(b, 0, 4);
}

static void svc_rec(struct buf *b, const char *node, const char *id)
{
	le(b, 1, 8);
	le(b, 1, 8);
	str(b, node);
	str(b, id);
	str(b, "svc");
	str(b, "");
	le(b, 0, 4); /* tags */
	str(b, "");
	le(b, 0, 4); /* tagged */
	le(b, 0, 4); /* meta */
	le(b, 80, 4);
	str(b, "");
	le(b, 1, 4);
	le(b, 1, 4);
	le(b, 0, 1);
	for (int i = 0; i < 3; i++)
		le(b, 0xffffffffu, 4);
}

static void chk_rec(struct buf *b, const char *node, const char *id, const char *svc)
{
	le(b, 1, 8);
	le(b, 1, 8);
	le(b, CAT_PASSING, 1);
	str(b, node);
	str(b, id);
	for (int i = 0; i < 3; i++)
		str(b, ""); /* name, notes, output */
	str(b, svc);
	str(b, "");
	le(b, 0, 4); /* service tags */
	for (int i = 0; i < 3; i++)
		str(b, ""); /* type, interval, timeout */
	le(b, 0, 4);
	le(b, 0xffffffffu, 4);
}

static void section(struct buf *b, uint32_t id, uint64_t count, const struct buf *body)
{
	le(b, id, 4);
	le(b, count, 8);
	le(b, body->len, 8);
	buf_append(b, body->data, body->len);
}

/* A snapshot at index 5 with the given node / service / check records. */
static void snapshot(struct buf *out, const struct buf *nodes, size_t nn, const struct buf *svcs,
		     size_t ns, const struct buf *chks, size_t nc)
{
	buf_append(out, SNAPSHOT_MAGIC, 4);
	le(out, SNAPSHOT_VERSION, 4);
	le(out, 5, 8);
	le(out, 0, 8);
	section(out, SNAP_SEC_CAT_NODES, nn, nodes);
	if (ns)
		section(out, SNAP_SEC_CAT_SERVICES, ns, svcs);
	if (nc)
		section(out, SNAP_SEC_CAT_CHECKS, nc, chks);
	le(out, snapshot_checksum(out->data, out->len), 8);
}

static int try_snapshot(struct store *r, const char *n2, const char *svc_node, const char *chk_svc,
			uint64_t node_idx)
{
	struct buf nodes = BUF_INIT, svcs = BUF_INIT, chks = BUF_INIT, snap = BUF_INIT;
	node_rec(&nodes, "n1", "", node_idx);
	node_rec(&nodes, n2, "", 2);
	svc_rec(&svcs, svc_node, "s1");
	chk_rec(&chks, "n1", "c1", chk_svc);
	snapshot(&snap, &nodes, 2, &svcs, 1, &chks, 1);
	int rc = store_restore(r, snap.data, snap.len);
	buf_free(&nodes);
	buf_free(&svcs);
	buf_free(&chks);
	buf_free(&snap);
	return rc;
}

static void test_rejects(void **state)
{
	struct store *r = sample();
	char *before = dump_catalog(r);
	assert_int_equal(try_snapshot(r, "n2", "n1", "s1", 1), 0); /* the valid one */
	assert_int_equal(catalog_node_count(r), 2);
	assert_int_equal(catalog_service_index(r, "svc"), 5); /* no index record */
	store_free(r);
	r = sample();
	assert_int_equal(try_snapshot(r, "N1", "n1", "s1", 1), CAIRN_E_PARSE); /* name twice */
	assert_int_equal(try_snapshot(r, "n2", "n3", "s1", 1), CAIRN_E_PARSE); /* no such node */
	assert_int_equal(try_snapshot(r, "n2", "n1", "s9", 1), CAIRN_E_PARSE); /* no such svc */
	assert_int_equal(try_snapshot(r, "n2", "n1", "s1", 6), CAIRN_E_PARSE); /* index > 5 */
	assert_int_equal(try_snapshot(r, "n2", "n1", "s1", 0), CAIRN_E_PARSE); /* index 0 */
	char *after = dump_catalog(r);
	assert_string_equal(before, after);
	free(before);
	free(after);
	store_free(r);
}

static int woke;
static void on_wake(struct watcher *w)
{
	woke++;
}

static void test_restore_fires(void **state)
{
	struct store *s = sample(), *r = store_new();
	struct watcher w;
	watcher_init(&w, on_wake, NULL);
	catalog_watch_service(r, &w, "web");
	struct buf a = BUF_INIT;
	encode(s, &a);
	assert_int_equal(store_restore(r, a.data, a.len), 0);
	woke = 0;
	assert_int_equal(store_watch_flush(r), 1);
	assert_int_equal(woke, 1);
	buf_free(&a);
	store_free(s);
	store_free(r);
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
	const char *dir = getenv("CAIRN_WRITE_SNAPSHOT_CORPUS");
	if (!dir)
		return;
	struct store *s = sample();
	struct buf a = BUF_INIT;
	encode(s, &a);
	write_file(dir, "catalog_valid", a.data, a.len);
	write_file(dir, "catalog_truncated", a.data, a.len * 2 / 3);
	buf_free(&a);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_frozen_survives_writes),
	    cmocka_unit_test(test_old_format),	  cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_restore_fires), cmocka_unit_test(test_write_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
