/*
 * bench_http: cairn's HTTP server with a do-nothing handler, for wrk.
 *
 *   bench_http [hello|kv] [PORT]        (defaults: hello 8081; 127.0.0.1)
 *
 * "hello" answers every request 200 with the text body "hello"; "kv" answers
 * like bench/hello.c does (a one-key KV GET body with Consul's headers), so
 * the two can be compared under the same wrk run:
 *
 *   wrk -t2 -c64 -d5s http://127.0.0.1:8081/v1/kv/bench/key
 *
 * Not a CTest (the name does not start with test_); build it by hand against
 * a release build of the library, e.g.
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build-rel --target cairn_http
 *   cc -O2 -Isrc tests/unit/http/bench_http.c build-rel/libcairn_http.a \
 *      build-rel/libcairn_base.a -lhttp_parser -luv -lcrypto -lm -o bench_http
 *
 * SIGINT/SIGTERM stop it.
 */
#include "http/http.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV_BODY                                                                                    \
	"[{\"LockIndex\":0,\"Key\":\"bench/key\",\"Flags\":0,\"Value\":\"aGVsbG8=\","              \
	"\"CreateIndex\":5,\"ModifyIndex\":5}]"

static bool kv_mode;

static void dispatch(void *ctx, struct http_request *req)
{
	if (!kv_mode) {
		req->resp.content_type = "text/plain";
		buf_puts(&req->resp.body, "hello");
		http_reply(req);
		return;
	}
	http_resp_header(req, "Vary", "Accept-Encoding");
	http_resp_header(req, "X-Consul-Default-Acl-Policy", "allow");
	http_resp_header_u64(req, "X-Consul-Index", 5);
	http_resp_header(req, "X-Consul-Knownleader", "true");
	http_resp_header(req, "X-Consul-Lastcontact", "0");
	http_resp_header(req, "X-Consul-Query-Backend", "blocking-query");
	buf_puts(&req->resp.body, KV_BODY);
	http_reply(req);
}

static void on_signal(uv_signal_t *h, int signum)
{
	uv_stop(h->loop);
}

int main(int argc, char **argv)
{
	kv_mode = argc > 1 && strcmp(argv[1], "kv") == 0;
	int port = argc > 2 ? atoi(argv[2]) : 8081;
	uv_loop_t *loop = uv_default_loop();
	const char *addrs[] = {"127.0.0.1", NULL};
	struct http_server_config cfg = {
	    .addrs = addrs, .port = port, .max_body = 512 * 1024, .dispatch = dispatch};
	struct http_server *srv;
	struct buf err = BUF_INIT;
	if (http_server_start(loop, &cfg, &srv, &err) != 0) {
		fprintf(stderr, "bench_http: %s\n", buf_cstr(&err));
		return 1;
	}
	uv_signal_t sigint, sigterm;
	uv_signal_init(loop, &sigint);
	uv_signal_init(loop, &sigterm);
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	fprintf(stderr, "bench_http: %s mode on 127.0.0.1:%d\n", kv_mode ? "kv" : "hello", port);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
