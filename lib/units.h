/*
 * units.h — parsers for the value kinds configuration files and commands share:
 * booleans, integers with ranges, durations, byte sizes, signals, octal modes.
 *
 * Every parser returns 0 and writes *out, or returns -1, leaves *out alone and
 * writes a reason such as `not a number: "abc"` into err (the caller prefixes
 * "file:line: option: "). Leading and trailing blanks are ignored.
 */
#ifndef TV_UNITS_H
#define TV_UNITS_H

#include <stdbool.h>
#include <stddef.h>

/* true/false, yes/no, on/off, 1/0 (any case). */
int units_bool(const char *s, bool *out, char *err, size_t errlen);
/* A decimal integer in [min, max]. */
int units_int(const char *s, long long min, long long max, long long *out, char *err, size_t errlen);
/* Seconds: "10", "30s", "10m", "12h", "7d", "2w", "1h30m". */
int units_duration(const char *s, long long *out, char *err, size_t errlen);
/* Bytes: "512", "50KB", "512MB", "1GB", "2T" (1024-based; K/KB/KiB, B optional). */
int units_size(const char *s, long long *out, char *err, size_t errlen);
/* "TERM", "SIGTERM", "term" or a number 1..64. */
int units_signal(const char *s, int *out, char *err, size_t errlen);
/* "TERM" for SIGTERM; NULL when the number has no name. */
const char *units_signal_name(int sig);
/* An octal number in [0, max] ("022", "0o022", "755"). */
int units_octal(const char *s, long max, long *out, char *err, size_t errlen);

#endif
