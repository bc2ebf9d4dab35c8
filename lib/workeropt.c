/*
 * workeropt.c — the workers' shared command line (see workeropt.h): one
 * getopt loop for every program in services/.
 */
#include "workeropt.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* "usage: exec-worker --queue NAME [--socket PATH] [--prefetch N] [--kill-after SECS]" */
static void workeropt_usage(const struct workeropt *o)
{
	fprintf(stderr, "usage: %s %s--queue NAME%s [--socket PATH] [--prefetch N]", o->prog,
		o->queue != NULL ? "[" : "", o->queue != NULL ? "]" : "");
	if (o->extra.name != NULL)
		fprintf(stderr, " [--%s %s]", o->extra.name, o->extra.meta);
	fprintf(stderr, "\n");
}

int workeropt_parse(struct workeropt *o, int argc, char **argv, int *status)
{
	struct option opts[] = {
	    {"queue", required_argument, NULL, 'q'},
	    {"socket", required_argument, NULL, 's'},
	    {"prefetch", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {o->extra.name, required_argument, NULL, o->extra.letter},
	    {NULL, 0, NULL, 0},
	};
	char shorts[16];
	char *end;
	int c;

	if (o->extra.name != NULL)
		snprintf(shorts, sizeof(shorts), "q:s:p:h%c:", o->extra.letter);
	else
		snprintf(shorts, sizeof(shorts), "q:s:p:h");
	o->socket = NULL;
	o->prefetch = 1;
	*status = 100;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (c == 'q') {
			o->queue = optarg;
		} else if (c == 's') {
			o->socket = optarg;
		} else if (c == 'p') {
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 1000000) {
				fprintf(stderr, "%s: --prefetch: not a positive number: \"%s\"\n", o->prog,
					optarg);
				return -1;
			}
			o->prefetch = (int)n;
		} else if (c == 'h') {
			workeropt_usage(o);
			*status = 0;
			return -1;
		} else if (o->extra.name != NULL && c == o->extra.letter) {
			if (o->extra.fn(o->extra.arg, optarg) != 0)
				return -1;
		} else {
			workeropt_usage(o);
			return -1;
		}
	}
	if (o->queue == NULL || optind != argc) {
		if (o->queue == NULL)
			fprintf(stderr, "%s: --queue is required\n", o->prog);
		workeropt_usage(o);
		return -1;
	}
	return 0;
}
