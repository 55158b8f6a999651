/* Response and parameter helpers shared by every endpoint (see api.h). */
#include "api/api.h"

#include "base/err.h"
#include "consensus/catalog_ops.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void api_json_begin(struct api *a, struct http_request *req, struct jsonw *w)
{
	buf_reset(&req->resp.body);
	req->resp.content_type = "application/json";
	/* Consul pretty-prints with ?pretty and always in -dev mode */
	jsonw_init(w, &req->resp.body, api_has(req, "pretty") || a->cfg->dev);
}

void api_json_end(struct http_request *req, struct jsonw *w)
{
	if (w->pretty)
		buf_putc(&req->resp.body, '\n');
}

void api_error(struct http_request *req, int status, const char *fmt, ...)
{
	va_list ap;
	buf_reset(&req->resp.body);
	req->resp.status = status;
	req->resp.content_type = "text/plain; charset=utf-8";
	va_start(ap, fmt);
	buf_vprintf(&req->resp.body, fmt, ap);
	va_end(ap);
	http_reply(req);
}

void api_error_code(struct http_request *req, int err)
{
	switch (err) {
	case CAIRN_E_NOLEADER:
		api_error(req, 500, "No cluster leader");
		break;
	case CAIRN_E_NOTLEADER:
		api_error(req, 500, "node is not the leader");
		break;
	case CAIRN_E_LEADERLOST:
		api_error(req, 500, "leadership lost while committing log");
		break;
	case CAIRN_E_SHUTDOWN:
		api_error(req, 500, "raft is shutting down");
		break;
	default:
		api_error(req, 500, "%s", cairn_strerror(err));
	}
}

bool api_local_dc(struct api *a, struct http_request *req)
{
	const char *dc = api_other_dc(a, req);
	if (dc && !api_forward_dc(a, req, dc, API_FWD_SERVER))
		api_error(req, 500, "No path to datacenter");
	return dc == NULL;
}

bool api_raft_here(struct api *a, struct http_request *req)
{
	if (a->cons)
		return true;
	api_error(req, 500, "No known Consul servers");
	return false;
}

bool api_has(const struct http_request *req, const char *name)
{
	return http_param_get(req, name) != NULL;
}

int api_uint_param(struct http_request *req, const char *name, uint64_t *out, bool *present)
{
	const struct http_param *p = http_param_get(req, name);
	if (present)
		*present = p != NULL;
	if (!p)
		return 0;
	const char *s = p->value;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || *s == '+' || *s == ' ') {
		api_error(req, 400, "Invalid %s: strconv.ParseUint: parsing \"%s\": invalid syntax",
			  name, s);
		return -1;
	}
	*out = v;
	return 0;
}

bool api_command_failed(struct http_request *req, int status, const struct txn_result *res)
{
	if (status) {
		api_error_code(req, status);
		return true;
	}
	const char *msg = catalog_ops_error(res);
	if (msg) {
		api_error(req, 500, "%s", msg);
		return true;
	}
	return false;
}
