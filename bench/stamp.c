/*
 * stamp.c — a benchmark program: appends CLOCK_REALTIME in nanoseconds to the
 * file named by its argument, then sleeps until killed. Used to measure
 * crash -> restart latency the same way for taskvisord and supervisord.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	FILE *fp;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc > 1 && (fp = fopen(argv[1], "a")) != NULL) {
		fprintf(fp, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		fclose(fp);
	}
	for (;;)
		pause();
}
