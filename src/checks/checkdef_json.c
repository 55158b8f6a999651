/*
 * Check definitions as JSON: the catalog's HealthCheck.Definition (Consul's
 * field order and omitempty rules) and a snake_case form for persistence that
 * checkdef_parse reads back exactly (durations as integer nanoseconds).
 * Pure code.
 */
#include "checks/checkdef.h"

#include "base/alloc.h"
#include "base/duration.h"

#include <stdlib.h>
#include <string.h>

void checkdef_format_duration(struct buf *out, int64_t ns)
{
	if (ns != 0)
		duration_format(out, ns);
}

static void kdur(struct jsonw *w, const char *key, int64_t ns)
{
	if (!ns)
		return;
	struct buf b = BUF_INIT;
	duration_format(&b, ns);
	jsonw_kstr(w, key, buf_cstr(&b));
	buf_free(&b);
}

static void kstr(struct jsonw *w, const char *key, const char *s)
{
	if (s && *s)
		jsonw_kstr(w, key, s);
}

static void kbool(struct jsonw *w, const char *key, bool v)
{
	if (v)
		jsonw_kbool(w, key, true);
}

static void kint(struct jsonw *w, const char *key, int64_t v)
{
	if (v)
		jsonw_kint(w, key, v);
}

static int cmp_header(const void *a, const void *b)
{
	const struct check_header *x = *(const struct check_header *const *)a;
	const struct check_header *y = *(const struct check_header *const *)b;
	return strcmp(x->name, y->name);
}

/* Go encodes maps with sorted keys. */
static void write_headers(struct jsonw *w, const char *key, const struct checkdef *d, bool sort)
{
	if (!d->n_headers)
		return;
	const struct check_header **order = xmalloc(d->n_headers * sizeof(*order));
	for (size_t i = 0; i < d->n_headers; i++)
		order[i] = &d->headers[i];
	if (sort)
		qsort(order, d->n_headers, sizeof(*order), cmp_header);
	jsonw_key(w, key);
	jsonw_obj_open(w);
	for (size_t i = 0; i < d->n_headers; i++) {
		jsonw_key(w, order[i]->name);
		jsonw_arr_open(w);
		for (size_t j = 0; j < order[i]->n_values; j++)
			jsonw_str(w, order[i]->values[j]);
		jsonw_arr_close(w);
	}
	jsonw_obj_close(w);
	free(order);
}

static void write_args(struct jsonw *w, const char *key, const struct checkdef *d)
{
	if (!d->n_args)
		return;
	jsonw_key(w, key);
	jsonw_arr_open(w);
	for (size_t i = 0; i < d->n_args; i++)
		jsonw_str(w, d->args[i]);
	jsonw_arr_close(w);
}

void checkdef_write_definition(const struct checkdef *d, struct jsonw *w)
{
	jsonw_obj_open(w);
	kdur(w, "Interval", d->interval);
	kint(w, "OutputMaxSize", d->output_max_size);
	kdur(w, "Timeout", d->timeout);
	kdur(w, "DeregisterCriticalServiceAfter", d->deregister_critical_after);
	kstr(w, "HTTP", d->http);
	kstr(w, "TLSServerName", d->tls_server_name);
	kbool(w, "TLSSkipVerify", d->tls_skip_verify);
	write_headers(w, "Header", d, true);
	kstr(w, "Method", d->method);
	kstr(w, "Body", d->body);
	kbool(w, "DisableRedirects", d->disable_redirects);
	kstr(w, "TCP", d->tcp);
	kstr(w, "UDP", d->udp);
	kstr(w, "H2PING", d->h2ping);
	kstr(w, "OSService", d->os_service);
	kbool(w, "H2PingUseTLS", d->h2ping_use_tls);
	write_args(w, "ScriptArgs", d);
	kstr(w, "DockerContainerID", d->docker_container_id);
	kstr(w, "Shell", d->shell);
	kstr(w, "GRPC", d->grpc);
	kbool(w, "GRPCUseTLS", d->grpc_use_tls);
	kstr(w, "AliasNode", d->alias_node);
	kstr(w, "AliasService", d->alias_service);
	kint(w, "TTL", d->ttl);
	jsonw_obj_close(w);
}

void checkdef_write_json(const struct checkdef *d, struct jsonw *w)
{
	jsonw_obj_open(w);
	kstr(w, "id", d->id);
	kstr(w, "name", d->name);
	kstr(w, "notes", d->notes);
	kstr(w, "service_id", d->service_id);
	if (d->has_status)
		jsonw_kstr(w, "status", check_status_name(d->status));
	/* durations as integer ns: exact, and checkdef_parse reads them back */
	kint(w, "interval", d->interval);
	kint(w, "timeout", d->timeout);
	kint(w, "ttl", d->ttl);
	kint(w, "deregister_critical_service_after", d->deregister_critical_after);
	kstr(w, "http", d->http);
	kstr(w, "method", d->method);
	write_headers(w, "header", d, false);
	kstr(w, "body", d->body);
	kbool(w, "tls_skip_verify", d->tls_skip_verify);
	kstr(w, "tls_server_name", d->tls_server_name);
	kbool(w, "disable_redirects", d->disable_redirects);
	kstr(w, "tcp", d->tcp);
	kstr(w, "udp", d->udp);
	kstr(w, "grpc", d->grpc);
	kbool(w, "grpc_use_tls", d->grpc_use_tls);
	kstr(w, "h2ping", d->h2ping);
	if (d->h2ping && *d->h2ping)
		jsonw_kbool(w, "h2ping_use_tls", d->h2ping_use_tls);
	kstr(w, "alias_node", d->alias_node);
	kstr(w, "alias_service", d->alias_service);
	write_args(w, "args", d);
	kstr(w, "script", d->script);
	kstr(w, "docker_container_id", d->docker_container_id);
	kstr(w, "shell", d->shell);
	kstr(w, "os_service", d->os_service);
	kint(w, "success_before_passing", d->success_before_passing);
	kint(w, "failures_before_warning", d->failures_before_warning);
	kint(w, "failures_before_critical", d->failures_before_critical);
	kint(w, "output_max_size", d->output_max_size);
	jsonw_obj_close(w);
}
