/*
 * raft/peers.json outage recovery (peers_json.h).
 */
#include "agent/peers_json.h"

#include "agent/identity.h"
#include "base/alloc.h"
#include "base/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void path_of(const char *dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/peers.json", dir);
}

int peers_json_load(const char *raft_dir, struct peers_json *p, struct buf *err)
{
	char path[4096];
	path_of(raft_dir, path, sizeof(path));
	p->servers = NULL;
	p->addrs = NULL;
	p->n = 0;
	if (access(path, F_OK) != 0)
		return 0;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!json_is_array(root) || json_array_size(root) == 0) {
		buf_printf(err, "recovery failed to parse peers.json: %s",
			   root ? "expected a non-empty array" : je.text);
		json_decref(root);
		return -1;
	}
	size_t n = json_array_size(root);
	p->servers = xcalloc(n, sizeof(*p->servers));
	p->addrs = xcalloc(n, sizeof(*p->addrs));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(root, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *addr = json_string_value(json_object_get(e, "address"));
		if (!id || !addr || !*id || !*addr) {
			buf_printf(err,
				   "recovery failed to parse peers.json: entry %zu needs "
				   "\"id\" and \"address\" (Raft protocol 3 format)",
				   i);
			json_decref(root);
			peers_json_free(p);
			return -1;
		}
		if (json_is_true(json_object_get(e, "non_voter")))
			log_warn("agent.server.raft",
				 "peers.json: %s is a non-voter in the file; "
				 "cairn recovers it as a voter",
				 addr);
		p->addrs[i] = xstrdup(addr);
		p->servers[i] = (struct consensus_server){consensus_server_id(id), p->addrs[i]};
		p->n++;
	}
	json_decref(root);
	log_info("agent.server.raft", "found peers.json file, recovering Raft configuration...");
	return 0;
}

void peers_json_done(const char *raft_dir)
{
	char path[4096];
	path_of(raft_dir, path, sizeof(path));
	if (unlink(path) == 0)
		log_info("agent.server.raft", "deleted peers.json file after successful recovery");
}

void peers_json_free(struct peers_json *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->addrs[i]);
	free(p->addrs);
	free(p->servers);
	p->servers = NULL;
	p->addrs = NULL;
	p->n = 0;
}
