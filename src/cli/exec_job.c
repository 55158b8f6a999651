/*
 * The run of `consul exec` (protocol in cli/exec.h): session, job upload, event,
 * then a single-threaded wait loop of blocking key listings whose wait never
 * exceeds the time left before the job counts as quiet, so the quiet period is
 * honoured to the millisecond without a second thread; the session is renewed
 * from the same loop (every 5s, against a 15s TTL, while each listing lasts at
 * most -wait). Output goes through Consul's TargetedUI shapes:
 *   "==> <node>: finished with exit code 0"   (Info)
 *   "    <node>: <each output line>"          (Output, trailing space trimmed)
 */
#include "cli/cli.h"
#include "cli/exec.h"

#include "cli/catalog_commands.h"
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/jsonw.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_TTL    "15s"
#define RENEW_EVERY_NS (5 * DUR_SEC)
#define ACK_SUFFIX     "/ack"
#define EXIT_SUFFIX    "/exit"
#define OUTPUT_DIVIDER "/out/"
#define JOB_FILE       "job"
#define MIN_POLL_NS    (20 * DUR_MS) /* shortest time between two listings */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * DUR_SEC + ts.tv_nsec;
}

static void sleep_ns(int64_t ns, volatile sig_atomic_t *stop)
{
	int64_t end = mono_ns() + ns;
	for (int64_t now = mono_ns(); now < end && !*stop; now = mono_ns()) {
		struct timespec ts = {.tv_sec = (end - now) / DUR_SEC,
				      .tv_nsec = (end - now) % DUR_SEC};
		nanosleep(&ts, NULL);
	}
}

/* TargetedUI: every line of msg as "<arrow> <node>: <line>", trailing space trimmed. */
static void targeted(const char *node, bool arrow, const char *msg, size_t len)
{
	while (len && isspace((unsigned char)msg[len - 1]))
		len--;
	struct buf out = BUF_INIT;
	const char *p = msg, *end = msg + len;
	do {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		buf_printf(&out, "%s%s %s: ", out.len ? "\n" : "", arrow ? "==>" : "   ", node);
		buf_append(&out, p, n);
		p = nl ? nl + 1 : end;
	} while (p < end);
	while (out.len && isspace((unsigned char)out.data[out.len - 1]))
		out.data[--out.len] = '\0';
	cli_info("%s", buf_cstr(&out));
	fflush(stdout);
	buf_free(&out);
}

/* ---- session ---- */

/* A passing "consul" node of the remote datacenter (createSessionForeign). */
static int foreign_node(struct exec_job *j, struct buf *node, struct buf *err)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/health/service/consul", true);
	httpc_req_param(&r, "passing", "1");
	json_t *v = NULL;
	struct buf why = BUF_INIT;
	int rc = -1;
	if (catcli_get_json(j->c, &r, &v, &why) < 0) {
		buf_printf(err, "Failed to find Consul server in remote datacenter: %s",
			   buf_cstr(&why));
	} else if (!json_is_array(v) || json_array_size(v) == 0) {
		buf_puts(err, "Failed to find Consul server in remote datacenter");
	} else {
		buf_puts(node, kv_json_str(json_object_get(json_array_get(v, 0), "Node"), "Node"));
		rc = 0;
	}
	json_decref(v);
	buf_free(&why);
	return rc;
}

