/*
 * A local state on a real loop and a real store, with Raft replaced by a fake
 * proposer that applies each command to the store on the next loop turn (as
 * consensus_apply's callback would, after commit), and a settable clock.
 * Header-only, for the tests of this folder.
 */
#ifndef CAIRN_TEST_LOCAL_FIXTURE_H
#define CAIRN_TEST_LOCAL_FIXTURE_H

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "config/config.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"
#include "local/local.h"
#include "state/catalog.h"
#include "state/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	uv_loop_t loop;
	struct config cfg;
	struct store *store;
	struct local_state ls;
	bool ls_open;	/* ls initialised and not closed */
	uint64_t index; /* last Raft index handed out */
	uint64_t now;	/* fake clock (ns); 0: real clock */
	bool refuse;	/* the proposer answers NOTLEADER */
	int proposals;	/* commands proposed */
	int failures;	/* commands whose apply failed */
	char dir[64];	/* data_dir, "" when none */
	bool closed;	/* close callback ran */
};

struct fake_apply {
	uv_timer_t t;
	struct fixture *f;
	struct buf cmd;
	consensus_apply_cb cb;
	void *data;
};

static void fake_free(uv_handle_t *h)
{
	struct fake_apply *a = h->data;
	buf_free(&a->cmd);
	free(a);
}

static void fake_fire(uv_timer_t *t)
{
	struct fake_apply *a = t->data;
	struct cmd c;
	struct txn_result res = {0};
	assert_int_equal(cmd_decode(a->cmd.data, a->cmd.len, &c), 0);
	uint64_t idx = ++a->f->index;
	catalog_ops_apply(store_txn_begin(a->f->store, idx), &c, idx, &res);
	if (catalog_ops_error(&res))
		a->f->failures++;
	a->cb(a->data, 0, &res);
	txn_result_free(&res);
	cmd_free(&c);
	uv_close((uv_handle_t *)t, fake_free);
}

static int fake_propose(void *ctx, const struct buf *cmd, consensus_apply_cb cb, void *data)
{
	struct fixture *f = ctx;
	if (f->refuse)
		return CAIRN_E_NOTLEADER;
	struct fake_apply *a = xcalloc(1, sizeof(*a));
	a->f = f;
	buf_append(&a->cmd, cmd->data, cmd->len);
	a->cb = cb;
	a->data = data;
	uv_timer_init(&f->loop, &a->t);
	a->t.data = a;
	uv_timer_start(&a->t, fake_fire, 0, 0);
	f->proposals++;
	return 0;
}

static uint64_t fake_clock(void *ctx)
{
	struct fixture *f = ctx;
	return f->now ? f->now : uv_hrtime();
}

static void fixture_config(struct fixture *f)
{
	config_defaults(&f->cfg);
	free(f->cfg.node_name);
	f->cfg.node_name = xstrdup("n1");
	f->cfg.server = true;
	f->cfg.services = json_array();
	f->cfg.checks = json_array();
}

static void fixture_open(struct fixture *f)
{
	struct buf err = BUF_INIT;
	struct local_opts o = {
	    .loop = &f->loop,
	    .store = f->store,
	    .cfg = &f->cfg,
	    .node_id = "11111111-2222-3333-4444-555555555555",
	    .advertise = "127.0.0.1",
	    .data_dir = f->dir,
	    .propose = fake_propose,
	    .propose_ctx = f,
	    .clock = fake_clock,
	    .clock_ctx = f,
	};
	assert_int_equal(local_init(&f->ls, &o, &err), 0);
	if (local_load(&f->ls, &err))
		fail_msg("local_load: %s", buf_cstr(&err));
	assert_int_equal(local_start(&f->ls), 0);
	f->ls_open = true;
	buf_free(&err);
}

/* A fresh fixture; with persist, a fresh data_dir too. */
static inline struct fixture *fixture_new(bool persist)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	log_setup(LOG_WARN, false);
	uv_loop_init(&f->loop);
	f->store = store_new();
	fixture_config(f);
	if (persist) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/cairn-local-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
	}
	return f;
}

static void on_closed(struct local_state *ls)
{
	struct fixture *f = (struct fixture *)((char *)ls - offsetof(struct fixture, ls));
	f->closed = true;
}

/* Close the local state and drain the loop (every handle must be gone). */
static void fixture_close_ls(struct fixture *f)
{
	if (!f->ls_open)
		return;
	f->closed = false;
	local_close(&f->ls, on_closed);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(f->closed);
	f->ls_open = false;
}

static inline void fixture_free(struct fixture *f)
{
	fixture_close_ls(f);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	store_free(f->store);
	config_free(&f->cfg);
	if (f->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
}

/* Run the loop until pred holds (fails after ~2 s). */
typedef bool (*fixture_pred)(struct fixture *f);
static inline void run_until(struct fixture *f, fixture_pred pred)
{
	uint64_t start = uv_hrtime();
	while (!pred(f)) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (uv_hrtime() - start > 2000000000ULL)
			fail_msg("condition not reached");
		usleep(200);
	}
}

static inline bool in_sync(struct fixture *f)
{
	return local_in_sync(&f->ls) && !f->ls.round_running;
}

static inline struct service_def parse_service(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	struct service_def d;
	struct buf err = BUF_INIT;
	assert_non_null(j);
	if (servicedef_parse(j, &d, &err) || servicedef_validate(&d, &err))
		fail_msg("service: %s", buf_cstr(&err));
	servicedef_finalize(&d);
	json_decref(j);
	buf_free(&err);
	return d;
}

static inline void add_service(struct fixture *f, const char *text, bool replace)
{
	struct service_def d = parse_service(text);
	struct buf err = BUF_INIT;
	if (local_add_service(&f->ls, &d, LOCAL_ORIGIN_API, replace, &err))
		fail_msg("add: %s", buf_cstr(&err));
	buf_free(&err);
}

static inline void add_check(struct fixture *f, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_non_null(j);
	assert_int_equal(checkdef_parse(j, &d, &err), 0);
	checkdef_set_check_defaults(&d);
	if (local_add_check(&f->ls, &d, LOCAL_ORIGIN_API, &err))
		fail_msg("add check: %s", buf_cstr(&err));
	json_decref(j);
	buf_free(&err);
}

static inline void ttl(struct fixture *f, const char *id, enum check_status st, const char *out)
{
	struct buf err = BUF_INIT;
	assert_int_equal(local_ttl_update(&f->ls, id, st, out, &err), 0);
	buf_free(&err);
}

#endif
