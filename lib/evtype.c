/*
 * evtype.c — the table of event types: names as supervisord's EventTypes
 * spells them, each type's parent (supervisord's class hierarchy), and the
 * abstract ones. See evtype.h.
 */
#include <stddef.h>
#include <strings.h>

#include "evtype.h"

static const struct evtype_entry {
	const char *name;
	enum evtype parent; /* EVT_EVENT's own is itself */
	bool abstract;
} evtype_table[EVT_COUNT] = {
    [EVT_EVENT] = {"EVENT", EVT_EVENT, true},
    [EVT_PROCESS_STATE] = {"PROCESS_STATE", EVT_EVENT, true},
    [EVT_PROCESS_STATE_STOPPED] = {"PROCESS_STATE_STOPPED", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_EXITED] = {"PROCESS_STATE_EXITED", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_STARTING] = {"PROCESS_STATE_STARTING", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_STOPPING] = {"PROCESS_STATE_STOPPING", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_BACKOFF] = {"PROCESS_STATE_BACKOFF", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_FATAL] = {"PROCESS_STATE_FATAL", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_RUNNING] = {"PROCESS_STATE_RUNNING", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_STATE_UNKNOWN] = {"PROCESS_STATE_UNKNOWN", EVT_PROCESS_STATE, false},
    [EVT_PROCESS_COMMUNICATION] = {"PROCESS_COMMUNICATION", EVT_EVENT, true},
    [EVT_PROCESS_COMMUNICATION_STDOUT] = {"PROCESS_COMMUNICATION_STDOUT", EVT_PROCESS_COMMUNICATION, false},
    [EVT_PROCESS_COMMUNICATION_STDERR] = {"PROCESS_COMMUNICATION_STDERR", EVT_PROCESS_COMMUNICATION, false},
    /* PROCESS_LOG is abstract in supervisord's comment but a real class: only its children are sent */
    [EVT_PROCESS_LOG] = {"PROCESS_LOG", EVT_EVENT, true},
    [EVT_PROCESS_LOG_STDOUT] = {"PROCESS_LOG_STDOUT", EVT_PROCESS_LOG, false},
    [EVT_PROCESS_LOG_STDERR] = {"PROCESS_LOG_STDERR", EVT_PROCESS_LOG, false},
    [EVT_REMOTE_COMMUNICATION] = {"REMOTE_COMMUNICATION", EVT_EVENT, false},
    [EVT_SUPERVISOR_STATE_CHANGE] = {"SUPERVISOR_STATE_CHANGE", EVT_EVENT, true},
    [EVT_SUPERVISOR_STATE_CHANGE_RUNNING] = {"SUPERVISOR_STATE_CHANGE_RUNNING", EVT_SUPERVISOR_STATE_CHANGE,
					     false},
    [EVT_SUPERVISOR_STATE_CHANGE_STOPPING] = {"SUPERVISOR_STATE_CHANGE_STOPPING", EVT_SUPERVISOR_STATE_CHANGE,
					      false},
    [EVT_TICK] = {"TICK", EVT_EVENT, true},
    [EVT_TICK_5] = {"TICK_5", EVT_TICK, false},
    [EVT_TICK_60] = {"TICK_60", EVT_TICK, false},
    [EVT_TICK_3600] = {"TICK_3600", EVT_TICK, false},
    [EVT_PROCESS_GROUP] = {"PROCESS_GROUP", EVT_EVENT, true},
    [EVT_PROCESS_GROUP_ADDED] = {"PROCESS_GROUP_ADDED", EVT_PROCESS_GROUP, false},
    [EVT_PROCESS_GROUP_REMOVED] = {"PROCESS_GROUP_REMOVED", EVT_PROCESS_GROUP, false},
    [EVT_TASK_STATE] = {"TASK_STATE", EVT_EVENT, true},
    [EVT_TASK_STATE_STOPPED] = {"TASK_STATE_STOPPED", EVT_TASK_STATE, false},
    [EVT_TASK_STATE_PAUSED] = {"TASK_STATE_PAUSED", EVT_TASK_STATE, false},
};

const char *evtype_name(enum evtype t)
{
	return (unsigned)t < EVT_COUNT ? evtype_table[t].name : "?";
}

int evtype_find(const char *name)
{
	for (int i = 0; i < EVT_COUNT; i++)
		if (strcasecmp(evtype_table[i].name, name) == 0)
			return i;
	return -1;
}

bool evtype_covers(enum evtype t, enum evtype sub)
{
	if ((unsigned)t >= EVT_COUNT || (unsigned)sub >= EVT_COUNT)
		return false;
	for (;;) {
		if (sub == t)
			return true;
		if (sub == EVT_EVENT)
			return false;
		sub = evtype_table[sub].parent;
	}
}

bool evtype_abstract(enum evtype t)
{
	return (unsigned)t < EVT_COUNT && evtype_table[t].abstract;
}
