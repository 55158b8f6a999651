/*
 * Service definitions from config files, for `services register|deregister FILE...`.
 *
 * Consul loads the files with its agent config loader in dev mode and keeps only the
 * services; so does this, through config_build with the command line
 * `agent -dev -config-file F...`: the same JSON/HCL parsing, merging, key aliases and
 * error messages as the agent, and the "service"/"services" blocks as written. The
 * loader's warnings are printed to stderr as Consul's ui.Warn does.
 */
#include "cli/catalog_commands.h"

#include "base/alloc.h"
#include "base/json_get.h"
#include "cli/cli.h"
#include "cli/kv.h"
#include "config/loader.h"

#include <stdlib.h>

int services_from_files(char **files, int n, json_t **out, struct buf *err)
{
	char **argv = xcalloc((size_t)(2 + 2 * n + 1), sizeof(*argv));
	int argc = 0;
	argv[argc++] = "agent";
	argv[argc++] = "-dev";
	for (int i = 0; i < n; i++) {
		argv[argc++] = "-config-file";
		argv[argc++] = files[i];
	}
	struct config cfg;
	struct strlist warnings = {0};
	int rc = config_build(argc, argv, &cfg, err, &warnings);
	for (size_t i = 0; i < warnings.len; i++)
		cli_error("%s", warnings.items[i]);
	strlist_free(&warnings);
	free(argv);
	*out = NULL;
	if (rc) {
		/* one error per line; Go prints the multierror as one message */
		while (err->len && err->data[err->len - 1] == '\n')
			err->data[--err->len] = '\0';
		return -1;
	}
	*out = cfg.services ? json_incref(cfg.services) : json_array();
	config_free(&cfg);
	return 0;
}

const char *services_field(json_t *svc, const char *name)
{
	const char *s = json_string_value(json_field(svc, name));
	return s ? s : "";
}
