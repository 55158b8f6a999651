/*
 * Autopilot configuration and the leader's view of each server's progress
 * (autopilot.h, consensus.h "operator"). Loop thread.
 *
 * The configuration lives in struct consensus (loaded lazily from
 * <raft dir>/autopilot.conf on first use) and changes only by applying
 * CMD_AUTOPILOT_SET. The file holds the configuration and the index it was
 * applied at; a command replayed after a restart whose index is not above the
 * loaded one is already reflected there and is skipped. The file is small
 * and written rarely (one PUT), synchronously and atomically (base/file.h). A failure to write is
 * logged and the in-memory configuration still changes (it is rebuilt from the log while the entry
 * is there).
 *
 * File format (text, one field a line, "<key> <value>"): index,
 * cleanup_dead_servers (0/1), last_contact_threshold_ns, max_trailing_logs,
 * min_quorum, server_stabilization_time_ns, disable_upgrade_migration (0/1),
 * create_index, modify_index, redundancy_zone_tag, upgrade_version_tag (the
 * tags run to the end of the line). Unknown keys are ignored.
 */
#include "consensus/autopilot.h"
#include "consensus/node_int.h"
#include "consensus/operator_ops.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/file.h"
#include "base/log.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_NAME "autopilot.conf"

void autopilot_config_default(struct autopilot_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cleanup_dead_servers = true;
	c->last_contact_threshold_ns = 200ull * 1000 * 1000;
	c->max_trailing_logs = 250;
	c->server_stabilization_time_ns = 10ull * 1000 * 1000 * 1000;
}

static char *file_path(const struct consensus *c)
{
	return buf_fmt("%s/%s", c->dir, FILE_NAME);
}

/* One "key value" line per field; tags run to the end of their line (the API
 * refuses control characters in them, so they hold no newline). */
static void load_line(struct consensus *c, const char *key, const char *val)
{
	struct autopilot_config *a = &c->autopilot;
	unsigned long long v = strtoull(val, NULL, 10);
	if (strcmp(key, "index") == 0)
		c->autopilot_index = v;
	else if (strcmp(key, "cleanup_dead_servers") == 0)
		a->cleanup_dead_servers = v != 0;
	else if (strcmp(key, "last_contact_threshold_ns") == 0)
		a->last_contact_threshold_ns = v;
	else if (strcmp(key, "max_trailing_logs") == 0)
		a->max_trailing_logs = v;
	else if (strcmp(key, "min_quorum") == 0)
		a->min_quorum = v;
	else if (strcmp(key, "server_stabilization_time_ns") == 0)
		a->server_stabilization_time_ns = v;
	else if (strcmp(key, "disable_upgrade_migration") == 0)
		a->disable_upgrade_migration = v != 0;
	else if (strcmp(key, "create_index") == 0)
		a->create_index = v;
	else if (strcmp(key, "modify_index") == 0)
		a->modify_index = v;
	else if (strcmp(key, "redundancy_zone_tag") == 0 && strlen(val) < AUTOPILOT_TAG_MAX)
		strcpy(a->redundancy_zone_tag, val);
	else if (strcmp(key, "upgrade_version_tag") == 0 && strlen(val) < AUTOPILOT_TAG_MAX)
		strcpy(a->upgrade_version_tag, val);
}

static void load(struct consensus *c)
{
	if (c->autopilot_loaded)
		return;
	c->autopilot_loaded = true;
	autopilot_config_default(&c->autopilot);
	c->autopilot_index = 0;
	char *path = file_path(c);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return;
	char line[AUTOPILOT_TAG_MAX + 64];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *sp = strchr(line, ' ');
		if (sp) {
			*sp = '\0';
			load_line(c, line, sp + 1);
		}
	}
	fclose(f);
}

static void save(const struct consensus *c)
{
	const struct autopilot_config *a = &c->autopilot;
	char *path = file_path(c);
	struct buf text = BUF_INIT;
	buf_printf(&text,
		   "index %llu\ncleanup_dead_servers %d\nlast_contact_threshold_ns %llu\n"
		   "max_trailing_logs %llu\nmin_quorum %llu\n"
		   "server_stabilization_time_ns %llu\ndisable_upgrade_migration %d\n"
		   "create_index %llu\nmodify_index %llu\nredundancy_zone_tag %s\n"
		   "upgrade_version_tag %s\n",
		   (unsigned long long)c->autopilot_index, a->cleanup_dead_servers,
		   (unsigned long long)a->last_contact_threshold_ns,
		   (unsigned long long)a->max_trailing_logs, (unsigned long long)a->min_quorum,
		   (unsigned long long)a->server_stabilization_time_ns,
		   a->disable_upgrade_migration, (unsigned long long)a->create_index,
		   (unsigned long long)a->modify_index, a->redundancy_zone_tag,
		   a->upgrade_version_tag);
	if (file_replace(path, text.data, text.len, 0666, NULL) != 0)
		log_warn("agent.server.autopilot", "failed to write %s", path);
	buf_free(&text);
	free(path);
}

int autopilot_ops_apply(struct fsm *f, struct store_txn *t, const struct cmd *c, uint64_t index,
			struct txn_result *res)
{
	struct consensus *cs = (struct consensus *)((char *)f - offsetof(struct consensus, fsm));
	store_txn_commit(t);
	res->index = index;
	load(cs);
	if (index <= cs->autopilot_index)
		return 0; /* replayed: the file already reflects it */
	struct autopilot_config *cur = &cs->autopilot;
	if (c->u.autopilot.cas && c->u.autopilot.cas_index != cur->modify_index) {
		res->errors = xcalloc(1, sizeof(*res->errors));
		res->errors[0].what = xstrdup("check-and-set failed");
		res->nerrors = 1;
		return CAIRN_E_CAS;
	}
	uint64_t created = cur->create_index ? cur->create_index : index;
	*cur = c->u.autopilot.conf;
	cur->create_index = created;
	cur->modify_index = index;
	cs->autopilot_index = index;
	save(cs);
	return 0;
}

void consensus_autopilot(const struct consensus *c, struct autopilot_config *out)
{
	load((struct consensus *)c);
	*out = c->autopilot;
}

int consensus_progress(const struct consensus *c, uint64_t id, struct consensus_progress *out)
{
	struct raft *r = (struct raft *)&c->raft;
	if (!c->started || c->closing || raft_state(r) != RAFT_LEADER)
		return CAIRN_E_NOTLEADER;
	const struct raft_configuration *conf = &r->configuration;
	for (unsigned i = 0; i < conf->n; i++) {
		if (conf->servers[i].id != id)
			continue;
		memset(out, 0, sizeof(*out));
		if (id == c->id) {
			out->match_index = raft_last_index(r);
			out->recent = true;
			return 0;
		}
		const struct raft_progress *p = &r->leader_state.progress[i];
		raft_time now = c->io.time((struct raft_io *)&c->io);
		out->match_index = p->match_index;
		out->recent = p->recent_recv;
		out->last_send_ms = now > p->last_send ? now - p->last_send : 0;
		return 0;
	}
	return CAIRN_E_NOTFOUND;
}
