/*
 * Private: HTTP/1.1 response bytes (pure; no sockets).
 *
 * Wire format of every reply, in this order (as Go's server writes them,
 * except that Go sorts handler headers):
 *
 *   HTTP/1.1 <status> <reason>\r\n        reason from http_status_text
 *   Content-Type: <type>\r\n             unless no body is allowed, or the type is
 *                                         "", or it is unset and the body empty
 *   <resp.headers as given>               each "Name: value\r\n"
 *   Date: <http.TimeFormat>\r\n           "Mon, 02 Jan 2006 15:04:05 GMT"
 *   Content-Length: <n>\r\n               unless 1xx, 204 or 304 (HEAD: the
 *                                         length the GET body would have)
 *   Transfer-Encoding: chunked\r\n      instead, for a streamed reply (http_stream_*)
 *                                         to an HTTP/1.1 client; an HTTP/1.0 client
 *                                         gets neither and the body ends at close
 *   Connection: close\r\n                 when the connection ends after it
 *   Connection: keep-alive\r\n            HTTP/1.0 client that asked for it
 *   \r\n
 *   <body>                                not for HEAD, 1xx, 204, 304; a streamed
 *                                         reply's body follows as chunks
 */
#ifndef CAIRN_HTTP_RESPONSE_H
#define CAIRN_HTTP_RESPONSE_H

#include "http/http.h"

#include <stdbool.h>
#include <time.h>

/* Append req->resp to out. close: the connection ends after this reply. */
void resp_serialize(struct buf *out, struct http_request *req, bool close);
/* Append a complete error reply that closes the connection (400, 417, 431...):
 * text/plain body "<status> <reason>", as Go writes it. */
void resp_error(struct buf *out, int status);
/* The reply to a client over its connection limit (go-connlimit's words). */
void resp_too_many_conns(struct buf *out);
/* "HTTP/1.1 100 Continue\r\n\r\n" */
void resp_continue(struct buf *out);

/* Format t as http.TimeFormat into out (30 bytes, NUL-terminated); returns 29. */
size_t resp_format_date(time_t t, char out[30]);

#endif
