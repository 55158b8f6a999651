/*
 * Service definitions: Consul's validation rules, defaults, comparison and the
 * JSON encoding used for persistence (see servicedef.h).
 */
#include "local/servicedef.h"

#include "base/alloc.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define META_MAX_PAIRS	 64  /* Consul's metaMaxKeyPairs */
#define META_KEY_MAX	 128 /* metaKeyMaxLength */
#define META_VALUE_MAX	 512 /* metaValueMaxLength */
#define META_RESERVED	 "consul-"
#define DNS_WEIGHT_LIMIT 65535

/* ---- validation ---- */

static bool meta_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++) {
		char c = *k;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int meta_pair_error(const struct svc_meta *m, struct buf *err)
{
	const char *why = NULL;
	char tmp[64];
	if (!m->key[0])
		why = "Key cannot be blank";
	else if (!meta_key_ok(m->key))
		why = "Key contains invalid characters";
	else if (strlen(m->key) > META_KEY_MAX)
		why = "Key is too long (limit: 128 characters)";
	else if (strncmp(m->key, META_RESERVED, strlen(META_RESERVED)) == 0)
		why = "Key prefix 'consul-' is reserved for internal use";
	else if (strlen(m->value) > META_VALUE_MAX) {
		snprintf(tmp, sizeof(tmp), "Value is too long (limit: %d characters)",
			 META_VALUE_MAX);
		why = tmp;
	}
	if (!why)
		return 0;
	buf_printf(err, "Invalid Service Meta: Couldn't load metadata pair ('%s', '%s'): %s",
		   m->key, m->value, why);
	return CAIRN_E_INVAL;
}

static int validate_meta(const struct service_def *d, struct buf *err)
{
	if (d->n_meta > META_MAX_PAIRS) {
		buf_printf(err,
			   "Invalid Service Meta: Node metadata cannot contain more than %d "
			   "key/value pairs",
			   META_MAX_PAIRS);
		return CAIRN_E_INVAL;
	}
	for (size_t i = 0; i < d->n_meta; i++)
		if (meta_pair_error(&d->meta[i], err))
			return CAIRN_E_INVAL;
	return 0;
}

static int validate_weights(const struct service_def *d, struct buf *err)
{
	const char *why = NULL;
	if (!d->has_weights)
		return 0;
	if (d->weight_passing < 1)
		why = "Passing must be greater than 0";
	else if (d->weight_warning < 0)
		why = "Warning must be greater or equal than 0";
	else if (d->weight_passing > DNS_WEIGHT_LIMIT || d->weight_warning > DNS_WEIGHT_LIMIT)
		why = "DNS Weight must be between 0 and 65535";
	if (!why)
		return 0;
	buf_printf(err, "Invalid Weights: %s", why);
	return CAIRN_E_INVAL;
}

/* Consul's ipaddr.IsAny: the unspecified addresses, bracketed or not. */
static bool address_is_any(const char *a)
{
	return strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0 || strcmp(a, "[::]") == 0;
}

/* Consul's validateService: v4/v6 tagged addresses must hold that family. */
static int validate_tagged(const struct service_def *d, struct buf *err)
{
	static const struct {
		const char *tag;
		int family;
	} fam[] = {{"lan_ipv4", AF_INET}, {"wan_ipv4", AF_INET}, {"lan_ipv6", AF_INET6}};
	unsigned char tmp[16];
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		const struct svc_addr *a = servicedef_tagged(d, fam[i].tag);
		if (!a || inet_pton(fam[i].family, a->address, tmp) == 1)
			continue;
		buf_printf(err, "Service tagged address \"%s\" must be a valid %s address",
			   fam[i].tag, fam[i].family == AF_INET ? "ipv4" : "ipv6");
		return CAIRN_E_INVAL;
	}
	return 0;
}

int servicedef_validate(const struct service_def *d, struct buf *err)
{
	if (!d->name || !d->name[0]) {
		buf_puts(err, "Missing service name");
		return CAIRN_E_INVAL;
	}
	if (address_is_any(d->address)) {
		buf_puts(err, "Invalid service address");
		return CAIRN_E_INVAL;
	}
	if (validate_weights(d, err) || validate_meta(d, err))
		return CAIRN_E_INVAL;
	for (size_t i = 0; i < d->n_checks; i++) {
		struct buf why = BUF_INIT;
		if (checkdef_validate(&d->checks[i], &why)) {
			buf_printf(err, "Invalid check: %s", buf_cstr(&why));
			buf_free(&why);
			return CAIRN_E_INVAL;
		}
		buf_free(&why);
	}
	if (d->check_status_error) {
		buf_puts(err, "Status for checks must 'passing', 'warning', 'critical'");
		return CAIRN_E_INVAL;
	}
	return validate_tagged(d, err);
}

/* ---- defaults ---- */

static void add_tagged(struct service_def *d, const char *tag)
{
	if (servicedef_tagged(d, tag))
		return;
	d->tagged = xrealloc(d->tagged, (d->n_tagged + 2) * sizeof(*d->tagged));
	size_t i = d->n_tagged;
	while (i > 0 && strcmp(d->tagged[i - 1].tag, tag) > 0) {
		d->tagged[i] = d->tagged[i - 1];
		i--;
	}
	d->tagged[i] = (struct svc_addr){xstrdup(tag), xstrdup(d->address), d->port};
	d->n_tagged++;
}

