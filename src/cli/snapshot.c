/*
 * `consul snapshot save FILE` and `consul snapshot inspect FILE`: fetch a
 * snapshot archive from GET /v1/snapshot and check it before keeping it; print
 * an archive's metadata. The archive is cairn's (state/archive.h), not
 * Consul's gzipped tar, so files do not move between the two.
 *
 *   save      "Saved and verified snapshot to index N"; the file is written
 *             as FILE.part and renamed once complete and verified
 *   restore   checks the file (archive_decode) and sends it with PUT
 *             /v1/snapshot; the leader replaces the state of every server
 *             through Raft: "Restored snapshot"
 *   inspect   Consul's table: " ID", " Size", " Index", " Term", " Version"
 *             padded to one column (Go tabwriter, padding 6)
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "state/archive.h"

#include "base/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snapshot_opts {
	struct httpc_flags http;
};

const char snapshot_usage[] =
    "\nUsage: consul snapshot <subcommand> [options] [args]\n"
    "\n"
    "  This command has subcommands for saving and inspecting the state\n"
    "  of the Consul servers for disaster recovery. These are atomic, point-in-time\n"
    "  snapshots which include key/value entries, service catalog and sessions.\n"
    "\n"
    "  Create a snapshot:\n"
    "\n"
    "      $ consul snapshot save backup.snap\n"
    "\n"
    "  Restore a snapshot:\n"
    "\n"
    "      $ consul snapshot restore backup.snap\n"
    "\n"
    "  Inspect a snapshot:\n"
    "\n"
    "      $ consul snapshot inspect backup.snap\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

const char snapshot_save_usage[] =
    "\nUsage: consul snapshot save [options] FILE\n"
    "\n"
    "  Retrieves an atomic, point-in-time snapshot of the state of the Consul servers\n"
    "  which includes key/value entries, service catalog and sessions.\n"
    "\n"
    "  To create a snapshot from the leader server and save it to \"backup.snap\":\n"
    "\n"
    "    $ consul snapshot save backup.snap\n"
    "\n"
    "  To create a potentially stale snapshot from any available server (useful if no\n"
    "  leader is available):\n"
    "\n"
    "    $ consul snapshot save -stale backup.snap\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

const char snapshot_restore_usage[] =
    "\nUsage: consul snapshot restore [options] FILE\n"
    "\n"
    "  Restores an atomic, point-in-time snapshot of the state of the Consul servers\n"
    "  which includes key/value entries, service catalog and sessions.\n"
    "\n"
    "  Restores involve a potentially dangerous low-level Raft operation that is not\n"
    "  designed to handle server failures during a restore. This command is primarily\n"
    "  intended to be used when recovering from a disaster, restoring into a fresh\n"
    "  cluster of Consul servers.\n"
    "\n"
    "  To restore a snapshot from the file \"backup.snap\":\n"
    "\n"
    "    $ consul snapshot restore backup.snap\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

const char snapshot_inspect_usage[] =
    "\nUsage: consul snapshot inspect [options] FILE\n"
    "\n"
    "  Displays information about a snapshot file on disk.\n"
    "\n"
    "  To inspect the file \"backup.snap\":\n"
    "\n"
    "    $ consul snapshot inspect backup.snap\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

const struct flag_def snapshot_save_flags[] = {
    HTTPC_CLIENT_FLAGS(struct snapshot_opts, http),
    HTTPC_SERVER_FLAGS(struct snapshot_opts, http),
    FLAG_END,
};

const struct flag_def snapshot_restore_flags[] = {
    HTTPC_CLIENT_FLAGS(struct snapshot_opts, http),
    HTTPC_SERVER_FLAGS(struct snapshot_opts, http),
    FLAG_END,
};

const struct flag_def snapshot_inspect_flags[] = {
    FLAG_END,
};

/* strerror as Go prints it (lower case: "no such file or directory"). */
static const char *go_strerror(int e)
{
	static char text[128];
	snprintf(text, sizeof(text), "%s", strerror(e));
	text[0] = (char)tolower((unsigned char)text[0]);
	return text;
}

/* Exactly one FILE argument, with Consul's messages. */
static const char *file_arg(int argc, char **argv, int rest)
{
	int n = argc - rest;
	if (n == 0) {
		cli_error("Missing FILE argument");
		return NULL;
	}
	if (n > 1) {
		cli_error("Too many arguments (expected 1, got %d)", n);
		return NULL;
	}
	return argv[rest];
}

