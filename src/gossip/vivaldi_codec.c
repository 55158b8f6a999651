/*
 * Coordinates in and out (vivaldi.h): the 90-byte wire form, Consul's JSON
 * shape for the /v1/coordinate endpoints, and the ?near= ordering.
 *
 * JSON numbers are written as Go's encoding/json writes a float64: the
 * shortest decimal that reads back to the same double, in plain notation for
 * 1e-6 <= |x| < 1e21 and exponent notation otherwise ("1e-7", "1.5e+21").
 * Coordinates are small seconds values (heights of 1e-05 and so on), where C's
 * "%.17g" would print 1.0000000000000001e-05 and Consul prints 0.00001.
 */
#include "gossip/vivaldi.h"

#include "base/be.h"
#include "base/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_be64(uint8_t *p, double d)
{
	uint64_t x;
	memcpy(&x, &d, sizeof(x));
	be64_put(p, x);
}

static double get_be64(const uint8_t *p)
{
	uint64_t x = be64_get(p);
	double d;
	memcpy(&d, &x, sizeof(d));
	return d;
}

void vivaldi_encode(const struct vivaldi_coord *c, uint8_t out[VIVALDI_WIRE_SIZE])
{
	out[0] = VIVALDI_WIRE_VERSION;
	out[1] = VIVALDI_DIM;
	uint8_t *p = out + 2;
	for (int i = 0; i < VIVALDI_DIM; i++, p += 8)
		put_be64(p, c->vec[i]);
	put_be64(p, c->error);
	put_be64(p + 8, c->adjustment);
	put_be64(p + 16, c->height);
}

int vivaldi_decode(const void *data, size_t n, struct vivaldi_coord *c)
{
	const uint8_t *p = data;
	if (n < 1)
		return CAIRN_E_PARSE;
	if (p[0] != VIVALDI_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (n != VIVALDI_WIRE_SIZE || p[1] != VIVALDI_DIM)
		return CAIRN_E_PARSE;
	struct vivaldi_coord d;
	p += 2;
	for (int i = 0; i < VIVALDI_DIM; i++, p += 8)
		d.vec[i] = get_be64(p);
	d.error = get_be64(p);
	d.adjustment = get_be64(p + 8);
	d.height = get_be64(p + 16);
	if (!vivaldi_coord_valid(&d))
		return CAIRN_E_PARSE;
	*c = d;
	return 0;
}

/* ---- JSON ---- */

void vivaldi_json(struct jsonw *w, const struct vivaldi_coord *c)
{
	jsonw_obj_open(w);
	jsonw_key(w, "Vec");
	jsonw_arr_open(w);
	for (int i = 0; i < VIVALDI_DIM; i++)
		jsonw_double(w, c->vec[i]);
	jsonw_arr_close(w);
	jsonw_key(w, "Error");
	jsonw_double(w, c->error);
	jsonw_key(w, "Adjustment");
	jsonw_double(w, c->adjustment);
	jsonw_key(w, "Height");
	jsonw_double(w, c->height);
	jsonw_obj_close(w);
}

/* ---- ?near= ---- */

static int cmp_near(const void *pa, const void *pb)
{
	const struct vivaldi_near *a = pa, *b = pb;
	if (a->dist_ != b->dist_)
		return a->dist_ < b->dist_ ? -1 : 1;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->pos_ < b->pos_ ? -1 : a->pos_ > b->pos_;
}

void vivaldi_sort_near(const struct vivaldi_coord *src, struct vivaldi_near *items, size_t n)
{
	if (!src || n < 2)
		return;
	for (size_t i = 0; i < n; i++) {
		items[i].pos_ = i;
		const struct vivaldi_coord *c = items[i].coord;
		items[i].dist_ = c && vivaldi_coord_valid(c) ? vivaldi_distance(src, c) : INFINITY;
	}
	qsort(items, n, sizeof(*items), cmp_near);
}
