/*
 * Answer building: the pieces of dns_respond (dns.h) that turn a decoded
 * question into records, shared by the files of the pure half:
 *
 *   respond.c         decode, route by name kind, header/EDNS, limits, encode
 *   names.c           qname -> struct dns_lookup (what is asked, in which zone)
 *   zone.c            SOA and NS of the domain, negative-answer SOA
 *   answer_node.c     <node>.node lookups (A/AAAA/CNAME, meta TXT)
 *   answer_service.c  service lookups (A/AAAA/CNAME, SRV), health filtering
 *   answer_query.c    <query>.query lookups (prepared queries)
 *   answer_ptr.c      reverse lookups, <hexip>.addr lookups
 *   ttl.c             node_ttl / service_ttl rules
 *   ctx.c             the per-query context: arena for names, IP parsing
 *
 * Model. One struct dns_ctx lives on dns_respond's stack for one query. Builders
 * append records to ctx->msg's sections; every name they make lives in the
 * ctx's arena (inline first, heap chunks after) and is freed with the ctx.
 * Nothing here keeps state between queries or touches I/O; the store is read
 * through the catalog's read functions only (loop thread).
 */
#ifndef CAIRN_DNS_ANSWER_H
#define CAIRN_DNS_ANSWER_H

#include "dns/dns.h"
#include "dns/wire.h"

#include "state/catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* What a question name asks for. */
enum dns_kind {
	DNS_K_OUTSIDE,	/* not under a domain nor a reverse zone: the recursors' */
	DNS_K_REVERSE,	/* under in-addr.arpa / ip6.arpa (family 0: not a full address) */
	DNS_K_APEX,	/* the domain itself */
	DNS_K_NODE,	/* <node>.node[.<dc>] */
	DNS_K_SERVICE,	/* [tag.]<svc>.service[.<dc>], _<svc>._<tag|tcp>[.service][.<dc>] */
	DNS_K_ADDR,	/* <hexip>.addr[.<dc>] */
	DNS_K_INVALID,	/* under a domain but nothing cairn has: NXDOMAIN */
	DNS_K_QUERY,	/* <query>.query[.<dc>]: a prepared query's name or ID */
	DNS_K_OTHER_DC, /* a node, service or query of another datacenter (dc) */
};

struct dns_lookup {
	enum dns_kind kind;	     /* what is asked */
	const char *domain;	     /* matched domain, lowercase, no trailing dot */
	char name[DNS_NAME_MAX + 1]; /* node or service name (text, as sent) */
	char tag[DNS_NAME_MAX + 1];  /* service tag filter, "" = none */
	char dc[64];		     /* OTHER_DC: the datacenter named */
	int family;		     /* ADDR / REVERSE: 4 or 6; 0 = no address */
	uint8_t addr[16];	     /* the address (4 bytes for IPv4) */
};

struct dns_arena_chunk;

/* One query's context. */
struct dns_ctx {
	const struct dns_view *v;	    /* store, config, randomness */
	const struct config *cfg;	    /* = v->cfg */
	const struct dns_query *q;	    /* the decoded question */
	const struct prepared_query *given; /* dns_respond_query's query, else NULL */
	bool failover;			    /* a query kept nothing and may fail over */
	struct dns_msg msg;		    /* the response being built */
	struct dns_rr rr_store[3][24];	    /* inline storage of msg.sec */
	char domain[DNS_NAME_MAX + 1];	    /* cfg->domain normalised ("consul") */
	char alt_domain[DNS_NAME_MAX + 1];  /* cfg->alt_domain normalised, "" = none */
	size_t max_answers; /* answers kept (plain UDP's udp_answer_limit), 0 = all */
	/* arena */
	uint8_t *a_cur;			  /* current chunk */
	size_t a_used, a_cap;		  /* bytes used / size of the current chunk */
	struct dns_arena_chunk *a_chunks; /* heap chunks, freed with the ctx */
	uint8_t a_first[4096];		  /* first chunk */
};

