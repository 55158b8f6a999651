/*
 * The read pipeline: consistency, datacenter, blocking queries, X-Consul headers.
 *
 * API:
 *   api_read(a, req, query) parses ?stale / ?consistent / ?dc / ?index / ?wait,
 *   gets permission to read (default: this node leads with a valid lease;
 *   consistent: a Raft barrier confirms leadership; stale: any server), then runs
 *   the query. A query that returns an index above ?index is answered at once.
 *   Otherwise the request parks: the query registered a watcher on what it read,
 *   and a timer is armed for wait + jitter (up to wait/16, as Consul). When the
 *   watcher fires (store_watch_flush, once per loop iteration) the query runs
 *   again; when the timer fires it runs one last time and answers whatever it
 *   has. A client that disconnects while parked cancels everything at once.
 *
 * A query may also take the request over (API_DEFERRED: a prepared query
 * failing over to another datacenter): the reader then adds its headers and
 * is done, and the query replies later.
 *
 * Each read owns a struct reader; one that parks also gets a uv_timer_t and is
 * then freed in the timer's close callback, after the reply or the cancel.
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WAIT_MS (5 * 60 * 1000ULL)
#define MAX_WAIT_MS	(10 * 60 * 1000ULL)

enum mode { MODE_DEFAULT, MODE_STALE, MODE_CONSISTENT };

struct reader {
	struct api *a;
	struct http_request *req;
	api_query_fn query;
	enum mode mode;
	uint64_t min_index;
	uint64_t wait_ms;
	bool parked;	/* counted in a->blocked; timer armed */
	bool has_timer; /* timer initialised (only readers that park have one) */
	bool timed_out;
	bool hash_index;   /* the index is a hash: block while equal, not while <= */
	uint64_t restores; /* store_restores when the read started */
	struct watcher watcher;
	struct consensus_confirm confirm;
	uv_timer_t timer;
};

static const char *const mode_names[] = {"leader", "stale", "consistent"};

static void reader_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Drop everything the reader holds; the request is answered or gone. */
static void reader_free(struct reader *r)
{
	watcher_cancel(r->a->store, &r->watcher);
	consensus_confirm_cancel(&r->confirm);
	if (r->parked) {
		r->a->blocked--;
		metrics_gauge(r->a->metrics, M_BLOCKING_QUERIES, (double)r->a->blocked);
	}
	if (r->has_timer)
		uv_close((uv_handle_t *)&r->timer, reader_closed);
	else
		free(r);
}

static void add_headers(struct reader *r, uint64_t index)
{
	struct http_request *req = r->req;
	struct consensus *c = r->a->cons;
	http_resp_header_u64(req, "X-Consul-Index", index ? index : 1);
	http_resp_header(req, "X-Consul-Knownleader",
			 c && consensus_known_leader(c) ? "true" : "false");
	http_resp_header_u64(req, "X-Consul-Lastcontact", c ? consensus_last_contact_ms(c) : 0);
	http_resp_header(req, "X-Consul-Effective-Consistency", mode_names[r->mode]);
}

static void reset_response(struct http_request *req)
{
	req->resp.status = 200;
	req->resp.content_type = "application/json";
	buf_reset(&req->resp.body);
	buf_reset(&req->resp.headers);
}

static void execute(struct reader *r);

static void on_change(struct watcher *w)
{
	execute(w->data);
}

static void on_timeout(uv_timer_t *t)
{
	struct reader *r = t->data;
	r->timed_out = true;
	watcher_cancel(r->a->store, &r->watcher);
	execute(r);
}

static void on_cancel(struct http_request *req)
{
	reader_free(req->ctx);
}

static void park(struct reader *r)
{
	if (r->parked)
		return;
	r->parked = true;
	r->has_timer = true;
	uv_timer_init(r->a->loop, &r->timer);
	r->timer.data = r;
	r->a->blocked++;
	metrics_gauge(r->a->metrics, M_BLOCKING_QUERIES, (double)r->a->blocked);
	/* jitter spreads the wake-ups of many clients that parked together */
	uint64_t jitter = r->wait_ms / 16 ? (uint64_t)random() % (r->wait_ms / 16) : 0;
	uv_timer_start(&r->timer, on_timeout, r->wait_ms + jitter, 0);
}

