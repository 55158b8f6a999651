/*
 * Route matching over a table of struct http_route rows (pure).
 *
 * The table is data owned by the API layer; matching is a linear scan, which
 * for the ~150 rows of Consul's API costs less than parsing the request line.
 * Rules: a row matches a path exactly, or, when it is a prefix row (pattern
 * ending in '/'), any path that starts with the pattern. Among rows whose
 * path matches, exact rows win over prefix rows and longer prefixes over
 * shorter ones; ties go to the earlier row. The path alone picks the row, as
 * Go's ServeMux does; if that row does not allow the method the answer is
 * ROUTE_BAD_METHOD with req->route set (so the caller can list its methods in
 * Allow).
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
	const struct http_route *best = NULL;
	size_t best_rank = 0;
	/* the path alone picks the row, as Go's ServeMux does; the method is
	 * checked after (so GET /v1/agent/service/register is a 405, not a lookup
	 * through the /v1/agent/service/ prefix row) */
	unsigned bit = 1u << req->method;
	for (size_t i = 0; i < n; i++) {
		size_t rank = match_rank(&table[i], path, plen);
		/* rows of the same pattern may split the methods between them */
		bool better =
		    rank > best_rank || (rank && rank == best_rank && !(best->methods & bit) &&
					 (table[i].methods & bit));
		if (better) {
			best = &table[i];
			best_rank = rank;
		}
	}
	req->route = best;
	req->tail = NULL;
	if (!best)
		return ROUTE_NOT_FOUND;
	req->tail = best_rank == SIZE_MAX ? path + plen : path + best_rank;
	return (best->methods & (1u << req->method)) ? ROUTE_OK : ROUTE_BAD_METHOD;
}
