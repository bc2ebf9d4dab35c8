/*
 * stepline.c — splitting the lines a step writes on TASKVISOR_FD (see
 * stepline.h). Pure: it writes NULs into the line it is given, nothing else.
 */
#include "stepline.h"

#include <string.h>

/* Skip spaces and tabs. */
static char *stepline_skip(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* End the word at s (NUL on the blank after it); what follows, blanks skipped. */
static char *stepline_word(char *s)
{
	char *rest = s + strcspn(s, " \t");

	if (*rest != '\0')
		*rest++ = '\0';
	return stepline_skip(rest);
}

enum stepline_kind stepline_parse(char *line, struct stepline *out)
{
	char *verb = stepline_skip(line), *arg;

	out->verb = verb;
	out->arg = "";
	out->label = "";
	out->json = NULL;
	if (*verb == '\0')
		return STEPLINE_EMPTY;
	arg = stepline_word(verb);
	out->arg = arg;
	if (strcmp(verb, "progress") == 0)
		return STEPLINE_PROGRESS;
	if (strcmp(verb, "output") == 0)
		return STEPLINE_OUTPUT;
	if (strcmp(verb, "spawn") == 0) {
		char *json = stepline_word(arg);
		out->label = arg;
		out->json = *json != '\0' ? json : NULL;
		return STEPLINE_SPAWN;
	}
	return STEPLINE_UNKNOWN;
}
