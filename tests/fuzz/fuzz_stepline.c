/*
 * fuzz_stepline.c — libFuzzer target for the exec worker's fd-3 lines
 * (lib/stepline.c, used by services/exec-worker.c).
 *
 * The input is what a step writes on TASKVISOR_FD: it is cut at newlines as
 * exec_ctl_lines() does (the last line without one too, as at EOF, and a line
 * ends at its first NUL as in the worker's buffer), each line goes through
 * stepline_parse(), and the JSON it names is read as libtaskvisor reads it
 * (tv_step_parse: json_loads, must be an object; a spawn's label must become
 * a JSON string). Checks: every pointer lies in the line, the verb is one word
 * and agrees with the kind, a label is one word, a spawn's JSON is NULL or
 * starts with no blank. Built and run by `make fuzz`.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_die(const char *what, const char *line)
{
	fprintf(stderr, "fuzz_stepline: %s\n  line: \"%s\"\n", what, line);
	abort();
}

static int fuzz_inside(const char *p, const char *buf, size_t len)
{
	return p >= buf && p <= buf + len;
}

/* What libtaskvisor does with the JSON text (tv_step_parse). */
static void fuzz_json(const char *text)
{
	json_error_t je;
	json_t *j;

	if (text == NULL)
		return;
	j = json_loads(text, 0, &je);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	json_decref(j);
}

static void fuzz_line(const char *text, size_t len)
{
	char *line = malloc(len + 1), *copy;
	struct stepline sl;
	enum stepline_kind k;

	if (line == NULL)
		return;
	memcpy(line, text, len);
	line[len] = '\0';
	len = strlen(line); /* the worker's line ends at a NUL */
	copy = strdup(line);
	if (copy == NULL) {
		free(line);
		return;
	}
	k = stepline_parse(line, &sl);
	if (!fuzz_inside(sl.verb, line, len) || strpbrk(sl.verb, " \t") != NULL)
		fuzz_die("verb outside the line or not one word", copy);
	if ((k == STEPLINE_EMPTY) != (sl.verb[0] == '\0'))
		fuzz_die("empty verb and kind disagree", copy);
	if ((k == STEPLINE_PROGRESS) != (strcmp(sl.verb, "progress") == 0) ||
	    (k == STEPLINE_OUTPUT) != (strcmp(sl.verb, "output") == 0) ||
	    (k == STEPLINE_SPAWN) != (strcmp(sl.verb, "spawn") == 0))
		fuzz_die("verb and kind disagree", copy);
	if (k == STEPLINE_PROGRESS || k == STEPLINE_OUTPUT) {
		if (!fuzz_inside(sl.arg, line, len) || sl.arg[0] == ' ' || sl.arg[0] == '\t')
			fuzz_die("argument outside the line or starting with a blank", copy);
		if (strstr(copy, sl.arg) == NULL)
			fuzz_die("argument is not text of the line", copy);
		fuzz_json(sl.arg);
	}
	if (k == STEPLINE_SPAWN) {
		if (!fuzz_inside(sl.label, line, len) || strpbrk(sl.label, " \t") != NULL)
			fuzz_die("label outside the line or not one word", copy);
		if (sl.json != NULL && (!fuzz_inside(sl.json, line, len) || sl.json[0] == '\0' ||
					sl.json[0] == ' ' || sl.json[0] == '\t'))
			fuzz_die("spawn JSON outside the line, empty or starting with a blank", copy);
		if (sl.label[0] != '\0') {
			json_t *l = json_string(sl.label); /* NULL: not UTF-8, refused by tv_step_spawn */
			json_decref(l);
		}
		fuzz_json(sl.json);
	}
	free(copy);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (size > 65536)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		fuzz_line(p, n);
		p += n + (nl != NULL);
	}
	return 0;
}
