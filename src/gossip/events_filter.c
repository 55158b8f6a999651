/*
 * Event filters (events.h): validation when an event is fired and matching
 * when it arrives, as Consul's validateUserEvent and shouldProcessUserEvent.
 *
 * Filters are Go regular expressions, unanchored ("web" selects "web-1").
 * They are compiled with the ?filter= language's RE2-to-POSIX translator
 * (base/filter_regex.c) so both accept and refuse the same patterns; the
 * compiled form lives only for one call, since events are rare.
 */
#include "gossip/events.h"

#include "base/err.h"
#include "base/filter_internal.h"

#include <regex.h>
#include <string.h>

struct rx {
	struct fmatch m;
};

/* Compile pat; on failure append Go's "error parsing regexp: ..." to err. */
static int rx_compile(struct rx *x, const char *pat, struct buf *err)
{
	memset(x, 0, sizeof(*x));
	x->m.value.raw.s = (char *)pat;
	x->m.value.raw.len = strlen(pat);
	size_t budget = FILTER_REGEX_BUDGET;
	struct buf msg = BUF_INIT, prefix = BUF_INIT;
	int rc = filter_regex_compile(&x->m, &budget, &msg);
	if (rc && err) {
		/* drop the ?filter= wording: "Failed to compile regular expression "p": " */
		buf_puts(&prefix, "Failed to compile regular expression ");
		filter_put_quoted(&prefix, pat, strlen(pat));
		buf_puts(&prefix, ": ");
		size_t skip =
		    msg.len >= prefix.len && memcmp(msg.data, prefix.data, prefix.len) == 0
			? prefix.len
			: 0;
		buf_append(err, msg.data + skip, msg.len - skip);
	}
	buf_free(&msg);
	buf_free(&prefix);
	return rc ? CAIRN_E_INVAL : 0;
}

static void rx_free(struct rx *x)
{
	if (x->m.has_re)
		regfree(&x->m.re);
	x->m.has_re = false;
}

static bool rx_match(const struct rx *x, const char *s)
{
	return filter_regex_match(&x->m, s, strlen(s));
}

static int check(const char *pat, const char *what, struct buf *err)
{
	if (!pat || !*pat)
		return 0;
	struct rx x;
	struct buf why = BUF_INIT;
	int rc = rx_compile(&x, pat, &why);
	rx_free(&x);
	if (rc && err)
		buf_printf(err, "Invalid %s filter: %s", what, buf_cstr(&why));
	buf_free(&why);
	return rc;
}

int event_validate(const struct event *e, struct buf *err)
{
	const char *sf = e->service_filter ? e->service_filter : "";
	const char *tf = e->tag_filter ? e->tag_filter : "";
	if (!e->name || !*e->name) {
		if (err)
			buf_puts(err, "User event missing name");
		return CAIRN_E_INVAL;
	}
	if (*tf && !*sf) {
		if (err)
			buf_puts(err, "Cannot provide tag filter without service filter");
		return CAIRN_E_INVAL;
	}
	int rc = check(e->node_filter, "node", err);
	if (!rc)
		rc = check(sf, "service", err);
	if (!rc)
		rc = check(tf, "tag", err);
	if (rc)
		return rc;
	if (strlen(e->name) + e->payload_len > EVENT_SIZE_LIMIT) {
		if (err)
			buf_printf(err, "user event exceeds configured limit of %d bytes",
				   EVENT_SIZE_LIMIT);
		return CAIRN_E_TOOBIG;
	}
	return 0;
}

static bool service_matches(const struct rx *svc, const struct rx *tag,
			    const struct event_service *s)
{
	if (!rx_match(svc, s->id ? s->id : "") && !rx_match(svc, s->name ? s->name : ""))
		return false;
	if (!tag)
		return true;
	for (size_t i = 0; i < s->ntags; i++)
		if (rx_match(tag, s->tags[i]))
			return true;
	return false;
}

static bool services_match(const struct event *e, event_service_fn services, void *ctx)
{
	struct rx svc, tag;
	bool has_tag = e->tag_filter && *e->tag_filter, found = false;
	if (rx_compile(&svc, e->service_filter, NULL) != 0)
		return false;
	if (has_tag && rx_compile(&tag, e->tag_filter, NULL) != 0) {
		rx_free(&svc);
		return false;
	}
	struct event_service s;
	for (size_t i = 0; !found && services && services(ctx, i, &s); i++)
		found = service_matches(&svc, has_tag ? &tag : NULL, &s);
	rx_free(&svc);
	if (has_tag)
		rx_free(&tag);
	return found;
}

bool event_match_local(const struct event *e, const char *node_name, event_service_fn services,
		       void *ctx)
{
	if (e->node_filter && *e->node_filter) {
		struct rx node;
		if (rx_compile(&node, e->node_filter, NULL) != 0)
			return false;
		bool ok = rx_match(&node, node_name);
		rx_free(&node);
		if (!ok)
			return false;
	}
	if (e->service_filter && *e->service_filter)
		return services_match(e, services, ctx);
	if (e->tag_filter && *e->tag_filter)
		return false; /* a tag filter alone is invalid: select nothing */
	return true;
}
