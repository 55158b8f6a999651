/*
 * Check definitions: JSON -> struct checkdef, deep copy and free.
 *
 * Keys are folded (lower case, '_' dropped) and looked up in one table, which
 * gives Go's case-insensitive field matching and Consul's snake_case aliases
 * in one step. Each row names the folded key, the kind of value and where it
 * goes. Validation and defaults live in checkdef_rules.c, JSON output in
 * checkdef_json.c. Pure code (no libuv); see checkdef.h for ownership.
 */
#include "checks/checkdef.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/json_get.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

enum vkind { V_STR, V_BOOL, V_DUR, V_INT, V_ARGS, V_HEADER, V_STATUS };

struct field {
	const char *key;   /* folded key */
	const char *label; /* Consul's field name, for messages */
	enum vkind kind;   /* value type */
	size_t off;	   /* offset in struct checkdef */
};

#define F(k, l, kind, member)                                                                      \
	{                                                                                          \
		k, l, kind, offsetof(struct checkdef, member)                                      \
	}
static const struct field fields[] = {
    F("id", "ID", V_STR, id),
    F("checkid", "CheckID", V_STR, id),
    F("name", "Name", V_STR, name),
    F("notes", "Notes", V_STR, notes),
    F("serviceid", "ServiceID", V_STR, service_id),
    F("status", "Status", V_STATUS, status),
    F("interval", "Interval", V_DUR, interval),
    F("timeout", "Timeout", V_DUR, timeout),
    F("ttl", "TTL", V_DUR, ttl),
    F("deregistercriticalserviceafter", "DeregisterCriticalServiceAfter", V_DUR,
      deregister_critical_after),
    F("http", "HTTP", V_STR, http),
    F("method", "Method", V_STR, method),
    F("header", "Header", V_HEADER, headers),
    F("body", "Body", V_STR, body),
    F("tlsskipverify", "TLSSkipVerify", V_BOOL, tls_skip_verify),
    F("tlsservername", "TLSServerName", V_STR, tls_server_name),
    F("disableredirects", "DisableRedirects", V_BOOL, disable_redirects),
    F("tcp", "TCP", V_STR, tcp),
    F("udp", "UDP", V_STR, udp),
    F("grpc", "GRPC", V_STR, grpc),
    F("grpcusetls", "GRPCUseTLS", V_BOOL, grpc_use_tls),
    F("h2ping", "H2PING", V_STR, h2ping),
    F("h2pingusetls", "H2PingUseTLS", V_BOOL, h2ping_use_tls),
    F("aliasnode", "AliasNode", V_STR, alias_node),
    F("aliasservice", "AliasService", V_STR, alias_service),
    F("args", "Args", V_ARGS, args),
    F("scriptargs", "ScriptArgs", V_ARGS, args),
    F("script", "Script", V_STR, script),
    F("dockercontainerid", "DockerContainerID", V_STR, docker_container_id),
    F("shell", "Shell", V_STR, shell),
    F("osservice", "OSService", V_STR, os_service),
    F("successbeforepassing", "SuccessBeforePassing", V_INT, success_before_passing),
    F("failuresbeforewarning", "FailuresBeforeWarning", V_INT, failures_before_warning),
    F("failuresbeforecritical", "FailuresBeforeCritical", V_INT, failures_before_critical),
    F("outputmaxsize", "OutputMaxSize", V_INT, output_max_size),
};
#undef F

static const char *const status_names[] = {"passing", "warning", "critical"};

const char *check_status_name(enum check_status s)
{
	return (unsigned)s < 3 ? status_names[s] : "critical";
}

int check_status_parse(const char *s, enum check_status *out)
{
	for (int i = 0; i < 3; i++) {
		if (s && strcmp(s, status_names[i]) == 0) {
			*out = (enum check_status)i;
			return 0;
		}
	}
	return -1;
}

static const struct field *find_field(const char *key)
{
	char folded[64];
	size_t n = 0;
	for (const char *p = key; *p; p++) {
		if (*p == '_')
			continue;
		if (n + 1 >= sizeof(folded))
			return NULL;
		folded[n++] = (char)tolower((unsigned char)*p);
	}
	folded[n] = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].key, folded) == 0)
			return &fields[i];
	return NULL;
}