static int create_session(struct exec_job *j, struct buf *err)
{
	struct buf body = BUF_INIT, node = BUF_INIT, name = BUF_INIT;
	struct jsonw w;
	int rc = -1;
	jsonw_init(&w, &body, false);
	jsonw_obj_open(&w); /* Go marshals the api's map: keys sorted */
	jsonw_kstr(&w, "Behavior", "delete");
	if (j->foreign) {
		if (foreign_node(j, &node, err) < 0)
			goto out;
		if (j->verbose)
			cli_info("Binding session to remote node %s@%s", node.data, j->datacenter);
		jsonw_key(&w, "Checks");
		jsonw_arr_open(&w);
		jsonw_arr_close(&w);
		buf_printf(&name, "Remote Exec via %s@%s", j->local_node, j->local_dc);
		jsonw_kstr(&w, "Name", name.data);
		jsonw_kstr(&w, "Node", node.data);
	} else {
		jsonw_kstr(&w, "Name", "Remote Exec");
	}
	jsonw_kstr(&w, "TTL", SESSION_TTL);
	jsonw_obj_close(&w);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/session/create", false);
	r.body = body.data;
	r.body_len = body.len;
	json_t *v = NULL;
	if (catcli_get_json(j->c, &r, &v, err) < 0)
		goto out;
	const char *id = kv_json_str(v, "ID");
	if (!*id) {
		buf_puts(err, "session create returned no ID");
	} else {
		j->session = xstrdup(id);
		rc = 0;
	}
	json_decref(v);
out:
	buf_free(&body);
	buf_free(&node);
	buf_free(&name);
	return rc;
}

static void destroy_session(struct exec_job *j)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/session/destroy/%s", j->session);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path.data, false);
	catcli_write(j->c, &r, &err);
	buf_free(&path);
	buf_free(&err);
}

/* Renew; 0, or -1 with the error in err. */
static int renew_session(struct exec_job *j, struct buf *err)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "/v1/session/renew/%s", j->session);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path.data, false);
	int rc = catcli_write(j->c, &r, err);
	buf_free(&path);
	return rc;
}

/* ---- data ---- */

/* Go's path.Join(prefix, session) (prefix cleaned of extra slashes). */
static void job_dir(const struct exec_job *j, struct buf *out)
{
	kv_path_join(out, j->prefix, j->session);
}

static int upload(struct exec_job *j, struct buf *err)
{
	struct buf key = BUF_INIT, dir = BUF_INIT;
	job_dir(j, &dir);
	buf_printf(&key, "%s/%s", dir.data, JOB_FILE);
	char *path = kv_api_path(key.data);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path, false);
	httpc_req_param(&r, "acquire", j->session);
	r.body = j->spec.data;
	r.body_len = j->spec.len;
	bool ok = false;
	int rc = kv_api_write(j->c, &r, &ok, err);
	if (rc == 0 && !ok) {
		buf_printf(err, "failed to acquire key %s", key.data);
		rc = -1;
	}
	free(path);
	buf_free(&key);
	buf_free(&dir);
	return rc;
}

static void destroy_data(struct exec_job *j)
{
	struct buf dir = BUF_INIT, err = BUF_INIT;
	job_dir(j, &dir);
	char *path = kv_api_path(dir.data);
	struct httpc_req r;
	httpc_req_init(&r, "DELETE", path, false);
	httpc_req_param(&r, "recurse", "");
	bool ok;
	kv_api_write(j->c, &r, &ok, &err);
	free(path);
	buf_free(&dir);
	buf_free(&err);
}

/* PUT /v1/event/fire/_rexec; the event ID into id. 0, or -1 with err. */
static int fire_event(struct exec_job *j, struct buf *id, struct buf *err)
{
	struct buf body = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &body, false);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "Prefix", j->prefix);
	jsonw_kstr(&w, "Session", j->session);
	jsonw_obj_close(&w);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/event/fire/_rexec", false);
	if (*j->node)
		httpc_req_param(&r, "node", j->node);
	if (*j->service)
		httpc_req_param(&r, "service", j->service);
	if (*j->tag)
		httpc_req_param(&r, "tag", j->tag);
	r.body = body.data;
	r.body_len = body.len;
	json_t *v = NULL;
	int rc = catcli_get_json(j->c, &r, &v, err);
	if (rc == 0)
		buf_puts(id, kv_json_str(v, "ID"));
	json_decref(v);
	buf_free(&body);
	return rc;
}

/* ---- results ---- */

struct tally {
	int acks, exits, bad; /* ackCount, exitCount, badExit */
	char **seen;	      /* keys handled */
	size_t nseen;
};

