/*
 * notify-ready.c — test helper: a ready=notify program. Never used outside tests.
 *
 *   notify-ready [-d SECS] [-s STATUS] [-w PINGS] [-c]
 *     -d SECS    wait SECS (may be fractional) before READY=1
 *     -s STATUS  send STATUS=... with READY=1
 *     -w PINGS   with WATCHDOG_USEC set: send WATCHDOG=1 every WATCHDOG_USEC/2, PINGS times
 *                (-1: for ever), then hang without pinging (default 0: never ping)
 *     -c         notify from a forked child (pid differs, process group is ours)
 * Then sleeps until killed. Exits 1 when NOTIFY_SOCKET is missing or sd_notify fails.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static void nap(double secs)
{
	struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
}

/* Send msg, from a child when via_child. */
static int notify(const char *msg, int via_child)
{
	if (!via_child)
		return sd_notify(0, msg) > 0 ? 0 : -1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(sd_notify(0, msg) > 0 ? 0 : 1);
	int ws;
	return waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double delay = 0;
	const char *status = NULL;
	long pings = 0;
	int via_child = 0, c;
	while ((c = getopt(argc, argv, "d:s:w:c")) != -1) {
		switch (c) {
		case 'd':
			delay = atof(optarg);
			break;
		case 's':
			status = optarg;
			break;
		case 'w':
			pings = atol(optarg);
			break;
		case 'c':
			via_child = 1;
			break;
		default:
			fprintf(stderr, "usage: notify-ready [-d SECS] [-s STATUS] [-w PINGS] [-c]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("NOTIFY_SOCKET") == NULL) {
		fprintf(stderr, "notify-ready: no NOTIFY_SOCKET\n");
		return 1;
	}
	nap(delay);
	char msg[512];
	snprintf(msg, sizeof(msg), "READY=1%s%s", status ? "\nSTATUS=" : "", status ? status : "");
	if (notify(msg, via_child) < 0) {
		fprintf(stderr, "notify-ready: sd_notify failed\n");
		return 1;
	}
	printf("notify-ready: pid %d sent READY=1\n", (int)getpid());
	uint64_t usec = 0;
	if (pings != 0 && sd_watchdog_enabled(0, &usec) > 0) {
		for (long i = 0; pings < 0 || i < pings; i++) {
			nap((double)usec / 2e6);
			notify("WATCHDOG=1", via_child);
		}
		printf("notify-ready: pid %d stops pinging the watchdog\n", (int)getpid());
	}
	for (;;)
		pause();
}
