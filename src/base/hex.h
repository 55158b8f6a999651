/*
 * Hexadecimal digits: the one decoder behind URL escapes, UUIDs, DNS .addr.
 * names, regex escapes and keyring/event IDs. Pure, header-only.
 */
#ifndef CAIRN_BASE_HEX_H
#define CAIRN_BASE_HEX_H

/* The value of one hex digit (either case), or -1. */
static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20; /* ASCII lower case; digits are handled above */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#endif
