/*
 * Network coordinates (Vivaldi), as Consul's serf/coordinate package computes
 * them, so `cairn rtt`, the /v1/coordinate endpoints and ?near= give Consul's figures.
 *
 * Model (Dabek et al., "Vivaldi: A Decentralized Network Coordinate System",
 * SIGCOMM 2004, with the height vector and Ledlie et al.'s adjustment and
 * gravity from "Network Coordinates in the Wild", NSDI 2007): each node holds a
 * point in an 8-dimensional Euclidean space plus a non-negative "height" (the
 * access-link delay every packet pays) and an "adjustment" (a small offset
 * learned from the recent estimation error). The estimated RTT between a and b
 * is |a.vec - b.vec| + a.height + b.height, plus both adjustments when that sum
 * stays positive. Every probe RTT to a peer (whose coordinate rides on the ack)
 * pulls or pushes the local point along the line to the peer like a spring,
 * weighted by how confident each side is (error); a gentle gravity towards the
 * origin stops the whole cluster drifting away.
 *
 * Per peer a median filter over the last 3 RTT samples (LatencyFilterSize)
 * absorbs one-off spikes; the table also keeps the peer's latest coordinate.
 *
 * Pure: no I/O, no clock (RTTs are passed in as nanoseconds), randomness from
 * a seeded generator in the struct (used only to pick a direction when two
 * points coincide). One struct vivaldi per gossip pool, owned by the loop
 * thread; vivaldi_free releases the peer table.
 *
 * Wire form of a coordinate (ack payload, push/pull), all big-endian:
 *
 *     offset size field
 *     0      1    version (VIVALDI_WIRE_VERSION = 1)
 *     1      1    dimensionality (8)
 *     2      64   vec[0..7], IEEE-754 binary64 each
 *     66     8    error
 *     74     8    adjustment
 *     82     8    height
 *     90          (VIVALDI_WIRE_SIZE)
 *
 * Decoding is strict: exact size for version 1, known version, dimensionality
 * 8, every number finite (Consul rejects such coordinates at update time; we
 * reject them at the door).
 */
#ifndef CAIRN_GOSSIP_VIVALDI_H
#define CAIRN_GOSSIP_VIVALDI_H

#include "base/jsonw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIVALDI_DIM	     8
#define VIVALDI_WIRE_VERSION 1
#define VIVALDI_WIRE_SIZE    90
#define VIVALDI_MAX_RTT_NS   10000000000LL /* serf refuses samples above 10 s */
#define VIVALDI_MAX_WINDOW   256	   /* bound on adjustment_window */
#define VIVALDI_MAX_FILTER   16		   /* bound on latency_filter */

struct vivaldi_coord {
	double vec[VIVALDI_DIM]; /* position, in seconds */
	double error;		 /* confidence: 0 sure .. error_max unknown */
	double adjustment;	 /* learned offset added to distances, seconds */
	double height;		 /* access-link delay, seconds, >= height_min */
};

/* serf/coordinate's DefaultConfig (vivaldi_config_default fills these). */
struct vivaldi_config {
	double error_max;	    /* VivaldiErrorMax 1.5 */
	double ce;		    /* VivaldiCE 0.25: error smoothing */
	double cc;		    /* VivaldiCC 0.25: spring step */
	unsigned adjustment_window; /* AdjustmentWindowSize 20 (0: no adjustment) */
	double height_min;	    /* HeightMin 10e-6 s */
	unsigned latency_filter;    /* LatencyFilterSize 3 (median of the last n) */
	double gravity_rho;	    /* GravityRho 150 */
};

struct vivaldi_peer;

struct vivaldi {
	struct vivaldi_config cfg;
	struct vivaldi_coord coord;		/* ours */
	struct vivaldi_coord origin;		/* gravity's anchor: a fresh coordinate */
	double adj_samples[VIVALDI_MAX_WINDOW]; /* rtt - raw distance, ring */
	unsigned adj_index;			/* next slot in adj_samples */
	struct vivaldi_peer **buckets;		/* peer table, chained by name hash */
	size_t nbuckets;			/* power of two, or 0 */
	size_t npeers;
	uint64_t rng;	 /* splitmix64 state */
	uint64_t resets; /* times the coordinate went invalid and was reset */
};

void vivaldi_config_default(struct vivaldi_config *cfg);
/* A fresh coordinate: origin, error = error_max, height = height_min. */
void vivaldi_coord_init(struct vivaldi_coord *c, const struct vivaldi_config *cfg);
/* Every component finite (serf's IsValid). */
bool vivaldi_coord_valid(const struct vivaldi_coord *c);

/* cfg NULL: defaults. Returns CAIRN_E_INVAL if cfg's windows exceed the
 * bounds above or a factor is not finite and positive. */
int vivaldi_init(struct vivaldi *v, const struct vivaldi_config *cfg, uint64_t seed);
void vivaldi_free(struct vivaldi *v);

/* One RTT sample to node, whose coordinate (from the ack) is other. Returns
 * CAIRN_E_INVAL, with *why set when why is not NULL, when other is invalid or
 * rtt_ns is outside [0, 10 s]; our coordinate is then untouched. If the update
 * makes our coordinate invalid it is reset to a fresh one (resets++). */
int vivaldi_update(struct vivaldi *v, const char *node, const struct vivaldi_coord *other,
		   int64_t rtt_ns, const char **why);
/* Drop node's RTT samples and coordinate (it left or was reaped). */
void vivaldi_forget(struct vivaldi *v, const char *node);
/* The latest valid coordinate heard from node, or NULL. */
const struct vivaldi_coord *vivaldi_peer_coord(const struct vivaldi *v, const char *node);
/* Replace ours (e.g. restored); ignored if invalid. */
void vivaldi_set(struct vivaldi *v, const struct vivaldi_coord *c);

/* Estimated RTT between a and b, as Go's time.Duration (nanoseconds,
 * truncated) and as seconds of that duration. */
int64_t vivaldi_distance_ns(const struct vivaldi_coord *a, const struct vivaldi_coord *b);
double vivaldi_distance(const struct vivaldi_coord *a, const struct vivaldi_coord *b);

/* vivaldi_codec.c */
void vivaldi_encode(const struct vivaldi_coord *c, uint8_t out[VIVALDI_WIRE_SIZE]);
/* 0; CAIRN_E_VERSION for another version; CAIRN_E_PARSE for a bad size,
 * dimensionality or a non-finite number. */
int vivaldi_decode(const void *p, size_t n, struct vivaldi_coord *c);
/* Consul's Coord object: {"Vec":[8 numbers],"Error":e,"Adjustment":a,"Height":h},
 * numbers formatted as Go's encoding/json does. */
void vivaldi_json(struct jsonw *w, const struct vivaldi_coord *c);

/* ?near= ordering. The caller fills name, coord (NULL: unknown) and item (its
 * own pointer); vivaldi_sort_near orders by estimated RTT from src, nodes
 * without a coordinate last, ties by name then by original position. With src
 * NULL the list is left as it is (Consul does not sort without a source). */
struct vivaldi_near {
	const char *name;
	const struct vivaldi_coord *coord;
	void *item;
	double dist_; /* filled by the sort */
	size_t pos_;  /* filled by the sort */
};
void vivaldi_sort_near(const struct vivaldi_coord *src, struct vivaldi_near *items, size_t n);

#endif
