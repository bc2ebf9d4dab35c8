/*
 * utf8.h — the one UTF-8 validator: logs, step output and XML-RPC text all turn what a program
 * wrote into valid UTF-8 with it (an invalid byte becomes U+FFFD where each caller says).
 */
#ifndef TV_UTF8_H
#define TV_UTF8_H

#include <stddef.h>

/* The length of the UTF-8 sequence at p (n > 0 bytes left): 1..4 when valid (no overlong form,
 * no surrogate, nothing past U+10FFFF), 0 when invalid, -1 when valid so far but cut short by
 * the end of the n bytes. */
int utf8_len(const unsigned char *p, size_t n);

#endif
