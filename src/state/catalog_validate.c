/*
 * Validation of catalog registrations, with Consul's messages (its
 * Catalog.Register / Deregister RPC endpoints check these before Raft). Pure:
 * the API calls it to reject early, the store again on apply, because a log
 * entry is not trusted. Messages are malloc'd for the caller.
 *
 * Where Consul accepts something cairn cannot hold sensibly (a service or a
 * check with neither ID nor name) cairn rejects it with a message of its own,
 * in Consul's style.
 */
#include "state/catalog_int.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **why, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*why = buf_steal(&b);
	return CAIRN_E_INVAL;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* hashicorp/go-uuid ParseUUID, with its messages. */
static int check_uuid(const char *id, char **why)
{
	if (strlen(id) != 36)
		return fail(why, "Bad node ID: uuid string is wrong length");
	if (id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-')
		return fail(why, "Bad node ID: uuid is improperly formatted");
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		if (hexval(id[i]) < 0) {
			unsigned char c = (unsigned char)id[i];
			if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
				return fail(why,
					    "Bad node ID: encoding/hex: invalid byte: U+%04X '%c'",
					    c, c);
			return fail(why, "Bad node ID: encoding/hex: invalid byte: U+%04X", c);
		}
	}
	return 0;
}

/* Go's ipaddr.IsAny: an unspecified address. */
static bool is_any(const char *a)
{
	return a && (!strcmp(a, "0.0.0.0") || !strcmp(a, "::") || !strcmp(a, "[::]"));
}

static int check_service(const struct cat_service *svc, char **why)
{
	if (empty(svc->name) && !empty(svc->id))
		return fail(why, "Must provide service name with ID");
	if (empty(svc->name))
		return fail(why, "Must provide service name");
	if (is_any(svc->address))
		return fail(why, "Invalid service address");
	return 0;
}

static int check_check(const struct cat_check *c, const char *node, char **why)
{
	const char *id = !empty(c->id) ? c->id : c->name;
	if (empty(id))
		return fail(why, "Must provide check ID or name");
	if (!empty(c->node) && cat_fold_cmp(c->node, node) != 0)
		return fail(why,
			    "Node '%s' for check '%s' doesn't match register request node '%s'",
			    c->node, id, node);
	if ((unsigned)c->status >= CAT_STATUS_COUNT_)
		return fail(why, "Invalid check status");
	return 0;
}

int catalog_register_validate(const struct cat_register *r, char **why)
{
	const struct cat_node *n = r->node;
	if (!n || empty(n->name))
		return fail(why, "Must provide node");
	if (empty(n->address) && !r->skip_node_update)
		return fail(why, "Must provide address if SkipNodeUpdate is not set");
	if (!empty(n->id)) {
		int rc = check_uuid(n->id, why);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < r->nservices; i++) {
		int rc = check_service(&r->services[i], why);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < r->nchecks; i++) {
		int rc = check_check(&r->checks[i], n->name, why);
		if (rc)
			return rc;
	}
	return 0;
}

int catalog_deregister_validate(const struct cat_deregister *d, char **why)
{
	if (empty(d->node))
		return fail(why, "Must provide node");
	return 0;
}
