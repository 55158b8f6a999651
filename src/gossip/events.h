/*
 * User events, as Consul's `consul event` / /v1/event/fire and /v1/event/list carry them over
 * serf: an event is fired once, flooded through the gossip pool as an opaque
 * user broadcast, de-duplicated on arrival by its Lamport time, kept in a ring
 * of the last 256 that /v1/event/list serves, and handed to watches when it
 * passes the node/service/tag filters here.
 *
 * Pieces (all pure; the agent wires them to gossip and HTTP):
 *   struct event         one event; owns its strings (event_free)
 *   event_encode/decode  the broadcast bytes (format below)
 *   event_validate       Consul's checks at fire time, with Consul's messages
 *   event_dedupe         serf's recent-events window keyed by Lamport time
 *   event_ring           the last EVENT_RING_SIZE accepted events
 *   event_match_local    do the filters select this node? (events_filter.c)
 *   event_json           Consul's JSON shape (events_json.c)
 *
 * Wire form (the user broadcast, at most EVENT_WIRE_MAX bytes), big-endian:
 *
 *     offset size field
 *     0      1    kind: EVENT_WIRE_KIND ('E'), so a serf-layer demux can tell
 *                 events from other user broadcasts
 *     1      1    format version (EVENT_WIRE_VERSION = 1)
 *     2      1    Consul's event Version (1)
 *     3      1    flags, 0 (reserved; a set bit is refused)
 *     4      8    Lamport time
 *     12     16   ID (a UUID)
 *     28     2    name length n (>= 1)
 *     30     2    payload length p
 *     32     2    node filter length
 *     34     2    service filter length
 *     36     2    tag filter length
 *     38     ...  name, node filter, service filter, tag filter, payload
 *
 * The decoder is strict: known kind and version, zero flags, lengths that add
 * up to exactly the input, a non-empty name, no NUL in name or filters, and no
 * tag filter without a service filter. The payload is opaque bytes.
 *
 * Limits: name + payload <= EVENT_SIZE_LIMIT (serf's UserEventSizeLimit
 * default), whole encoding <= EVENT_WIRE_MAX (the core's user broadcast).
 */
#ifndef CAIRN_GOSSIP_EVENTS_H
#define CAIRN_GOSSIP_EVENTS_H

#include "base/buf.h"
#include "base/jsonw.h"
#include "gossip/lamport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_WIRE_KIND	   0x45 /* 'E' */
#define EVENT_WIRE_VERSION 1
#define EVENT_HEADER_SIZE  38
#define EVENT_WIRE_MAX	   1024 /* msg.h GOSSIP_USER_MAX */
#define EVENT_SIZE_LIMIT   512	/* name + payload */
#define EVENT_VERSION	   1	/* Consul's userEventMaxVersion */
#define EVENT_RING_SIZE	   256	/* Consul keeps the last 256 for /v1/event/list */
#define EVENT_WINDOW	   512	/* serf's EventBuffer: Lamport times remembered */
#define EVENT_SLOT_MAX	   256	/* distinct events remembered per Lamport time */

struct event {
	uint8_t id[16];	      /* UUID */
	char *name;	      /* owned, non-empty */
	uint8_t *payload;     /* owned, NULL when payload_len == 0 */
	size_t payload_len;   /* 0: no payload (JSON null) */
	char *node_filter;    /* owned, "" for none (never NULL once set) */
	char *service_filter; /* owned, "" for none */
	char *tag_filter;     /* owned, "" for none; needs a service filter */
	uint32_t version;     /* Consul's Version, EVENT_VERSION when fired */
	uint64_t ltime;	      /* Lamport time it was fired at */
};

/* Fill e with copies (NULL filters/payload mean none). */
void event_set(struct event *e, const uint8_t id[16], const char *name, const void *payload,
	       size_t payload_len, const char *node_filter, const char *service_filter,
	       const char *tag_filter);
void event_copy(struct event *dst, const struct event *src);
void event_free(struct event *e);

/* Consul's checks when an event is fired: 0, or CAIRN_E_INVAL with Consul's
 * message in err ("User event missing name", "Cannot provide tag filter
 * without service filter", "Invalid node filter: error parsing regexp: ...")
 * or CAIRN_E_TOOBIG ("user event exceeds configured limit of 512 bytes").
 * Regular expressions are Go's syntax (base/filter_regex.c). */
