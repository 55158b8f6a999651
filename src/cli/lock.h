/*
 * The KV protocol behind `consul lock` (cli/lock.c), as Consul's api/lock.go and
 * api/semaphore.go speak it, so that cairn and programs using Consul's client library
 * can contend on the same prefix.
 *
 *   -n 1 (lock)       key PREFIX/.lock, flags LOCK_FLAG_VALUE, empty value, taken with
 *                     ?acquire=<session>; held while its Session is ours.
 *   -n N (semaphore)  each contender acquires PREFIX/<session> (flags SEM_FLAG_VALUE)
 *                     with its own session, then CAS-writes PREFIX/.lock (flags
 *                     SEM_FLAG_VALUE) holding {"Limit":N,"Holders":{"<session>":true}}.
 *                     Holders whose contender key is no longer held by a live session
 *                     are pruned by whoever writes next; held while we are a holder.
 *
 * Both use a session named by -name with TTL 15s, renewed every TTL/2. The lock key
 * carries the semaphore's ".lock" name in both modes, so a lock and a semaphore on the
 * same prefix conflict ("Existing key does not match ... use") rather than both
 * succeeding. Everything is blocking HTTP through cli/httpc. The acquire loop runs on
 * the main thread; lock_monitor and lock_session_renew also run on the keeper thread
 * of cli/lock.c, which only reads the context.
 */
#ifndef CAIRN_CLI_LOCK_H
#define CAIRN_CLI_LOCK_H

#include "base/buf.h"
#include "cli/httpc.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define LOCK_FLAG_VALUE	    0x2ddccbc058a50c18ULL /* api.LockFlagValue */
#define SEM_FLAG_VALUE	    0xe0f69a2baa414de0ULL /* api.SemaphoreFlagValue */
#define LOCK_SESSION_TTL_MS 15000		  /* api.DefaultLockSessionTTL */
#define LOCK_RETRY_MS	    5000		  /* api.DefaultLockRetryTime (lock-delay) */

struct lock_ctx {
	const struct httpc *c;	     /* agent client (shared read-only) */
	int limit;		     /* -n: 1 = lock, > 1 = semaphore */
	const char *prefix;	     /* PREFIX without a leading "/" */
	char *lock_key;		     /* PREFIX/.lock */
	char *contender_key;	     /* PREFIX/<session> (semaphore only) */
	const char *name;	     /* session name */
	char *session;		     /* session ID once created, else NULL */
	int64_t timeout_ms;	     /* -timeout; 0 waits for ever */
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: give up acquiring */
	uint64_t next_renew_ms;	     /* monotonic time of the next renew */
};

/* Monotonic milliseconds. */
uint64_t lock_now_ms(void);

/* Create the session. 0, or -1 with "failed to create session: ..." in err. */
int lock_session_create(struct lock_ctx *l, struct buf *err);
/* Renew it: 0 renewed (or a transport error, retried next period), 1 the session is
 * gone. Sets next_renew_ms. */
int lock_session_renew(struct lock_ctx *l);
/* Destroy it (best effort) and forget the ID. */
void lock_session_destroy(struct lock_ctx *l);

/* Wait for the lock or a semaphore slot: 1 held, 0 stopped or timed out, -1 failed
 * with Consul's reason in err. Renews the session while it waits. */
int lock_acquire(struct lock_ctx *l, struct buf *err);

/* One monitoring step: a blocking read from *index for up to wait_ms. 1 still held,
 * 0 lost, -1 an error worth retrying (transport or 5xx). */
int lock_monitor(const struct lock_ctx *l, uint64_t *index, unsigned wait_ms);

/* Give up the lock or slot (api Unlock / Release). 0, or -1 with err. */
int lock_release(struct lock_ctx *l, struct buf *err);

/* Delete the lock key when nobody holds it (api Destroy): 0 done, 1 in use, -1 with
 * err. */
int lock_cleanup(struct lock_ctx *l, struct buf *err);

#endif
