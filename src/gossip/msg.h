/*
 * Gossip messages as structs: what the membership core (memberlist.h) sends and
 * receives, independent of their encoding (wire.h turns them into bytes and
 * back; crypto.h wraps the bytes when a key is set).
 *
 * Model (SWIM with Lifeguard, as memberlist and Consul's serf use it):
 *   ping            direct probe of one member; answered by ack
 *   indirect_ping   "probe target for me" sent to k members; they ping the target
 *                   and relay its ack, or answer nack when it stays silent
 *   ack / nack      probe answers, matched by seq; an ack may carry a payload
 *                   (the sender's network coordinate, opaque here)
 *   alive           a member's node name, address, meta (serf tags, opaque) and
 *                   incarnation; newer incarnations win
 *   suspect / dead  gossip about a member at an incarnation, with the accuser;
 *                   dead with from == node is a graceful leave ("left")
 *   push_pull       full state exchange over TCP (join and every push_pull_interval):
 *                   every member's state, plus an opaque user blob (serf's Lamport
 *                   clocks and recent events)
 *   user            an opaque serf-layer broadcast (user event, leave intent...)
 *
 * Several messages may share one packet (a compound): the core packs the probe
 * plus piggybacked broadcasts up to the packet budget (wire.h).
 *
 * Strings are bounded copies (names up to GOSSIP_NAME_MAX bytes, meta up to
 * GOSSIP_META_MAX) so a decoded message owns nothing and needs no free; a
 * push_pull owns its member array and user blob (gmsg_free).
 */
#ifndef CAIRN_GOSSIP_MSG_H
#define CAIRN_GOSSIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOSSIP_NAME_MAX	      128  /* node name bytes (Consul allows up to 128 in DNS-safe names) */
#define GOSSIP_META_MAX	      512  /* member meta (serf tags) bytes, as memberlist's MetaMaxSize */
#define GOSSIP_PAYLOAD_MAX    128  /* ack payload bytes (a 90-byte Vivaldi coordinate fits) */
#define GOSSIP_USER_MAX	      1024 /* one user broadcast (event name + payload + header) */
#define GOSSIP_UDP_MAX	      1400 /* packet budget, as memberlist's UDPBufferSize */
#define GOSSIP_PP_MAX_MEMBERS 65536	 /* members in one push_pull */
#define GOSSIP_PP_USER_MAX    (1u << 20) /* push_pull user blob bytes */

/* A member's address: IPv4 or IPv6 and a port. */
struct gaddr {
	uint8_t family; /* 4 or 6 (0: unset, only in a ping without a source) */
	uint8_t ip[16]; /* IPv4 in the first 4 bytes, the rest zero */
	uint16_t port;	/* host order */
};

enum gstate {
	GSTATE_ALIVE = 0,
	GSTATE_SUSPECT,
	GSTATE_DEAD, /* failed */
	GSTATE_LEFT, /* left gracefully */
};

enum gmsg_type {
	GMSG_PING = 1,
	GMSG_INDIRECT_PING,
	GMSG_ACK,
	GMSG_NACK,
	GMSG_SUSPECT,
	GMSG_ALIVE,
	GMSG_DEAD,
	GMSG_PUSH_PULL,
	GMSG_USER,
	GMSG_TYPE_COUNT_
};

/* One member as gossiped in alive and push_pull. vsn: protocol min/max/cur for
 * the gossip layer then the serf layer (memberlist's PMin..DCur order). */
struct gmember {
	char name[GOSSIP_NAME_MAX + 1];
	struct gaddr addr;
	uint32_t incarnation;
	enum gstate state; /* push_pull only; alive messages are GSTATE_ALIVE */
	uint8_t vsn[6];
	uint16_t meta_len;
	uint8_t meta[GOSSIP_META_MAX];
};

struct gmsg_ping {
	uint32_t seq;
	char node[GOSSIP_NAME_MAX +
		  1];	     /* whom the sender means ("" = anyone; catches stale addresses) */
	struct gaddr source; /* where to answer (family 0: the packet's source) */
	char source_node[GOSSIP_NAME_MAX + 1];
};

struct gmsg_indirect_ping {
	uint32_t seq;
	struct gaddr target;
	char node[GOSSIP_NAME_MAX + 1]; /* the target's name */
	bool want_nack;			/* Lifeguard: answer nack if the target is silent */
	struct gaddr source;		/* where to relay the ack / nack */
	char source_node[GOSSIP_NAME_MAX + 1];
};

struct gmsg_ack {
	uint32_t seq;
	uint8_t payload_len;
	uint8_t payload[GOSSIP_PAYLOAD_MAX];
};

struct gmsg_nack {
	uint32_t seq;
};

/* suspect and dead share a shape. */
struct gmsg_accuse {
	uint32_t incarnation;
	char node[GOSSIP_NAME_MAX + 1];
	char from[GOSSIP_NAME_MAX + 1];
};

struct gmsg_push_pull {
	bool join;		 /* the sender is joining (the receiver answers with its state) */
	uint32_t nmembers;	 /* <= GOSSIP_PP_MAX_MEMBERS */
	struct gmember *members; /* owned (gmsg_free) */
	uint32_t user_len;	 /* <= GOSSIP_PP_USER_MAX */
	uint8_t *user;		 /* serf-layer state blob, owned (gmsg_free) */
};

struct gmsg_user {
	uint16_t len;
	uint8_t data[GOSSIP_USER_MAX];
};

struct gmsg {
	enum gmsg_type type;
	union {
		struct gmsg_ping ping;
		struct gmsg_indirect_ping indirect;
		struct gmsg_ack ack;
		struct gmsg_nack nack;
		struct gmsg_accuse suspect; /* GMSG_SUSPECT */
		struct gmember alive;	    /* GMSG_ALIVE */
		struct gmsg_accuse dead;    /* GMSG_DEAD (from == node: left) */
		struct gmsg_push_pull push_pull;
		struct gmsg_user user;
	} u;
};

/* Frees what a decoded push_pull owns (members, user); no-op for the others. */
void gmsg_free(struct gmsg *m);

/* Equal addresses (family, the family's ip bytes, port). */
bool gaddr_equal(const struct gaddr *a, const struct gaddr *b);

#endif
