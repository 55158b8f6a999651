/*
 * `consul debug`: what its files share. debug.c owns the command (flags, checks,
 * the run), debug_capture.c talks to the agent and writes the captured files,
 * debug_archive.c packs the result into <output>.tar.gz.
 *
 * The layout written under -output (Consul's, in the form whose metrics are
 * scraped from /v1/agent/metrics once per interval):
 *
 *   <output>/agent.json          GET /v1/agent/self        (target "agent")
 *   <output>/host.json           GET /v1/agent/host        (target "host")
 *   <output>/members.json        GET /v1/agent/members?wan=1 (target "members")
 *   <output>/<unix ts>/metrics.json  GET /v1/agent/metrics, once per interval
 *   <output>/consul.log          GET /v1/agent/monitor?loglevel=TRACE for the
 *                                duration (target "logs")
 *   <output>/index.json          {"Version":1,"AgentVersion","Interval","Duration",
 *                                "Targets"}
 *
 * JSON files are json.MarshalIndent(v, "", "\t") of what the agent returned: the
 * agent's generic maps (self, host) with sorted keys, as Go re-encodes a map; lists
 * and structs (members, metrics) in the agent's order. A failed static capture still
 * writes its file, holding null, as Consul does.
 */
#ifndef CAIRN_CLI_DEBUG_H
#define CAIRN_CLI_DEBUG_H

#include "base/buf.h"
#include "cli/httpc.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Set by SIGINT/SIGTERM while capturing: stop early, then index and archive. */
extern volatile sig_atomic_t debug_stop;

/* json.MarshalIndent(v, "", "\t") of v (NULL: "null"); sorted: map key order. */
void debug_json_text(struct buf *out, json_t *v, bool sorted);

/* Write text to dir/name (mode 0644). 0, or -1 with "open <path>: <reason>" in err. */
int debug_write_file(const char *dir, const char *name, const struct buf *text, struct buf *err);

/* GET path (params: name, value pairs, NULL-terminated) and decode the 200 reply;
 * 0 with *out set, or -1 with Go's api error in err (*out NULL). */
int debug_get_json(const struct httpc *c, const char *path, const char *const *params, json_t **out,
		   struct buf *err);

/*
 * The static targets (agent, host, members as selected): each file written, errors
 * collected as Go's multierror prints them ("1 error occurred:\n\t* ...\n\n") in err.
 * Returns the number of errors.
 */
int debug_capture_static(const struct httpc *c, const char *dir, bool agent, bool host,
			 bool members, struct buf *err);

/* One metrics scrape into dir/<unix ts>/metrics.json. 0, or -1 with err. */
int debug_capture_metrics(const struct httpc *c, const char *dir, int64_t unix_ts, struct buf *err);

/*
 * Start streaming the agent's TRACE log into dir/consul.log in a child process (the
 * stream blocks on the socket for as long as the agent is quiet; a process can be
 * stopped at any moment). Returns the child's pid, or -1 with err.
 */
int debug_logs_start(const struct httpc *c, const char *dir, struct buf *err);

/* Stop the log child and reap it. The child prints its own failure (stream refused
 * or broken) as "==> Error encountered during collection: ..." and exits 1; this
 * returns 0 when it was still streaming or ended cleanly, -1 when it failed. */
int debug_logs_stop(int pid);

/*
 * Pack dir into dir + ".tar.gz" (entries named from dir's base name, in lexical
 * walk order as Go's filepath.Walk), written to a temporary file renamed into place,
 * then remove dir. 0, or -1 with Consul's reason in err.
 */
int debug_archive(const char *dir, struct buf *err);

#endif
