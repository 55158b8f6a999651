/* Naming Raft servers for the operator endpoints (operator_int.h). Loop thread. */
#include "api/operator_int.h"

#include "gossip/pool.h"
#include "gossip/tags.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct serf_member *op_member(const struct api *a, uint64_t id)
{
	const struct serf *s = a->lan ? gossip_pool_serf(a->lan) : NULL;
	const struct serf_member *found = NULL;
	for (size_t i = 0, n = s ? serf_count(s) : 0; i < n; i++) {
		const struct serf_member *m = serf_at(s, i);
		const char *role = tags_get(&m->tags, "role");
		const char *nid = tags_get(&m->tags, "id");
		if (!role || strcmp(role, "consul") != 0 || !nid || consensus_server_id(nid) != id)
			continue;
		/* a node that came back under a new name: prefer the live one */
		if (!found || (found->status != SERF_ALIVE && m->status == SERF_ALIVE))
			found = m;
	}
	return found;
}

void op_server_id(const struct api *a, uint64_t id, struct buf *out)
{
	const struct serf_member *m = op_member(a, id);
	const char *nid = m ? tags_get(&m->tags, "id") : NULL;
	if (nid)
		buf_puts(out, nid);
	else
		buf_printf(out, "%016" PRIx64, id);
}

uint64_t op_find_server(const struct api *a, const char *text, bool by_address)
{
	if (!a->cons || !text || !*text)
		return 0;
	const struct consensus_member *ms;
	size_t n = consensus_configuration(a->cons, &ms);
	for (size_t i = 0; i < n; i++) {
		if (by_address) {
			if (strcmp(ms[i].address, text) == 0)
				return ms[i].id;
			continue;
		}
		struct buf shown = BUF_INIT;
		op_server_id(a, ms[i].id, &shown);
		bool hit = strcasecmp(buf_cstr(&shown), text) == 0 ||
			   consensus_server_id(text) == ms[i].id;
		buf_free(&shown);
		if (hit)
			return ms[i].id;
	}
	return 0;
}

void op_member_version(const struct serf_member *m, struct buf *out)
{
	const char *b = m ? tags_get(&m->tags, "build") : NULL;
	if (!b)
		return;
	const char *colon = strchr(b, ':');
	buf_append(out, b, colon ? (size_t)(colon - b) : strlen(b));
}
