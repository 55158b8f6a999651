/*
 * The DNS interface: the contract between the pure answer side (wire codec and
 * answer building, no I/O) and the drivers (UDP/TCP listeners, recursors).
 *
 * Model. A query packet goes in, a response packet comes out. dns_respond is a
 * pure function of the packet, the configuration and a read-only view of the
 * store: it decodes the question, answers names under `domain` / `alt_domain`
 * and the reverse zones from the catalog, and encodes the reply into a caller
 * buffer no longer than the transport allows (512 bytes over UDP without EDNS,
 * the client's EDNS size over UDP, 65535 over TCP). When the answer does not
 * fit, whole records are cut (additional first, then authority, then answer)
 * and TC is set whenever an answer or authority record was cut, so the client
 * retries over TCP (Consul cuts silently; docs/dns.md).
 *
 * A question outside the domains (and not a reverse name cairn knows) is for
 * the recursors: dns_respond returns DNS_RECURSE and the driver relays the
 * original packet upstream, or answers REFUSED through dns_respond_error when
 * none is configured (dns_respond already does this when cfg has no
 * recursors). Malformed input yields FORMERR when a header could be read and
 * DNS_DROP when not even that; nothing crashes or hangs.
 *
 * Threads: loop thread (the store is not locked). Everything here is pure.
 */
#ifndef CAIRN_DNS_DNS_H
#define CAIRN_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;

#define DNS_UDP_PLAIN 512   /* UDP limit without EDNS0 */
#define DNS_MSG_MAX   65535 /* TCP limit (two-byte length prefix) */

enum dns_outcome {
	DNS_REPLY,   /* out holds the response */
	DNS_RECURSE, /* forward the query to the recursors (cfg has some) */
	DNS_DROP,    /* not even a header: send nothing */
	/* the name is in another datacenter (<x>.service.<dc>.<domain>...): out
	 * holds that datacenter's name, NUL-terminated; the driver asks one of
	 * its servers (the question is answered there as a local one) */
	DNS_OTHER_DC,
	/* a prepared query (<q>.query.<domain>) kept no instance here and names
	 * datacenters to fail over to (view->query_failover set): out holds the
	 * answer from here (negative), *out_len set; the driver asks those
	 * datacenters in turn and sends that answer when none has instances */
	DNS_QUERY_FAILOVER,
};

/* What an answer is built from. */
struct dns_view {
	const struct store *store;   /* catalog reads */
	const struct config *cfg;    /* domain, alt_domain, dns_config, datacenter, recursors */
	uint64_t (*rand)(void *ctx); /* shuffle source (uniform 64 bits) */
	void *rand_ctx;
	/* whether datacenter dc exists (has servers in the WAN pool); a name in
	 * one that does not is NXDOMAIN, as Consul's "No path to datacenter".
	 * NULL (client agents): every one may, their server decides. */
	bool (*dc_known)(void *ctx, const char *dc);
	void *dc_ctx;
	bool query_failover; /* DNS_QUERY_FAILOVER may be returned (servers) */
};

/*
 * Answers the query pkt[len]. limit is the transport's size: DNS_UDP_PLAIN for
 * UDP (raised to the client's EDNS0 size, at most DNS_MSG_MAX, when the query
 * carries OPT), DNS_MSG_MAX for TCP; tcp tells which (EDNS is ignored over TCP
 * for the size). out has room for DNS_MSG_MAX bytes; *out_len is set on
 * DNS_REPLY.
 */
enum dns_outcome dns_respond(const struct dns_view *v, const uint8_t *pkt, size_t len, int tcp,
			     uint8_t *out, size_t *out_len);

/* Answer pkt, a <name>.query[.<dc>].<domain> question, with prepared query q
 * (rendered) instead of the one its name resolves to here: another
 * datacenter's failover, run in this one. Never DNS_QUERY_FAILOVER. */
struct prepared_query;
enum dns_outcome dns_respond_query(const struct dns_view *v, const uint8_t *pkt, size_t len,
				   int tcp, const struct prepared_query *q, uint8_t *out,
				   size_t *out_len);

/* The prepared query a <name>.query[.<dc>].<domain> question names,
 * resolved and rendered as dns_respond does (a reference the caller drops
 * with pquery_unref), or NULL. */
struct prepared_query *dns_query_resolve(const struct dns_view *v, const uint8_t *pkt, size_t len);

/* A reply with only the header and question of pkt and the given rcode
 * (SERVFAIL when every recursor failed, REFUSED...). DNS_DROP when pkt has no
 * readable header. */
enum dns_outcome dns_respond_error(const uint8_t *pkt, size_t len, int rcode, uint8_t *out,
				   size_t *out_len);

#endif
