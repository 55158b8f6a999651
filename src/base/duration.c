/* Go durations (see duration.h). */
#include "base/duration.h"

#include <string.h>

static const struct {
	const char *unit;
	int64_t ns;
} units[] = {
    {"ns", DUR_NS}, {"us", DUR_US}, {"\xc2\xb5s", DUR_US}, {"\xce\xbcs", DUR_US},
    {"ms", DUR_MS}, {"s", DUR_SEC}, {"m", DUR_MIN},	   {"h", DUR_HOUR},
};

int duration_parse(const char *s, bool bare_int_ns, int64_t *ns)
{
	if (!s || !*s)
		return -1;
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (!*p)
		return -1;
	/* a bare integer: nanoseconds, as Consul's decoders accept */
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (!*q && q != p) {
		if (!bare_int_ns)
			return -1;
		long double v = 0;
		for (const char *d = p; d < q; d++)
			v = v * 10 + (*d - '0');
		if (v > (long double)INT64_MAX)
			return -1;
		*ns = neg ? -(int64_t)v : (int64_t)v;
		return 0;
	}
	/* Go's arithmetic: the integer part exactly, the fraction through a double */
	uint64_t total = 0;
	while (*p) {
		uint64_t whole = 0, frac = 0;
		double scale = 1;
		bool digits = false;
		while (*p >= '0' && *p <= '9') {
			if (whole > (UINT64_MAX - 9) / 10)
				return -1;
			whole = whole * 10 + (uint64_t)(*p++ - '0');
			digits = true;
		}
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				if (frac <= (UINT64_MAX - 9) / 10) { /* extra digits are dropped */
					frac = frac * 10 + (uint64_t)(*p - '0');
					scale *= 10;
				}
				p++;
				digits = true;
			}
		}
		if (!digits)
			return -1;
		size_t best = 0;
		int64_t mult = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			if (l > best && strncmp(p, units[i].unit, l) == 0) {
				/* "m" must not swallow the "m" of "ms" */
				best = l;
				mult = units[i].ns;
			}
		}
		if (!best)
			return -1;
		p += best;
		if (whole > (uint64_t)INT64_MAX / (uint64_t)mult)
			return -1;
		uint64_t v = whole * (uint64_t)mult;
		if (frac)
			v += (uint64_t)((double)frac * ((double)mult / scale));
		if (v > (uint64_t)INT64_MAX - total)
			return -1;
		total += v;
	}
	*ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

/* Go's fractional formatting: v with prec decimal digits, trailing zeros dropped. */
static void put_frac(struct buf *out, uint64_t v, int prec)
{
	char tmp[32];
	int n = 0;
	bool print = false;
	for (int i = 0; i < prec; i++) {
		int digit = (int)(v % 10);
		print = print || digit != 0;
		if (print)
			tmp[n++] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		tmp[n++] = '.';
	buf_put_u64(out, v);
	while (n > 0)
		buf_putc(out, tmp[--n]);
}

void duration_format(struct buf *out, int64_t ns)
{
	if (ns == 0) {
		buf_puts(out, "0s");
		return;
	}
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	if (ns < 0)
		buf_putc(out, '-');
	if (u < (uint64_t)DUR_SEC) {
		if (u < (uint64_t)DUR_US) {
			buf_put_u64(out, u);
			buf_puts(out, "ns");
		} else if (u < (uint64_t)DUR_MS) {
			put_frac(out, u, 3);
			buf_puts(out, "\xc2\xb5s");
		} else {
			put_frac(out, u, 6);
			buf_puts(out, "ms");
		}
		return;
	}
	uint64_t h = u / (uint64_t)DUR_HOUR;
	u -= h * (uint64_t)DUR_HOUR;
	uint64_t m = u / (uint64_t)DUR_MIN;
	u -= m * (uint64_t)DUR_MIN;
	if (h) {
		buf_put_u64(out, h);
		buf_putc(out, 'h');
	}
	if (h || m) {
		buf_put_u64(out, m);
		buf_putc(out, 'm');
	}
	put_frac(out, u, 9);
	buf_putc(out, 's');
}
