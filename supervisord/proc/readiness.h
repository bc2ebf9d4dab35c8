/*
 * readiness.h — the daemon's NOTIFY_SOCKET: what ready=notify programs say with
 * sd_notify() (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1, ...).
 *
 * One AF_UNIX datagram socket per daemon, bound at a path the caller gives (its
 * run directory, beside the control socket), with SO_PASSCRED so that every
 * datagram carries the sender's pid as the kernel saw it — a program cannot
 * speak for another one. The socket is read by a libev io watcher; each
 * datagram becomes one struct readiness_event handed to the caller's callback,
 * which maps pid (or pgid: the sender may be a child of the program) to a
 * process. Nothing here knows about processes or states, logs or exits.
 *
 * What the child needs in its environment (proc.c adds it for ready=notify):
 *   NOTIFY_SOCKET=<readiness_socket_path()>
 *   WATCHDOG_USEC=<watchdog_sec * 1000000>   when watchdog_sec > 0
 * (no WATCHDOG_PID: the environment is built before fork, and sd_watchdog_enabled()
 * accepts any pid when WATCHDOG_PID is absent).
 */
#ifndef TV_READINESS_H
#define TV_READINESS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define READINESS_MSG_MAX 4096 /* longer datagrams are dropped, as systemd does */

struct readiness;

struct readiness_event {
	pid_t pid;		 /* the sender (SCM_CREDENTIALS) */
	pid_t pgid;		 /* its process group when received; -1 if it is already gone */
	uid_t uid;		 /* the sender's uid */
	bool ready;		 /* READY=1 */
	bool reloading;		 /* RELOADING=1 */
	bool stopping;		 /* STOPPING=1 */
	bool watchdog;		 /* WATCHDOG=1 (a keep-alive ping) */
	bool watchdog_trigger;	 /* WATCHDOG=trigger: treat as hung now */
	long long watchdog_usec; /* WATCHDOG_USEC=N: new watchdog period; 0 absent */
	const char *status;	 /* STATUS=...; NULL if absent; valid during the callback only */
	pid_t mainpid;		 /* MAINPID=N; 0 absent */
	int errnum;		 /* ERRNO=N; -1 absent */
};

typedef void (*readiness_cb)(void *arg, const struct readiness_event *ev);

/* Bind socket_path (an old socket file there is replaced), mode 0666 so that programs run
 * as other users (user=) can send, and start watching it on loop. NULL + reason in err. */
struct readiness *readiness_open(struct ev_loop *loop, const char *socket_path, readiness_cb cb, void *arg,
				 char *err, size_t errlen);
/* What to put in a child's NOTIFY_SOCKET. */
const char *readiness_socket_path(const struct readiness *r);
/* Stop watching, close and unlink the socket. Safe with NULL. */
void readiness_close(struct readiness *r);

/* Parse one datagram: newline-separated KEY=VALUE, unknown keys and malformed lines ignored.
 * buf must hold len + 1 bytes: it is split in place (ev->status points into it). Fills every
 * field except pid/pgid/uid. Returns how many known keys were found; -1 for a datagram
 * systemd would refuse too (empty, or holding a NUL byte). */
int readiness_parse(char *buf, size_t len, struct readiness_event *ev);

#endif
