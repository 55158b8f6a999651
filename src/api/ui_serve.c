/*
 * The web UI at ui_config.content_path ("/ui/" by default), served from the
 * assets embedded in the binary (ui_assets.h) when ui_config.enabled / -ui is
 * set (-dev sets it).
 *
 * A single-page application: a path under the content path that names an
 * embedded file (".../assets/app.js") gets that file; every other path
 * ("/ui/dc1/services/web") gets index.html, and the page's script routes on
 * the URL with the history API. index.html carries the content path (a
 * placeholder replaced per request), so the pages work under any prefix; the
 * other files are sent as built, gzip-compressed when the client accepts it.
 * The content path without its slash ("/ui") redirects to it, as Go's mux
 * does for Consul. Paths under /v1/ are never the UI's, whatever the content
 * path, so unknown API paths keep the API's 404.
 *
 * Loop thread; nothing allocated beyond the response.
 */
#include "api/api.h"
#include "api/ui_assets.h"

#include <string.h>

#define ROOT_MARK "__CAIRN_ROOT__"

static const struct ui_asset *find_asset(const char *rel)
{
	for (size_t i = 0; i < ui_nassets; i++)
		if (strcmp(ui_assets[i].path, rel) == 0)
			return &ui_assets[i];
	return NULL;
}

static bool accepts_gzip(const struct http_request *req)
{
	const char *ae = http_header_get(req, "accept-encoding");
	return ae && strstr(ae, "gzip");
}

/* index.html with every ROOT_MARK replaced by the content path. */
static void send_index(struct api *a, struct http_request *req, const struct ui_asset *idx)
{
	const char *p = (const char *)idx->data, *end = p + idx->len;
	size_t mlen = strlen(ROOT_MARK);
	while (p < end) {
		const char *m = memmem(p, (size_t)(end - p), ROOT_MARK, mlen);
		if (!m) {
			buf_append(&req->resp.body, p, (size_t)(end - p));
			break;
		}
		buf_append(&req->resp.body, p, (size_t)(m - p));
		buf_puts(&req->resp.body, a->cfg->ui_content_path);
		p = m + mlen;
	}
	req->resp.content_type = idx->content_type;
	http_resp_header(req, "Cache-Control", "no-cache");
	http_reply(req);
}

static void send_asset(struct http_request *req, const struct ui_asset *f)
{
	req->resp.content_type = f->content_type;
	/* unversioned names: revalidate, so an upgraded agent never runs old JS */
	http_resp_header(req, "Cache-Control", "no-cache");
	http_resp_header(req, "Vary", "Accept-Encoding");
	if (accepts_gzip(req)) {
		http_resp_header(req, "Content-Encoding", "gzip");
		buf_append(&req->resp.body, f->gz, f->gzlen);
	} else {
		buf_append(&req->resp.body, f->data, f->len);
	}
	http_reply(req);
}

bool api_ui_try(struct api *a, struct http_request *req)
{
	const char *root = a->cfg->ui_content_path;
	if (!a->cfg->ui || !root || !*root)
		return false;
	/* the API keeps its own 404s, even under a content path of "/" */
	if ((req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) ||
	    strncmp(req->path, "/v1/", 4) == 0)
		return false;
	size_t rlen = strlen(root);
	if (rlen > 1 && strlen(req->path) == rlen - 1 && strncmp(req->path, root, rlen - 1) == 0) {
		req->resp.status = 301;
		http_resp_header(req, "Location", root);
		req->resp.content_type = "text/html; charset=utf-8";
		http_reply(req);
		return true;
	}
	if (strncmp(req->path, root, rlen) != 0)
		return false;
	const char *rel = req->path + rlen;
	const struct ui_asset *f = *rel ? find_asset(rel) : NULL;
	if (f && strcmp(rel, "index.html") != 0) {
		send_asset(req, f);
		return true;
	}
	const struct ui_asset *idx = find_asset("index.html");
	if (!idx)
		return false;
	send_index(a, req, idx);
	return true;
}
