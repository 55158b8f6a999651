/*
 * PUT /v1/catalog/register and /v1/catalog/deregister: Consul's low-level catalog
 * writes, turned into CMD_CATALOG_REGISTER / CMD_CATALOG_DEREGISTER through Raft.
 *
 * Bodies are Consul's RegisterRequest / DeregisterRequest, decoded as Go's
 * encoding/json does (field names matched case-insensitively, unknown fields ignored,
 * a type mismatch is 400 "Request decode failed: json: cannot unmarshal ..."). The
 * request is validated with the store's rules before it is proposed (Consul's RPC
 * errors are 500 with their message), an empty Datacenter means this agent's, and a
 * missing check status is critical. Service weights default to {1, 1} when absent or
 * invalid, as Consul's ToServiceNode does. A check's Definition is normalised to the
 * form Consul stores (checks/checkdef.h). The reply, sent from the apply callback,
 * is the literal true.
 *
 * Templates point into the decoded jansson tree; everything is freed once the
 * command is encoded.
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/json_get.h"
#include "checks/checkdef.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Go-style decoding ---- */

struct dec {
	struct buf err; /* first error, "json: cannot unmarshal ..." */
	char **owned;	/* strings made while decoding (normalised JSON texts) */
	size_t nowned;
	void **blocks; /* arrays made while decoding */
	size_t nblocks;
};

static void *dec_alloc(struct dec *d, size_t n, size_t size)
{
	void *p = xcalloc(n ? n : 1, size);
	d->blocks = xrealloc(d->blocks, (d->nblocks + 1) * sizeof(*d->blocks));
	d->blocks[d->nblocks++] = p;
	return p;
}

static const char *dec_own(struct dec *d, char *s)
{
	d->owned = xrealloc(d->owned, (d->nowned + 1) * sizeof(*d->owned));
	d->owned[d->nowned++] = s;
	return s;
}

static void dec_free(struct dec *d)
{
	for (size_t i = 0; i < d->nowned; i++)
		free(d->owned[i]);
	for (size_t i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->owned);
	free(d->blocks);
	buf_free(&d->err);
}

static void mismatch(struct dec *d, json_t *v, const char *path, const char *gotype)
{
	if (!d->err.len)
		buf_printf(&d->err, "json: cannot unmarshal %s into Go struct field %s of type %s",
			   json_kind_name(v), path, gotype);
}

/* The field when present, non-null and of the wanted JSON kind (jansson's
 * json_is_* as ok); NULL otherwise, recording Go's mismatch error when the kind
 * is wrong. Every typed getter below starts here. */
static json_t *typed(struct dec *d, json_t *obj, const char *name, const char *path,
		     bool (*ok)(const json_t *), const char *gotype)
{
	json_t *v = json_field(obj, name);
	if (!v || json_is_null(v))
		return NULL;
	if (!ok(v)) {
		mismatch(d, v, path, gotype);
		return NULL;
	}
	return v;
}

static bool is_string(const json_t *v)
{
	return json_is_string(v);
}

static bool is_bool(const json_t *v)
{
	return json_is_boolean(v);
}

static bool is_int32(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) <= INT32_MAX &&
	       json_integer_value(v) >= INT32_MIN;
}

static bool is_object(const json_t *v)
{
	return json_is_object(v);
}

static bool is_array(const json_t *v)
{
	return json_is_array(v);
}

/* A string field: NULL when absent or null. */
static const char *get_str(struct dec *d, json_t *obj, const char *name, const char *path)
{
	json_t *v = typed(d, obj, name, path, is_string, "string");
	return v ? json_string_value(v) : NULL;
}

static bool get_bool(struct dec *d, json_t *obj, const char *name, const char *path)
{
	json_t *v = typed(d, obj, name, path, is_bool, "bool");
	return v && json_is_true(v);
}

static int32_t get_int(struct dec *d, json_t *obj, const char *name, const char *path)
{
	json_t *v = typed(d, obj, name, path, is_int32, "int");
	return v ? (int32_t)json_integer_value(v) : 0;
}

