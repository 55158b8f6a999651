/*
 * Shared by persist.c (writing) and persist_load.c (reading); private to
 * src/local/. Formats in local.h.
 */
#ifndef CAIRN_LOCAL_PERSIST_H
#define CAIRN_LOCAL_PERSIST_H

#include "local/internal.h"

#define DIR_SERVICES "services"
#define DIR_CHECKS   "checks"
#define DIR_STATE    "checks/state"

/* A queued TTL state write (or removal when output is NULL and expires < 0). */
struct pending_state {
	enum check_status status;
	char *output;
	int64_t expires;
};

struct persist_state {
	struct idmap services; /* dirty service IDs (value unused) */
	struct idmap checks;   /* dirty check IDs (value unused) */
	struct idmap states;   /* dirty TTL state: id -> struct pending_state */
	struct persist_batch *inflight;
};

/* data_dir is set: anything is written at all. */
bool persist_enabled(const struct local_state *ls);
/* "<dir>/<sha256 hex of id>" (malloc'd). */
char *persist_rel_path(const char *dir, const char *id);

#endif
