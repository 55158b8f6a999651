/*
 * Route matching over a table of struct http_route rows (pure).
 *
 * The table is data owned by the API layer; matching is a linear scan, which
 * for the ~150 rows of Consul's API costs less than parsing the request line.
 * Rules: a row matches a path exactly, or, when it is a prefix row (pattern
 * ending in '/'), any path that starts with the pattern. Among rows whose
 * path matches, exact rows win over prefix rows and longer prefixes over
 * shorter ones; ties go to the earlier row. If rows match the path but none
 * allows the method, the answer is ROUTE_BAD_METHOD and req->route is the best
 * of those rows (so the caller can list its methods in Allow).
 */
#include "http/http.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

unsigned http_method_mask_(int first, ...)
{
	unsigned mask = 0;
	va_list ap;
	va_start(ap, first);
	for (int m = first; m >= 0; m = va_arg(ap, int))
		if (m < 32)
			mask |= 1u << m;
	va_end(ap);
	return mask;
}

/* How well row matches path: 0 not at all, else higher is better. */
static size_t match_rank(const struct http_route *row, const char *path, size_t plen)
{
	size_t n = strlen(row->pattern);
	bool prefix = row->prefix && n > 0 && row->pattern[n - 1] == '/';
	if (!prefix)
		return (n == plen && memcmp(row->pattern, path, n) == 0) ? SIZE_MAX : 0;
	if (plen < n || memcmp(row->pattern, path, n) != 0)
		return 0;
	return n; /* n >= 1, and below SIZE_MAX */
}

enum http_route_result http_route_match(const struct http_route *table, size_t n,
					struct http_request *req)
{
	const char *path = req->path ? req->path : "";
	size_t plen = strlen(path);
	unsigned bit = 1u << req->method;
	const struct http_route *best = NULL, *best_any = NULL;
	size_t best_rank = 0, best_any_rank = 0;
	for (size_t i = 0; i < n; i++) {
		size_t rank = match_rank(&table[i], path, plen);
		if (rank == 0)
			continue;
		if (rank > best_any_rank) {
			best_any = &table[i];
			best_any_rank = rank;
		}
		if ((table[i].methods & bit) && rank > best_rank) {
			best = &table[i];
			best_rank = rank;
		}
	}
	const struct http_route *row = best ? best : best_any;
	req->route = row;
	req->tail = NULL;
	if (!row)
		return ROUTE_NOT_FOUND;
	size_t rank = best ? best_rank : best_any_rank;
	req->tail = rank == SIZE_MAX ? path + plen : path + rank;
	return best ? ROUTE_OK : ROUTE_BAD_METHOD;
}
