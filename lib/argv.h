/*
 * argv.h — a step's command template, split as /bin/sh would split it, so
 * that a task's input can reach the command only as data (DESIGN.md promise 2).
 *
 * A template without shell syntax becomes an argv template: words with their
 * quotes removed and their %(...)s substitutions kept, each word expanded
 * later into exactly one argv element (never re-split, never globbed) and run
 * with execvp. A template with shell syntax is run by /bin/sh -c as written
 * and may hold no substitution. Nor may a word that a shell or interpreter
 * reads as code (sh -c CODE, python -c, perl -e, awk PROGRAM, ...) or the
 * program word. Such templates are refused with a reason.
 */
#ifndef TV_ARGV_H
#define TV_ARGV_H

#include <stdbool.h>
#include <stddef.h>

/* Word flags */
#define ARGV_SUBST 0x1 /* holds a %(...) substitution */
#define ARGV_LEAD 0x2  /* begins with one: a value may start the argv element */
#define ARGV_DATA 0x4  /* after "--", or a shell's positional parameter: may begin with '-' */
#define ARGV_CODE 0x8  /* read as code by the program (sh -c CODE): no substitution */

struct argv_word {
	char *text; /* quotes removed; %(...)s and %% kept for expand() */
	int flags;
};

struct argv_tmpl {
	bool shell; /* shell syntax: run as /bin/sh -c TEMPLATE; holds no substitution */
	size_t n;
	struct argv_word *w; /* the words (argv form only) */
};

/* Split and check a step command template into t. -1 with a reason in err
 * (unclosed quote, a substitution where it would be code); t is then empty. */
int argv_parse(const char *cmd, struct argv_tmpl *t, char *err, size_t errlen);
void argv_free(struct argv_tmpl *t);

/* s quoted for a shell when it holds anything but plainly safe characters (malloc'ed). */
char *argv_quote(const char *s);
/* argv as one readable, shell-quoted line (malloc'ed), for display. */
char *argv_join(char *const *argv, size_t n);

#endif
