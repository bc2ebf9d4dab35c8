/*
 * memcg.h — per-program memory cgroups, OOM-kill detection and RSS sampling.
 *
 * One struct memcg_root per daemon finds a usable memory controller at run
 * time — cgroup v2 (a cgroup2 mount whose cgroup.controllers lists "memory"),
 * else cgroup v1 (a "cgroup" mount with the memory option), else none — and
 * makes <the daemon's own cgroup>/taskvisor-<daemon pid>. Program cgroups go
 * below that, never at the hierarchy's root (systemd's Delegate=yes).
 *
 * Layout:  <own>/taskvisor-<pid>/<process name, sanitised>   (v1 and v2)
 *          <own>/taskvisor-<pid>/supervisor                  (v2 only, and only
 *          when <own> held processes: the daemon moves itself there so that
 *          "+memory" can be enabled in <own>'s cgroup.subtree_control; cgroup v2
 *          allows no processes in a cgroup that hands controllers down)
 *
 * One struct memcg per supervised process (not per pid): it lives across
 * restarts, so its oom_kill counter is cumulative — read it at spawn and again
 * at reap; a larger value means the OOM killer acted in between.
 *
 * Without a controller, callers still sample RSS (memcg_pgrp_rss) and look for
 * OOM kills in the kernel log (memcg_kernel_log_oom).
 *
 * Nothing here logs, exits or kills anything by itself; every function that
 * can fail returns -1/NULL and, where there is an err buffer, the reason.
 * The parsers take strings so that they are unit-tested without a kernel.
 */
#ifndef TV_MEMCG_H
#define TV_MEMCG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

enum memcg_kind { MEMCG_NONE = 0, MEMCG_V1, MEMCG_V2 };

struct memcg_root;
struct memcg;

/* Find and prepare the hierarchy. prefer: NULL or "auto" (v2, else v1), "v2", "v1", or "none"
 * (always NULL: for tests of the RSS fallback). NULL with the reason when no usable memory
 * controller exists: callers then rely on RSS sampling and the kernel log only. */
struct memcg_root *memcg_root_open(const char *prefer, char *err, size_t errlen);
enum memcg_kind memcg_root_kind_of(const struct memcg_root *r);
/* "v2", "v1", or "none" (r may be NULL). */
const char *memcg_root_kind(const struct memcg_root *r);
/* The directory holding the program cgroups, e.g. /sys/fs/cgroup/memory/x/taskvisor-42. */
const char *memcg_root_path(const struct memcg_root *r);
/* rmdir what the root made. Callers stop their processes and memcg_destroy() their cgroups
 * first; a cgroup still holding processes stays (rmdir fails) and nothing is killed. */
void memcg_root_close(struct memcg_root *r);

/* Make (or reuse, after a reload) the cgroup for one process; limit_bytes 0 = no limit.
 * On v1 the limit goes to memory.limit_in_bytes (and memory.memsw.limit_in_bytes where swap
 * accounting exists); on v2 to memory.max with memory.swap.max = 0, so that a program cannot
 * swap its way past the limit. NULL with the reason in err. */
struct memcg *memcg_create(struct memcg_root *r, const char *name, long long limit_bytes, char *err,
			   size_t errlen);
/* Change the limit (reload); 0 = none. 0 / -1 with errno. */
int memcg_set_limit(struct memcg *m, long long limit_bytes);
/* Move pid into the cgroup. Async-signal-safe (open/write/close, no stdio, no malloc), so it
 * may run in a forked child before exec; pid 0 means the caller. 0 / -1 with errno. */
int memcg_attach(const struct memcg *m, pid_t pid);
/* ".../cgroup.procs": a child may write "0" there itself (spawn_req.cgroup_procs). */
const char *memcg_procs_path(const struct memcg *m);
const char *memcg_path(const struct memcg *m);
/* The cgroup's oom_kill counter (v1 memory.oom_control, v2 memory.events); -1 unknown. */
long long memcg_oom_kills(const struct memcg *m);
/* Current charged memory (v1 memory.usage_in_bytes, v2 memory.current); -1 unknown. */
long long memcg_usage(const struct memcg *m);
/* Send sig to every process still in the cgroup (left-behind grandchildren). Returns how
 * many were signalled, -1 when cgroup.procs cannot be read. */
int memcg_kill(const struct memcg *m, int sig);
/* rmdir the cgroup (after its processes are gone) and free m. Safe with NULL. */
void memcg_destroy(struct memcg *m);

/*
 * A program's memory, the one definition (`check memory` and whatever else reports it): the
 * charge of its cgroup (v2 memory.current, v1 memory.usage_in_bytes) when it has one, else the
 * RSS of every process of its process group pgid, so that children count. 0 when pgid <= 0
 * (nothing of it runs), -1 unknown.
 */
long long memcg_program_memory(const struct memcg *m, pid_t pgid);
/* The same for n programs (out[i] for ms[i], pgids[i]) with one pass over /proc for all of those
 * without a cgroup, instead of one each (the web page's processes: 100 programs took 0.5 s). */
void memcg_program_memory_many(const struct memcg *const *ms, const pid_t *pgids, long long *out, size_t n);
/* RSS bytes of every process in process group pgid (from /proc/PID/stat); 0 when the group
 * has no process, -1 when /proc cannot be read. */
long long memcg_pgrp_rss(pid_t pgid);
/* The same for n groups in one pass over /proc (rss[i] for pgids[i]). 0 / -1. */
int memcg_pgrp_rss_many(const pid_t *pgids, long long *rss, size_t n);

/* Did the kernel log say the OOM killer took pid at or after since (wall clock)? Reads
 * the tail of klogctl's buffer, else /dev/kmsg (non-blocking). false also when the log
 * cannot be read. */
bool memcg_kernel_log_oom(pid_t pid, time_t since);

/* ---- Pure parsers (exposed for the unit tests) ---- */

/* The daemon's cgroup path for v2 ("0::/path") or for v1's memory controller
 * ("N:...,memory,...:/path") from /proc/self/cgroup text. 0 / -1 when absent. */
int memcg_parse_self_cgroup(const char *text, enum memcg_kind kind, char *out, size_t outlen);
/* From /proc/self/mountinfo text and the cgroup path, the directory that is that cgroup:
 * the first cgroup2 mount (v2) or cgroup mount with the "memory" super option (v1) whose root
 * contains the path. Octal escapes in mount points (\040) are decoded. 0 / -1. */
int memcg_resolve_dir(const char *mountinfo, enum memcg_kind kind, const char *cgpath, char *out,
		      size_t outlen);
/* The value of "key N" in memory.events / memory.oom_control / memory.stat text; -1 absent. */
long long memcg_parse_key(const char *text, const char *key);
/* Is word a member of the list (separated by any of seps)? "cpu memory" / "rw,memory". */
bool memcg_list_has(const char *list, const char *seps, const char *word);
/* A directory name for a process name: '/', '.', whitespace and control characters become '_'
 * (every cgroup control file name holds a '.', so no name can collide with one). */
void memcg_sanitize(const char *name, char *out, size_t outlen);
/* The process group and RSS (pages) from one /proc/PID/stat line. 0 / -1. */
int memcg_parse_stat(const char *line, pid_t *pgrp, long long *rss_pages);
/* Is this kernel log message the OOM killer taking pid? ("Killed process PID (",
 * "oom-kill:...,pid=PID,"). */
bool memcg_kmsg_is_oom(const char *msg, pid_t pid);

#endif
