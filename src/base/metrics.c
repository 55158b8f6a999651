/* Metrics table and rendering (see metrics.h). */
#include "base/metrics.h"

#include "base/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	enum metric_kind kind;
	const char *help;
} table[M_COUNT_] = {
    [M_HTTP_REQUESTS] = {"consul.http.requests", METRIC_COUNTER, "HTTP requests handled"},
    [M_KVS_APPLY] = {"consul.kvs.apply", METRIC_SAMPLE, "Time to apply a KV update (ms)"},
    [M_TXN_APPLY] = {"consul.txn.apply", METRIC_SAMPLE, "Time to apply a transaction (ms)"},
    [M_TXN_READ] = {"consul.txn.read", METRIC_SAMPLE, "Time to run a read-only transaction (ms)"},
    [M_RAFT_APPLY] = {"consul.raft.apply", METRIC_COUNTER, "Raft commands proposed"},
    [M_RAFT_COMMIT_TIME] = {"consul.raft.commitTime", METRIC_SAMPLE,
			    "Time from proposal to apply (ms)"},
    [M_RAFT_SNAPSHOTS] = {"consul.raft.snapshot.takes", METRIC_GAUGE, "Snapshots taken"},
    [M_RAFT_LEADER] = {"consul.server.isLeader", METRIC_GAUGE, "1 when this server leads"},
    [M_RAFT_LAST_INDEX] = {"consul.raft.last_index", METRIC_GAUGE, "Last Raft log index"},
    [M_RAFT_APPLIED_INDEX] = {"consul.raft.applied_index", METRIC_GAUGE,
			      "Last Raft index applied to the state store"},
    [M_KV_ENTRIES] = {"consul.kvs.entries", METRIC_GAUGE, "Keys in the KV store"},
    [M_BLOCKING_QUERIES] = {"consul.rpc.queries_blocking", METRIC_GAUGE,
			    "Blocking queries parked now"},
    [M_HTTP_CONNECTIONS] = {"consul.http.connections", METRIC_GAUGE, "Open HTTP connections"},
    [M_RUNTIME_RSS] = {"consul.runtime.sys_bytes", METRIC_GAUGE, "Resident memory (bytes)"},
    [M_RUNTIME_UPTIME] = {"consul.runtime.uptime_seconds", METRIC_GAUGE, "Seconds since start"},
};

struct value {
	double count, sum, min, max, sumsq, gauge;
};

struct metrics {
	uint64_t start_ns;
	struct value v[M_COUNT_];
};

struct metrics *metrics_new(uint64_t now_ns)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	m->start_ns = now_ns;
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static void observe(struct value *v, double x)
{
	if (v->count == 0 || x < v->min)
		v->min = x;
	if (v->count == 0 || x > v->max)
		v->max = x;
	v->count++;
	v->sum += x;
	v->sumsq += x * x;
}

void metrics_count(struct metrics *m, enum metric_id id, double n)
{
	if (m)
		observe(&m->v[id], n);
}

void metrics_gauge(struct metrics *m, enum metric_id id, double v)
{
	if (m)
		m->v[id].gauge = v;
}

void metrics_sample(struct metrics *m, enum metric_id id, double ms)
{
	if (m)
		observe(&m->v[id], ms);
}

static void write_labels(struct jsonw *w)
{
	jsonw_key(w, "Labels");
	jsonw_obj_open(w);
	jsonw_obj_close(w);
}

static void write_aggregate(struct jsonw *w, const char *name, const struct value *v, double secs)
{
	double mean = v->count ? v->sum / v->count : 0;
	double var = v->count > 1 ? (v->sumsq - v->count * mean * mean) / (v->count - 1) : 0;
	jsonw_obj_open(w);
	jsonw_kstr(w, "Name", name);
	jsonw_kint(w, "Count", (int64_t)v->count);
	jsonw_key(w, "Rate");
	jsonw_double(w, secs > 0 ? v->sum / secs : 0);
	jsonw_key(w, "Sum");
	jsonw_double(w, v->sum);
	jsonw_key(w, "Min");
	jsonw_double(w, v->min);
	jsonw_key(w, "Max");
	jsonw_double(w, v->max);
	jsonw_key(w, "Mean");
	jsonw_double(w, mean);
	jsonw_key(w, "Stddev");
	jsonw_double(w, var > 0 ? sqrt(var) : 0);
	write_labels(w);
	jsonw_obj_close(w);
}

static void write_kind(const struct metrics *m, struct jsonw *w, enum metric_kind kind, double secs)
{
	jsonw_arr_open(w);
	for (int i = 0; i < M_COUNT_; i++) {
		if (table[i].kind != kind)
			continue;
		if (kind == METRIC_GAUGE) {
			jsonw_obj_open(w);
			jsonw_kstr(w, "Name", table[i].name);
			jsonw_key(w, "Value");
			jsonw_double(w, m->v[i].gauge);
			write_labels(w);
			jsonw_obj_close(w);
		} else if (m->v[i].count > 0) {
			write_aggregate(w, table[i].name, &m->v[i], secs);
		}
	}
	jsonw_arr_close(w);
}

void metrics_write_json(const struct metrics *m, struct jsonw *w, uint64_t now_ns)
{
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	double secs = (double)(now_ns - m->start_ns) / 1e9;
	jsonw_obj_open(w);
	jsonw_kstr(w, "Timestamp", ts);
	jsonw_key(w, "Gauges");
	write_kind(m, w, METRIC_GAUGE, secs);
	jsonw_key(w, "Points");
	jsonw_arr_open(w);
	jsonw_arr_close(w);
	jsonw_key(w, "Counters");
	write_kind(m, w, METRIC_COUNTER, secs);
	jsonw_key(w, "Samples");
	write_kind(m, w, METRIC_SAMPLE, secs);
	jsonw_obj_close(w);
}

static void prom_name(struct buf *out, const char *name)
{
	for (const char *p = name; *p; p++)
		buf_putc(out, (*p == '.' || *p == '-') ? '_' : *p);
}

static void prom_line(struct buf *out, const char *name, const char *suffix, double v)
{
	prom_name(out, name);
	buf_printf(out, "%s %.17g\n", suffix, v);
}

void metrics_write_prometheus(const struct metrics *m, struct buf *out)
{
	static const char *const types[] = {"counter", "gauge", "summary"};
	for (int i = 0; i < M_COUNT_; i++) {
		const struct value *v = &m->v[i];
		buf_puts(out, "# HELP ");
		prom_name(out, table[i].name);
		buf_printf(out, " %s\n# TYPE ", table[i].help);
		prom_name(out, table[i].name);
		buf_printf(out, " %s\n", types[table[i].kind]);
		switch (table[i].kind) {
		case METRIC_COUNTER:
			prom_line(out, table[i].name, "", v->sum);
			break;
		case METRIC_GAUGE:
			prom_line(out, table[i].name, "", v->gauge);
			break;
		case METRIC_SAMPLE:
			prom_line(out, table[i].name, "_sum", v->sum);
			prom_line(out, table[i].name, "_count", v->count);
			break;
		}
	}
}
