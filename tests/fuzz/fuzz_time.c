/*
 * fuzz_time.c — libFuzzer target for every time and value parser that does
 * not need a daemon:
 *
 *   when_parse          (lib/when.c: the one time grammar, with and without WHEN_AGE)
 *   tv_parse_time       (lib/libtaskvisor/tv_client.c: ctl --start-at, --until, ...)
 *   engine_parse_time   (supervisord/engine/engine_plan.c: SUBMIT start_at/start_before,
 *                        SCHEDULE until; the text path and, when the input is a
 *                        number, the number path)
 *   units_bool/int/duration/size/signal/octal (lib/units.c: config options, ctl)
 *
 * (search_date is also covered by fuzz_search, conf_parse_until by fuzz_conf.)
 * Each parser gets the whole input as a string, in Europe/Berlin. Checks: a
 * units parser that refuses leaves *out alone and writes a reason; one that
 * accepts returns a value inside its range; when_parse gives a span
 * start < end within +-WHEN_MAX_MS; tv_parse_time never gives inf or nan. UBSan catches overflowing conversions. Built and run by `make fuzz` (tests/fuzz/run.sh).
 */

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h" /* engine_parse_time is the engine's own */
#include "taskvisor.h"
#include "units.h"
#include "when.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_die(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_time: %s\n  input: \"%s\"\n", what, s);
	abort();
}

/* A refused value: *out untouched (sentinel still there) and a reason written. */
static void fuzz_refused(int rc, int untouched, const char *err, const char *s, const char *what)
{
	if (rc != -1)
		fuzz_die(what, s);
	if (!untouched)
		fuzz_die("a refused value wrote *out", s);
	if (err[0] == '\0')
		fuzz_die("a refused value without a reason", s);
}

static void fuzz_units(const char *s)
{
	char err[256];
	bool b;
	long long ll;
	int sig;
	long mode;

	err[0] = '\0';
	if (units_bool(s, &b, err, sizeof(err)) != 0)
		fuzz_refused(-1, 1, err, s, "units_bool");
	ll = -7;
	err[0] = '\0';
	if (units_int(s, -5, 1000, &ll, err, sizeof(err)) == 0) {
		if (ll < -5 || ll > 1000)
			fuzz_die("units_int out of its range", s);
	} else {
		fuzz_refused(-1, ll == -7, err, s, "units_int");
	}
	ll = -7;
	err[0] = '\0';
	if (units_duration(s, &ll, err, sizeof(err)) == 0) {
		if (ll < 0)
			fuzz_die("negative duration", s);
	} else {
		fuzz_refused(-1, ll == -7, err, s, "units_duration");
	}
	ll = -7;
	err[0] = '\0';
	if (units_size(s, &ll, err, sizeof(err)) == 0) {
		if (ll < 0)
			fuzz_die("negative size", s);
	} else {
		fuzz_refused(-1, ll == -7, err, s, "units_size");
	}
	sig = -7;
	err[0] = '\0';
	if (units_signal(s, &sig, err, sizeof(err)) == 0) {
		if (sig < 1 || sig > 64)
			fuzz_die("signal out of 1..64", s);
		(void)units_signal_name(sig);
	} else {
		fuzz_refused(-1, sig == -7, err, s, "units_signal");
	}
	mode = -7;
	err[0] = '\0';
	if (units_octal(s, 0777, &mode, err, sizeof(err)) == 0) {
		if (mode < 0 || mode > 0777)
			fuzz_die("octal out of 0..0777", s);
	} else {
		fuzz_refused(-1, mode == -7, err, s, "units_octal");
	}
}

static void fuzz_times(const char *s)
{
	const int64_t now_ms = INT64_C(1795442400000);
	double out, num;
	int64_t ms;
	char *end;
	json_t *j;

	for (int flags = 0; flags <= WHEN_AGE; flags += WHEN_AGE) {
		struct when w = {1, 0};

		if (when_parse(s, now_ms, flags, &w) == 0) {
			if (!(w.start_ms < w.end_ms) || w.start_ms < -WHEN_MAX_MS || w.start_ms > WHEN_MAX_MS)
				fuzz_die("when_parse gave an empty or out-of-range span", s);
		} else if (w.start_ms != 1 || w.end_ms != 0) {
			fuzz_die("a refused time wrote *out", s);
		}
	}
	if (tv_parse_time(s, 1795442400.0, &out) == 0 && !isfinite(out))
		fuzz_die("tv_parse_time gave a number JSON cannot carry", s);
	j = json_string(s); /* NULL when s is not UTF-8: the daemon never sees such a string */
	if (j != NULL) {
		(void)engine_parse_time(j, now_ms, &ms);
		json_decref(j);
	}
	num = strtod(s, &end);
	if (end != s && *end == '\0') {
		j = json_real(num);
		if (j != NULL) {
			(void)engine_parse_time(j, now_ms, &ms);
			json_decref(j);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *s;

	if (!ready) {
		setenv("TZ", "Europe/Berlin", 1);
		tzset();
		ready = 1;
	}
	if (size > 256)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_units(s);
	fuzz_times(s);
	free(s);
	return 0;
}
