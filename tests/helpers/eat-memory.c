/*
 * eat-memory.c — test helper: allocate and touch memory, for memory_limit and
 * OOM tests. Never used outside tests.
 *
 *   eat-memory [-f N] [-s MS] [-H] MB
 *     -f N   fork N children first; every process of the group eats MB
 *     -s MS  pause MS milliseconds after each megabyte (a slow climb)
 *     -H     hold: keep the memory and sleep until killed (else exit 0)
 * Prints "eat-memory: pid P holds MB MB" on stdout once a process has it all.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int nfork = 0, hold = 0, c;
	long ms = 0;
	while ((c = getopt(argc, argv, "f:s:H")) != -1) {
		switch (c) {
		case 'f':
			nfork = atoi(optarg);
			break;
		case 's':
			ms = atol(optarg);
			break;
		case 'H':
			hold = 1;
			break;
		default:
			fprintf(stderr, "usage: eat-memory [-f N] [-s MS] [-H] MB\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: eat-memory [-f N] [-s MS] [-H] MB\n");
		return 2;
	}
	long mb = atol(argv[optind]);
	for (int i = 0; i < nfork; i++)
		if (fork() == 0)
			break;
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (p == NULL) {
			fprintf(stderr, "eat-memory: malloc failed after %ld MB\n", i);
			return 1;
		}
		memset(p, (int)(i & 0xff) | 1, 1 << 20);
		if (ms > 0)
			nanosleep(&ts, NULL);
	}
	printf("eat-memory: pid %d holds %ld MB\n", (int)getpid(), mb);
	if (hold)
		for (;;)
			pause();
	while (wait(NULL) > 0)
		;
	return 0;
}
