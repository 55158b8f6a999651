/* /v1/status/leader and /v1/status/peers: answered from this node's Raft view. */
#include "api/api.h"

void api_status_leader(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_str(&j, a->cons ? consensus_leader_address(a->cons) : "");
	api_json_end(req, &j);
	http_reply(req);
}

void api_status_peers(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw j;
	const char **peers = NULL;
	size_t n = a->cons ? consensus_peers(a->cons, &peers) : 0;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	for (size_t i = 0; i < n; i++)
		jsonw_str(&j, peers[i]);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}
