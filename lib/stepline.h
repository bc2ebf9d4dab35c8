/*
 * stepline.h — the lines a step writes on its TASKVISOR_FD (fd 3) for the exec
 * worker (services/exec-worker.c):
 *
 *   progress {"items_total":37,"items_done":31}
 *   output {"key":"value"}
 *   spawn LABEL {"input":"json"}          (the JSON is optional)
 *
 * stepline_parse() only splits one line (its newline already removed) into
 * words; the JSON is checked by libtaskvisor (tv_step_progress() and friends),
 * which words the errors. No allocation, no state.
 */
#ifndef TV_STEPLINE_H
#define TV_STEPLINE_H

enum stepline_kind {
	STEPLINE_EMPTY = 0, /* nothing but blanks: ignored */
	STEPLINE_PROGRESS,
	STEPLINE_OUTPUT,
	STEPLINE_SPAWN,
	STEPLINE_UNKNOWN /* verb names the word that is not one of the three */
};

struct stepline {
	const char *verb;  /* the first word */
	const char *arg;   /* what follows it, leading blanks skipped ("" when nothing) */
	const char *label; /* spawn: the second word ("" when none) */
	const char *json;  /* spawn: what follows the label, leading blanks skipped; NULL when nothing */
};

/*
 * Split line in place: words end at the first blank (space or tab), which
 * becomes a NUL; leading blanks are skipped. Every pointer in *out points into
 * line (or is NULL/"" as said above).
 */
enum stepline_kind stepline_parse(char *line, struct stepline *out);

#endif
