/*
 * The lock and semaphore protocols of cli/lock.h over the HTTP API.
 *
 * Each step is one blocking request; reads of the lock key are blocking queries of at
 * most one second (or what is left of -timeout), so a SIGINT during acquisition is
 * noticed within a second and the session is renewed on time. Consul's loops are kept:
 *   lock: read the key; held by another session -> wait for it to change; free ->
 *         ?acquire; refused while nobody holds it (lock-delay) -> sleep 5 s.
 *   semaphore: list the prefix; prune dead holders; full -> wait for a change;
 *         else add ourselves and CAS the .lock key (a lost race reads again).
 * Strings in the context are owned by it (lock_session_destroy frees the session ID;
 * cli/lock.c frees the keys).
 */
#include "cli/lock.h"

#include "base/alloc.h"
#include "base/json_get.h"
#include "cli/kv.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t lock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep ms in short slices; false if stop was raised meanwhile. */
static bool nap(const struct lock_ctx *l, unsigned ms)
{
	uint64_t end = lock_now_ms() + ms;
	while (!*l->stop && lock_now_ms() < end) {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	return !*l->stop;
}

/* Send r: 0 with a 200 (resp kept), 1 with a 404 (resp kept), -1 with err. */
static int call(const struct lock_ctx *l, struct httpc_req *r, struct httpc_resp *resp,
		struct buf *err)
{
	if (httpc_do(l->c, r, resp, err) < 0)
		return -1;
	if (resp->status == 200)
		return 0;
	if (resp->status == 404)
		return 1;
	httpc_status_error(err, resp, strcmp(r->method, "GET") != 0);
	httpc_resp_free(resp);
	return -1;
}

/* A KV write answering true/false: 0 with *ok, -1 with err. */
static int kv_write(const struct lock_ctx *l, struct httpc_req *r, bool *ok, struct buf *err)
{
	struct httpc_resp resp;
	int rc = call(l, r, &resp, err);
	if (rc == 1) {
		httpc_status_error(err, &resp, true);
		httpc_resp_free(&resp);
		return -1;
	}
	if (rc < 0)
		return -1;
	*ok = resp.body.len >= 4 && memcmp(resp.body.data, "true", 4) == 0;
	httpc_resp_free(&resp);
	return 0;
}

/* GET key (recurse: the prefix key + "/") as a blocking query from index. 0 with pairs
 * (none on 404) and *index from X-Consul-Index, -1 with err. */
static int kv_read(const struct lock_ctx *l, const char *key, bool recurse, uint64_t *index,
		   unsigned wait_ms, struct kv_pairs *pairs, struct buf *err)
{
	char *path = kv_api_path(key);
	char idx[24], wait[24];
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, false);
	if (recurse)
		httpc_req_param(&r, "recurse", "");
	if (*index) {
		snprintf(idx, sizeof(idx), "%" PRIu64, *index);
		snprintf(wait, sizeof(wait), "%ums", wait_ms ? wait_ms : 1);
		httpc_req_param(&r, "index", idx);
		httpc_req_param(&r, "wait", wait);
	}
	*pairs = (struct kv_pairs){0};
	struct httpc_resp resp;
	int rc = call(l, &r, &resp, err);
	free(path);
	if (rc < 0)
		return -1;
	const char *h = httpc_resp_header(&resp, "X-Consul-Index");
	*index = h ? strtoull(h, NULL, 10) : 0;
	if (rc == 0 && kv_pairs_parse(resp.body.data, resp.body.len, pairs, err) < 0)
		rc = -1;
	httpc_resp_free(&resp);
	return rc < 0 ? -1 : 0;
}

/* PUT key?<mode>=<arg>&flags=F with body; *ok from the reply. */
static int kv_put(const struct lock_ctx *l, const char *key, const char *mode, const char *arg,
		  uint64_t flags, const char *body, bool *ok, struct buf *err)
{
	char *path = kv_api_path(key);
	char fl[24];
	snprintf(fl, sizeof(fl), "%" PRIu64, flags);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path, false);
	httpc_req_param(&r, mode, arg);
	httpc_req_param(&r, "flags", fl);
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	int rc = kv_write(l, &r, ok, err);
	free(path);
	return rc;
}

