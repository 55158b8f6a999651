/*
 * Shared helpers for the config tests: a scratch directory per test binary, file
 * writing, loading from a NULL-terminated argument list, a log sink that captures
 * warnings so tests can assert on them, and the group setup/teardown pairs built
 * from those. Header-only (static functions) so each test executable stays
 * self-contained.
 */
#ifndef CAIRN_TEST_CONFIG_HELPERS_H
#define CAIRN_TEST_CONFIG_HELPERS_H

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "config/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];
static struct buf captured = BUF_INIT;
static int sink_handle = -1;

static inline void capture(void *ctx, enum log_level level, const char *line, size_t len)
{
	(void)ctx;
	(void)level;
	buf_append(&captured, line, len);
	buf_putc(&captured, '\n');
}

/* Silence stdout logging and capture WARN and above into `captured`. */
static inline void capture_start(void)
{
	buf_reset(&captured);
	log_setup(LOG_OFF, false);
	if (sink_handle < 0)
		sink_handle = log_add_sink(LOG_WARN, false, capture, NULL);
}

static inline void capture_stop(void)
{
	if (sink_handle >= 0)
		log_remove_sink(sink_handle);
	sink_handle = -1;
	buf_free(&captured);
}

/* A fresh scratch directory (removed with `rm -rf` at teardown). */
static inline const char *scratch_dir(void)
{
	snprintf(scratch, sizeof(scratch), "/tmp/cairn-config-test-XXXXXX");
	if (!mkdtemp(scratch))
		abort();
	return scratch;
}

static inline void scratch_remove(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		abort();
}

/* Write text to scratch/name (creating one level of subdirectory if name has one);
 * returns a static path (copy it before the next call). */
static inline const char *write_file(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	char *slash = strrchr(path, '/');
	*slash = 0;
	mkdir(path, 0755);
	*slash = '/';
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

static inline const char *scratch_path(const char *name)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	return path;
}

/* Group fixtures for cmocka_run_group_tests: capture only, or capture plus a
 * scratch directory. */
static inline int capture_setup(void **state)
{
	(void)state;
	capture_start();
	return 0;
}

static inline int capture_teardown(void **state)
{
	(void)state;
	capture_stop();
	return 0;
}

static inline int scratch_setup(void **state)
{
	(void)state;
	scratch_dir();
	capture_start();
	return 0;
}

static inline int scratch_teardown(void **state)
{
	(void)state;
	capture_stop();
	scratch_remove();
	return 0;
}

/* config_load with argv given as NULL-terminated varargs after "agent". */
static inline int load(struct config *c, struct buf *err, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	argv[argc++] = "agent";
	va_start(ap, err);
	for (char *a = va_arg(ap, char *); a && argc < 63; a = va_arg(ap, char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	buf_reset(err);
	return config_load(argc, argv, c, err);
}

#endif