/* map[string]string: pairs point into the tree. */
static struct cat_pair *get_map(struct dec *d, json_t *obj, const char *name, const char *path,
				size_t *n)
{
	json_t *v = typed(d, obj, name, path, is_object, "map[string]string");
	*n = 0;
	if (!v)
		return NULL;
	struct cat_pair *p = dec_alloc(d, json_object_size(v), sizeof(*p));
	const char *k;
	json_t *m;
	json_object_foreach(v, k, m)
	{
		if (!json_is_string(m) && !json_is_null(m)) {
			mismatch(d, m, path, "string");
			return NULL;
		}
		p[(*n)++] = (struct cat_pair){k, json_is_null(m) ? "" : json_string_value(m)};
	}
	return p;
}

static const char **get_strings(struct dec *d, json_t *obj, const char *name, const char *path,
				size_t *n)
{
	json_t *v = typed(d, obj, name, path, is_array, "[]string");
	*n = 0;
	if (!v)
		return NULL;
	const char **s = dec_alloc(d, json_array_size(v), sizeof(*s));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e)) {
			mismatch(d, e, path, "string");
			return NULL;
		}
		s[(*n)++] = json_string_value(e);
	}
	return s;
}

/* An opaque object kept as compact JSON text (Proxy, Connect, Locality); NULL when
 * absent or null. */
static const char *get_json(struct dec *d, json_t *obj, const char *name, const char *path)
{
	json_t *v = typed(d, obj, name, path, is_object, "struct");
	return v ? dec_own(d, json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)) : NULL;
}

/* ---- RegisterRequest ---- */

static struct cat_svc_addr *get_svc_addrs(struct dec *d, json_t *svc, size_t *n)
{
	json_t *v = typed(d, svc, "TaggedAddresses", "RegisterRequest.Service.TaggedAddresses",
			  is_object, "map[string]structs.ServiceAddress");
	*n = 0;
	if (!v)
		return NULL;
	struct cat_svc_addr *a = dec_alloc(d, json_object_size(v), sizeof(*a));
	const char *k;
	json_t *m;
	json_object_foreach(v, k, m)
	{
		if (!json_is_object(m)) {
			mismatch(d, m, "RegisterRequest.Service.TaggedAddresses",
				 "structs.ServiceAddress");
			return NULL;
		}
		const char *addr = get_str(d, m, "Address", "ServiceAddress.Address");
		int32_t port = get_int(d, m, "Port", "ServiceAddress.Port");
		a[(*n)++] = (struct cat_svc_addr){k, addr ? addr : "", port};
	}
	return a;
}

/* Weights as ToServiceNode keeps them: {1, 1} unless valid ones were given. */
static void get_weights(struct dec *d, json_t *svc, struct cat_service *s)
{
	s->weight_passing = 1;
	s->weight_warning = 1;
	json_t *v = typed(d, svc, "Weights", "RegisterRequest.Service.Weights", is_object,
			  "structs.Weights");
	if (!v)
		return;
	int32_t p = get_int(d, v, "Passing", "RegisterRequest.Service.Weights.Passing");
	int32_t w = get_int(d, v, "Warning", "RegisterRequest.Service.Weights.Warning");
	if (p >= 1 && w >= 0 && p <= 65535 && w <= 65535) {
		s->weight_passing = p;
		s->weight_warning = w;
	}
}

static void get_service(struct dec *d, json_t *v, struct cat_service *s)
{
#define P "RegisterRequest.Service."
	s->kind = get_str(d, v, "Kind", P "Kind");
	s->id = get_str(d, v, "ID", P "ID");
	s->name = get_str(d, v, "Service", P "Service");
	s->tags = get_strings(d, v, "Tags", P "Tags", &s->ntags);
	s->address = get_str(d, v, "Address", P "Address");
	s->tagged = get_svc_addrs(d, v, &s->ntagged);
	s->meta = get_map(d, v, "Meta", P "Meta", &s->nmeta);
	s->port = get_int(d, v, "Port", P "Port");
	s->socket_path = get_str(d, v, "SocketPath", P "SocketPath");
	get_weights(d, v, s);
	s->enable_tag_override = get_bool(d, v, "EnableTagOverride", P "EnableTagOverride");
	s->proxy_json = get_json(d, v, "Proxy", P "Proxy");
	s->connect_json = get_json(d, v, "Connect", P "Connect");
	s->locality_json = get_json(d, v, "Locality", P "Locality");
#undef P
}

