/*
 * fuzz_cron.c — libFuzzer target for lib/cron.c (restart_cron=, [recurring:x] cron=, SCHEDULE).
 *
 * The input up to its first newline is a cron line; up to 4 bytes after the
 * newline pick the "after" instant (minutes past 2026-01-01 UTC, so runs cover
 * both daylight-saving changes of Europe/Berlin, the zone set here). Checks:
 * a refused line leaves *out alone and says "cron: ..."; an accepted one only
 * sets bits inside each field's range; cron_next is -1 or a whole minute
 * strictly after "after" and within the 5-year horizon, and asking again from
 * that answer moves forward. Any violation aborts (libFuzzer reports a crash).
 * Built and run by `make fuzz` (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_die(const char *what, const char *line)
{
	fprintf(stderr, "fuzz_cron: %s\n  line: \"%s\"\n", what, line);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cron c, saved;
	char err[256], *line;
	const uint8_t *nl;
	uint32_t mins = 0;
	time_t after, next, again;

	if (!ready) {
		setenv("TZ", "Europe/Berlin", 1);
		tzset();
		ready = 1;
	}
	if (size > 1024)
		return 0;
	nl = memchr(data, '\n', size);
	size_t len = nl != NULL ? (size_t)(nl - data) : size;
	for (size_t i = len + 1; i < size && i < len + 5; i++)
		mins = mins << 8 | data[i];
	line = malloc(len + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';

	memset(&c, 0xa5, sizeof(c));
	saved = c;
	if (cron_parse(line, &c, err, sizeof(err)) != 0) {
		if (strncmp(err, "cron: ", 6) != 0)
			fuzz_die("error without the 'cron: ' prefix", line);
		if (memcmp(&c, &saved, sizeof(c)) != 0)
			fuzz_die("a refused line wrote *out", line);
		free(line);
		return 0;
	}
	if ((c.minute >> 60) != 0 || (c.hour >> 24) != 0 || (c.mday & 1u) != 0 || (c.month & 0xe001u) != 0 ||
	    (c.wday & 0x80u) != 0)
		fuzz_die("a bit outside a field's range", line);

	after = (time_t)1767225600 + (time_t)(mins % (6u * 366u * 24u * 60u)) * 60 + (time_t)(mins % 61u);
	next = cron_next(&c, after);
	if (next != (time_t)-1) {
		if (next <= after || next % 60 != 0 || next > after + (time_t)6 * 366 * 86400)
			fuzz_die("cron_next out of bounds", line);
		again = cron_next(&c, next);
		if (again != (time_t)-1 && again <= next)
			fuzz_die("cron_next does not move forward", line);
	}
	free(line);
	return 0;
}
