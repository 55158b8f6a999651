/*
 * Lifeguard suspicion timeouts ("LHA-Suspicion"). When a member is suspected we
 * do not wait a fixed time before declaring it dead: the timer starts at max and
 * shrinks logarithmically toward min as independent members confirm the
 * suspicion (each accuser counts once; the first accuser is not a confirmation).
 * With k expected confirmations (suspicion_mult - 2, or 0 in clusters too small
 * to provide them) and n seen so far:
 *
 *     timeout(n) = max(min, max - (max - min) * log(n + 1) / log(k + 1))
 *
 * measured from the start of the suspicion. min = suspicion_mult *
 * max(1, log10(N)) * probe_interval for N members, max = suspicion_max_timeout_mult
 * * min. A lone accuser (maybe the slow one) needs the long timeout, which gives
 * the accused time to hear the rumour and refute it; a real failure is seen by
 * many probers and is declared after about min.
 */
#include "gossip/internal.h"

#include "base/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t susp_min_timeout(int mult, size_t n, uint64_t interval)
{
	double scale = n > 1 ? log10((double)n) : 0.0;
	if (scale < 1.0)
		scale = 1.0;
	return (uint64_t)((double)mult * scale * (double)interval);
}

static uint64_t timeout_for(const struct suspicion *s)
{
	if (s->k < 1)
		return s->min;
	double frac = log((double)s->n + 1.0) / log((double)s->k + 1.0);
	double raw = (double)s->max - frac * (double)(s->max - s->min);
	uint64_t t = raw > (double)s->min ? (uint64_t)floor(raw) : s->min;
	return t;
}

struct suspicion *susp_new(const char *from, int k, uint64_t min, uint64_t max, uint64_t now)
{
	struct suspicion *s = xcalloc(1, sizeof(*s));
	s->start = now;
	s->min = min;
	s->max = max;
	s->k = k;
	s->from = xmalloc(sizeof(char *) * (size_t)(k + 1));
	s->from[s->nfrom++] = xstrdup(from);
	s->deadline = now + timeout_for(s);
	return s;
}

bool susp_confirm(struct suspicion *s, const char *from)
{
	if (s->n >= s->k)
		return false;
	for (int i = 0; i < s->nfrom; i++)
		if (strcmp(s->from[i], from) == 0)
			return false;
	s->from[s->nfrom++] = xstrdup(from);
	s->n++;
	s->deadline = s->start + timeout_for(s);
	return true;
}

void susp_free(struct suspicion *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nfrom; i++)
		free(s->from[i]);
	free(s->from);
	free(s);
}
