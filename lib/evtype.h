/*
 * evtype.h — supervisord's event types (supervisor/events.py EventTypes) and
 * taskvisor's TASK_* additions: names, the parent of each (a subscription to
 * a parent type gets its children, as supervisord's isinstance), and which
 * are abstract (never emitted, only subscribed to).
 *
 * Shared by the configuration ([eventlistener:x] events=, checked at load)
 * and the daemon's event runtime (supervisord/proc/events.c). Data only.
 */
#ifndef TV_EVTYPE_H
#define TV_EVTYPE_H

#include <stdbool.h>

enum evtype {
	EVT_EVENT = 0,
	EVT_PROCESS_STATE,
	EVT_PROCESS_STATE_STOPPED,
	EVT_PROCESS_STATE_EXITED,
	EVT_PROCESS_STATE_STARTING,
	EVT_PROCESS_STATE_STOPPING,
	EVT_PROCESS_STATE_BACKOFF,
	EVT_PROCESS_STATE_FATAL,
	EVT_PROCESS_STATE_RUNNING,
	EVT_PROCESS_STATE_UNKNOWN,
	EVT_PROCESS_COMMUNICATION,
	EVT_PROCESS_COMMUNICATION_STDOUT,
	EVT_PROCESS_COMMUNICATION_STDERR,
	EVT_PROCESS_LOG,
	EVT_PROCESS_LOG_STDOUT,
	EVT_PROCESS_LOG_STDERR,
	EVT_REMOTE_COMMUNICATION,
	EVT_SUPERVISOR_STATE_CHANGE,
	EVT_SUPERVISOR_STATE_CHANGE_RUNNING,
	EVT_SUPERVISOR_STATE_CHANGE_STOPPING,
	EVT_TICK,
	EVT_TICK_5,
	EVT_TICK_60,
	EVT_TICK_3600,
	EVT_PROCESS_GROUP,
	EVT_PROCESS_GROUP_ADDED,
	EVT_PROCESS_GROUP_REMOVED,
	/* taskvisor's: a task stopped (result success, error, warning, cancelled) or paused */
	EVT_TASK_STATE,
	EVT_TASK_STATE_STOPPED,
	EVT_TASK_STATE_PAUSED,
	EVT_COUNT
};

/* "PROCESS_STATE_EXITED"... */
const char *evtype_name(enum evtype t);
/* The type of name (case-insensitive, as supervisord upper-cases events=), or -1. */
int evtype_find(const char *name);
/* Whether t is sub (or sub is t's descendant): a subscription to t receives sub. */
bool evtype_covers(enum evtype t, enum evtype sub);
/* Abstract types are only subscribed to (EVENT, PROCESS_STATE, TICK...). */
bool evtype_abstract(enum evtype t);

#endif
