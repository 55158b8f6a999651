/*
 * Fixtures for the DNS answer tests (header-only): a configuration with
 * Consul's defaults, a store filled through the catalog's write transactions,
 * a deterministic random source, query packets built by hand, and ask(),
 * which runs dns_respond and renders the reply with dns_dump (dump.h).
 */
#ifndef CAIRN_TEST_DNS_HELPERS_H
#define CAIRN_TEST_DNS_HELPERS_H

#include "dns/dns.h"
#include "dns/wire.h"

#include "base/alloc.h"
#include "config/config.h"
#include "config/options.h"
#include "state/catalog.h"
#include "state/store.h"

#include "dump.h"

#include <stdlib.h>
#include <string.h>

struct fix {
	struct store *s;   /* catalog */
	struct config cfg; /* Consul's defaults, edited per test */
	uint64_t seed;	   /* xorshift state */
	uint64_t index;	   /* next raft index */
	struct dns_view v; /* what dns_respond reads */
};

static inline uint64_t fix_rand(void *ctx)
{
	uint64_t *x = ctx;
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static inline void fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->s = store_new();
	config_defaults(&f->cfg);
	f->seed = 88172645463325252ULL;
	f->index = 1;
	f->v = (struct dns_view){
	    .store = f->s, .cfg = &f->cfg, .rand = fix_rand, .rand_ctx = &f->seed};
}

static inline void fix_free(struct fix *f)
{
	config_free(&f->cfg);
	store_free(f->s);
}

static inline void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? xstrdup(v) : NULL;
}

/* Register node (address, meta "k=v" strings) with services and checks. */
static inline void reg_node(struct fix *f, const char *node, const char *addr,
			    const struct cat_pair *meta, size_t nmeta,
			    const struct cat_service *svcs, size_t nsvcs,
			    const struct cat_check *chks, size_t nchks)
{
	struct cat_node n = {.name = node,
			     .address = addr,
			     .datacenter = "dc1",
			     .meta = (struct cat_pair *)meta,
			     .nmeta = nmeta};
	struct cat_register r = {&n, false, svcs, nsvcs, chks, nchks};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(f->s, f->index++);
	if (catalog_txn_register(t, &r, &why) != 0) {
		fprintf(stderr, "register %s: %s\n", node, why ? why : "?");
		abort();
	}
	store_txn_commit(t);
}

static inline struct cat_service svc(const char *id, const char *name, int port)
{
	return (struct cat_service){
	    .id = id, .name = name, .port = port, .weight_passing = 1, .weight_warning = 1};
}

static inline struct cat_check chk(const char *id, const char *svc_id, enum cat_status st)
{
	return (struct cat_check){.id = id, .name = id, .service_id = svc_id, .status = st};
}

/* A query for name/type; edns < 0: no OPT, else OPT with that UDP size. */
static inline size_t mkq(uint8_t *buf, const char *name, uint16_t type, int edns, bool dobit)
{
	const char *parts[1] = {name};
	uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns >= 0 ? 1 : 0};
	memcpy(buf, hdr, 12);
	int n = dns_name_from_text(parts, 1, buf + 12);
	if (n < 0)
		abort();
	size_t off = 12 + (size_t)n;
	buf[off++] = (uint8_t)(type >> 8);
	buf[off++] = (uint8_t)type;
	buf[off++] = 0;
	buf[off++] = 1;
	if (edns >= 0) {
		uint8_t opt[11] = {
		    0, 0, 41, (uint8_t)(edns >> 8), (uint8_t)edns, 0, 0, dobit ? 0x80 : 0, 0, 0, 0};
		memcpy(buf + off, opt, 11);
		off += 11;
	}
	return off;
}

static uint8_t fix_out[DNS_MSG_MAX];
static size_t fix_out_len;

/* Ask and render ("RECURSE" / "DROP" / "OTHER_DC <dc>" for the other
 * outcomes); caller frees. */
static inline char *askx(struct fix *f, const char *name, uint16_t type, int edns, int tcp,
			 bool sort, struct dump_info *di)
{
	uint8_t q[512];
	size_t n = mkq(q, name, type, edns, false);
	fix_out_len = 0;
	enum dns_outcome o = dns_respond(&f->v, q, n, tcp, fix_out, &fix_out_len);
	if (o == DNS_RECURSE)
		return xstrdup("RECURSE\n");
	if (o == DNS_DROP)
		return xstrdup("DROP\n");
	if (o == DNS_OTHER_DC) { /* fix_out holds the datacenter */
		char *s = xmalloc(fix_out_len + 11);
		snprintf(s, fix_out_len + 11, "OTHER_DC %s\n", (const char *)fix_out);
		return s;
	}
	return dns_dump(fix_out, fix_out_len, sort, di);
}

static inline char *ask(struct fix *f, const char *name, uint16_t type)
{
	return askx(f, name, type, -1, 1, true, NULL);
}

/* Compare and free. */
#define assert_dump(got, want)                                                                     \
	do {                                                                                       \
		char *got_ = (got);                                                                \
		if (strcmp(got_, (want)) != 0)                                                     \
			fprintf(stderr, "got:\n%s\nwant:\n%s\n", got_, (want));                    \
		assert_string_equal(got_, (want));                                                 \
		free(got_);                                                                        \
	} while (0)

#endif
