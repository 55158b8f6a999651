/* The lock-delay map (see lockdelay.h). Loop thread only. */
#include "consensus/lockdelay.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

void lock_delay_init(struct lock_delay *d)
{
	memset(d, 0, sizeof(*d));
}

void lock_delay_free(struct lock_delay *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].key);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* Drop every entry that expired by now_ms (order does not matter). */
static void prune(struct lock_delay *d, uint64_t now_ms)
{
	for (size_t i = 0; i < d->n;) {
		if (d->v[i].until_ms > now_ms) {
			i++;
			continue;
		}
		free(d->v[i].key);
		d->v[i] = d->v[--d->n];
	}
}

void lock_delay_set(struct lock_delay *d, const char *key, uint64_t now_ms, uint64_t delay_ns)
{
	uint64_t until = now_ms + (delay_ns + 999999) / 1000000;
	prune(d, now_ms);
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].key, key) == 0) {
			if (until > d->v[i].until_ms)
				d->v[i].until_ms = until;
			return;
		}
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = (struct lock_delay_entry){xstrdup(key), until};
}

uint64_t lock_delay_until(const struct lock_delay *d, const char *key, uint64_t now_ms)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].until_ms > now_ms && strcmp(d->v[i].key, key) == 0)
			return d->v[i].until_ms;
	return 0;
}
