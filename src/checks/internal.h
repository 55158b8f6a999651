/*
 * Private to src/checks/: the contract between the state machine (check.c)
 * and the runners (one file per check type), plus small shared helpers.
 *
 * A probe's life. check.c arms c->timer; when it fires it calls
 * runner->start(c). The runner allocates its state, stores it in c->op and
 * starts asynchronous work. When the work ends the runner releases its state
 * (moving the output it needs into a local buffer) and then calls exactly one
 * of:
 *   check_probe_done(c, ...)         the result, through the StatusHandler
 *   check_probe_done_direct(c, ...)  the result as is (where Consul bypasses
 *                                    the counters: script timeouts, spawn errors)
 *   check_probe_end(c)               no result (the probe was cancelled)
 * Each clears c->op before reporting, so the owner's callback may close the
 * check, and then schedules the next probe or completes a pending close.
 * runner->cancel(c) is called by check_close while c->op is set: the runner
 * stops its work and calls check_probe_end once its handles are released
 * (from cancel itself, or later from a close callback). If start returns an
 * error nothing is in flight: check.c reports critical with the error text.
 *
 * Loop thread only.
 */
#ifndef CAIRN_CHECKS_INTERNAL_H
#define CAIRN_CHECKS_INTERNAL_H

#include "checks/check.h"
#include "checks/curl.h"
#include "base/buf.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct check_runner {
	const char *name;		 /* for logs */
	int (*start)(struct check *c);	 /* begin one probe; 0 or a negative error */
	void (*cancel)(struct check *c); /* abort the probe in c->op */
};

extern const struct check_runner check_runner_http;
extern const struct check_runner check_runner_tcp;
extern const struct check_runner check_runner_udp;
extern const struct check_runner check_runner_grpc;
extern const struct check_runner check_runner_h2ping;
extern const struct check_runner check_runner_script;
extern const struct check_runner check_runner_unsupported;

void check_probe_done(struct check *c, enum check_status st, const char *out, size_t len);
void check_probe_done_direct(struct check *c, enum check_status st, const char *out, size_t len);
void check_probe_end(struct check *c);

/* Consul's StatusHandler: apply the counters, then check_report (check.c). */
void check_status_handler(struct check *c, enum check_status st, const char *out, size_t len);
/* Set status/output and call the owner if either changed (check.c). */
void check_report(struct check *c, enum check_status st, const char *out, size_t len);

/* TTL (ttl.c) and alias (alias.c) hooks used by check.c. */
int check_ttl_start(struct check *c);
int check_alias_start(struct check *c);
void check_alias_remove(struct check *c);

/* Random value in [0, n) from the runtime's source (n > 0). */
uint64_t check_rand_below(struct check_runtime *rt, uint64_t n);
/* ns -> ms for libuv timers, rounding up, at least min_ms. */
uint64_t check_ns_to_ms(int64_t ns, uint64_t min_ms);

/*
 * Keeps the last cap bytes written (armon/circbuf, as Consul captures check
 * output) and counts everything written.
 */
struct tailbuf {
	char *data;	/* cap bytes, ring */
	size_t cap;	/* size of the ring */
	size_t pos;	/* next write position */
	uint64_t total; /* bytes written in all */
};
void tailbuf_init(struct tailbuf *t, size_t cap);
void tailbuf_write(struct tailbuf *t, const void *p, size_t n);
/* Append the kept bytes, oldest first. */
void tailbuf_get(const struct tailbuf *t, struct buf *out);
/* Bytes kept (min(total, cap)). */
size_t tailbuf_len(const struct tailbuf *t);
void tailbuf_free(struct tailbuf *t);

/* Go's net.SplitHostPort: "host:port", "[v6]:port". 0 or -1 with Go's message
 * ("missing port in address", "too many colons in address") in err. */
int check_split_hostport(const char *addr, struct buf *host, struct buf *port, struct buf *err);
/* An IP literal with a numeric port, without DNS. 0, or -1 if not a literal. */
int check_addr_literal(const char *host, const char *port, struct sockaddr_storage *out);
/* Go's "ip:port" / "[ip6]:port". */
void check_format_addr(struct buf *out, const struct sockaddr *sa);
/* Go's "dial <net>: lookup <host>: no such host" and friends. */
void check_lookup_error(struct buf *out, const char *net, const char *host, int status);
/*
 * The first step of probing a "host:port" target over net ("tcp", "udp"): split
 * it, take an IP literal as is (0, *lit set), or start resolving the name with
 * uv_getaddrinfo into gai, cb called later (1). -1 when it cannot start: err
 * holds Go's message ("dial tcp: missing port in address", a lookup error).
 * host receives the host part either way.
 */
int check_target_begin(uv_loop_t *loop, const char *net, const char *target, int socktype,
		       uv_getaddrinfo_t *gai, uv_getaddrinfo_cb cb, struct buf *host,
		       struct sockaddr_storage *lit, struct buf *err);
/* Go's lower-case text for an errno (uv error codes are negative errno). */
const char *check_errno_text(int uv_err);

/* The shared CURLM (checks/curl.h) and its internal parts (curl.c). */
/* Close the runtime's CURLM and handles; cb when all handles are closed. */
void check_curl_close(struct check_runtime *rt, void (*cb)(struct check_runtime *rt));
/* Set the URL, and with tls_opts the definition's TLS settings (skip verify;
 * server name via CONNECT_TO plus a Host header appended to *hdrs). */
int check_curl_url(struct check_curl_req *r, const struct checkdef *d, const char *url,
		   bool tls_opts, struct curl_slist **hdrs);

#endif
