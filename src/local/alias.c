/*
 * Alias check targets (Consul's CheckAlias.processChecks): what an alias check
 * sees of a node or a service instance. This agent's own node is answered
 * from the local state, other nodes from the catalog. Loop thread; pure reads.
 */
#include "local/internal.h"

#include "state/catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void alias_consider(struct check_alias_result *out, enum check_status st, const char *name,
			   const char *output)
{
	out->n_checks++;
	if (st > out->worst || (st != CHECK_PASSING && !out->failing_name)) {
		out->worst = st > out->worst ? st : out->worst;
		out->failing_name = name;
		out->failing_output = output;
	}
}

/* Our own node: node-level checks plus, for a service alias, that service's
 * (Consul's CheckAlias.processChecks), without the asking check itself. */
static void alias_local(struct local_state *ls, const struct check *self, const char *service_id,
			struct check_alias_result *out)
{
	const struct local_check **cs;
	size_t n = local_service_checks(ls, service_id ? service_id : "", true, &cs);
	out->found = !service_id || local_service(ls, service_id) != NULL;
	for (size_t i = 0; i < n; i++) {
		const struct local_check *c = cs[i];
		if (c->has_run && &c->run == self)
			continue;
		if (c->service_id[0] && (!service_id || strcmp(c->service_id, service_id) != 0))
			continue;
		alias_consider(out, c->status, c->name, c->output);
	}
	free(cs);
}

struct alias_walk {
	const char *service_id;
	struct check_alias_result *out;
};

static int alias_catalog_check(void *ctx, const struct cat_check *c)
{
	struct alias_walk *aw = ctx;
	if (c->service_id[0] && (!aw->service_id || strcasecmp(c->service_id, aw->service_id) != 0))
		return 0;
	enum check_status st = c->status == CAT_PASSING	  ? CHECK_PASSING
			       : c->status == CAT_WARNING ? CHECK_WARNING
							  : CHECK_CRITICAL;
	alias_consider(aw->out, st, c->name, c->output);
	return 0;
}

void local_alias_lookup(void *ctx, const struct check *self, const char *node,
			const char *service_id, struct check_alias_result *out)
{
	struct local_state *ls = ctx;
	out->worst = CHECK_PASSING;
	if (!node || !*node || strcasecmp(node, ls->cfg->node_name) == 0) {
		alias_local(ls, self, service_id, out);
		return;
	}
	if (!ls->store)
		return;
	out->found = !service_id || catalog_node_service(ls->store, node, service_id) != NULL;
	struct alias_walk aw = {service_id, out};
	catalog_node_checks(ls->store, node, alias_catalog_check, &aw);
}