/* DELETE key, with ?cas=index when cas. */
static int kv_del(const struct lock_ctx *l, const char *key, bool cas, uint64_t index, bool *ok,
		  struct buf *err)
{
	char *path = kv_api_path(key);
	char idx[24];
	snprintf(idx, sizeof(idx), "%" PRIu64, index);
	struct httpc_req r;
	httpc_req_init(&r, "DELETE", path, false);
	if (cas)
		httpc_req_param(&r, "cas", idx);
	int rc = kv_write(l, &r, ok, err);
	free(path);
	return rc;
}

/* ---- session ---- */

int lock_session_create(struct lock_ctx *l, struct buf *err)
{
	json_t *o = json_pack("{s:s, s:s}", "Name", l->name, "TTL", "15s");
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/session/create", false);
	r.body = body;
	r.body_len = strlen(body);
	struct httpc_resp resp;
	struct buf why = BUF_INIT;
	int rc = call(l, &r, &resp, &why);
	free(body);
	if (rc == 1) {
		httpc_status_error(&why, &resp, true);
		httpc_resp_free(&resp);
		rc = -1;
	}
	if (rc == 0) {
		json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
		const char *id = j ? kv_json_str(j, "ID") : "";
		if (*id)
			l->session = xstrdup(id);
		else
			buf_puts(&why, "no session ID in the response");
		json_decref(j);
		httpc_resp_free(&resp);
		rc = l->session ? 0 : -1;
	}
	if (rc < 0)
		buf_printf(err, "failed to create session: %s", buf_cstr(&why));
	buf_free(&why);
	l->next_renew_ms = lock_now_ms() + LOCK_SESSION_TTL_MS / 2;
	return rc;
}

int lock_session_renew(struct lock_ctx *l)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/session/renew/%s", l->session);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", buf_cstr(&path), false);
	struct httpc_resp resp;
	int rc = call(l, &r, &resp, &err);
	if (rc >= 0)
		httpc_resp_free(&resp);
	buf_free(&path);
	buf_free(&err);
	l->next_renew_ms = lock_now_ms() + LOCK_SESSION_TTL_MS / 2;
	return rc == 1 ? 1 : 0;
}

void lock_session_destroy(struct lock_ctx *l)
{
	if (!l->session)
		return;
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/session/destroy/%s", l->session);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", buf_cstr(&path), false);
	struct httpc_resp resp;
	if (call(l, &r, &resp, &err) >= 0)
		httpc_resp_free(&resp);
	buf_free(&path);
	buf_free(&err);
	free(l->session);
	l->session = NULL;
}

/* ---- the semaphore's .lock value ---- */

struct sem_state {
	int64_t limit;	 /* Limit */
	char **holders;	 /* Holders with value true, sorted */
	size_t nholders; /* count */
};

static void sem_free(struct sem_state *s)
{
	for (size_t i = 0; i < s->nholders; i++)
		free(s->holders[i]);
	free(s->holders);
	*s = (struct sem_state){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decode the .lock pair (NULL or empty: a fresh lock with our limit). */
static int sem_decode(const struct lock_ctx *l, const struct kv_pair *p, struct sem_state *s,
		      struct buf *err)
{
	*s = (struct sem_state){.limit = l->limit};
	if (!p || p->value.len == 0)
		return 0;
	json_error_t je;
	json_t *j = json_loadb(p->value.data, p->value.len, 0, &je);
	json_t *lim = j ? json_field(j, "Limit") : NULL;
	json_t *h = j ? json_field(j, "Holders") : NULL;
	if (!json_is_object(j) || !json_is_integer(lim) ||
	    (h && !json_is_object(h) && !json_is_null(h))) {
		buf_puts(err, "failed to decode lock: invalid semaphore value");
		json_decref(j);
		return -1;
	}
	s->limit = json_integer_value(lim);
	const char *k;
	json_t *v;
	if (json_is_object(h)) {
		s->holders = xcalloc(json_object_size(h) + 1, sizeof(char *));
		json_object_foreach(h, k, v)
		{
			if (json_is_true(v))
				s->holders[s->nholders++] = xstrdup(k);
		}
		qsort(s->holders, s->nholders, sizeof(char *), cmp_str);
	}
	json_decref(j);
	return 0;
}

/* {"Limit":N,"Holders":{...}} as Go's encoding/json writes it (map keys sorted). */
static char *sem_encode(const struct sem_state *s)
{
	json_t *h = json_object();
	for (size_t i = 0; i < s->nholders; i++)
		json_object_set_new(h, s->holders[i], json_true());
	json_t *o = json_pack("{s:I, s:o}", "Limit", (json_int_t)s->limit, "Holders", h);
	char *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}

static bool sem_has(const struct sem_state *s, const char *id)
{
	for (size_t i = 0; i < s->nholders; i++)
		if (strcmp(s->holders[i], id) == 0)
			return true;
	return false;
}

/* Drop holders whose session holds no key under the prefix (api pruneDeadHolders). */
static void sem_prune(struct sem_state *s, const struct kv_pairs *pairs)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nholders; i++) {
		bool alive = false;
		for (size_t k = 0; k < pairs->n && !alive; k++)
			alive = strcmp(pairs->v[k].session, s->holders[i]) == 0;
		if (alive)
			s->holders[n++] = s->holders[i];
		else
			free(s->holders[i]);
	}
	s->nholders = n;
}

