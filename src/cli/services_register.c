/*
 * `consul services register [options] [FILE...]`: register services with the local
 * agent (PUT /v1/agent/service/register), from config files holding "service" or
 * "services" blocks (JSON or HCL, services_files.c), or from flags (-name, -id,
 * -address, -port, -socket, -tag..., -meta k=v..., -tagged-address k=addr:port...,
 * -kind). Prints "Registered service: NAME" for each, as Consul.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/kv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct services_register_opts {
	const char *address;	   /* -address */
	const char *id;		   /* -id */
	const char *kind;	   /* -kind */
	struct flag_strings meta;  /* -meta key=value */
	const char *name;	   /* -name */
	int64_t port;		   /* -port */
	const char *socket;	   /* -socket */
	struct flag_strings tags;  /* -tag */
	struct flag_strings taddr; /* -tagged-address key=addr:port */
	struct httpc_flags http;
};

const char services_register_usage[] =
    "\nUsage: consul services register [options] [FILE...]\n"
    "\n"
    "  Register one or more services using the local agent API. Services can\n"
    "  be registered from standard Consul configuration files (HCL or JSON) or\n"
    "  using flags. The service is registered and the command returns. The caller\n"
    "  must remember to call \"consul services deregister\" or a similar API to\n"
    "  deregister the service when complete.\n"
    "\n"
    "      $ consul services register web.json\n"
    "\n"
    "  Additional flags and more advanced use cases are detailed below.\n";

#define O struct services_register_opts
const struct flag_def services_register_flags[] = {
    FLAG_DEF("address", FLAG_STRING, O, address,
	     "Address of the service to register for arg-based registration.", NULL),
    FLAG_DEF("id", FLAG_STRING, O, id,
	     "ID of the service to register for arg-based registration. If this isn't set, it "
	     "will default to the -name value.",
	     NULL),
    FLAG_DEF("kind", FLAG_STRING, O, kind, "The services 'kind'", NULL),
    FLAG_DEF("meta", FLAG_STRINGS, O, meta,
	     "Metadata to set on the service, formatted as key=value. This flag may be "
	     "specified multiple times to set multiple meta fields.",
	     NULL),
    FLAG_DEF("name", FLAG_STRING, O, name,
	     "Name of the service to register for arg-based registration.", NULL),
    FLAG_DEF("port", FLAG_INT, O, port,
	     "Port of the service to register for arg-based registration.", "0"),
    FLAG_DEF("socket", FLAG_STRING, O, socket,
	     "Path to the Unix domain socket to register for arg-based registration (conflicts "
	     "with address and port).",
	     NULL),
    FLAG_DEF("tag", FLAG_STRINGS, O, tags,
	     "Tag to add to the service. This flag can be specified multiple times to set "
	     "multiple tags.",
	     NULL),
    FLAG_DEF("tagged-address", FLAG_STRINGS, O, taddr,
	     "Tagged address to set on the service, formatted as key=value. This flag may be "
	     "specified multiple times to set multiple addresses.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* Go's net.SplitHostPort + strconv.Atoi, as api.ParseServiceAddr; message in err. */
static int parse_service_addr(const char *s, json_t **out, struct buf *err)
{
	const char *colon = strrchr(s, ':');
	const char *host = s, *hend;
	if (!colon) {
		buf_printf(err, "address %s: missing port in address", s);
		return -1;
	}
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb + 1 != colon) {
			buf_printf(err, "address %s: %s", s,
				   rb ? "missing port in address" : "missing ']' in address");
			return -1;
		}
		host = s + 1, hend = rb;
	} else {
		hend = colon;
		if (memchr(s, ':', (size_t)(colon - s))) {
			buf_printf(err, "address %s: too many colons in address", s);
			return -1;
		}
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno) {
		buf_printf(err, "strconv.Atoi: parsing \"%s\": %s", colon + 1,
			   errno ? "value out of range" : "invalid syntax");
		return -1;
	}
	*out = json_pack("{s:s%,s:I}", "Address", host, (size_t)(hend - host), "Port",
			 (json_int_t)port);
	return 0;
}

