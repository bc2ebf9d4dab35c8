/*
 * notify-ready.c — test helper: a ready=notify program. Never used outside tests.
 *
 *   notify-ready [-d SECS] [-s STATUS] [-w PINGS] [-c]
 *     -d SECS    wait SECS (may be fractional) before READY=1
 *     -s STATUS  send STATUS=... with READY=1
 *     -w PINGS   with WATCHDOG_USEC set: send WATCHDOG=1 every WATCHDOG_USEC/2, PINGS times
 *                (-1: for ever), then hang without pinging (default 0: never ping)
 *     -c         everything (READY=1, pings) is sent by a forked child that lives on in our
 *                process group, as a worker forked by a server would: the daemon must map
 *                the sender's pid to the program through its process group. (A sender that
 *                exits right after sd_notify() cannot be mapped: its pgid is gone by the time
 *                the datagram is read; that race is systemd-notify's too, so not modelled.)
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
	if (via_child) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0) {
			/* The program's main process: outlives nothing, reports the child's end. */
			int ws;
			if (waitpid(pid, &ws, 0) != pid)
				return 1;
			return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		}
	}
	nap(delay);
	char msg[512];
	snprintf(msg, sizeof(msg), "READY=1%s%s", status ? "\nSTATUS=" : "", status ? status : "");
	if (sd_notify(0, msg) <= 0) {
		fprintf(stderr, "notify-ready: sd_notify failed\n");
		return 1;
	}
	printf("notify-ready: pid %d sent READY=1\n", (int)getpid());
	uint64_t usec = 0;
	if (pings != 0 && sd_watchdog_enabled(0, &usec) > 0) {
		for (long i = 0; pings < 0 || i < pings; i++) {
			nap((double)usec / 2e6);
			sd_notify(0, "WATCHDOG=1");
		}
		printf("notify-ready: pid %d stops pinging the watchdog\n", (int)getpid());
	}
	for (;;)
		pause();
}
