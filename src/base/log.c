/* Consul-shaped logging (see log.h). */
#include "base/log.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/jsonw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#define MAX_SINKS 16

struct sink {
	bool used;
	bool json;
	enum log_level level;
	log_sink_fn fn;
	void *ctx;
};

static enum log_level stdout_level = LOG_INFO;
static bool stdout_json;
static enum log_level min_level = LOG_INFO;
static struct sink sinks[MAX_SINKS];

/* messages held by log_hold, in order */
struct held {
	enum log_level level;
	char *module;
	char *msg;
};
static bool holding;
static struct held *held;
static size_t nheld;

static const char *const names[] = {"trace", "debug", "info", "warn", "error", "off"};
static const char *const tags[] = {"[TRACE]", "[DEBUG]", "[INFO] ", "[WARN] ", "[ERROR]", ""};

static void recompute_min(void)
{
	min_level = stdout_level;
	for (int i = 0; i < MAX_SINKS; i++)
		if (sinks[i].used && sinks[i].level < min_level)
			min_level = sinks[i].level;
}

void log_setup(enum log_level level, bool json)
{
	stdout_level = level;
	stdout_json = json;
	recompute_min();
}

enum log_level log_get_level(void)
{
	return stdout_level;
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} table[] = {
	    {"trace", LOG_TRACE},  {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN},
	    {"warning", LOG_WARN}, {"error", LOG_ERROR}, {"err", LOG_ERROR}, {"off", LOG_OFF},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcasecmp(s, table[i].name) == 0) {
			*out = table[i].level;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return names[level <= LOG_OFF ? level : LOG_OFF];
}

int log_add_sink(enum log_level level, bool json, log_sink_fn fn, void *ctx)
{
	for (int i = 0; i < MAX_SINKS; i++) {
		if (!sinks[i].used) {
			sinks[i] = (struct sink){true, json, level, fn, ctx};
			recompute_min();
			return i;
		}
	}
	return -1;
}

void log_remove_sink(int handle)
{
	if (handle >= 0 && handle < MAX_SINKS) {
		sinks[handle].used = false;
		recompute_min();
	}
}

bool log_enabled(enum log_level level)
{
	return (holding || level >= min_level) && level < LOG_OFF;
}

void log_hold(void)
{
	holding = true;
}

void log_release(void)
{
	holding = false;
	for (size_t i = 0; i < nheld; i++) {
		if (log_enabled(held[i].level))
			log_msg(held[i].level, held[i].module, "%s", held[i].msg);
		free(held[i].module);
		free(held[i].msg);
	}
	free(held);
	held = NULL;
	nheld = 0;
}

static void timestamp(char *out, size_t n, bool micro)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(out + k, n - k, ".%06ldZ", (long)tv.tv_usec);
	else
		snprintf(out + k, n - k, ".%03ldZ", (long)tv.tv_usec / 1000);
}

static void format_line(struct buf *out, bool json, enum log_level level, const char *module,
			const char *msg)
{
	char ts[40];
	buf_reset(out);
	if (json) {
		struct jsonw w;
		timestamp(ts, sizeof(ts), true);
		jsonw_init(&w, out, false);
		jsonw_obj_open(&w);
		jsonw_key(&w, "@level");
		jsonw_str(&w, names[level]);
		jsonw_key(&w, "@message");
		jsonw_str(&w, msg);
		jsonw_key(&w, "@module");
		jsonw_str(&w, module);
		jsonw_key(&w, "@timestamp");
		jsonw_str(&w, ts);
		jsonw_obj_close(&w);
	} else {
		timestamp(ts, sizeof(ts), false);
		buf_printf(out, "%s %s %s: %s", ts, tags[level], module, msg);
	}
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	struct buf msg = BUF_INIT, line = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (holding) {
		held = xrealloc(held, (nheld + 1) * sizeof(*held));
		held[nheld++] = (struct held){level, xstrdup(module), buf_steal(&msg)};
		return;
	}

	if (level >= stdout_level) {
		format_line(&line, stdout_json, level, module, buf_cstr(&msg));
		buf_putc(&line, '\n');
		fwrite(line.data, 1, line.len, stdout);
		fflush(stdout);
	}
	for (int i = 0; i < MAX_SINKS; i++) {
		if (sinks[i].used && level >= sinks[i].level) {
			format_line(&line, sinks[i].json, level, module, buf_cstr(&msg));
			sinks[i].fn(sinks[i].ctx, level, line.data, line.len);
		}
	}
	buf_free(&msg);
	buf_free(&line);
}
