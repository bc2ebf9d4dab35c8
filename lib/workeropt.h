/*
 * workeropt.h — the command line the workers in services/ share: --queue NAME,
 * --socket PATH, --prefetch N, --help, and at most one option of the worker's
 * own (exec-worker's --kill-after, noop-worker's --stamp). Messages go to
 * stderr as "PROG: --prefetch: not a positive number: \"x\""; a usage error
 * exits 100 (s6's code for it).
 *
 * Never: creates the worker (that is libtaskvisor's, which lib/ does not include).
 */
#ifndef TV_WORKEROPT_H
#define TV_WORKEROPT_H

/* The worker's own option "--NAME META" (-LETTER): fn(arg, value) returns 0, or -1 after
 * printing why (a usage error). */
struct workeropt_extra {
	const char *name; /* NULL: none */
	const char *meta; /* "SECS", in the usage line */
	int letter;
	int (*fn)(void *arg, const char *value);
	void *arg;
};

struct workeropt {
	const char *prog;  /* "exec-worker", for messages and the usage line */
	const char *queue; /* in: the default (NULL = --queue is required); out: the queue */
	struct workeropt_extra extra;
	const char *socket; /* out: --socket, or NULL (libtaskvisor's default) */
	int prefetch;	    /* out: --prefetch, default 1 */
};

/* Parse argv into o: 0 to go on, or -1 to exit now with *status (0 after --help, 100). */
int workeropt_parse(struct workeropt *o, int argc, char **argv, int *status);

#endif
