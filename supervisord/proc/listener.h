/*
 * listener.h — one event listener process's side of supervisord's eventlistener
 * protocol (supervisor/dispatchers.py PEventListenerDispatcher): what it writes
 * on its stdout moves it through ACKNOWLEDGED -> READY -> BUSY -> ACKNOWLEDGED
 * ("READY\n", then "RESULT N\n" and N bytes); anything else sends it to
 * UNKNOWN, where it gets no more events until it is started again.
 *
 * Pure protocol: no I/O. The pool (events.c) hands it an event it has written
 * to the process's stdin (listener_sent) and hears back through
 * struct listener_ops. Bounded: a result line longer than LISTENER_LINE_MAX or
 * a result longer than LISTENER_RESULT_MAX is a protocol violation (UNKNOWN),
 * so a listener cannot make the daemon buffer without end.
 */
#ifndef TV_LISTENER_H
#define TV_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#define LISTENER_LINE_MAX 1024		/* "RESULT N\n": bytes before the newline, at most */
#define LISTENER_RESULT_MAX (64 * 1024) /* N, at most */

/* supervisord's EventListenerStates, with its codes. */
enum listener_state {
	LISTENER_READY = 10,
	LISTENER_BUSY = 20,
	LISTENER_ACKNOWLEDGED = 30,
	LISTENER_UNKNOWN = 40,
};

struct listener;

struct listener_ops {
	void *arg;
	/* The event the listener held (ev, as given to listener_sent) is done: rejected when the
	 * listener answered anything but OK, broke the protocol while busy, or was reset. */
	void (*done)(void *arg, struct listener *l, void *ev, bool rejected);
	/* It said READY: the pool may send it the next event. */
	void (*ready)(void *arg, struct listener *l);
};

/* name: the process's "group:name", for log lines (copied). NULL when out of memory. */
struct listener *listener_new(const char *name, const struct listener_ops *ops);
/* Frees l; an event it holds is handed back rejected first. */
void listener_free(struct listener *l);
/* A new process behind it (spawned) or none any more (exited): back to ACKNOWLEDGED with empty
 * buffers; an event it held is handed back rejected (supervisord rebuffers it). */
void listener_reset(struct listener *l, const char *why);
/* Bytes the process wrote on its stdout. */
void listener_feed(struct listener *l, const char *buf, size_t len);
/* The pool wrote ev to the process's stdin: READY -> BUSY, holding ev. */
void listener_sent(struct listener *l, void *ev);
enum listener_state listener_state(const struct listener *l);
/* The event it holds while BUSY, else NULL. */
void *listener_event(const struct listener *l);
const char *listener_name(const struct listener *l);
/* "READY", "BUSY", "ACKNOWLEDGED", "UNKNOWN" */
const char *listener_state_name(enum listener_state s);
/* Whether the protocol may move from -> to (the table in listener.c). */
bool listener_transition_allowed(enum listener_state from, enum listener_state to);

#endif