static void execute(struct reader *r)
{
	struct http_request *req = r->req;
	uint64_t index = 0;
	bool blocking = r->min_index > 0 && !r->timed_out;
	reset_response(req);
	req->ctx = r; /* a query that defers replaces these */
	req->cancel = on_cancel;
	int status = r->query(r->a, req, blocking ? &r->watcher : NULL, &index);
	if (status == API_DEFERRED) {
		/* the query took the request over and replies later: it gets the
		 * headers of what it read now */
		add_headers(r, index);
		reader_free(r);
		return;
	}
	bool unchanged = r->hash_index ? index == r->min_index : index <= r->min_index;
	if (store_restores(r->a->store) != r->restores)
		unchanged = false; /* a restore: answer now, whatever the index says */
	if (blocking && unchanged) {
		reset_response(req);
		park(r);
		return;
	}
	watcher_cancel(r->a->store, &r->watcher);
	req->resp.status = status;
	add_headers(r, index);
	req->cancel = NULL;
	reader_free(r);
	http_reply(req);
}

static void confirmed(void *data, int status)
{
	struct reader *r = data;
	if (status) {
		struct http_request *req = r->req;
		req->cancel = NULL;
		reader_free(r);
		api_error_code(req, status);
		return;
	}
	execute(r);
}

static void start(struct reader *r)
{
	struct consensus *c = r->a->cons;
	if (r->mode == MODE_STALE) {
		execute(r);
		return;
	}
	if (r->mode == MODE_DEFAULT && consensus_lease_valid(c)) {
		execute(r);
		return;
	}
	/* consistent, or a leader whose lease lapsed: confirm with a quorum */
	r->confirm.cb = confirmed;
	r->confirm.data = r;
	consensus_confirm(c, &r->confirm);
}

/* Parse the common read parameters; on error a 400/500 was sent. */
static int parse_options(struct api *a, struct http_request *req, struct reader *r, bool local)
{
	bool stale = api_has(req, "stale"), consistent = api_has(req, "consistent");
	if (stale && consistent) {
		api_error(req, 400,
			  "Cannot specify ?stale with ?consistent, conflicting semantics.");
		return -1;
	}
	r->mode = stale ? MODE_STALE : consistent ? MODE_CONSISTENT : MODE_DEFAULT;
	if (r->mode == MODE_DEFAULT && api_discovery_stale(a, req))
		r->mode = MODE_STALE; /* discovery_max_stale (forward.c) */
	if (!local && !api_local_dc(a, req))
		return -1; /* an agent's own data has no datacenter to pick (its caller checks) */
	const struct http_param *idx = http_param_get(req, "index");
	if (idx && idx->value[0]) {
		char *end;
		errno = 0;
		r->min_index = strtoull(idx->value, &end, 10);
		if (*end || errno || idx->value[0] == '-' || idx->value[0] == '+') {
			api_error(req, 400, "Invalid index");
			return -1;
		}
	}
	r->wait_ms = DEFAULT_WAIT_MS;
	const struct http_param *wait = http_param_get(req, "wait");
	if (wait && wait->value[0]) {
		int64_t ns;
		if (duration_parse(wait->value, false, &ns) || ns < 0) {
			api_error(req, 400, "Invalid wait time");
			return -1;
		}
		if (ns > 0)
			r->wait_ms = (uint64_t)ns / 1000000 ? (uint64_t)ns / 1000000 : 1;
		if (r->wait_ms > MAX_WAIT_MS)
			r->wait_ms = MAX_WAIT_MS;
	}
	return 0;
}

static void read_with(struct api *a, struct http_request *req, api_query_fn query, bool local)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	if (parse_options(a, req, r, local)) {
		free(r);
		return;
	}
	if (local) {
		r->mode = MODE_STALE;
		r->hash_index = true;
	}
	r->a = a;
	r->req = req;
	r->query = query;
	r->restores = store_restores(a->store);
	watcher_init(&r->watcher, on_change, r);
	req->ctx = r;
	req->cancel = on_cancel;
	start(r);
}

void api_read(struct api *a, struct http_request *req, api_query_fn query)
{
	read_with(a, req, query, false);
}

void api_read_local(struct api *a, struct http_request *req, api_query_fn query)
{
	read_with(a, req, query, true);
}
