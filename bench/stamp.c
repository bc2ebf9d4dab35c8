/*
 * stamp.c — a benchmark program: appends CLOCK_REALTIME in nanoseconds to the
 * file named by its argument, then sleeps until killed. Used to measure
 * crash -> restart latency the same way for taskvisord and supervisord.
 *
 * The Makefile links it statically and it uses no stdio: its start-up
 * (dynamic loading, relocations, stdio buffers — each page fault costs tens of
 * microseconds on a virtual machine) is the same for both daemons, but would
 * inflate the absolute figure with time that is no daemon's. The clock is read
 * first thing in main(), so the figure ends at the replacement's first
 * instruction of its own code.
 */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	char buf[32], *p = buf + sizeof(buf);
	unsigned long long ns;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	*--p = '\n';
	do {
		*--p = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns != 0);
	if (argc > 1 && (fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) >= 0) {
		ssize_t w = write(fd, p, (size_t)(buf + sizeof(buf) - p));
		(void)w;
		close(fd);
	}
	for (;;)
		pause();
}