static bool seen_before(struct tally *t, const char *key)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (strcmp(t->seen[i], key) == 0)
			return true;
	t->seen = xrealloc(t->seen, (t->nseen + 1) * sizeof(*t->seen));
	t->seen[t->nseen++] = xstrdup(key);
	return false;
}

/* The raw value of a key: 1 found, 0 missing or failed (error printed). */
static int read_value(struct exec_job *j, const char *full, struct buf *out)
{
	char *path = kv_api_path(full);
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, true);
	httpc_req_param(&r, "raw", "");
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = kv_api_get(j->c, &r, &resp, &err);
	if (rc == 1)
		buf_append(out, resp.body.data, resp.body.len);
	if (rc == 1 || rc == 0)
		httpc_resp_free(&resp);
	if (rc != 1)
		cli_error("Failed to read key '%s': %s", full, rc < 0 ? buf_cstr(&err) : "<nil>");
	free(path);
	buf_free(&err);
	return rc == 1;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* One new key (full name, and name below the job directory); true if it counts as
 * activity that resets the quiet timer. */
static bool handle_key(struct exec_job *j, struct tally *t, const char *full, const char *key)
{
	struct buf v = BUF_INIT;
	const char *out = NULL;
	bool activity = true;
	if (strcmp(key, JOB_FILE) == 0) {
		activity = false;
	} else if (has_suffix(key, ACK_SUFFIX)) {
		t->acks++;
		if (j->verbose) {
			char *node = xstrndup(key, strlen(key) - strlen(ACK_SUFFIX));
			targeted(node, true, "acknowledged", 12);
			free(node);
		}
	} else if (has_suffix(key, EXIT_SUFFIX)) {
		activity = read_value(j, full, &v);
		if (activity) {
			char *end;
			errno = 0;
			long code = strtol(buf_cstr(&v), &end, 10);
			if (v.len == 0 || *end || errno || code < INT32_MIN || code > INT32_MAX) {
				cli_error(
				    "Failed to parse exit code '%s': strconv.ParseInt: parsing "
				    "\"%s\": invalid syntax",
				    buf_cstr(&v), buf_cstr(&v));
				activity = false;
			} else {
				t->exits++;
				if (code != 0)
					t->bad++;
				char *node = xstrndup(key, strlen(key) - strlen(EXIT_SUFFIX));
				char msg[64];
				snprintf(msg, sizeof(msg), "finished with exit code %ld", code);
				targeted(node, true, msg, strlen(msg));
				free(node);
			}
		}
	} else if ((out = strstr(key, OUTPUT_DIVIDER)) != NULL) {
		const char *last = out;
		while ((out = strstr(last + 1, OUTPUT_DIVIDER)) != NULL)
			last = out;
		activity = read_value(j, full, &v);
		if (activity) {
			char *node = xstrndup(key, (size_t)(last - key));
			if (v.len)
				targeted(node, false, v.data, v.len);
			else if (j->verbose)
				targeted(node, true, "heartbeat received", 18);
			free(node);
		}
	} else {
		cli_error("Unknown key '%s', ignoring.", key);
		activity = false;
	}
	buf_free(&v);
	return activity;
}

/* One blocking listing of dir for up to wait_ms. 0 (keys handled; *activity set),
 * -1 on error (printed). */
static int poll_keys(struct exec_job *j, struct tally *t, const char *dir, uint64_t *index,
		     int64_t wait_ms, bool *activity)
{
	char *path = kv_api_path(dir);
	char idx[32], wait[32];
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)*index);
	snprintf(wait, sizeof(wait), "%lldms", (long long)wait_ms);
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, true);
	httpc_req_param(&r, "keys", "");
	httpc_req_param(&r, "index", idx);
	httpc_req_param(&r, "wait", wait);
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int rc = -1;
	if (httpc_do(j->c, &r, &resp, &err) < 0) {
		cli_error("Failed to read results: %s", buf_cstr(&err));
		goto out;
	}
	if (resp.status != 200 && resp.status != 404) {
		httpc_status_error(&err, &resp, false);
		cli_error("Failed to read results: %s", buf_cstr(&err));
		httpc_resp_free(&resp);
		goto out;
	}
	const char *hdr = httpc_resp_header(&resp, "X-Consul-Index");
	uint64_t next = hdr ? strtoull(hdr, NULL, 10) : 0;
	json_t *keys = NULL;
	if (next != *index && resp.status == 200)
		keys = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
	*index = next;
	httpc_resp_free(&resp);
	size_t dl = strlen(dir);
	for (size_t i = 0; i < json_array_size(keys); i++) {
		const char *full = json_string_value(json_array_get(keys, i));
		if (!full || seen_before(t, full))
			continue;
		const char *key = strncmp(full, dir, dl) == 0 ? full + dl : full;
		if (handle_key(j, t, full, key))
			*activity = true;
	}
	json_decref(keys);
	rc = 0;