/* Definition in the form Consul stores (checkdef_write_definition). */
static const char *get_definition(struct dec *d, json_t *chk)
{
	json_t *v = typed(d, chk, "Definition", "RegisterRequest.Check.Definition", is_object,
			  "structs.HealthCheckDefinition");
	if (!v)
		return NULL;
	struct checkdef def;
	struct buf err = BUF_INIT, out = BUF_INIT;
	if (checkdef_parse(v, &def, &err) != 0) {
		if (!d->err.len)
			buf_append(&d->err, err.data, err.len);
		buf_free(&err);
		return NULL;
	}
	struct jsonw w;
	jsonw_init(&w, &out, false);
	checkdef_write_definition(&def, &w);
	checkdef_free(&def);
	buf_free(&err);
	return dec_own(d, buf_steal(&out));
}

/* HealthCheck.Interval/Timeout are strings; a number (nanoseconds) is formatted. */
static const char *get_dur_text(struct dec *d, json_t *chk, const char *name, const char *path)
{
	json_t *v = json_field(chk, name);
	if (v && json_is_integer(v)) {
		struct buf b = BUF_INIT;
		checkdef_format_duration(&b, json_integer_value(v));
		return dec_own(d, buf_steal(&b));
	}
	return get_str(d, chk, name, path);
}

static void get_check(struct dec *d, json_t *v, struct cat_check *c)
{
#define P "RegisterRequest.Check."
	if (!json_is_object(v)) {
		mismatch(d, v, "RegisterRequest.Check", "structs.HealthCheck");
		return;
	}
	c->node = get_str(d, v, "Node", P "Node");
	c->id = get_str(d, v, "CheckID", P "CheckID");
	c->name = get_str(d, v, "Name", P "Name");
	const char *st = get_str(d, v, "Status", P "Status");
	int status = st && *st ? cat_status_parse(st) : CAT_CRITICAL;
	if (status < 0 && !d->err.len)
		buf_printf(&d->err, "invalid check status %s", st);
	c->status = status < 0 ? CAT_CRITICAL : (enum cat_status)status;
	c->notes = get_str(d, v, "Notes", P "Notes");
	c->output = get_str(d, v, "Output", P "Output");
	c->service_id = get_str(d, v, "ServiceID", P "ServiceID");
	c->type = get_str(d, v, "Type", P "Type");
	c->interval = get_dur_text(d, v, "Interval", P "Interval");
	c->timeout = get_dur_text(d, v, "Timeout", P "Timeout");
	c->exposed_port = get_int(d, v, "ExposedPort", P "ExposedPort");
	c->definition_json = get_definition(d, v);
#undef P
}

/* Check and Checks together, as Consul appends Check to Checks. */
static void get_checks(struct dec *d, json_t *body, struct cat_register *r)
{
	json_t *one = json_field(body, "Check"), *many = json_field(body, "Checks");
	if (many && !json_is_null(many) && !json_is_array(many)) {
		mismatch(d, many, "RegisterRequest.Checks", "structs.HealthChecks");
		return;
	}
	size_t n = json_array_size(many) + (one && !json_is_null(one) ? 1 : 0);
	struct cat_check *c = dec_alloc(d, n, sizeof(*c));
	for (size_t i = 0; i < json_array_size(many); i++)
		get_check(d, json_array_get(many, i), &c[r->nchecks++]);
	if (one && !json_is_null(one))
		get_check(d, one, &c[r->nchecks++]);
	r->checks = c;
}

static void get_register(struct dec *d, json_t *body, struct cat_register *r, struct cat_node *node,
			 struct cat_service *svc)
{
	node->id = get_str(d, body, "ID", "RegisterRequest.ID");
	node->name = get_str(d, body, "Node", "RegisterRequest.Node");
	node->address = get_str(d, body, "Address", "RegisterRequest.Address");
	node->datacenter = get_str(d, body, "Datacenter", "RegisterRequest.Datacenter");
	node->tagged =
	    get_map(d, body, "TaggedAddresses", "RegisterRequest.TaggedAddresses", &node->ntagged);
	node->meta = get_map(d, body, "NodeMeta", "RegisterRequest.NodeMeta", &node->nmeta);
	r->node = node;
	r->skip_node_update = get_bool(d, body, "SkipNodeUpdate", "RegisterRequest.SkipNodeUpdate");
	json_t *s =
	    typed(d, body, "Service", "RegisterRequest.Service", is_object, "structs.NodeService");
	if (s) {
		get_service(d, s, svc);
		r->services = svc;
		r->nservices = 1;
	}
	get_checks(d, body, r);
}