static int write_file(const char *path, const struct buf *b, struct buf *err)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		buf_printf(err, "open %s: %s", path, go_strerror(errno));
		return -1;
	}
	size_t n = fwrite(b->data, 1, b->len, f);
	int rc = (n == b->len && fflush(f) == 0) ? 0 : -1;
	if (fclose(f) != 0 || rc < 0) {
		buf_printf(err, "write %s: %s", path, go_strerror(errno));
		return -1;
	}
	return 0;
}

int snapshot_save_main(int argc, char **argv)
{
	struct snapshot_opts o = {0};
	int rest;
	if (flags_parse(snapshot_save_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	const char *file = file_arg(argc, argv, rest);
	if (!file)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/snapshot", true);
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (httpc_do(&c, &r, &resp, &err) < 0) {
		cli_error("Error saving snapshot: %s", buf_cstr(&err));
		goto out;
	}
	if (resp.status != 200) {
		httpc_status_error(&err, &resp, true);
		cli_error("Error saving snapshot: %s", buf_cstr(&err));
		goto free_resp;
	}
	struct archive_meta m;
	const void *state;
	size_t slen;
	const char *why = NULL;
	if (archive_decode(resp.body.data, resp.body.len, &m, &state, &slen, &why) != 0) {
		cli_error("Error verifying snapshot file: %s", why);
		goto free_resp;
	}
	char *part = xmalloc(strlen(file) + 6);
	sprintf(part, "%s.part", file);
	if (write_file(part, &resp.body, &err) < 0) {
		cli_error("Error writing snapshot file: %s", buf_cstr(&err));
		remove(part);
	} else if (rename(part, file) != 0) {
		cli_error("Error writing snapshot file: rename %s: %s", part, go_strerror(errno));
		remove(part);
	} else {
		cli_info("Saved and verified snapshot to index %llu", (unsigned long long)m.index);
		rc = 0;
	}
	free(part);
free_resp:
	httpc_resp_free(&resp);
out:
	buf_free(&err);
	httpc_free(&c);
	return rc;
}

static int read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(out, tmp, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

/* The archive named by the one positional argument, read and checked: 0 with
 * data (free it) and its metadata, or 1 after printing why (a bad archive's
 * reason after bad_prefix). */
static int load_archive(int argc, char **argv, int rest, struct buf *data, struct archive_meta *m,
			const char *bad_prefix)
{
	const char *file = file_arg(argc, argv, rest);
	if (!file)
		return 1;
	if (read_file(file, data) < 0) {
		cli_error("Error opening snapshot file: open %s: %s", file, go_strerror(errno));
		buf_free(data);
		return 1;
	}
	const void *state;
	size_t slen;
	const char *why = NULL;
	if (archive_decode(data->data, data->len, m, &state, &slen, &why) != 0) {
		cli_error("%s%s", bad_prefix, why);
		buf_free(data);
		return 1;
	}
	return 0;
}

int snapshot_restore_main(int argc, char **argv)
{
	struct snapshot_opts o = {0};
	int rest;
	if (flags_parse(snapshot_restore_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct buf data = BUF_INIT;
	struct archive_meta m;
	if (load_archive(argc, argv, rest, &data, &m,
			 "Error restoring snapshot: failed to read snapshot file: failed "
			 "checking integrity of snapshot: "))
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0) {
		buf_free(&data);
		return 1;
	}
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/snapshot", false);
	r.body = data.data;
	r.body_len = data.len;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (catcli_write(&c, &r, &err) < 0) {
		cli_error("Error restoring snapshot: %s", buf_cstr(&err));
	} else {
		cli_info("Restored snapshot");
		rc = 0;
	}
	buf_free(&err);
	buf_free(&data);
	httpc_free(&c);
	return rc;
}

int snapshot_inspect_main(int argc, char **argv)
{
	struct snapshot_opts o = {0};
	int rest;
	if (flags_parse(snapshot_inspect_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct buf data = BUF_INIT;
	struct archive_meta m;
	if (load_archive(argc, argv, rest, &data, &m, "Error extracting snapshot data: "))
		return 1;
	struct buf id = BUF_INIT;
	archive_id(&m, &id);
	cli_info("%-14s%s", " ID", buf_cstr(&id));
	cli_info("%-14s%llu", " Size", (unsigned long long)m.size);
	cli_info("%-14s%llu", " Index", (unsigned long long)m.index);
	cli_info("%-14s%llu", " Term", (unsigned long long)m.term);
	cli_info("%-14s%u", " Version", m.version);
	buf_free(&id);
	buf_free(&data);
	return 0;
}
