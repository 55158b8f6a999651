/*
 * Fuzz target: dns_respond over arbitrary packets, against a store holding a
 * few nodes and services (IPv4, IPv6, hostname addresses, a critical check,
 * node meta). Every reply must fit its transport's limit, echo the query ID,
 * and parse cleanly with the test reader (tests/unit/dns/dump.h), SRV targets
 * uncompressed; dns_respond_error must hold the same properties.
 */
// fuzz-lib: dns
#include "dns/dns.h"
#include "dns/wire.h"

#include "config/config.h"
#include "config/options.h"
#include "state/catalog.h"
#include "state/query.h"
#include "state/query_exec.h"
#include "state/store.h"

#include "../unit/dns/dump.h"

#include <stdlib.h>
#include <string.h>

static struct store *S;
static struct config CFG, CFG_REC;
static uint64_t seed = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void *ctx)
{
	uint64_t *x = ctx;
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void reg(uint64_t idx, const char *node, const char *addr, struct cat_service *s, size_t ns,
		struct cat_check *c, size_t nc, struct cat_pair *meta, size_t nmeta)
{
	struct cat_node n = {
	    .name = node, .address = addr, .datacenter = "dc1", .meta = meta, .nmeta = nmeta};
	struct cat_register r = {&n, false, s, ns, c, nc};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(S, idx);
	if (catalog_txn_register(t, &r, &why) != 0)
		abort();
	store_txn_commit(t);
}

static void init(void)
{
	S = store_new();
	config_defaults(&CFG);
	config_defaults(&CFG_REC);
	strlist_add(&CFG_REC.recursors, "127.0.0.1");
	free(CFG_REC.alt_domain);
	CFG_REC.alt_domain = strdup("alt.");
	strmap_set(&CFG_REC.dns_config.service_ttl, "w*", "5s");
	CFG_REC.dns_config.disable_compression = true;
	struct cat_pair meta[] = {{"env", "prod"}, {"rfc1035-k", "v"}};
	const char *tags[] = {"primary"};
	struct cat_service web = {.id = "web1",
				  .name = "web",
				  .port = 80,
				  .tags = tags,
				  .ntags = 1,
				  .weight_passing = 3,
				  .weight_warning = 1};
	struct cat_service consul = {.id = "consul", .name = "consul", .port = 8300};
	struct cat_service two[2] = {web, consul};
	reg(1, "n1", "127.0.0.1", two, 2, NULL, 0, meta, 2);
	struct cat_service web2 = {.id = "web2", .name = "web", .port = 81, .address = "10.0.0.9"};
	struct cat_check warn = {
	    .id = "c", .name = "c", .service_id = "web2", .status = CAT_WARNING};
	reg(2, "n2", "::1", &web2, 1, &warn, 1, NULL, 0);
	struct cat_service ext = {.id = "ext", .name = "ext", .port = 443};
	reg(3, "n3", "ext.example.com", &ext, 1, NULL, 0, NULL, 0);
	struct cat_service db = {.id = "db", .name = "db", .port = 5432};
	struct cat_check crit = {
	    .id = "d", .name = "d", .service_id = "db", .status = CAT_CRITICAL};
	reg(4, "n4", "127.0.0.4", &db, 1, &crit, 1, NULL, 0);
	/* prepared queries: "db" finds nothing (critical) and fails over; the
	 * template "t-" renders ${name.suffix} */
	struct prepared_query *q = pquery_new(), *t = pquery_new();
	q->id = strdup("0d3c4a52-0000-4000-8000-000000000001");
	q->name = strdup("db");
	q->service = strdup("db");
	pq_list_add(&q->dcs, "dc2");
	t->id = strdup("0d3c4a52-0000-4000-8000-000000000002");
	t->name = strdup("t-");
	t->tmpl_type = strdup(QUERY_TEMPLATE_PREFIX);
	t->service = strdup("${name.suffix}");
	char *why = NULL;
	struct store_txn *tx = store_txn_begin(S, 5);
	if (pquery_txn_set(tx, q, false, &why) || pquery_txn_set(tx, t, false, &why))
		abort();
	store_txn_commit(tx);
	pquery_unref(q);
	pquery_unref(t);
}

static void check(const uint8_t *in, size_t size, const uint8_t *out, size_t len, size_t limit)
{
	if (len < DNS_HDR_LEN || len > limit || out[0] != in[0] || out[1] != in[1])
		abort();
	struct dump_info di;
	char *t = dns_dump(out, len, false, &di);
	if (di.malformed || di.srv_pointers || !(di.flags & DNS_F_QR))
		abort();
	free(t);
	(void)size;
}

/* Datacenters with a "2" in their name exist. */
static bool dc_known(void *ctx, const char *dc)
{
	(void)ctx;
	return strchr(dc, '2') != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX];
	if (!S)
		init();
	for (int pass = 0; pass < 4; pass++) {
		struct dns_view v = {
		    .store = S, .cfg = pass & 2 ? &CFG_REC : &CFG, .rand = rnd, .rand_ctx = &seed};
		int tcp = pass & 1;
		size_t len = 0;
		enum dns_outcome o = dns_respond(&v, data, size, tcp, out, &len);
		size_t limit = DNS_MSG_MAX;
		struct dns_query q;
		if (!tcp) {
			limit = DNS_UDP_PLAIN;
			if (dns_query_decode(data, size, &q) == DNS_DEC_OK && q.edns &&
			    q.edns_size > limit)
				limit = q.edns_size > DNS_UDP_MAX ? DNS_UDP_MAX : q.edns_size;
		}
		if (o == DNS_REPLY)
			check(data, size, out, len, limit);
		else if (o == DNS_RECURSE && !(pass & 2))
			abort(); /* no recursors: never recurse */
		else if (o == DNS_QUERY_FAILOVER)
			abort(); /* the view does not allow it */
		else if (o == DNS_OTHER_DC && (len == 0 || len >= 64 || out[len] != 0))
			abort(); /* a datacenter name, NUL-terminated */
	}
	/* a server's view: other datacenters known, failover allowed */
	struct dns_view sv = {.store = S,
			      .cfg = &CFG,
			      .rand = rnd,
			      .rand_ctx = &seed,
			      .dc_known = dc_known,
			      .query_failover = true};
	size_t slen = 0;
	enum dns_outcome so = dns_respond(&sv, data, size, 0, out, &slen);
	if (so == DNS_REPLY || so == DNS_QUERY_FAILOVER)
		check(data, size, out, slen, DNS_MSG_MAX);
	struct prepared_query *pq = dns_query_resolve(&sv, data, size);
	if (pq) {
		if (dns_respond_query(&sv, data, size, 1, pq, out, &slen) == DNS_REPLY)
			check(data, size, out, slen, DNS_MSG_MAX);
		pquery_unref(pq);
	}
	size_t len = 0;
	if (dns_respond_error(data, size, 2, out, &len) == DNS_REPLY)
		check(data, size, out, len, DNS_MSG_MAX);
	return 0;
}
