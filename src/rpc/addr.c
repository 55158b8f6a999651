/*
 * Address text for the server port (addr.h).
 */
#include "rpc/addr.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

int rpc_addr_parse(const char *text, bool port0, struct sockaddr_storage *sa)
{
	char host[256];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port < (port0 ? 0 : 1) || port > 65535)
		return -1;
	char *h = host;
	size_t hl = strlen(h);
	if (*h == '[') {
		if (hl < 2 || h[hl - 1] != ']')
			return -1;
		h[hl - 1] = '\0';
		return uv_ip6_addr(h + 1, (int)port, (struct sockaddr_in6 *)sa) ? -1 : 0;
	}
	return uv_ip4_addr(h, (int)port, (struct sockaddr_in *)sa) ? -1 : 0;
}
