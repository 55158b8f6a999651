/*
 * Fuzz target: user event broadcasts (src/gossip/events.c). Every input is
 * refused or decoded; a decoded event re-encodes to exactly the same bytes
 * (the format is canonical), validates or not with a message, is written as
 * JSON, matched against a fixed local node (compiling its filters as Go
 * regular expressions) and offered to a de-duplication window, where a
 * second offer must be a duplicate or too old.
 */
// fuzz-lib: gossip
#include "gossip/events.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool services(void *ctx, size_t i, struct event_service *out)
{
	static const char *const tags[] = {"v1", "primary", ""};
	if (i > 0)
		return false;
	*out = (struct event_service){"web-1", "web", tags, 3};
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_dedupe dedupe;
	static struct lamport clock;
	struct event e;
	if (event_decode(data, size, &e) != 0)
		return 0;
	struct buf b = BUF_INIT, err = BUF_INIT;
	if (event_encode(&e, &b, &err) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	if (event_validate(&e, &err) != 0 && err.len == 0)
		abort();
	buf_reset(&b);
	struct jsonw w;
	jsonw_init(&w, &b, false);
	event_json(&w, &e);
	event_match_local(&e, "node-1", services, NULL);
	if (event_dedupe_offer(&dedupe, &clock, e.ltime, e.id) == EVENT_NEW &&
	    event_dedupe_offer(&dedupe, &clock, e.ltime, e.id) == EVENT_NEW)
		abort();
	event_free(&e);
	buf_free(&b);
	buf_free(&err);
	return 0;
}
