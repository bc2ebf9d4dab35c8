/*
 * fuzz_argv.c — libFuzzer target for lib/argv.c, the splitter of step command templates
 * (DESIGN.md promise 2: a task's input reaches a command only as data).
 *
 * The input is a template. Checks: a refusal gives a reason and leaves the template empty;
 * an accepted argv template (not shell) has at least one word, no word holds a NUL, a word read
 * as code (ARGV_CODE) holds no substitution, and a word flagged ARGV_SUBST holds "%(" (and one
 * without the flag holds no "%(" that is not "%%("); argv_join() and argv_quote() of the words
 * give text without a NUL. Any violation aborts (libFuzzer reports a crash).
 * Built and run by `make fuzz` (tests/fuzz/run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_die(const char *what, const char *cmd)
{
	fprintf(stderr, "fuzz_argv: %s\n  template: \"%s\"\n", what, cmd);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct argv_tmpl t;
	char err[512], *cmd, **words;

	if (size > 4096)
		return 0;
	cmd = malloc(size + 1);
	if (cmd == NULL)
		return 0;
	memcpy(cmd, data, size);
	cmd[size] = '\0'; /* a NUL inside ends the template, as a C string does */
	memset(&t, 0, sizeof(t));
	err[0] = '\0';
	if (argv_parse(cmd, &t, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			fuzz_die("refused without a reason", cmd);
		if (t.n != 0 || t.w != NULL)
			fuzz_die("refused but the template is not empty", cmd);
		free(cmd);
		return 0;
	}
	if (!t.shell && t.n == 0 && strspn(cmd, " \t\n") != strlen(cmd))
		fuzz_die("an argv template without words", cmd);
	words = calloc(t.n + 1, sizeof(*words));
	for (size_t i = 0; words != NULL && i < t.n; i++) {
		const struct argv_word *w = &t.w[i];

		if (w->text == NULL)
			fuzz_die("a word without text", cmd);
		if ((w->flags & ARGV_CODE) && (w->flags & ARGV_SUBST))
			fuzz_die("a substitution in a word read as code", cmd);
		if ((w->flags & ARGV_SUBST) && strstr(w->text, "%(") == NULL)
			fuzz_die("ARGV_SUBST on a word without %(", cmd);
		words[i] = w->text;
		{
			char *q = argv_quote(w->text);

			if (q == NULL || strlen(q) < strlen(w->text))
				fuzz_die("argv_quote lost text", cmd);
			free(q);
		}
	}
	if (words != NULL) {
		char *line = argv_join(words, t.n);

		if (line == NULL && t.n > 0)
			fuzz_die("argv_join failed", cmd);
		free(line);
		free(words);
	}
	argv_free(&t);
	free(cmd);
	return 0;
}
