/*
 * DNS wire codec (RFC 1035, EDNS0 RFC 6891): query decoding and response
 * encoding with name compression and truncation at record boundaries. Pure:
 * no I/O, no clock, no allocation except when a record list outgrows its
 * caller-provided storage.
 *
 * Message layout (RFC 1035 4.1), all integers big-endian:
 *
 *   offset size  field
 *   0      2     ID
 *   2      2     flags: QR(15) OPCODE(14..11) AA(10) TC(9) RD(8) RA(7) Z AD CD RCODE(3..0)
 *   4      2     QDCOUNT  (cairn answers exactly one question)
 *   6      2     ANCOUNT
 *   8      2     NSCOUNT
 *   10     2     ARCOUNT
 *   12     ...   question: QNAME, QTYPE(2), QCLASS(2); then the RRs:
 *                NAME, TYPE(2), CLASS(2), TTL(4), RDLENGTH(2), RDATA
 *
 * OPT pseudo-record (additional section): NAME = root, TYPE 41, CLASS = the
 * requestor's UDP payload size, TTL = extended RCODE(8) VERSION(8) DO(1) Z(15).
 *
 * Names. Inside cairn a name is held in wire form without compression
 * ("\3web\7service\6consul\0"), at most DNS_NAME_MAX bytes. The decoder follows
 * compression pointers only backwards (each pointer must point before the
 * pointer itself and before the previous jump), so loops and forward pointers
 * are FORMERR and decoding is linear.
 *
 * Compression. The writer remembers where each name suffix it wrote starts
 * (offsets < 0x3FFF, at most DNS_COMP_MAX of them) and replaces the longest
 * suffix already present (compared case-insensitively) with a pointer. SRV
 * targets are written in full (RFC 2782) but may still be pointed to.
 *
 * Truncation (dns_msg_encode). Records are written answer, authority,
 * additional; the first record that does not fit (leaving room for the OPT
 * record) ends its section and every later section. TC is set when an answer
 * or authority record was cut; cutting additional records alone is silent.
 */
#ifndef CAIRN_DNS_WIRE_H
#define CAIRN_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN  12
#define DNS_NAME_MAX 255   /* wire bytes of a name, root label included */
#define DNS_COMP_MAX 96	   /* name suffixes remembered for compression */
#define DNS_UDP_MAX  65507 /* largest UDP payload that IPv4 can carry */
#define DNS_OPT_LEN  11	   /* an OPT record without options */

/* Header flag bits (the 16-bit word at offset 2). */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

#define DNS_C_IN  1
#define DNS_C_ANY 255

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: needs OPT */
};

/* A decoded query. */
struct dns_query {
	uint16_t id;		     /* ID, echoed */
	uint16_t flags;		     /* flags word as received */
	uint8_t opcode;		     /* 0 = QUERY */
	bool has_question;	     /* qname/qtype/qclass are valid */
	uint8_t qname[DNS_NAME_MAX]; /* wire form, decompressed, case as sent */
	size_t qname_len;	     /* bytes in qname, root label included */
	uint16_t qtype;		     /* QTYPE */
	uint16_t qclass;	     /* QCLASS */
	bool edns;		     /* an OPT record was present (and valid) */
	uint16_t edns_size;	     /* its UDP payload size (CLASS field) */
	uint8_t edns_version;	     /* its VERSION */
	bool edns_do;		     /* its DO bit */
};

enum dns_decode {
	DNS_DEC_OK = 0,
	DNS_DEC_DROP,	 /* shorter than a header, or a response (QR=1): ignore */
	DNS_DEC_FORMERR, /* header read, rest malformed (question kept if it was read) */
	DNS_DEC_NOTIMP,	 /* opcode other than QUERY */
};

/* Decode pkt[len] into q. On DNS_DEC_FORMERR/NOTIMP the header fields are set
 * and has_question tells whether the question is usable in a reply. */
enum dns_decode dns_query_decode(const uint8_t *pkt, size_t len, struct dns_query *q);

/*
 * Read the (possibly compressed) name at pkt[*off] into out (wire form, at
 * most DNS_NAME_MAX bytes). *off moves past the name as it appears in place.
 * Returns the length written, or -1 when malformed (truncated, label > 63,
 * too long, reserved label type, loop or forward pointer).
 */
int dns_name_read(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out);

/* Case-insensitive equality of two wire names (ASCII). */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);

/*
 * Convert dotted text (one or more parts joined with dots, trailing dot
 * optional) to wire form. Returns the length (>= 1) or -1 when a label is empty
 * or over 63 bytes or the name is over DNS_NAME_MAX.
 */
int dns_name_from_text(const char *const *parts, size_t nparts, uint8_t *out);

/* ---- Records and messages to encode ---- */

struct dns_rr {
	const uint8_t *name; /* owner, wire form (not owned) */
	uint16_t type;	     /* DNS_T_* (never OPT: see struct dns_msg) */
	uint32_t ttl;	     /* seconds */
	union {
		uint8_t addr[16]; /* A: 4 bytes, AAAA: 16 */
		struct {
			uint16_t priority, weight, port;
			const uint8_t *target; /* written uncompressed */
		} srv;
		const uint8_t *target; /* CNAME, PTR, NS */
		struct {
			const char *text; /* written as 255-byte strings */
			size_t len;
		} txt;
		struct {
			const uint8_t *mname, *rname;
			uint32_t serial, refresh, retry, expire, minimum;
		} soa;
	} u;
};

/* A growable list of records in caller storage first, the heap after. */
struct dns_rrlist {
	struct dns_rr *v; /* records */
	size_t n;	  /* in use */
	size_t cap;	  /* room in v */
	bool heap;	  /* v was allocated here (free with dns_rrlist_free) */
};

void dns_rrlist_init(struct dns_rrlist *l, struct dns_rr *storage, size_t cap);
/* A zeroed record appended to l. */
struct dns_rr *dns_rrlist_add(struct dns_rrlist *l);
void dns_rrlist_free(struct dns_rrlist *l);

/* A response to encode. */
struct dns_msg {
	uint16_t id;		  /* ID */
	uint16_t flags;		  /* QR, opcode, AA, RD, RA, TC (kept); rcode bits ignored */
	int rcode;		  /* enum dns_rcode (> 15 only with edns) */
	const uint8_t *qname;	  /* question, NULL for none */
	uint16_t qtype, qclass;	  /* question */
	struct dns_rrlist sec[3]; /* answer, authority, additional */
	bool edns;		  /* append an OPT record */
	uint16_t edns_size;	  /* its UDP payload size */
	bool edns_do;		  /* its DO bit */
};

enum { DNS_SEC_AN = 0, DNS_SEC_NS = 1, DNS_SEC_AR = 2 };

/*
 * Encode m into out (at most limit bytes, limit >= 512): truncation and TC as
 * described above, compression unless disabled. Returns the length.
 */
size_t dns_msg_encode(const struct dns_msg *m, uint8_t *out, size_t limit, bool compress);

#endif
