/*
 * Vivaldi updates and distances (vivaldi.h has the model). The arithmetic
 * follows serf/coordinate step by step so that, fed the same samples, our
 * coordinates land where Consul's would:
 *
 *   update(node, other, rtt):
 *     rtt   <- median of node's last latency_filter samples
 *     vivaldi: error and spring force from |estimate - rtt| / rtt, weighted by
 *              our error against the peer's
 *     adjustment: mean of the last window (rtt - raw distance) samples, halved
 *     gravity: a force towards the origin, (distance / rho)^2
 *     invalid result (NaN/Inf) -> start again from a fresh coordinate
 *
 * The peer table is a chained hash on the node name; entries are freed by
 * vivaldi_forget and vivaldi_free.
 */
#include "gossip/vivaldi.h"

#include "base/alloc.h"
#include "base/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_THRESHOLD 1.0e-6 /* serf's: below this a length or RTT counts as zero */

struct vivaldi_peer {
	struct vivaldi_peer *next; /* bucket chain */
	uint64_t hash;
	char *name;
	double samples[VIVALDI_MAX_FILTER]; /* ring of RTTs, seconds */
	unsigned nsamples;		    /* filled slots */
	unsigned next_slot;		    /* oldest slot, overwritten next */
	struct vivaldi_coord coord;	    /* latest coordinate heard */
};

void vivaldi_config_default(struct vivaldi_config *cfg)
{
	cfg->error_max = 1.5;
	cfg->ce = 0.25;
	cfg->cc = 0.25;
	cfg->adjustment_window = 20;
	cfg->height_min = 10.0e-6;
	cfg->latency_filter = 3;
	cfg->gravity_rho = 150.0;
}

void vivaldi_coord_init(struct vivaldi_coord *c, const struct vivaldi_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->error = cfg->error_max;
	c->height = cfg->height_min;
}

bool vivaldi_coord_valid(const struct vivaldi_coord *c)
{
	for (int i = 0; i < VIVALDI_DIM; i++)
		if (!isfinite(c->vec[i]))
			return false;
	return isfinite(c->error) && isfinite(c->adjustment) && isfinite(c->height);
}

static bool positive(double x)
{
	return isfinite(x) && x > 0;
}

int vivaldi_init(struct vivaldi *v, const struct vivaldi_config *cfg, uint64_t seed)
{
	memset(v, 0, sizeof(*v));
	if (cfg)
		v->cfg = *cfg;
	else
		vivaldi_config_default(&v->cfg);
	const struct vivaldi_config *c = &v->cfg;
	if (c->adjustment_window > VIVALDI_MAX_WINDOW || c->latency_filter == 0 ||
	    c->latency_filter > VIVALDI_MAX_FILTER || !positive(c->error_max) || !positive(c->ce) ||
	    !positive(c->cc) || !positive(c->height_min) || !positive(c->gravity_rho))
		return CAIRN_E_INVAL;
	vivaldi_coord_init(&v->coord, c);
	vivaldi_coord_init(&v->origin, c);
	v->rng = seed;
	return 0;
}

void vivaldi_free(struct vivaldi *v)
{
	for (size_t i = 0; i < v->nbuckets; i++) {
		struct vivaldi_peer *p = v->buckets[i], *next;
		for (; p; p = next) {
			next = p->next;
			free(p->name);
			free(p);
		}
	}
	free(v->buckets);
	v->buckets = NULL;
	v->nbuckets = v->npeers = 0;
}

/* ---- peer table ---- */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static struct vivaldi_peer **slot_of(const struct vivaldi *v, const char *name, uint64_t h)
{
	if (!v->nbuckets)
		return NULL;
	struct vivaldi_peer **pp = &v->buckets[h & (v->nbuckets - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->name, name) != 0))
		pp = &(*pp)->next;
	return pp;
}

