/*
 * Metrics: a fixed table of Consul-named counters, gauges and samples.
 *
 * Every metric cairn reports is one row of the table in metrics.c (id, Consul's
 * dotted name, kind, help text), so /v1/agent/metrics and its Prometheus form
 * are generated from data. Values accumulate since start (Consul's in-memory
 * sink shows the current 10 s interval; cairn shows totals and a rate over the
 * agent's uptime, documented in docs/api.md). Loop thread only.
 */
#ifndef CAIRN_BASE_METRICS_H
#define CAIRN_BASE_METRICS_H

#include "base/buf.h"
#include "base/jsonw.h"

#include <stdint.h>

enum metric_id {
	M_HTTP_REQUESTS,
	M_KVS_APPLY,
	M_TXN_APPLY,
	M_TXN_READ,
	M_RAFT_APPLY,
	M_RAFT_COMMIT_TIME,
	M_RAFT_SNAPSHOTS,
	M_RAFT_LEADER,
	M_RAFT_LAST_INDEX,
	M_RAFT_APPLIED_INDEX,
	M_KV_ENTRIES,
	M_BLOCKING_QUERIES,
	M_HTTP_CONNECTIONS,
	M_RUNTIME_RSS,
	M_RUNTIME_UPTIME,
	M_COUNT_
};

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_SAMPLE };

struct metrics;

struct metrics *metrics_new(uint64_t now_ns);
void metrics_free(struct metrics *m);
void metrics_count(struct metrics *m, enum metric_id id, double n);
void metrics_gauge(struct metrics *m, enum metric_id id, double v);
/* A sample in milliseconds (timings). */
void metrics_sample(struct metrics *m, enum metric_id id, double ms);
/* Consul's /v1/agent/metrics JSON object. */
void metrics_write_json(const struct metrics *m, struct jsonw *w, uint64_t now_ns);
/* Prometheus text exposition format (names with '_' for '.'). */
void metrics_write_prometheus(const struct metrics *m, struct buf *out);

#endif
