/*
 * TTLs of answers, as Consul sets them. Node answers (node lookups, SRV glue
 * of NS answers, .addr answers) use dns_config.node_ttl. Service answers use
 * dns_config.service_ttl, a map from service name to Go duration text:
 *
 *   - a key equal to the service name wins ("web": "10s");
 *   - else the longest key ending in "*" whose prefix starts the name
 *     ("web-*": "5s" beats "*": "1s" for "web-api");
 *   - else 0.
 *
 * Names compare case-insensitively (Consul lowercases the question first).
 * Durations are truncated to whole seconds; bad or negative values count as 0
 * (config validation already refuses them). The map is tiny in practice, so a
 * linear scan per query costs less than any index would.
 */
#include "dns/answer.h"

#include "base/duration.h"
#include "config/config.h"

#include <string.h>
#include <strings.h>

static uint32_t seconds(int64_t ns)
{
	if (ns <= 0)
		return 0;
	int64_t s = ns / DUR_SEC;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint32_t dns_node_ttl(const struct config *cfg)
{
	return seconds(cfg->dns_config.node_ttl);
}

uint32_t dns_service_ttl(const struct config *cfg, const char *service)
{
	const struct strmap *m = &cfg->dns_config.service_ttl;
	const char *best = NULL;
	size_t best_len = 0;
	size_t nlen = strlen(service);
	for (size_t i = 0; i < m->len; i++) {
		const char *k = m->keys[i];
		size_t klen = strlen(k);
		if (klen > 0 && k[klen - 1] == '*') {
			size_t plen = klen - 1;
			if (plen <= nlen && strncasecmp(k, service, plen) == 0 &&
			    (!best || plen >= best_len)) {
				best = m->values[i];
				best_len = plen;
			}
		} else if (strcasecmp(k, service) == 0) {
			best = m->values[i];
			break;
		}
	}
	int64_t ns = 0;
	if (!best || duration_parse(best, true, &ns) != 0)
		return 0;
	return seconds(ns);
}