/* The registration body the flags describe (Go's AgentServiceRegistration, omitempty). */
static json_t *from_flags(const struct services_register_opts *o, json_t *meta, json_t *taddrs)
{
	json_t *svc = json_object();
	if (o->kind && *o->kind)
		json_object_set_new(svc, "Kind", json_string(o->kind));
	if (o->id && *o->id)
		json_object_set_new(svc, "ID", json_string(o->id));
	if (o->name && *o->name)
		json_object_set_new(svc, "Name", json_string(o->name));
	if (o->tags.n) {
		json_t *t = json_array();
		for (size_t i = 0; i < o->tags.n; i++)
			json_array_append_new(t, json_string(o->tags.v[i]));
		json_object_set_new(svc, "Tags", t);
	}
	if (o->port)
		json_object_set_new(svc, "Port", json_integer(o->port));
	if (o->address && *o->address)
		json_object_set_new(svc, "Address", json_string(o->address));
	if (o->socket && *o->socket)
		json_object_set_new(svc, "SocketPath", json_string(o->socket));
	if (json_object_size(taddrs))
		json_object_set(svc, "TaggedAddresses", taddrs);
	if (json_object_size(meta))
		json_object_set(svc, "Meta", meta);
	return svc;
}

static int register_all(const struct httpc *c, json_t *svcs)
{
	for (size_t i = 0; i < json_array_size(svcs); i++) {
		json_t *svc = json_array_get(svcs, i);
		const char *name = services_field(svc, "name");
		char *body = json_dumps(svc, JSON_COMPACT);
		struct httpc_req r;
		httpc_req_init(&r, "PUT", "/v1/agent/service/register", false);
		r.body = body;
		r.body_len = strlen(body);
		struct buf err = BUF_INIT;
		int rc = catcli_write(c, &r, &err);
		free(body);
		if (rc < 0) {
			struct buf q = BUF_INIT;
			catcli_go_quote(&q, name);
			cli_error("Error registering service %s: %s", buf_cstr(&q), buf_cstr(&err));
			buf_free(&q);
			buf_free(&err);
			return 1;
		}
		buf_free(&err);
		cli_info("Registered service: %s", name);
	}
	return 0;
}

/* -tagged-address values into Address/Port objects; -1 after printing the error. */
static int tagged_addresses(const struct services_register_opts *o, json_t *raw, json_t **out)
{
	const char *k;
	json_t *v;
	*out = json_object();
	json_object_foreach(raw, k, v)
	{
		json_t *a;
		struct buf err = BUF_INIT;
		if (parse_service_addr(json_string_value(v), &a, &err) < 0) {
			cli_error("Invalid Tagged Address: %s", buf_cstr(&err));
			buf_free(&err);
			return -1;
		}
		json_object_set_new(*out, k, a);
	}
	return 0;
}

/* The services to register: from files, or from the flags. NULL after an error. */
static json_t *services(const struct services_register_opts *o, char **files, int nfiles)
{
	json_t *meta = NULL, *raw = NULL, *taddrs = NULL, *svcs = NULL;
	if (catcli_map_flag(services_register_flags, "meta", &o->meta, &meta) < 0 ||
	    catcli_map_flag(services_register_flags, "tagged-address", &o->taddr, &raw) < 0 ||
	    tagged_addresses(o, raw, &taddrs) < 0)
		goto out;
	bool named = o->name && *o->name;
	if (nfiles == 0 && !named) {
		cli_error("Service registration requires at least one argument or flags.");
	} else if (nfiles > 0 && named) {
		cli_error("Service registration requires arguments or -id, not both.");
	} else if (nfiles > 0) {
		struct buf err = BUF_INIT;
		if (services_from_files(files, nfiles, &svcs, &err) < 0)
			cli_error("Error: %s", buf_cstr(&err));
		buf_free(&err);
	} else {
		svcs = json_array();
		json_array_append_new(svcs, from_flags(o, meta, taddrs));
	}
out:
	json_decref(meta);
	json_decref(raw);
	json_decref(taddrs);
	return svcs;
}

int services_register_main(int argc, char **argv)
{
	struct services_register_opts o = {0};
	int rest, rc = 1;
	json_t *svcs = NULL;
	struct httpc c;
	if (flags_parse(services_register_flags, &o, argc, argv, 1, &rest) < 0)
		goto out;
	svcs = services(&o, argv + rest, argc - rest);
	if (!svcs || kv_client(&c, &o.http) < 0)
		goto out;
	rc = register_all(&c, svcs);
	httpc_free(&c);
out:
	json_decref(svcs);
	flag_strings_free(&o.meta);
	flag_strings_free(&o.tags);
	flag_strings_free(&o.taddr);
	return rc;
}