out:
	free(path);
	buf_free(&err);
	return rc;
}

/* waitForJob: the exit code. */
static int wait_for_job(struct exec_job *j)
{
	struct buf dir = BUF_INIT, err = BUF_INIT;
	job_dir(j, &dir);
	buf_putc(&dir, '/');
	struct tally t = {0};
	uint64_t index = 0;
	int64_t start = mono_ns(), last = start, next_renew = start + RENEW_EVERY_NS;
	bool renewing = true;
	int rc = 0;
	for (;;) {
		int64_t quiet = j->wait_ns * (t.acks > t.exits ? 2 : 1);
		int64_t left = last + quiet - mono_ns();
		if (left <= 0) {
			cli_info("%d / %d node(s) completed / acknowledged", t.exits, t.acks);
			if (j->verbose)
				cli_info("Completed in %0.2f seconds",
					 (double)(mono_ns() - start) / (double)DUR_SEC);
			if (t.exits < t.acks)
				t.bad++;
			rc = t.bad ? 2 : 0;
			break;
		}
		if (*j->stop) {
			rc = 1;
			break;
		}
		int64_t wait_ms = ((left < j->wait_ns ? left : j->wait_ns) + DUR_MS - 1) / DUR_MS;
		bool activity = false;
		uint64_t before = index;
		int64_t asked = mono_ns();
		if (poll_keys(j, &t, dir.data, &index, wait_ms, &activity) < 0) {
			rc = 1;
			break;
		}
		if (activity)
			last = mono_ns();
		else if (index == before && mono_ns() - asked < MIN_POLL_NS)
			sleep_ns(MIN_POLL_NS, j->stop); /* the agent did not block: no busy loop */
		if (renewing && mono_ns() >= next_renew) {
			if (renew_session(j, &err) < 0) {
				cli_error("Session renew failed: %s", buf_cstr(&err));
				renewing = false;
			}
			buf_reset(&err);
			next_renew = mono_ns() + RENEW_EVERY_NS;
		}
	}
	for (size_t i = 0; i < t.nseen; i++)
		free(t.seen[i]);
	free(t.seen);
	buf_free(&dir);
	buf_free(&err);
	return rc;
}

int exec_run(struct exec_job *j)
{
	struct buf err = BUF_INIT, id = BUF_INIT;
	int rc = 1;
	if (create_session(j, &err) < 0) {
		cli_error("Failed to create session: %s", buf_cstr(&err));
		goto out;
	}
	if (j->verbose)
		cli_info("Created remote execution session: %s", j->session);
	if (upload(j, &err) < 0) {
		cli_error("Failed to create job file: %s", buf_cstr(&err));
		goto cleanup;
	}
	if (j->verbose)
		cli_info("Uploaded remote execution spec");
	sleep_ns(j->repl_wait_ns, j->stop);
	if (*j->stop)
		goto cleanup;
	if (fire_event(j, &id, &err) < 0) {
		cli_error("Failed to fire event: %s", buf_cstr(&err));
		goto cleanup;
	}
	if (j->verbose)
		cli_info("Fired remote execution event: %s", id.data);
	rc = wait_for_job(j);
cleanup:
	destroy_session(j);
	destroy_data(j);
out:
	buf_free(&err);
	buf_free(&id);
	return rc;
}
