/*
 * The catalog, services, maint and reload commands: what each file exports to the
 * command table (cli/commands.c), and the HTTP helpers they share (catalog_common.c).
 *
 * The helpers behave like Consul's Go api client for these calls: any status but 200
 * is "Unexpected response code: N (body)"; GET bodies are decoded as JSON.
 */
#ifndef CAIRN_CLI_CATALOG_COMMANDS_H
#define CAIRN_CLI_CATALOG_COMMANDS_H

#include "base/buf.h"
#include "cli/flags.h"
#include "cli/httpc.h"

#include <jansson.h>

/* cli/catalog_common.c: the "catalog" and "services" groups */
extern const char catalog_usage[];
extern const char services_usage[];

/* cli/catalog_datacenters.c */
int catalog_datacenters_main(int argc, char **argv);
extern const char catalog_datacenters_usage[];
extern const struct flag_def catalog_datacenters_flags[];

/* cli/catalog_nodes.c */
int catalog_nodes_main(int argc, char **argv);
extern const char catalog_nodes_usage[];
extern const struct flag_def catalog_nodes_flags[];

/* cli/catalog_services.c */
int catalog_services_main(int argc, char **argv);
extern const char catalog_services_usage[];
extern const struct flag_def catalog_services_flags[];

/* cli/services_register.c */
int services_register_main(int argc, char **argv);
extern const char services_register_usage[];
extern const struct flag_def services_register_flags[];

/* cli/services_deregister.c */
int services_deregister_main(int argc, char **argv);
extern const char services_deregister_usage[];
extern const struct flag_def services_deregister_flags[];

/* cli/maint.c */
int maint_main(int argc, char **argv);
extern const char maint_usage[];
extern const struct flag_def maint_flags[];

/* cli/reload.c */
int reload_main(int argc, char **argv);
extern const char reload_usage[];
extern const struct flag_def reload_flags[];

/* ---- shared helpers (cli/catalog_common.c) ---- */

/* Send r; 200 with a JSON body decodes into *out (JSON null included). Returns 0, or -1
 * with the error in err (*out NULL). */
int catcli_get_json(const struct httpc *c, const struct httpc_req *r, json_t **out,
		    struct buf *err);

/* Send a write; returns 0 on 200, or -1 with the error in err. */
int catcli_write(const struct httpc *c, const struct httpc_req *r, struct buf *err);

/* Add a query parameter even if one of that name exists (url.Values.Add: node-meta,
 * tag). Strings are borrowed until the request is sent. */
void catcli_req_add(struct httpc_req *r, const char *name, const char *value);

/* 0 when nargs (positional arguments left after the flags) is 0, else "Too many
 * arguments (expected 0, got N)" on stderr and -1. */
int catcli_no_args(int nargs);

/*
 * The service definitions in config files, as `consul services register FILE...` reads
 * them: the files are loaded as -config-file arguments of a -dev agent would be, and the
 * "service"/"services" blocks come back as a JSON array of objects (keys as written,
 * CamelCase or snake_case). Warnings go to stderr. Returns 0, or -1 with the error in err.
 */
int services_from_files(char **files, int n, json_t **out, struct buf *err);

/* Member name of a service object, case-insensitively ("id", "ID", "Id"); "" if none. */
const char *services_field(json_t *svc, const char *name);

#endif