static const struct kv_pair *find_pair(const struct kv_pairs *pairs, const char *key)
{
	for (size_t i = 0; i < pairs->n; i++)
		if (strcmp(pairs->v[i].key, key) == 0)
			return &pairs->v[i];
	return NULL;
}

static char *sem_prefix(const struct lock_ctx *l)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/", l->prefix);
	return buf_steal(&b);
}

/* ---- acquisition ---- */

/* Start of one round of the wait loop (api Lock's WAIT label): 0 to give up (stop
 * raised or -timeout elapsed), else 1 with *wait_ms for the next blocking read. */
static int wait_round(struct lock_ctx *l, uint64_t start, int *attempts, unsigned *wait_ms)
{
	if (*l->stop)
		return 0;
	*wait_ms = 1000;
	if (l->timeout_ms > 0 && *attempts > 0) {
		uint64_t elapsed = lock_now_ms() - start;
		if (elapsed > (uint64_t)l->timeout_ms)
			return 0;
		uint64_t left = (uint64_t)l->timeout_ms - elapsed;
		if (left < *wait_ms)
			*wait_ms = left ? (unsigned)left : 1;
	}
	(*attempts)++;
	if (lock_now_ms() >= l->next_renew_ms)
		lock_session_renew(l);
	return 1;
}

static int acquire_lock(struct lock_ctx *l, struct buf *err)
{
	uint64_t start = lock_now_ms(), index = 0;
	int attempts = 0;
	unsigned wait_ms;
	struct buf why = BUF_INIT;
	int rc = 0;
	while (wait_round(l, start, &attempts, &wait_ms)) {
		struct kv_pairs pairs;
		if (kv_read(l, l->lock_key, false, &index, wait_ms, &pairs, &why) < 0) {
			buf_printf(err, "failed to read lock: %s", buf_cstr(&why));
			rc = -1;
			break;
		}
		const struct kv_pair *p = pairs.n ? &pairs.v[0] : NULL;
		int state = !p					  ? 0
			    : p->flags != LOCK_FLAG_VALUE	  ? -1
			    : !*p->session			  ? 0
			    : strcmp(p->session, l->session) == 0 ? 1
								  : 2;
		kv_pairs_free(&pairs);
		if (state == -1) {
			buf_puts(err, "Existing key does not match lock use");
			rc = -1;
			break;
		}
		if (state == 1) {
			rc = 1;
			break;
		}
		if (state == 2)
			continue; /* held by another: wait from the new index */
		bool ok = false;
		if (kv_put(l, l->lock_key, "acquire", l->session, LOCK_FLAG_VALUE, NULL, &ok,
			   &why) < 0) {
			buf_printf(err, "failed to acquire lock: %s", buf_cstr(&why));
			rc = -1;
			break;
		}
		if (ok) {
			rc = 1;
			break;
		}
		/* Refused: held meanwhile (wait on it) or lock-delay (retry later). */
		index = 0;
		if (kv_read(l, l->lock_key, false, &index, 0, &pairs, &why) < 0) {
			buf_printf(err, "failed to read lock: %s", buf_cstr(&why));
			rc = -1;
			break;
		}
		bool held = pairs.n && *pairs.v[0].session;
		kv_pairs_free(&pairs);
		if (!held) {
			index = 0;
			if (!nap(l, LOCK_RETRY_MS))
				break;
		}
	}
	buf_free(&why);
	return rc;
}

