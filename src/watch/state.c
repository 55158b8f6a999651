/*
 * A running plan's requests and change detection (see plan.h): the request
 * table per type, and Consul's Plan.Run step for one response, with
 * WaitIndexVal.Next (an index that goes backwards resets to 0) and the
 * quadratic back-off of api/watch (5 s x failures^2, capped at 180 s).
 */
#include "watch/plan.h"

#include "base/alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS       5000u   /* api/watch retryInterval */
#define MAX_BACKOFF_MS 180000u /* api/watch maxBackoffTime */

static void param(struct watch_query *q, const char *name, const char *value)
{
	if (q->n < WATCH_MAX_PARAMS) {
		q->names[q->n] = name;
		q->values[q->n] = value;
		q->n++;
	}
}

void watch_query_build(const struct watch_plan *p, const struct watch_state *s,
		       struct watch_query *q)
{
	memset(q, 0, sizeof(*q));
	switch (p->type) {
	case WATCH_KEY:
		buf_printf(&q->path, "/v1/kv/%s", p->key);
		break;
	case WATCH_KEYPREFIX:
		buf_printf(&q->path, "/v1/kv/%s", p->prefix);
		param(q, "recurse", "");
		break;
	case WATCH_SERVICES:
		buf_puts(&q->path, "/v1/catalog/services");
		break;
	case WATCH_NODES:
		buf_puts(&q->path, "/v1/catalog/nodes");
		break;
	case WATCH_SERVICE:
		buf_printf(&q->path, "/v1/health/service/%s", p->service);
		for (size_t i = 0; i < p->ntags; i++)
			param(q, "tag", p->tags[i]);
		if (p->passingonly)
			param(q, "passing", "1");
		break;
	case WATCH_CHECKS:
		if (p->service && *p->service)
			buf_printf(&q->path, "/v1/health/checks/%s", p->service);
		else
			buf_printf(&q->path, "/v1/health/state/%s", p->state);
		break;
	case WATCH_EVENT:
		buf_puts(&q->path, "/v1/event/list");
		if (p->name && *p->name)
			param(q, "name", p->name);
		break;
	}
	if (p->datacenter && *p->datacenter)
		param(q, "dc", p->datacenter);
	if (p->stale)
		param(q, "stale", "");
	if (p->filter && *p->filter)
		param(q, "filter", p->filter);
	if (s->has_index && s->index != 0) {
		snprintf(q->index, sizeof(q->index), "%llu", (unsigned long long)s->index);
		param(q, "index", q->index);
	}
}

void watch_query_free(struct watch_query *q)
{
	buf_free(&q->path);
}

enum watch_step watch_state_failed(struct watch_state *s)
{
	s->failures++;
	s->has_index = false; /* an error returns no index: Consul forgets it */
	uint64_t f = s->failures;
	uint64_t ms = f > 6 ? MAX_BACKOFF_MS : RETRY_MS * f * f;
	s->retry_ms = ms > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : ms;
	return WATCH_RETRY;
}

static int hexval(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

uint64_t watch_event_id_index(const char *id)
{
	/* 8-4-4-4-12: lower = the first three groups, upper = the last two */
	if (!id || strlen(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' ||
	    id[23] != '-')
		return 0;
	char lower[17], upper[17];
	memcpy(lower, id, 8);
	memcpy(lower + 8, id + 9, 4);
	memcpy(lower + 12, id + 14, 4);
	memcpy(upper, id + 19, 4);
	memcpy(upper + 4, id + 24, 12);
	uint64_t lo, hi;
	if (hexval(lower, 16, &lo) < 0 || hexval(upper, 16, &hi) < 0)
		return 0;
	return lo ^ hi;
}

/* Only the events after the one the last index names (Consul's prune). */
static json_t *prune_events(json_t *events, const struct watch_state *s)
{
	if (!json_is_array(events) || !s->has_index)
		return events;
	size_t n = json_array_size(events);
	for (size_t i = 0; i < n; i++) {
		const char *id =
		    json_string_value(json_object_get(json_array_get(events, i), "ID"));
		if (watch_event_id_index(id) != s->index)
			continue;
		json_t *rest = json_array();
		for (size_t j = i + 1; j < n; j++)
			json_array_append(rest, json_array_get(events, j));
		json_decref(events);
		return rest;
	}
	return events;
}

/* The Go api's reading of a response: the data, or -1 with its error. */
static int decode(const struct watch_plan *p, int status, const char *body, size_t len,
		  json_t **out, struct buf *err)
{
	bool kv = p->type == WATCH_KEY || p->type == WATCH_KEYPREFIX;
	if (status == 404 && kv) {
		*out = json_null();
		return 0;
	}
	if (status != 200) {
		buf_printf(err, "Unexpected response code: %d (%.*s)", status, (int)len,
			   body ? body : "");
		return -1;
	}
	json_error_t je;
	*out = json_loadb(body ? body : "", len, JSON_DECODE_ANY, &je);
	if (!*out) {
		buf_puts(err, je.text);
		return -1;
	}
	if (p->type == WATCH_KEY) {
		json_t *first = json_array_get(*out, 0);
		json_t *one = first ? json_incref(first) : json_null();
		json_decref(*out);
		*out = one;
	}
	return 0;
}

static int parse_index(const char *hdr, uint64_t *out, struct buf *err)
{
	*out = 0;
	if (!hdr || !*hdr)
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(hdr, &end, 10);
	if (errno || *end || *hdr == '-' || *hdr == '+') {
		buf_printf(err,
			   "Failed to parse X-Consul-Index: strconv.ParseUint: parsing \"%s\": "
			   "invalid syntax",
			   hdr);
		return -1;
	}
	*out = v;
	return 0;
}

enum watch_step watch_state_feed(struct watch_state *s, const struct watch_plan *p, int status,
				 const char *body, size_t len, const char *index_hdr,
				 struct buf *err)
{
	uint64_t idx;
	json_t *result = NULL;
	if (parse_index(index_hdr, &idx, err) < 0 || decode(p, status, body, len, &result, err) < 0)
		return watch_state_failed(s);
	s->failures = 0;
	if (p->type == WATCH_EVENT)
		result = prune_events(result, s);
	if (s->has_index && s->index == idx) {
		json_decref(result);
		return WATCH_AGAIN;
	}
	bool had = s->has_index;
	s->index = had && s->index > idx ? 0 : idx;
	s->has_index = true;
	if (had && s->last && json_equal(s->last, result)) {
		json_decref(result);
		return WATCH_AGAIN;
	}
	json_decref(s->last);
	s->last = result;
	s->fire_index = idx;
	return WATCH_FIRE;
}

void watch_state_free(struct watch_state *s)
{
	json_decref(s->last);
	s->last = NULL;
}