int event_validate(const struct event *e, struct buf *err);

/* Append the broadcast bytes to out. CAIRN_E_TOOBIG (and a line in err if
 * not NULL) when they would exceed the limits. */
int event_encode(const struct event *e, struct buf *out, struct buf *err);
/* 0, CAIRN_E_VERSION (another kind of message or version) or CAIRN_E_PARSE.
 * On success e owns fresh copies; on failure e is zeroed. */
int event_decode(const void *p, size_t n, struct event *e);

/* UUID text "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (37 with the NUL). */
void event_id_format(const uint8_t id[16], char out[37]);
int event_id_parse(const char *s, uint8_t id[16]);
/* Consul's X-Consul-Index for an event list ending with this ID: the first
 * eight bytes XOR the last eight (uuidToUint64), which is what `consul watch
 * -type=event` compares IDs against. */
uint64_t event_id_index(const uint8_t id[16]);

/* ---- de-duplication (serf's eventBuffer) ---- */

enum event_verdict {
	EVENT_NEW = 0,	 /* deliver and rebroadcast */
	EVENT_DUPLICATE, /* seen already */
	EVENT_TOO_OLD,	 /* before the window or the minimum time */
	EVENT_DROPPED,	 /* EVENT_SLOT_MAX events at one Lamport time already */
};

struct event_seen {
	uint64_t ltime;	    /* which Lamport time this slot holds */
	bool used;	    /* slot holds ltime */
	uint8_t (*ids)[16]; /* events seen at ltime, owned */
	size_t n, cap;
};

struct event_dedupe {
	struct event_seen slots[EVENT_WINDOW]; /* indexed by ltime % EVENT_WINDOW */
	uint64_t min_time;		       /* ignore events before (join with ignore-old) */
};

void event_dedupe_init(struct event_dedupe *d);
void event_dedupe_free(struct event_dedupe *d);
/* An event stamped ltime with this ID arrived: witness ltime on clock (the
 * event clock), then judge it. Old means ltime + EVENT_WINDOW < clock time. */
enum event_verdict event_dedupe_offer(struct event_dedupe *d, struct lamport *clock, uint64_t ltime,
				      const uint8_t id[16]);
/* Ignore events stamped before t (serf sets this to the clock on a join that
 * ignores old events). */
void event_dedupe_set_min(struct event_dedupe *d, uint64_t t);

/* ---- the last 256 events (/v1/event/list) ---- */

struct event_ring {
	struct event items[EVENT_RING_SIZE]; /* owned copies */
	size_t next;			     /* slot the next event goes to */
	size_t count;			     /* filled slots */
	uint64_t added;			     /* events ever added: moves on each add */
};

void event_ring_init(struct event_ring *r);
void event_ring_free(struct event_ring *r);
/* Copy e in, evicting the oldest when full; added++ (wake blocked lists). */
void event_ring_add(struct event_ring *r, const struct event *e);
/* Oldest first, only those named name (NULL or "": all), into out (room for
 * EVENT_RING_SIZE pointers into the ring, valid until the next add). Returns
 * the count; *index gets Consul's X-Consul-Index for that list (event_id_index
 * of the last, or 1 when empty). A blocking list with ?index=N waits while
 * the index equals N and re-runs when added moves. */
size_t event_ring_list(const struct event_ring *r, const char *name, const struct event **out,
		       uint64_t *index);

/* ---- filters (events_filter.c) ---- */

/* One local service, as the agent's local state lists it. */
struct event_service {
	const char *id;
	const char *name;
	const char *const *tags;
	size_t ntags;
};
/* Fill *out with the i-th local service and return true, or return false
 * past the last. */
typedef bool (*event_service_fn)(void *ctx, size_t i, struct event_service *out);

/* Consul's shouldProcessUserEvent: the node filter matches node_name, and
 * the service filter matches one local service (its ID or its name) with,
 * when a tag filter is set, a tag it matches. An unparseable filter selects
 * nothing. */
bool event_match_local(const struct event *e, const char *node_name, event_service_fn services,
		       void *ctx);

/* ---- JSON (events_json.c) ---- */

/* {"ID":..,"Name":..,"Payload":base64|null,"NodeFilter":..,"ServiceFilter":..,
 *  "TagFilter":..,"Version":..,"LTime":..} */
void event_json(struct jsonw *w, const struct event *e);

#endif