void servicedef_finalize(struct service_def *d)
{
	unsigned char tmp[16];
	if ((!d->id || !d->id[0]) && d->name) {
		free(d->id);
		d->id = xstrdup(d->name);
	}
	if (!d->has_weights) {
		d->has_weights = true;
		d->weight_passing = 1;
		d->weight_warning = 1;
	}
	if (inet_pton(AF_INET, d->address, tmp) == 1) {
		add_tagged(d, "lan_ipv4");
		add_tagged(d, "wan_ipv4");
	} else if (inet_pton(AF_INET6, d->address, tmp) == 1) {
		add_tagged(d, "lan_ipv6");
		add_tagged(d, "wan_ipv6");
	}
	for (size_t i = 0; i < d->n_checks; i++)
		checkdef_set_service_defaults(&d->checks[i], d->id, d->name, i, d->n_checks);
}

/* ---- lookups and comparison ---- */

const struct svc_addr *servicedef_tagged(const struct service_def *d, const char *tag)
{
	for (size_t i = 0; i < d->n_tagged; i++)
		if (strcmp(d->tagged[i].tag, tag) == 0)
			return &d->tagged[i];
	return NULL;
}

const char *servicedef_meta(const struct service_def *d, const char *key)
{
	for (size_t i = 0; i < d->n_meta; i++)
		if (strcmp(d->meta[i].key, key) == 0)
			return d->meta[i].value;
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* json_equal is false for two NULLs */
static bool json_same(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return !a && !b;
	return json_equal((json_t *)a, (json_t *)b);
}

static bool lists_same(const struct service_def *a, const struct service_def *b)
{
	if (a->n_tags != b->n_tags || a->n_meta != b->n_meta || a->n_tagged != b->n_tagged)
		return false;
	for (size_t i = 0; i < a->n_tags; i++)
		if (strcmp(a->tags[i], b->tags[i]) != 0)
			return false;
	for (size_t i = 0; i < a->n_meta; i++)
		if (strcmp(a->meta[i].key, b->meta[i].key) != 0 ||
		    strcmp(a->meta[i].value, b->meta[i].value) != 0)
			return false;
	for (size_t i = 0; i < a->n_tagged; i++)
		if (strcmp(a->tagged[i].tag, b->tagged[i].tag) != 0 ||
		    strcmp(a->tagged[i].address, b->tagged[i].address) != 0 ||
		    a->tagged[i].port != b->tagged[i].port)
			return false;
	return true;
}

bool servicedef_same(const struct service_def *a, const struct service_def *b)
{
	return str_eq(a->id, b->id) && str_eq(a->name, b->name) && str_eq(a->kind, b->kind) &&
	       str_eq(a->address, b->address) && str_eq(a->socket_path, b->socket_path) &&
	       a->port == b->port && a->enable_tag_override == b->enable_tag_override &&
	       a->weight_passing == b->weight_passing && a->weight_warning == b->weight_warning &&
	       lists_same(a, b) && json_same(a->proxy, b->proxy) &&
	       json_same(a->connect, b->connect);
}

/* ---- encoding ---- */

static void write_opaque(struct jsonw *w, const char *key, const json_t *v)
{
	if (!v)
		return;
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return;
	jsonw_key(w, key);
	jsonw_raw(w, s, strlen(s));
	free(s);
}

static void write_lists(const struct service_def *d, struct jsonw *w)
{
	jsonw_key(w, "Tags");
	jsonw_arr_open(w);
	for (size_t i = 0; i < d->n_tags; i++)
		jsonw_str(w, d->tags[i]);
	jsonw_arr_close(w);
	jsonw_key(w, "Meta");
	jsonw_obj_open(w);
	for (size_t i = 0; i < d->n_meta; i++)
		jsonw_kstr(w, d->meta[i].key, d->meta[i].value);
	jsonw_obj_close(w);
	jsonw_key(w, "TaggedAddresses");
	jsonw_obj_open(w);
	for (size_t i = 0; i < d->n_tagged; i++) {
		jsonw_key(w, d->tagged[i].tag);
		jsonw_obj_open(w);
		jsonw_kstr(w, "Address", d->tagged[i].address);
		jsonw_kint(w, "Port", d->tagged[i].port);
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
}

void servicedef_write_json(const struct service_def *d, struct jsonw *w)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "Kind", d->kind ? d->kind : "");
	jsonw_kstr(w, "ID", d->id ? d->id : "");
	jsonw_kstr(w, "Name", d->name ? d->name : "");
	jsonw_kstr(w, "Address", d->address ? d->address : "");
	jsonw_kstr(w, "SocketPath", d->socket_path ? d->socket_path : "");
	jsonw_kint(w, "Port", d->port);
	write_lists(d, w);
	if (d->has_weights) {
		jsonw_key(w, "Weights");
		jsonw_obj_open(w);
		jsonw_kint(w, "Passing", d->weight_passing);
		jsonw_kint(w, "Warning", d->weight_warning);
		jsonw_obj_close(w);
	}
	jsonw_kbool(w, "EnableTagOverride", d->enable_tag_override);
	jsonw_kstr(w, "Token", d->token ? d->token : "");
	write_opaque(w, "Proxy", d->proxy);
	write_opaque(w, "Connect", d->connect);
	jsonw_obj_close(w);
}
