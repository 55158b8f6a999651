/*
 * ?near=<node>|_agent on the catalog and health lists: the elements are
 * ordered by the estimated round-trip time from that node, as Consul sorts
 * them (vivaldi_sort_near: nearest first, nodes without a coordinate last,
 * ties by name). Without ?near, or when the source has no coordinate, the
 * list keeps its index order, as Consul leaves it.
 *
 * Model. The list's writer runs as usual; item_list_begin/end record where
 * each array element's text lies in the response body. At close the
 * elements are cut out and written back in sorted order. Every element's
 * text starts with the same separator (a comma for all but the first, then
 * the pretty-printer's newline and indent, identical at one depth), so after
 * dropping the leading comma the pieces can be rejoined in any order.
 *
 * Coordinates are this agent's gossip view (gossip_pool_coord): its own and
 * the last one each LAN member sent with a probe ack. Consul keeps them in
 * the servers' state store instead; docs/compat.md explains the difference.
 */
#include "api/filter_items.h"

#include "base/alloc.h"
#include "gossip/pool.h"
#include "gossip/vivaldi.h"

#include <stdlib.h>
#include <string.h>

const struct vivaldi_coord *api_near_source(struct api *a, const struct http_request *req)
{
	const struct http_param *p = http_param_get(req, "near");
	if (!p || !p->value[0] || !a->lan)
		return NULL;
	const char *node = strcmp(p->value, "_agent") == 0 ? api_origin_node(a, req) : p->value;
	return gossip_pool_coord(a->lan, node);
}

void item_list_begin(struct item_list *l, const char *node)
{
	if (!l->near_src)
		return;
	if (l->nspans == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->spans = xrealloc(l->spans, l->cap * sizeof(*l->spans));
	}
	l->spans[l->nspans++] = (struct item_span){node, l->w.out->len, l->w.out->len};
}

void item_list_end(struct item_list *l)
{
	if (l->near_src && l->nspans)
		l->spans[l->nspans - 1].end = l->w.out->len;
}

void item_list_sort_near(struct item_list *l)
{
	size_t n = l->nspans;
	if (!l->near_src || n < 2)
		return;
	struct vivaldi_near *v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] =
		    (struct vivaldi_near){.name = l->spans[i].node,
					  .coord = gossip_pool_coord(l->a->lan, l->spans[i].node),
					  .item = &l->spans[i]};
	vivaldi_sort_near(l->near_src, v, n);
	struct buf *out = l->w.out;
	size_t from = l->spans[0].start, to = l->spans[n - 1].end;
	struct buf sorted = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct item_span *s = v[i].item;
		const char *p = out->data + s->start;
		size_t len = s->end - s->start;
		if (len && *p == ',') { /* every piece but the first carries one */
			p++;
			len--;
		}
		if (i)
			buf_putc(&sorted, ',');
		buf_append(&sorted, p, len);
	}
	/* same total length: the pieces are the same, only the commas moved */
	memcpy(out->data + from, sorted.data, to - from);
	buf_free(&sorted);
	free(v);
}
