/*
 * The check runtime's libuv-driven libcurl multi handle (curl.c), for other
 * subsystems that need HTTP on the loop (agent watches) without a second
 * integration. A request is an easy handle plus a completion callback,
 * called once on the loop thread with curl's result unless cancelled. The
 * runtime (checks/check.h) owns the CURLM; close every request (cancel or
 * req_free) before check_runtime_close.
 */
#ifndef CAIRN_CHECKS_CURL_H
#define CAIRN_CHECKS_CURL_H

#include "base/buf.h"

#include <curl/curl.h>

struct check_runtime;
struct check_curl_req;
typedef void (*check_curl_done_fn)(struct check_curl_req *r, CURLcode res);

struct check_curl_req {
	CURL *easy;		       /* set up by the caller before check_curl_add */
	check_curl_done_fn done;       /* completion */
	void *data;		       /* caller's */
	struct curl_slist *connect_to; /* CURLOPT_CONNECT_TO list, freed with the request */
	char errbuf[CURL_ERROR_SIZE];  /* curl's message for res */
};

/* Create the easy handle with the settings every check shares (no signals,
 * no connection reuse, http/https only). */
void check_curl_req_init(struct check_runtime *rt, struct check_curl_req *r,
			 check_curl_done_fn done, void *data);
/* Start it: 0, or a negative error (done is then never called). */
int check_curl_add(struct check_runtime *rt, struct check_curl_req *r);
/* Remove without calling done (safe if not added) and free the easy handle. */
void check_curl_cancel(struct check_runtime *rt, struct check_curl_req *r);
/* Free the easy handle after done ran. */
void check_curl_req_free(struct check_runtime *rt, struct check_curl_req *r);
/* Go's text for a transport error ("dial tcp 127.0.0.1:1: connect: connection
 * refused", "context deadline exceeded ...") from a finished request. */
void check_curl_error_text(struct check_curl_req *r, CURLcode res, struct buf *out);

#endif