/* One semaphore round on the listed pairs: 1 held, 0 wait, 2 retry at once, -1 err. */
static int sem_try(struct lock_ctx *l, const struct kv_pairs *pairs, struct buf *err)
{
	const struct kv_pair *lp = find_pair(pairs, l->lock_key);
	if (lp && lp->flags != SEM_FLAG_VALUE) {
		buf_puts(err, "Existing key does not match semaphore use");
		return -1;
	}
	struct sem_state s;
	if (sem_decode(l, lp, &s, err) < 0)
		return -1;
	int rc = 0;
	if (s.limit != l->limit) {
		buf_printf(err, "semaphore limit conflict (lock: %" PRId64 ", local: %d)", s.limit,
			   l->limit);
		rc = -1;
	} else if (sem_has(&s, l->session)) {
		rc = 1;
	} else {
		sem_prune(&s, pairs);
		if (s.nholders < (size_t)s.limit) {
			s.holders = xrealloc(s.holders, (s.nholders + 1) * sizeof(char *));
			s.holders[s.nholders++] = xstrdup(l->session);
			qsort(s.holders, s.nholders, sizeof(char *), cmp_str);
			char *body = sem_encode(&s);
			char idx[24];
			snprintf(idx, sizeof(idx), "%" PRIu64, lp ? lp->modify_index : 0);
			bool ok = false;
			struct buf why = BUF_INIT;
			if (kv_put(l, l->lock_key, "cas", idx, SEM_FLAG_VALUE, body, &ok, &why) <
			    0) {
				buf_printf(err, "failed to update lock: %s", buf_cstr(&why));
				rc = -1;
			} else {
				rc = ok ? 1 : 2;
			}
			buf_free(&why);
			free(body);
		}
	}
	sem_free(&s);
	return rc;
}

