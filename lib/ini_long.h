/*
 * ini_long.h — INI parsing through inih without its line limit.
 *
 * Debian's libinih cuts lines at 199 bytes. ini_long_parse() first lifts every
 * over-long value out of the text (leaving a short placeholder on the same
 * line, so line numbers stay right), has inih parse the text from memory, and
 * hands the real values to the caller. It also joins multi-line values (inih
 * delivers each continuation line as another call with the same name) with
 * '\n', strips inline comments (';' or '#' after whitespace, as supervisord's
 * configparser does), and reports each section header, even an empty one.
 *
 * inih keeps the grammar: sections, comments, "name = value" / "name: value",
 * continuation lines. The caller's handler sees each option once, complete.
 */
#ifndef TV_INI_LONG_H
#define TV_INI_LONG_H

#include <stddef.h>

/* A section starts: name == NULL and value == NULL. An option: its whole value.
 * lineno is the line of the header or of the option's first line.
 * Return 0 to stop parsing (the handler keeps its own error). */
typedef int (*ini_long_handler)(void *user, const char *section, const char *name, const char *value,
				int lineno);

#define INI_LONG_STOPPED (-2) /* the handler returned 0 */
#define INI_LONG_NOMEM (-1)

/* Parse a NUL-terminated INI text. 0 on success, INI_LONG_STOPPED, INI_LONG_NOMEM, or the
 * line number (> 0) of the first syntax error with its description in err. */
int ini_long_parse(const char *text, ini_long_handler handler, void *user, char *err, size_t errlen);

/* Remove an inline comment (';' or '#' preceded by whitespace) and trailing blanks, in place. */
void ini_long_strip_comment(char *s);

#endif
