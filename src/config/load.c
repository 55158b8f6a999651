/*
 * The public entry points: config_defaults, config_load, config_free and the
 * merge pipeline they share with `cairn validate` and reload.
 *
 * Merge order (Consul's builder: Head, Sources, Tail):
 *   1. table defaults                       (loader_defaults)
 *   2. -dev defaults, when -dev             (the table's dev column)
 *   3. list flags and command-line-only flags (lists from flags come first)
 *   4. -config-file / -config-dir paths, in the order given
 *   5. every other flag                     (flags override files)
 *   6. -hcl fragments, as "flags-N.hcl"     (override flags, as in Consul)
 *   7. computed defaults, then validation
 * Errors of steps 1-6 are all collected; validation stops at its first error as
 * Consul's does. Warnings go to the caller (logged by config_load).
 */
#include "config/loader.h"

#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

void config_defaults(struct config *c)
{
	struct buf err = BUF_INIT;
	struct loader ld;
	memset(c, 0, sizeof(*c));
	loader_init(&ld, c, &err);
	loader_defaults(&ld, false);
	loader_done(&ld);
	buf_free(&err);
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < config_options_len; i++)
		opt_free(c, &config_options[i]);
	memset(c, 0, sizeof(*c));
}

static void load_sources(struct loader *ld, struct cmdline *cl)
{
	struct config *c = ld->c;
	loader_defaults(ld, false);
	if (cmdline_dev(cl))
		loader_defaults(ld, true);
	cmdline_apply_lists(ld, cl);
	if (c->config_format && *c->config_format) {
		if (strcmp(c->config_format, "json") != 0 && strcmp(c->config_format, "hcl") != 0) {
			loader_error(ld, NULL,
				     "config: -config-format must be either 'hcl' or 'json'");
			return;
		}
		ld->format = c->config_format;
	}
	struct strlist paths = {0};
	cmdline_paths(cl, &paths);
	for (size_t i = 0; i < paths.len; i++)
		loader_path(ld, paths.items[i]);
	strlist_free(&paths);
	cmdline_apply_values(ld, cl);
	for (size_t i = 0; i < c->hcl.len; i++) {
		char name[32];
		snprintf(name, sizeof(name), "flags-%zu.hcl", i);
		loader_apply_text(ld, name, c->hcl.items[i], strlen(c->hcl.items[i]), "hcl");
	}
}

int config_build(int argc, char **argv, struct config *out, struct buf *err,
		 struct strlist *warnings)
{
	struct loader ld;
	struct cmdline *cl = NULL;
	memset(out, 0, sizeof(*out));
	loader_init(&ld, out, err);
	if (cmdline_parse(&ld, argc, argv, &cl) == 0)
		load_sources(&ld, cl);
	if (ld.nerr == 0)
		loader_finish(&ld);
	if (ld.nerr == 0)
		loader_validate(&ld);
	for (size_t i = 0; i < ld.warnings.len; i++)
		strlist_add(warnings, ld.warnings.items[i]);
	int rc = ld.nerr ? CAIRN_E_INVAL : 0;
	cmdline_free(cl);
	loader_done(&ld);
	if (rc)
		config_free(out);
	return rc;
}

int config_load(int argc, char **argv, struct config *out, struct buf *err)
{
	struct strlist warnings = {0};
	int rc = config_build(argc, argv, out, err, &warnings);
	for (size_t i = 0; i < warnings.len; i++)
		log_warn("agent.config", "%s", warnings.items[i]);
	strlist_free(&warnings);
	return rc;
}

int config_reload(int argc, char **argv, const struct config *cur, struct config *next,
		  struct buf *not_reloadable, struct buf *err)
{
	int rc = config_load(argc, argv, next, err);
	if (rc)
		return rc;
	if (next->node_id_generated && cur->node_id) {
		opt_copy(next, cur, opt_find("node_id"));
		next->node_id_generated = cur->node_id_generated;
	}
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		if ((o->flags & (OPTF_RELOAD | OPTF_INTERNAL)) || opt_equal(cur, next, o))
			continue;
		buf_printf(not_reloadable, "%s\n", o->key);
		opt_copy(next, cur, o);
	}
	return 0;
}