static int type_error(struct buf *err, const struct field *f, const json_t *v, const char *want)
{
	buf_printf(err, "json: cannot unmarshal %s into Go struct field %s of type %s",
		   json_kind_name(v), f->label, want);
	return CAIRN_E_INVAL;
}

/* Go's time.ParseDuration messages. */
static int parse_dur(const json_t *v, int64_t *out, struct buf *err)
{
	if (json_is_number(v)) {
		double d = json_number_value(v);
		if (d > 9.2e18 || d < -9.2e18) {
			buf_printf(err, "time: invalid duration \"%.0f\"", d);
			return CAIRN_E_INVAL;
		}
		*out = (int64_t)d;
		return 0;
	}
	if (!json_is_string(v))
		return 0; /* Go ignores other types here */
	const char *s = json_string_value(v);
	if (duration_parse(s, false, out) == 0)
		return 0;
	size_t i = (*s == '-' || *s == '+') ? 1 : 0;
	bool digits = s[i] != '\0';
	for (; s[i]; i++)
		digits = digits && isdigit((unsigned char)s[i]);
	buf_printf(
	    err, digits ? "time: missing unit in duration \"%s\"" : "time: invalid duration \"%s\"",
	    s);
	return CAIRN_E_INVAL;
}

static int parse_args(const json_t *v, struct checkdef *d, const struct field *f, struct buf *err)
{
	if (!json_is_array(v))
		return type_error(err, f, v, "[]string");
	size_t i, n = json_array_size(v);
	json_t *item;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return type_error(err, f, item, "string");
	}
	for (i = 0; i < d->n_args; i++)
		free(d->args[i]);
	free(d->args);
	d->args = n ? xcalloc(n, sizeof(char *)) : NULL;
	d->n_args = n;
	json_array_foreach(v, i, item)
	{
		d->args[i] = xstrdup(json_string_value(item));
	}
	return 0;
}

static void free_headers(struct checkdef *d)
{
	for (size_t i = 0; i < d->n_headers; i++) {
		for (size_t j = 0; j < d->headers[i].n_values; j++)
			free(d->headers[i].values[j]);
		free(d->headers[i].values);
		free(d->headers[i].name);
	}
	free(d->headers);
	d->headers = NULL;
	d->n_headers = 0;
}

/* One header's values: a list of strings (a lone string is taken as one). */
static int parse_header_values(const json_t *v, struct check_header *h, const struct field *f,
			       struct buf *err)
{
	if (json_is_string(v)) {
		h->values = xcalloc(1, sizeof(char *));
		h->values[h->n_values++] = xstrdup(json_string_value(v));
		return 0;
	}
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return type_error(err, f, v, "[]string");
	size_t i;
	json_t *item;
	h->values = xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return type_error(err, f, item, "string");
		h->values[h->n_values++] = xstrdup(json_string_value(item));
	}
	return 0;
}

