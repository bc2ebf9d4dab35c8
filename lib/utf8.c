/*
 * utf8.c — the one UTF-8 validator (see utf8.h). Pure: no allocation, no state.
 */
#include "utf8.h"

int utf8_len(const unsigned char *p, size_t n)
{
	int len = p[0] < 0x80			 ? 1
		  : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
		  : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		  : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
						 : 0;
	unsigned lo = 0x80, hi = 0xbf;

	if (len <= 1)
		return len;
	if (p[0] == 0xe0)
		lo = 0xa0; /* no overlong forms */
	else if (p[0] == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f; /* nothing past U+10FFFF */
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}