/* ---- handlers ---- */

static void reply_true(struct api *a, struct http_request *req)
{
	struct jsonw w;
	api_json_begin(a, req, &w);
	jsonw_bool(&w, true);
	api_json_end(req, &w);
	http_reply(req);
}

static void written(struct api *a, struct http_request *req, int status,
		    const struct txn_result *res)
{
	if (api_command_failed(req, status, res))
		return;
	reply_true(a, req);
}

/* The body as a JSON object, or NULL after answering 400. */
static json_t *body_object(struct http_request *req)
{
	json_error_t je;
	json_t *body = req->body.len ? json_loadb(req->body.data, req->body.len, 0, &je) : NULL;
	if (!body) {
		api_error(req, 400, "Request decode failed: %s", req->body.len ? je.text : "EOF");
		return NULL;
	}
	return body;
}

/* The Datacenter of a body: "" means this agent's; another one gets the
 * request sent there (false: taken, or answered when it cannot be). */
static bool body_dc(struct api *a, struct http_request *req, const char **dc)
{
	if (!*dc || !**dc) {
		*dc = a->cfg->datacenter;
		return true;
	}
	if (strcmp(*dc, a->cfg->datacenter) != 0) {
		if (!api_forward_dc(a, req, *dc, API_FWD_LEADER))
			api_error(req, 500, "No path to datacenter");
		return false;
	}
	return true;
}

static void propose(struct api *a, struct http_request *req, const struct cmd *c)
{
	struct buf enc = BUF_INIT;
	cmd_encode(c, &enc);
	api_write(a, req, &enc, written);
	buf_free(&enc);
}

/* Validation failures are Consul's RPC errors: 500 with the message. */
static bool valid(struct http_request *req, const struct cat_register *r,
		  const struct cat_deregister *d)
{
	char *why = NULL;
	int rc = r ? catalog_register_validate(r, &why) : catalog_deregister_validate(d, &why);
	if (rc)
		api_error(req, 500, "%s", why ? why : cairn_strerror(rc));
	free(why);
	return rc == 0;
}

void api_catalog_register(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	json_t *body = body_object(req);
	if (!body)
		return;
	struct dec d = {BUF_INIT, NULL, 0, NULL, 0};
	struct cat_register r = {0};
	struct cat_node node = {0};
	struct cat_service svc = {0};
	get_register(&d, body, &r, &node, &svc);
	if (d.err.len)
		api_error(req, 400, "Request decode failed: %s", buf_cstr(&d.err));
	else if (body_dc(a, req, &node.datacenter) && valid(req, &r, NULL))
		propose(a, req, &(struct cmd){.type = CMD_CATALOG_REGISTER, .u.reg = r});
	dec_free(&d);
	json_decref(body);
}

void api_catalog_deregister(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	json_t *body = body_object(req);
	if (!body)
		return;
	struct dec d = {BUF_INIT, NULL, 0, NULL, 0};
	struct cat_deregister dr = {
	    .node = get_str(&d, body, "Node", "DeregisterRequest.Node"),
	    .service_id = get_str(&d, body, "ServiceID", "DeregisterRequest.ServiceID"),
	    .check_id = get_str(&d, body, "CheckID", "DeregisterRequest.CheckID"),
	};
	const char *dc = get_str(&d, body, "Datacenter", "DeregisterRequest.Datacenter");
	if (d.err.len)
		api_error(req, 400, "Request decode failed: %s", buf_cstr(&d.err));
	else if (body_dc(a, req, &dc) && valid(req, NULL, &dr))
		propose(a, req, &(struct cmd){.type = CMD_CATALOG_DEREGISTER, .u.dereg = dr});
	dec_free(&d);
	json_decref(body);
}