static int acquire_sem(struct lock_ctx *l, struct buf *err)
{
	struct buf why = BUF_INIT;
	bool ok = false;
	if (kv_put(l, l->contender_key, "acquire", l->session, SEM_FLAG_VALUE, NULL, &ok, &why) <
		0 ||
	    !ok) {
		buf_printf(err, "failed to make contender entry%s%s", why.len ? ": " : "",
			   buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	char *prefix = sem_prefix(l);
	uint64_t start = lock_now_ms(), index = 0;
	int attempts = 0, rc = 0;
	unsigned wait_ms;
	while (wait_round(l, start, &attempts, &wait_ms)) {
		struct kv_pairs pairs;
		if (kv_read(l, prefix, true, &index, wait_ms, &pairs, &why) < 0) {
			buf_printf(err, "failed to read prefix: %s", buf_cstr(&why));
			rc = -1;
			break;
		}
		rc = sem_try(l, &pairs, err);
		kv_pairs_free(&pairs);
		if (rc == 2)
			index = 0;
		if (rc == 1 || rc == -1)
			break;
		rc = 0;
	}
	free(prefix);
	buf_free(&why);
	return rc;
}

int lock_acquire(struct lock_ctx *l, struct buf *err)
{
	return l->limit == 1 ? acquire_lock(l, err) : acquire_sem(l, err);
}

/* ---- monitoring ---- */

int lock_monitor(const struct lock_ctx *l, uint64_t *index, unsigned wait_ms)
{
	struct kv_pairs pairs;
	struct buf err = BUF_INIT;
	bool sem = l->limit > 1;
	char *key = sem ? sem_prefix(l) : xstrdup(l->lock_key);
	int rc = kv_read(l, key, sem, index, wait_ms, &pairs, &err);
	free(key);
	if (rc == 0 && !sem) {
		rc = pairs.n && strcmp(pairs.v[0].session, l->session) == 0;
	} else if (rc == 0) {
		struct sem_state s;
		rc = 0;
		if (sem_decode(l, find_pair(&pairs, l->lock_key), &s, &err) == 0) {
			sem_prune(&s, &pairs);
			rc = sem_has(&s, l->session);
			sem_free(&s);
		}
	}
	kv_pairs_free(&pairs);
	buf_free(&err);
	return rc;
}

/* ---- release and cleanup ---- */

static int release_sem(struct lock_ctx *l, struct buf *err)
{
	struct buf why = BUF_INIT;
	int rc = 0;
	for (int tries = 0; tries < 64; tries++) {
		struct kv_pairs pairs;
		uint64_t index = 0;
		if (kv_read(l, l->lock_key, false, &index, 0, &pairs, &why) < 0) {
			buf_printf(err, "failed to read lock: %s", buf_cstr(&why));
			rc = -1;
			break;
		}
		struct sem_state s;
		const struct kv_pair *lp = pairs.n ? &pairs.v[0] : NULL;
		int done = 1;
		if (lp && sem_decode(l, lp, &s, &why) == 0) {
			if (sem_has(&s, l->session)) {
				size_t n = 0;
				for (size_t i = 0; i < s.nholders; i++) {
					if (strcmp(s.holders[i], l->session) == 0)
						free(s.holders[i]);
					else
						s.holders[n++] = s.holders[i];
				}
				s.nholders = n;
				char *body = sem_encode(&s);
				char idx[24];
				snprintf(idx, sizeof(idx), "%" PRIu64, lp->modify_index);
				bool ok = false;
				if (kv_put(l, l->lock_key, "cas", idx, SEM_FLAG_VALUE, body, &ok,
					   &why) < 0) {
					buf_printf(err, "failed to update lock: %s",
						   buf_cstr(&why));
					done = -1;
				} else if (!ok) {
					done = 0;
				}
				free(body);
			}
			sem_free(&s);
		}
		kv_pairs_free(&pairs);
		buf_reset(&why);
		if (done) {
			rc = done < 0 ? -1 : 0;
			break;
		}
	}
	bool ok;
	if (rc == 0 && kv_del(l, l->contender_key, false, 0, &ok, &why) < 0) {
		buf_printf(err, "failed to remove contender entry: %s", buf_cstr(&why));
		rc = -1;
	}
	buf_free(&why);
	return rc;
}

int lock_release(struct lock_ctx *l, struct buf *err)
{
	if (l->limit > 1)
		return release_sem(l, err);
	struct buf why = BUF_INIT;
	bool ok;
	int rc = kv_put(l, l->lock_key, "release", l->session, LOCK_FLAG_VALUE, NULL, &ok, &why);
	if (rc < 0)
		buf_printf(err, "failed to release lock: %s", buf_cstr(&why));
	buf_free(&why);
	return rc;
}

int lock_cleanup(struct lock_ctx *l, struct buf *err)
{
	bool sem = l->limit > 1;
	char *key = sem ? sem_prefix(l) : xstrdup(l->lock_key);
	struct kv_pairs pairs;
	struct buf why = BUF_INIT;
	uint64_t index = 0;
	int rc = kv_read(l, key, sem, &index, 0, &pairs, &why);
	free(key);
	if (rc < 0) {
		buf_printf(err, "failed to read lock: %s", buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	const struct kv_pair *lp = find_pair(&pairs, l->lock_key);
	if (lp && lp->flags != (sem ? SEM_FLAG_VALUE : LOCK_FLAG_VALUE)) {
		buf_puts(err, sem ? "Existing key does not match semaphore use"
				  : "Existing key does not match lock use");
		rc = -1;
	} else if (lp && !sem && *lp->session) {
		rc = 1;
	} else if (lp && sem) {
		struct sem_state s;
		if (sem_decode(l, lp, &s, err) < 0)
			rc = -1;
		else {
			sem_prune(&s, &pairs);
			rc = s.nholders ? 1 : 0;
			sem_free(&s);
		}
	}
	if (lp && rc == 0) {
		bool ok = false;
		if (kv_del(l, l->lock_key, true, lp->modify_index, &ok, &why) < 0) {
			buf_printf(err, "failed to remove %s: %s", sem ? "semaphore" : "lock",
				   buf_cstr(&why));
			rc = -1;
		} else if (!ok) {
			rc = 1;
		}
	}
	kv_pairs_free(&pairs);
	buf_free(&why);
	return rc;
}
