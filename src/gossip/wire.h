/*
 * Gossip wire format (version 1): our own binary encoding of the messages in
 * msg.h. Pure code: no I/O, no allocation except a decoded push_pull's arrays.
 * Encryption (crypto.h) wraps these bytes whole; it is not visible here.
 *
 * All integers are big-endian. Two framings:
 *
 * UDP packet (a compound: one or more messages, at most GOSSIP_UDP_MAX bytes
 * by the sender's budget, any size up to 65535 accepted):
 *
 *   off  size  field
 *   0    1     version (GWIRE_VERSION)
 *   1    1     type of message 1 (enum gmsg_type; not push_pull)
 *   2    2     body length L1
 *   4    L1    body 1
 *   ...        further [type][length][body] triples until the end of the packet
 *
 * TCP stream frame (one message per frame; ping -> ack, push_pull -> push_pull):
 *
 *   off  size  field
 *   0    1     version (GWIRE_VERSION)
 *   1    1     type (ping, ack or push_pull)
 *   2    4     body length L (<= GWIRE_STREAM_MAX)
 *   6    L     body
 *
 * Field encodings used by the bodies:
 *   str   u8 length (<= GOSSIP_NAME_MAX), bytes (no NUL)
 *   addr  u8 family (4 or 6; 0 only where noted), 4 or 16 ip bytes (none for 0),
 *         u16 port
 *
 * Bodies:
 *   ping       u32 seq | str node | addr source (family 0 allowed) | str source_node
 *   indirect   u32 seq | addr target | str node | u8 flags (bit 0 want_nack, others 0)
 *              | addr source | str source_node
 *   ack        u32 seq | u8 payload length (<= GOSSIP_PAYLOAD_MAX) | payload
 *   nack       u32 seq
 *   suspect    u32 incarnation | str node (non-empty) | str from (non-empty)
 *   dead       as suspect (from == node: the member left)
 *   alive      member
 *   user       u16 length (1..GOSSIP_USER_MAX) | bytes
 *   push_pull  u8 flags (bit 0 join, others 0) | u32 count (<= GOSSIP_PP_MAX_MEMBERS)
 *              | count x (member | u8 state 0..3) | u32 user length
 *              (<= GOSSIP_PP_USER_MAX) | user bytes
 *   member     str name (non-empty) | addr (4 or 6) | u32 incarnation | 6 vsn bytes
 *              | u16 meta length (<= GOSSIP_META_MAX) | meta
 *
 * Decoding is strict: a body must be consumed exactly, every length and enum
 * must be in range, reserved bits zero; any violation rejects the whole packet
 * or frame (CAIRN_E_PARSE), so every accepted input re-encodes to the same bytes.
 * A future version bumps GWIRE_VERSION; version 1 decoders reject others.
 */
#ifndef CAIRN_GOSSIP_WIRE_H
#define CAIRN_GOSSIP_WIRE_H

#include "base/buf.h"
#include "gossip/msg.h"

#include <stddef.h>
#include <stdint.h>

#define GWIRE_VERSION	 1
#define GWIRE_PKT_HDR	 1	     /* version byte at the start of a packet */
#define GWIRE_MSG_HDR	 3	     /* type + u16 length before each body in a packet */
#define GWIRE_STREAM_HDR 6	     /* version + type + u32 length */
#define GWIRE_STREAM_MAX (64u << 20) /* largest stream body accepted */

/* Bytes of m's body (without any header). */
size_t gwire_body_size(const struct gmsg *m);
/* Bytes m takes inside a packet (GWIRE_MSG_HDR + body). */
size_t gwire_msg_size(const struct gmsg *m);

/* Appends the version byte that starts a packet. */
void gwire_packet_begin(struct buf *b);
/* Appends m as [type][length][body] (a packet part). m must not be a push_pull
 * and its body must fit 65535 bytes (true for every other type). */
void gwire_put_msg(struct buf *b, const struct gmsg *m);

/* Walks the messages of a packet. init checks the version (CAIRN_E_PARSE if
 * wrong or empty). next returns 1 with *out filled, 0 at the clean end, or
 * CAIRN_E_PARSE. Use gwire_packet_check first to act only on whole valid packets. */
struct gwire_iter {
	const uint8_t *p; /* the packet */
	size_t len;	  /* its bytes */
	size_t off;	  /* next message's offset */
};
int gwire_iter_init(struct gwire_iter *it, const uint8_t *p, size_t len);
int gwire_iter_next(struct gwire_iter *it, struct gmsg *out);
/* Number of messages (>= 1) if the whole packet is valid, else CAIRN_E_PARSE. */
int gwire_packet_check(const uint8_t *p, size_t len);

/* Appends m as one stream frame (ping, ack or push_pull). */
void gwire_stream_encode(struct buf *b, const struct gmsg *m);
/* Streaming a push_pull frame without building the member array:
 * begin (returns the frame's offset in b), count x member, end. */
size_t gwire_pp_begin(struct buf *b, bool join, uint32_t count);
void gwire_pp_member(struct buf *b, const struct gmember *m); /* with m->state */
void gwire_pp_end(struct buf *b, size_t start, const uint8_t *user, uint32_t user_len);
/* For a reader of a TCP stream: with at least GWIRE_STREAM_HDR bytes, sets
 * *total to the whole frame's size and returns 0; returns 1 if fewer bytes are
 * buffered, CAIRN_E_PARSE on a bad header. */
int gwire_stream_need(const uint8_t *p, size_t len, size_t *total);
/* Decodes exactly one frame (len must be its size). push_pull: gmsg_free after. */
int gwire_stream_decode(const uint8_t *p, size_t len, struct gmsg *out);

#endif
