/*
 * Error codes: one X-macro table, negative values, as libuv does.
 *
 * Functions that can fail return 0 or one of these (never a positive value).
 * cairn_strerror() gives the one-line message; where Consul has a message for the
 * same condition (e.g. "No cluster leader") the table uses Consul's words, because
 * it reaches users verbatim in HTTP bodies and CLI output.
 */
#ifndef CAIRN_BASE_ERR_H
#define CAIRN_BASE_ERR_H

#define CAIRN_ERR_MAP(X)                                                                           \
	X(INVAL, "invalid argument")                                                               \
	X(NOTFOUND, "not found")                                                                   \
	X(EXIST, "already exists")                                                                 \
	X(CAS, "check-and-set failed")                                                             \
	X(NOLEADER, "No cluster leader")                                                           \
	X(NOTLEADER, "node is not the leader")                                                     \
	X(LEADERLOST, "leadership lost while committing log")                                      \
	X(TOOBIG, "request too large")                                                             \
	X(IO, "I/O error")                                                                         \
	X(PARSE, "malformed input")                                                                \
	X(SHUTDOWN, "agent is shutting down")                                                      \
	X(TIMEOUT, "timed out")                                                                    \
	X(PERM, "Permission denied")                                                               \
	X(BUSY, "too many requests")                                                               \
	X(VERSION, "unsupported version")                                                          \
	X(INTERNAL, "internal error")

enum cairn_err {
	CAIRN_OK = 0,
#define X(name, msg) CAIRN_E_##name,
	CAIRN_ERR_FIRST_ = -1000,
	CAIRN_ERR_MAP(X)
#undef X
};

/* Message for a code; also handles negative errno values (via strerror). */
const char *cairn_strerror(int err);

#endif
