/*
 * Logging in Consul's (hclog's) shape.
 *
 *   2026-11-21T10:00:00.000Z [INFO]  agent: Synced node info
 *   {"@level":"info","@message":"Synced node info","@module":"agent","@timestamp":"..."}
 *
 * One process-wide logger, written from the loop thread (other threads must not
 * log). Lines go to stdout as Consul's agent does, and to any sinks added with
 * log_add_sink (the monitor endpoint streams through one). The level filter is
 * the minimum over stdout and all sinks, so a disabled level costs one compare.
 */
#ifndef CAIRN_BASE_LOG_H
#define CAIRN_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* A sink receives each formatted line (no trailing newline) at or above its level. */
typedef void (*log_sink_fn)(void *ctx, enum log_level level, const char *line, size_t len);

void log_setup(enum log_level level, bool json);
enum log_level log_get_level(void);
/* Parse "trace".."error" (case-insensitive, "warning"/"err" accepted); -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

/* Sinks: returns a handle for log_remove_sink. json selects the line format. */
int log_add_sink(enum log_level level, bool json, log_sink_fn fn, void *ctx);
void log_remove_sink(int handle);

/* Hold: buffer every message (whatever its level) instead of writing it, until
 * log_release, which writes the held ones through the then-current level and
 * format. The agent holds while it loads its configuration, so that warnings
 * about the configuration come out in the configured format. */
void log_hold(void);
void log_release(void);

bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_trace(mod, ...)                                                                        \
	do {                                                                                       \
		if (log_enabled(LOG_TRACE))                                                        \
			log_msg(LOG_TRACE, mod, __VA_ARGS__);                                      \
	} while (0)
#define log_debug(mod, ...)                                                                        \
	do {                                                                                       \
		if (log_enabled(LOG_DEBUG))                                                        \
			log_msg(LOG_DEBUG, mod, __VA_ARGS__);                                      \
	} while (0)
#define log_info(mod, ...)  log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)

#endif
