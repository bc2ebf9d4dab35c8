/*
 * engine.c — placeholder until the task engine lands: the daemon links and
 * runs, task requests get "not implemented".
 */
#include <stdlib.h>

#include "control.h"
#include "daemon.h"
#include "engine.h"

struct engine {
	struct daemon *d;
};

struct engine *engine_new(struct daemon *d, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	(void)err;
	(void)errlen;
	if (e != NULL)
		e->d = d;
	return e;
}

void engine_free(struct engine *e) { free(e); }
void engine_config_changed(struct engine *e) { (void)e; }

void engine_proc_exit(struct engine *e, struct proc *p, pid_t pid, int wstatus, bool oom_killed)
{
	(void)e;
	(void)p;
	(void)pid;
	(void)wstatus;
	(void)oom_killed;
}

const struct control_handler task_handlers[] = { { 0, false, NULL } };
