/*
 * confmask.h — a configuration file's text with its secrets masked, for what
 * leaves the machine (taskvisorctl debug-bundle).
 */
#ifndef TV_CONFMASK_H
#define TV_CONFMASK_H

#include <stddef.h>

/*
 * A copy of text (len bytes, INI as lib/conf.c reads it) where the value of
 * every key naming a secret (password, passwd, secret, token, credential,
 * api_key, api-key, apikey: anywhere in the key, any case) is "***"; every value of
 * environment= (and its continuation lines) is "***" with the names kept
 * (A="x",B=y -> A=***,B=***); and inside any other value, a word such as
 * password=VALUE, --token VALUE or user:pass@host has VALUE masked.
 * Comments and everything else are kept byte for byte. Malloc'd; NULL out of memory.
 */
char *confmask_text(const char *text, size_t len);

#endif