static int parse_header(const json_t *v, struct checkdef *d, const struct field *f, struct buf *err)
{
	if (!json_is_object(v))
		return type_error(err, f, v, "map[string][]string");
	free_headers(d);
	d->headers = xcalloc(json_object_size(v) + 1, sizeof(struct check_header));
	const char *name;
	json_t *vals;
	json_object_foreach((json_t *)v, name, vals)
	{
		struct check_header *h = &d->headers[d->n_headers++];
		h->name = xstrdup(name);
		int rc = parse_header_values(vals, h, f, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_int(const json_t *v, int *out, const struct field *f, struct buf *err)
{
	if (!json_is_number(v))
		return type_error(err, f, v, "int");
	double x = json_number_value(v);
	if (x != (double)(long long)x || x > 2147483647.0 || x < -2147483648.0)
		return type_error(err, f, v, "int");
	*out = (int)x;
	return 0;
}

static int parse_bool(const json_t *v, bool *out, const struct field *f, struct buf *err)
{
	/* config files through HCL/mapstructure also accept "true"/"false" */
	if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
				  strcmp(json_string_value(v), "false") == 0)) {
		*out = json_string_value(v)[0] == 't';
		return 0;
	}
	if (!json_is_boolean(v))
		return type_error(err, f, v, "bool");
	*out = json_is_true(v);
	return 0;
}

static int parse_value(struct checkdef *d, const struct field *f, const json_t *v, struct buf *err)
{
	char *base = (char *)d;
	switch (f->kind) {
	case V_STR: {
		if (!json_is_string(v))
			return type_error(err, f, v, "string");
		char **dst = (char **)(base + f->off);
		free(*dst);
		*dst = xstrdup(json_string_value(v));
		return 0;
	}
	case V_STATUS:
		if (!json_is_string(v))
			return type_error(err, f, v, "string");
		if (!*json_string_value(v))
			return 0; /* "" means not given */
		if (check_status_parse(json_string_value(v), &d->status) != 0) {
			buf_puts(err, "Bad check status");
			return CAIRN_E_INVAL;
		}
		d->has_status = true;
		return 0;
	case V_BOOL:
		return parse_bool(v, (bool *)(base + f->off), f, err);
	case V_DUR:
		return parse_dur(v, (int64_t *)(base + f->off), err);
	case V_INT:
		return parse_int(v, (int *)(base + f->off), f, err);
	case V_ARGS:
		return parse_args(v, d, f, err);
	case V_HEADER:
		return parse_header(v, d, f, err);
	}
	return 0;
}

static int parse_object(const json_t *obj, struct checkdef *out, struct buf *err);

int checkdef_parse(const json_t *obj, struct checkdef *out, struct buf *err)
{
	struct buf scratch = BUF_INIT;
	int rc = parse_object(obj, out, err ? err : &scratch);
	buf_free(&scratch);
	return rc;
}

static int parse_object(const json_t *obj, struct checkdef *out, struct buf *err)
{
	memset(out, 0, sizeof(*out));
	out->status = CHECK_CRITICAL;
	if (!json_is_object(obj)) {
		buf_puts(err, "check definition must be a JSON object");
		return CAIRN_E_INVAL;
	}
	bool h2_tls_given = false;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct field *f = find_field(key);
		if (!f || json_is_null(v))
			continue;
		if (f->off == offsetof(struct checkdef, h2ping_use_tls))
			h2_tls_given = true;
		int rc = parse_value(out, f, v, err);
		if (rc) {
			checkdef_free(out);
			return rc;
		}
	}
	/* Consul: H2PingUseTLS defaults to true when H2PING is set */
	if (out->h2ping && *out->h2ping && !h2_tls_given)
		out->h2ping_use_tls = true;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char **dup_list(char **items, size_t n)
{
	if (!n)
		return NULL;
	char **out = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(items[i]);
	return out;
}

/* The first row for a member (aliases like "checkid" share one). */
static bool first_row(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (fields[j].off == fields[i].off)
			return false;
	return true;
}

void checkdef_copy(struct checkdef *dst, const struct checkdef *src)
{
	*dst = *src;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].kind != V_STR || !first_row(i))
			continue;
		char **p = (char **)((char *)dst + fields[i].off);
		*p = dup_or_null(*p);
	}
	dst->args = dup_list(src->args, src->n_args);
	dst->headers = src->n_headers ? xcalloc(src->n_headers, sizeof(struct check_header)) : NULL;
	for (size_t i = 0; i < src->n_headers; i++) {
		dst->headers[i].name = xstrdup(src->headers[i].name);
		dst->headers[i].values = dup_list(src->headers[i].values, src->headers[i].n_values);
		dst->headers[i].n_values = src->headers[i].n_values;
	}
}

void checkdef_free(struct checkdef *d)
{
	/* aliases share a member; free() then NULL makes a second visit harmless */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].kind != V_STR)
			continue;
		char **p = (char **)((char *)d + fields[i].off);
		free(*p);
		*p = NULL;
	}
	for (size_t i = 0; i < d->n_args; i++)
		free(d->args[i]);
	free(d->args);
	free_headers(d);
	memset(d, 0, sizeof(*d));
	d->status = CHECK_CRITICAL;
}