static void grow(struct vivaldi *v)
{
	size_t n = v->nbuckets ? v->nbuckets * 2 : 16;
	struct vivaldi_peer **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < v->nbuckets; i++) {
		struct vivaldi_peer *p = v->buckets[i], *next;
		for (; p; p = next) {
			next = p->next;
			p->next = b[p->hash & (n - 1)];
			b[p->hash & (n - 1)] = p;
		}
	}
	free(v->buckets);
	v->buckets = b;
	v->nbuckets = n;
}

static struct vivaldi_peer *peer_get(struct vivaldi *v, const char *name)
{
	uint64_t h = name_hash(name);
	struct vivaldi_peer **pp = slot_of(v, name, h);
	if (pp && *pp)
		return *pp;
	if (v->npeers >= v->nbuckets)
		grow(v);
	pp = &v->buckets[h & (v->nbuckets - 1)];
	struct vivaldi_peer *p = xcalloc(1, sizeof(*p));
	p->hash = h;
	p->name = xstrdup(name);
	p->next = *pp;
	*pp = p;
	v->npeers++;
	return p;
}

void vivaldi_forget(struct vivaldi *v, const char *node)
{
	struct vivaldi_peer **pp = slot_of(v, node, name_hash(node));
	if (!pp || !*pp)
		return;
	struct vivaldi_peer *p = *pp;
	*pp = p->next;
	free(p->name);
	free(p);
	v->npeers--;
}

const struct vivaldi_coord *vivaldi_peer_coord(const struct vivaldi *v, const char *node)
{
	struct vivaldi_peer **pp = slot_of(v, node, name_hash(node));
	return pp && *pp ? &(*pp)->coord : NULL;
}

/* ---- vector arithmetic ---- */

