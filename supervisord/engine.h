/*
 * engine.h — the task engine inside the daemon: owns the queue database
 * (through queue_backend.h), plans tasks, hands steps to connected workers,
 * records results with group commit, applies rescue strategies, and rescues
 * steps whose worker died (it hears every reaped child from the supervisor).
 */
#ifndef TV_ENGINE_H
#define TV_ENGINE_H

#include <stdbool.h>
#include <sys/types.h>

struct daemon;
struct engine;
struct proc;

/* Open the database (migrations, recovery of steps whose workers are gone). NULL + err on failure. */
struct engine *engine_new(struct daemon *d, char *err, size_t errlen);
void engine_free(struct engine *e);
/* The config changed (reload/update): task types may have changed. */
void engine_config_changed(struct engine *e);
/* A supervised child was reaped (from sv_hooks.on_exit). */
void engine_proc_exit(struct engine *e, struct proc *p, pid_t pid, int wstatus, bool oom_killed);

#endif
