/*
 * events.h — supervisord's event notification (supervisor/events.py,
 * process.py EventListenerPool): events are built here with supervisord's
 * payloads, given a serial, and buffered in every [eventlistener:x] pool that
 * subscribed to their type or a parent type; each pool sends its oldest
 * event to one of its RUNNING listeners that said READY, with the header
 *
 *   ver:3.0 server:IDENT serial:N pool:NAME poolserial:N eventname:TYPE len:N\n
 *
 * A rejected event goes back to the head of its pool's buffer; a full buffer
 * drops its oldest event with an error line. Memory is bounded by the pools'
 * buffer_size and listener.h's limits; writes go through hooks that never
 * block (proc_send_stdin's bounded queue).
 *
 * The daemon joins it to the supervisor (process states, output, spawns and
 * exits), the task engine (TASK_* through engine_hooks), the XML-RPC server
 * (REMOTE_COMMUNICATION) and its own life (SUPERVISOR_STATE_CHANGE_*,
 * PROCESS_GROUP_*). Ticks are libev periodic timers, armed only when a pool
 * subscribes to them. A configuration without [eventlistener:x] costs one
 * small struct and nothing per event.
 */
#ifndef TV_EVENTS_H
#define TV_EVENTS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "evtype.h"

struct events;
struct proc;

struct events_hooks {
	void *arg;
	/* Write len bytes to the stdin of listener process group:name without blocking: 0 when all
	 * of it was taken, -1 when nothing was (not running, stdin closed or full). */
	int (*write)(void *arg, const char *group, const char *name, const char *buf, size_t len);
};

/* identifier: [supervisord] identifier ("supervisor"), the header's server:. conf is borrowed
 * until events_config or events_free. loop NULL: no ticks (tests). */
struct events *events_new(struct ev_loop *loop, const struct conf *conf, const struct events_hooks *hooks);
void events_free(struct events *ev);
/* A new configuration (update): pools that stay keep their buffers, new ones start empty,
 * removed ones drop theirs. */
void events_config(struct events *ev, const struct conf *conf);

/* Build an event of type t with payload (len bytes) and buffer it in every pool subscribed to it.
 * A type nobody subscribed to costs nothing (no serial is used, as in supervisord). */
void events_emit(struct events *ev, enum evtype t, const char *payload, size_t len);
/* Whether some pool would receive t (callers skip building a payload otherwise). */
bool events_wanted(const struct events *ev, enum evtype t);

/* supervisord's payloads, built and emitted: */
/* PROCESS_STATE_*: "processname:N groupname:G from_state:S" + tries / expected pid / pid. pid is
 * the process's, or the last one when it is gone (EXITED, STOPPED after STOPPING). A listener's
 * own changes also drive its protocol state (spawned: ACKNOWLEDGED; down: its event rebuffered;
 * RUNNING: it may be sent events). */
void events_proc_state(struct events *ev, const struct proc *p, int from, int to);
/* Output of p on stream 1 (stdout) or 2: a listener's stdout is the protocol; otherwise
 * PROCESS_LOG_STDOUT/STDERR when its program enables them. */
void events_proc_output(struct events *ev, const struct proc *p, int stream, const char *buf, size_t len);
/* PROCESS_COMMUNICATION_STDOUT/STDERR: "processname:N groupname:G pid:P\nDATA" (capture mode). */
void events_proc_comm(struct events *ev, const struct proc *p, int stream, const char *buf, size_t len);
/* SUPERVISOR_STATE_CHANGE_RUNNING (running) or _STOPPING. */
void events_supervisor_state(struct events *ev, bool running);
/* PROCESS_GROUP_ADDED / _REMOVED: "groupname:G\n". */
void events_group(struct events *ev, const char *group, bool added);
/* REMOTE_COMMUNICATION (sendRemoteCommEvent): "type:T\nDATA". */
void events_remote(struct events *ev, const char *type, const char *data, size_t len);
/* TASK_STATE_STOPPED / TASK_STATE_PAUSED: "id:ID label:L from_state:F state:S result:R". */
void events_task(struct events *ev, enum evtype t, const char *id, const char *label, const char *from,
		 const char *state, const char *result);

/* For tests and status: events waiting in pool (NULL when no such pool), and the state of a
 * listener process (-1 when none). */
int events_pool_buffered(const struct events *ev, const char *pool);
int events_listener_state(const struct events *ev, const char *group, const char *name);

/* The payload length supervisord's header says (Python's len(): characters, not bytes). */
size_t events_payload_chars(const char *s, size_t len);

#endif
