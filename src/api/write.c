/*
 * The write path: propose a command, answer after it is committed and applied.
 * The request stays with the server until the apply callback replies (no cancel
 * hook: a write that was proposed completes whether or not the client waits).
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/metrics.h"

#include <stdlib.h>

struct writer {
	struct api *a;
	struct http_request *req;
	api_write_fn done;
	uint64_t start_ns;
};

static void applied(void *data, int status, const struct txn_result *res)
{
	struct writer *w = data;
	metrics_sample(w->a->metrics, M_RAFT_COMMIT_TIME,
		       (double)(uv_hrtime() - w->start_ns) / 1e6);
	w->done(w->a, w->req, status, res);
	free(w);
}

void api_write(struct api *a, struct http_request *req, const struct buf *cmd, api_write_fn done)
{
	struct writer *w = xmalloc(sizeof(*w));
	*w = (struct writer){a, req, done, uv_hrtime()};
	metrics_count(a->metrics, M_RAFT_APPLY, 1);
	int rv = consensus_apply(a->cons, cmd, applied, w);
	if (rv) {
		free(w);
		api_error_code(req, rv);
	}
}
