/*
 * Go durations, as Consul reads and prints them.
 *
 * Parse accepts every form of Go's time.ParseDuration ("300ms", "1m30s", "1.5h",
 * "-2s", "0") and, as Consul does for config and API bodies, a bare integer as
 * nanoseconds. Format prints Go's Duration.String() ("1m30s", "500ms", "0s").
 * All values are nanoseconds in an int64.
 */
#ifndef CAIRN_BASE_DURATION_H
#define CAIRN_BASE_DURATION_H

#include "base/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define DUR_NS	 1LL
#define DUR_US	 1000LL
#define DUR_MS	 1000000LL
#define DUR_SEC	 1000000000LL
#define DUR_MIN	 (60 * DUR_SEC)
#define DUR_HOUR (60 * DUR_MIN)

/* Returns 0 and sets *ns, or -1 on bad input. bare_int_ns: accept "10" as 10ns. */
int duration_parse(const char *s, bool bare_int_ns, int64_t *ns);
void duration_format(struct buf *out, int64_t ns);

#endif