void dns_ctx_init(struct dns_ctx *c, const struct dns_view *v, const struct dns_query *q);
void dns_ctx_free(struct dns_ctx *c);
/* n bytes from the arena (never NULL). */
void *dns_ctx_alloc(struct dns_ctx *c, size_t n);
/* The wire name of the dotted parts, in the arena; NULL when not a valid name. */
const uint8_t *dns_ctx_name(struct dns_ctx *c, const char *const *parts, size_t nparts);
/* <node>.node.<dc>.<domain> (lowercased when lower). */
const uint8_t *dns_node_fqdn(struct dns_ctx *c, const char *domain, const char *node, bool lower);
/* Append a record to section sec (DNS_SEC_*). */
struct dns_rr *dns_add(struct dns_ctx *c, int sec, const uint8_t *name, uint16_t type,
		       uint32_t ttl);
/* Parse an IP literal: 4 (out[0..3]) or 6 (out[0..15]); IPv4-mapped IPv6 gives 4;
 * 0 when s is not an IP (a hostname, or ""). */
int dns_parse_ip(const char *s, uint8_t out[16]);

/* names.c */
void dns_lookup_parse(struct dns_ctx *c, struct dns_lookup *l);
/* Does the text name s (trailing dot optional) equal the wire name w? */
bool dns_text_eq_wire(const char *s, const uint8_t *w);

/* zone.c */
void dns_add_soa(struct dns_ctx *c, int sec, const char *domain);
/* Answer a SOA or NS question for the zone of l->domain. */
void dns_answer_zone(struct dns_ctx *c, const struct dns_lookup *l);

/* Healthy instances of a service (answer_service.c). */
struct dns_inst {
	const struct cat_node *node;   /* the node it runs on */
	const struct cat_service *svc; /* the instance */
	bool warning;		       /* worst check is warning */
};
struct dns_insts {
	struct dns_inst *v;	 /* instances */
	size_t n, cap;		 /* in use, room */
	bool heap;		 /* v allocated */
	struct dns_inst inl[16]; /* inline storage */
};
/* Collect the instances of name that DNS may return (no critical or maintenance
 * check; no warning either with only_passing), filtered by tag (case-insensitive,
 * "" = any), shuffled with v->rand. Free with dns_insts_free. */
void dns_healthy_instances(struct dns_ctx *c, const char *name, const char *tag,
			   struct dns_insts *out);
void dns_insts_free(struct dns_insts *is);

/* Builders: each fills the answer (and additional) sections and returns the
 * rcode. A NOERROR answer with no records gets the SOA from respond.c. */
int dns_answer_node(struct dns_ctx *c, const struct dns_lookup *l);
/* The node's meta as TXT records of owner (RFC 1464 "key=value"; keys starting
 * with "rfc1035-" give the bare value), in section sec. */
void dns_add_node_meta(struct dns_ctx *c, int sec, const uint8_t *owner, const struct cat_node *n,
		       uint32_t ttl);
int dns_answer_service(struct dns_ctx *c, const struct dns_lookup *l);
/* The records of a service-shaped answer for instances is (SRV, or A/AAAA/
 * ANY; other types: none), as dns_answer_service gives them. */
int dns_answer_instances(struct dns_ctx *c, const struct dns_lookup *l, const struct dns_insts *is,
			 uint32_t ttl);
/* answer_query.c: l->name is the query's name or ID. */
int dns_answer_query(struct dns_ctx *c, const struct dns_lookup *l);
int dns_answer_addr(struct dns_ctx *c, const struct dns_lookup *l);
/* Reverse: true when the address belongs to a node or service (records added
 * for PTR/ANY questions), false when unknown. */
bool dns_answer_ptr(struct dns_ctx *c, const struct dns_lookup *l);

/* ttl.c: seconds */
uint32_t dns_node_ttl(const struct config *cfg);
uint32_t dns_service_ttl(const struct config *cfg, const char *service);

#endif
