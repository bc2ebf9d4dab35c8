/*
 * fcgisock.h — the listening sockets of [fcgi-program:x] groups, as supervisord's
 * SocketManager keeps them: the daemon creates the socket (unix:// or tcp://),
 * each process of the group gets it as its fd 0 and accept()s on it, and the
 * daemon closes it once no process of the group needs it.
 *
 * A process holds a reference from its spawn until it is down (STOPPED, EXITED,
 * FATAL: proc.c), and in BACKOFF, waiting for its next start; the socket is created by the first reference
 * and closed FCGISOCK_LINGER_S after the last one is given back, unless a new one comes first: a restart
 * (also supervisorctl's stop + start) never closes it, so no connection is refused while the program
 * restarts. Sockets are kept by URL, so a reload that keeps a group's socket keeps the same listening socket.
 *
 * Never: block on a client, accept a connection, or exit the daemon.
 */
#ifndef TV_FCGISOCK_H
#define TV_FCGISOCK_H

#include <ev.h>
#include <stddef.h>

#include "conf.h"

#define FCGISOCK_LINGER_S 1.0 /* seconds a socket outlives its last process */

struct fcgisock_set; /* every fcgi socket of the daemon, by URL */
struct fcgisock;     /* one of them */

struct fcgisock_set *fcgisock_set_new(struct ev_loop *loop);
/* Close every socket (the daemon is going away). NULL is fine. */
void fcgisock_set_free(struct fcgisock_set *set);

/* A reference to the socket of pr (an [fcgi-program:x]: pr->fcgi), created when it is not
 * open: unix:// (a stale socket file removed, socket_owner/socket_mode applied) or tcp://
 * (SO_REUSEADDR), listening with socket_backlog or SOMAXCONN. NULL with "Could not create
 * FastCGI socket URL: why" in err. Give it back with fcgisock_release. */
struct fcgisock *fcgisock_acquire(struct fcgisock_set *set, const struct conf_program *pr, char *err,
				  size_t errlen);
/* Another reference to the open socket at url (one lingering after its last release included), or
 * NULL when none is open: never creates one. */
struct fcgisock *fcgisock_keep(struct fcgisock_set *set, const char *url);
/* Give a reference back; the last one closes the socket FCGISOCK_LINGER_S later. NULL is fine. */
void fcgisock_release(struct fcgisock *s);
/* The listening descriptor (close-on-exec, blocking: the children accept() on it). */
int fcgisock_fd(const struct fcgisock *s);
/* "unix:///path" or "tcp://host:port", as configured. */
const char *fcgisock_url(const struct fcgisock *s);
/* References held (tests, status). */
int fcgisock_refs(const struct fcgisock *s);

#endif