static double rand_unit(struct vivaldi *v)
{
	uint64_t z = (v->rng += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

static double magnitude(const double *x)
{
	double s = 0;
	for (int i = 0; i < VIVALDI_DIM; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

/* Unit vector from b towards a in u; returns |a - b|, or 0 when they
 * coincide (u is then a random direction, or the first axis). */
static double unit_vector_at(struct vivaldi *v, const double *a, const double *b, double *u)
{
	for (int i = 0; i < VIVALDI_DIM; i++)
		u[i] = a[i] - b[i];
	double mag = magnitude(u);
	if (mag > ZERO_THRESHOLD) {
		for (int i = 0; i < VIVALDI_DIM; i++)
			u[i] /= mag;
		return mag;
	}
	for (int i = 0; i < VIVALDI_DIM; i++)
		u[i] = rand_unit(v) - 0.5;
	mag = magnitude(u);
	if (mag > ZERO_THRESHOLD) {
		for (int i = 0; i < VIVALDI_DIM; i++)
			u[i] /= mag;
		return 0;
	}
	memset(u, 0, VIVALDI_DIM * sizeof(*u));
	u[0] = 1.0;
	return 0;
}

/* Move ours by force (seconds; positive: away from other). */
static void apply_force(struct vivaldi *v, double force, const struct vivaldi_coord *other)
{
	double u[VIVALDI_DIM];
	double mag = unit_vector_at(v, v->coord.vec, other->vec, u);
	for (int i = 0; i < VIVALDI_DIM; i++)
		v->coord.vec[i] += u[i] * force;
	if (mag > ZERO_THRESHOLD) {
		double h = (v->coord.height + other->height) * force / mag + v->coord.height;
		v->coord.height = fmax(h, v->cfg.height_min);
	}
}

static double raw_distance(const struct vivaldi_coord *a, const struct vivaldi_coord *b)
{
	double d[VIVALDI_DIM];
	for (int i = 0; i < VIVALDI_DIM; i++)
		d[i] = a->vec[i] - b->vec[i];
	return magnitude(d) + a->height + b->height;
}

int64_t vivaldi_distance_ns(const struct vivaldi_coord *a, const struct vivaldi_coord *b)
{
	double dist = raw_distance(a, b);
	double adjusted = dist + a->adjustment + b->adjustment;
	if (adjusted > 0.0)
		dist = adjusted;
	double ns = dist * 1.0e9;
	/* beyond int64 (a hostile height) or NaN: saturate, never convert */
	if (ns <= -9.2e18)
		return INT64_MIN;
	if (!(ns < 9.2e18))
		return INT64_MAX;
	return (int64_t)ns;
}

double vivaldi_distance(const struct vivaldi_coord *a, const struct vivaldi_coord *b)
{
	return (double)vivaldi_distance_ns(a, b) / 1.0e9;
}

/* ---- the update ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double latency_filter(struct vivaldi *v, struct vivaldi_peer *p, double rtt)
{
	unsigned size = v->cfg.latency_filter;
	p->samples[p->next_slot] = rtt;
	p->next_slot = (p->next_slot + 1) % size;
	if (p->nsamples < size)
		p->nsamples++;
	double sorted[VIVALDI_MAX_FILTER];
	memcpy(sorted, p->samples, p->nsamples * sizeof(double));
	qsort(sorted, p->nsamples, sizeof(double), cmp_double);
	return sorted[p->nsamples / 2];
}

static void update_vivaldi(struct vivaldi *v, const struct vivaldi_coord *other, double rtt)
{
	const struct vivaldi_config *c = &v->cfg;
	double dist = vivaldi_distance(&v->coord, other);
	if (rtt < ZERO_THRESHOLD)
		rtt = ZERO_THRESHOLD;
	double wrongness = fabs(dist - rtt) / rtt;
	double total = v->coord.error + other->error;
	if (total < ZERO_THRESHOLD)
		total = ZERO_THRESHOLD;
	double weight = v->coord.error / total;
	v->coord.error = c->ce * weight * wrongness + v->coord.error * (1.0 - c->ce * weight);
	if (v->coord.error > c->error_max)
		v->coord.error = c->error_max;
	apply_force(v, c->cc * weight * (rtt - dist), other);
}

static void update_adjustment(struct vivaldi *v, const struct vivaldi_coord *other, double rtt)
{
	unsigned n = v->cfg.adjustment_window;
	if (n == 0)
		return;
	v->adj_samples[v->adj_index] = rtt - raw_distance(&v->coord, other);
	v->adj_index = (v->adj_index + 1) % n;
	double sum = 0;
	for (unsigned i = 0; i < n; i++)
		sum += v->adj_samples[i];
	v->coord.adjustment = sum / (2.0 * n);
}

static void update_gravity(struct vivaldi *v)
{
	double dist = vivaldi_distance(&v->origin, &v->coord);
	double force = -1.0 * pow(dist / v->cfg.gravity_rho, 2.0);
	apply_force(v, force, &v->origin);
}

int vivaldi_update(struct vivaldi *v, const char *node, const struct vivaldi_coord *other,
		   int64_t rtt_ns, const char **why)
{
	const char *reason = NULL;
	if (!vivaldi_coord_valid(other))
		reason = "coordinate is invalid";
	else if (rtt_ns < 0 || rtt_ns > VIVALDI_MAX_RTT_NS)
		reason = "round trip time not in valid range";
	if (reason) {
		if (why)
			*why = reason;
		return CAIRN_E_INVAL;
	}
	struct vivaldi_peer *p = peer_get(v, node);
	p->coord = *other;
	double rtt = latency_filter(v, p, (double)rtt_ns / 1.0e9);
	update_vivaldi(v, other, rtt);
	update_adjustment(v, other, rtt);
	update_gravity(v);
	if (!vivaldi_coord_valid(&v->coord)) {
		v->resets++;
		vivaldi_coord_init(&v->coord, &v->cfg);
	}
	return 0;
}

void vivaldi_set(struct vivaldi *v, const struct vivaldi_coord *c)
{
	if (vivaldi_coord_valid(c))
		v->coord = *c;
}
