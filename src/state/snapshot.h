/*
 * Snapshot format constants, shared by snapshot.c (encode), restore.c (decode),
 * tests and the fuzz target. The API is in store.h; the format is drawn as
 * offset/size tables in snapshot.c.
 */
#ifndef CAIRN_STATE_SNAPSHOT_H
#define CAIRN_STATE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MAGIC	 "CRNS"
#define SNAPSHOT_VERSION 1
/* Header (magic, version, index, floor) and trailing checksum sizes. */
#define SNAPSHOT_HEADER_SIZE  24
#define SNAPSHOT_TRAILER_SIZE 8
/* Section header, and fixed parts of KV entry / tombstone records. */
#define SNAPSHOT_SECTION_SIZE  20
#define SNAPSHOT_KV_REC_SIZE   44
#define SNAPSHOT_TOMB_REC_SIZE 12
/* A session or value length meaning "none" (unlocked / null value). */
#define SNAPSHOT_NO_LEN UINT32_MAX

/* Section table ids. Never reuse a retired id. */
enum snapshot_section {
	SNAP_SEC_KV = 1,	      /* live KV entries */
	SNAP_SEC_KV_TOMBS = 2,	      /* KV tombstones */
	SNAP_SEC_CAT_NODES = 3,	      /* catalog nodes (and their per-node index) */
	SNAP_SEC_CAT_SERVICES = 4,    /* catalog service instances */
	SNAP_SEC_CAT_CHECKS = 5,      /* catalog checks */
	SNAP_SEC_CAT_INDEXES = 6,     /* catalog table indexes, floors, per-name indexes */
	SNAP_SEC_SESSIONS = 7,	      /* sessions (session_snap.c) */
	SNAP_SEC_SESSION_INDEXES = 8, /* session table, id floor and per-node indexes */
	SNAP_SEC_QUERIES = 9,	      /* prepared queries (query_snap.c) */
	SNAP_SEC_QUERY_INDEXES = 10,  /* prepared-query table index and id floor */
};

/* The trailer: 64-bit FNV-1a of every byte before it. */
uint64_t snapshot_checksum(const void *data, size_t len);

#endif
