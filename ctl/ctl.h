/*
 * ctl.h — taskvisorctl's command framework (tmux-style): every command is a
 * const struct ctl_cmd entry in a table, one table per command family and one
 * file per family (ctl/cmd_proc.c, ctl/cmd_misc.c, ctl/cmd_task.c,
 * ctl/cmd_worker.c). main.c
 * finds a command by exact name, alias or unique prefix across all tables.
 *
 * A command's exec gets argv as main() would (argv[0] = the command word)
 * and returns the process exit status (supervisorctl's codes, below). It talks
 * to the daemon only through ctl_request()/ctl_stream() (libtaskvisor's client:
 * tv_request, tv_request_stream), which connect lazily, so "help" works
 * without a daemon. With c->json set, a command prints the
 * daemon's JSON reply (ctl_print_json) instead of text, with the same exit code.
 *
 * Nothing here calls exit(): the interactive shell runs many commands in one process.
 */
#ifndef TV_CTL_H
#define TV_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, as supervisorctl 4.2.5 uses them (see DESIGN.md). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,	  /* generic failure, unknown syntax, no such process (start/stop) */
	CTL_EXIT_BAD_ARGS = 2,	  /* usage error; also "no such group" */
	CTL_EXIT_NOT_RUNNING = 3, /* status: some process STOPPED/EXITED/FATAL/UNKNOWN */
	CTL_EXIT_UNREACHABLE = 4, /* status: unknown name, or the daemon cannot be reached */
	CTL_EXIT_SPAWN_ERROR = 7, /* spawn error; pid of a stopped process */
};

struct tv_client;

struct ctl {
	const char *conf_path;	 /* -c FILE (default paths_conf(): SYSCONFDIR/taskvisor/taskvisord.conf) */
	const char *socket_path; /* -s PATH, else conf_socket(conf_path) (lib/conf.h) */
	char *socket_owned;	 /* socket_path when ctl_set_socket made it (freed by ctl_close) */
	struct tv_client *tc;	 /* libtaskvisor's client; NULL until the first request */
	bool json;		 /* --json: print the daemon's JSON reply */
	bool interactive;	 /* running inside the "taskvisor> " shell */
	bool quit;		 /* quit/exit was typed: the shell ends */
	double timeout;		 /* --timeout SECS: connecting and each reply (default 30); 0 = none */
};

#define CTL_DEFAULT_TIMEOUT 30.0

struct ctl_cmd {
	const char *name;  /* "status" */
	const char *alias; /* another exact name, or NULL */
	const char *usage; /* the whole line, command word first: "status [NAME|GROUP:*]" */
	const char *help;  /* one line for `help` */
	int (*exec)(struct ctl *c, int argc, char **argv);
};

/* Command tables, each terminated by an entry with name == NULL. */
extern const struct ctl_cmd proc_cmds[]; /* ctl/cmd_proc.c: status start stop restart signal pid tail */
extern const struct ctl_cmd
    misc_cmds[]; /* ctl/cmd_misc.c: avail reread update reload shutdown ping version reopen-logs help */
extern const struct ctl_cmd task_cmds[];   /* ctl/cmd_task.c: "task", "recurring", "check" ... each may
					    * dispatch its own subcommand table with ctl_cmd_find() */
extern const struct ctl_cmd worker_cmds[]; /* ctl/cmd_worker.c: "worker" (list, show), "queue" */
extern const struct ctl_cmd bundle_cmds[]; /* ctl/cmd_bundle.c: "debug-bundle" */

/*
 * Find name in the given tables (NULL-terminated array of tables): exact name
 * or alias first, else a unique prefix. NULL when none or several match; then
 * *ambiguous says which (so the caller prints "ambiguous command: NAME" or
 * "*** Unknown syntax: NAME").
 */
const struct ctl_cmd *ctl_cmd_find(const struct ctl_cmd *const *tables, const char *name, bool *ambiguous);

/*
 * A top-level command word: exact name or alias only, as supervisorctl (Python's cmd) matches:
 * "stat" is not "status" but "*** Unknown syntax: stat". NULL when none. Subcommands of a
 * family (task, recurring) keep ctl_cmd_find's unique prefix: no supervisorctl habit to surprise.
 */
const struct ctl_cmd *ctl_cmd_exact(const struct ctl_cmd *const *tables, const char *name);
/* Every table of top-level commands, NULL-terminated (help, the shell's completion). */
extern const struct ctl_cmd *const ctl_tables[];
/* Run one command line already split into words (argv[0] the command): its exit status;
 * an unknown word prints "*** Unknown syntax: WORD" and returns CTL_EXIT_ERROR. */
int ctl_run(struct ctl *c, int argc, char **argv);
/* Split a line into words (whitespace; '…' and "…" quote), in place. Returns argc (-1 out of
 * memory); *argvp is malloc'd and NULL-terminated (NULL when argc is 0). */
int ctl_split(char *line, char ***argvp);
/* Point c at another socket ("unix:///path" or a path; open, -s): 0, or -1 with the message
 * printed ("ERROR: url must be unix:///path or a path"). The old connection is closed. */
int ctl_set_socket(struct ctl *c, const char *url);

/* Print "usage: <cmd->usage>" to stderr; returns CTL_EXIT_BAD_ARGS. */
int ctl_usage(const struct ctl_cmd *cmd);
/* {"names": argv[from..]}: the request of a command naming processes or groups (ctl/cmd_proc.c). */
json_t *cmd_proc_names(int argc, char **argv, int from);
/* Print supervisorctl's help text of the command name (ctl/cmd_misc.c): false when it has none. */
bool cmd_misc_help(const char *name);

/*
 * Send one request and wait for its reply. req is stolen (NULL = {}).
 * Connecting and the reply are limited to c->timeout ("no answer from SOCKET
 * within N s", as -1), except for requests that wait for something
 * (proto_msg_waits: start, stop, task wait...) and streams: for those only a
 * MSG_VERSION sent first must be answered in time.
 *  0: MSG_OK, *reply = its body (caller json_decref's)
 *  1: MSG_ERROR, *reply = {"error": "text", "code": N}
 * -1: cannot talk to the daemon; the message ("unix:///path no such file") is
 *     already printed to stdout, *reply = NULL.
 */
int ctl_request(struct ctl *c, uint32_t type, json_t *req, json_t **reply);

/*
 * ctl_request for a command that prints the reply with --json and an error
 * reply's text ("ERROR: text") otherwise. CTL_EXIT_OK with *reply to read and
 * json_decref; else the exit code to return, the reply freed: unreach when the
 * daemon could not be asked, failed when it answered an error.
 */
int ctl_ask(struct ctl *c, uint32_t type, json_t *req, json_t **reply, int unreach, int failed);

/*
 * Like ctl_request for streaming replies (tail -f, task wait): on_data is
 * called for every MSG_DATA body (borrowed) until the final OK/ERROR;
 * a non-zero return from on_data stops waiting (the connection is closed and
 * ctl_stream returns 0 with *reply = NULL).
 */
typedef int (*ctl_data_fn)(void *arg, json_t *data);
int ctl_stream(struct ctl *c, uint32_t type, json_t *req, ctl_data_fn on_data, void *arg, json_t **reply);

/*
 * Each entry of reply's "results" ({"name", "status", "message"}: start, stop, update...) in
 * turn to fn, which prints it and returns its exit status; the last non-zero one is returned.
 */
typedef int (*ctl_result_fn)(struct ctl *c, const char *name, const char *status, const char *msg, void *arg);
int ctl_results(struct ctl *c, json_t *reply, ctl_result_fn fn, void *arg);
/* ctl_ask (req stolen), then ctl_results on its reply, freed: the exit code of either. */
int ctl_ask_results(struct ctl *c, uint32_t type, json_t *req, int unreach, int failed, ctl_result_fn fn,
		    void *arg);

/* The "error" text of an error reply ("" if none). */
const char *ctl_error_text(json_t *err);

/* Print j indented to stdout, then a newline. */
void ctl_print_json(json_t *j);

/* Close the connection (the next request reconnects). */
void ctl_disconnect(struct ctl *c);
/* Close the connection and free the client. */
void ctl_close(struct ctl *c);
/* ctl_close, and free what ctl_set_socket made (at exit). */
void ctl_free(struct ctl *c);

/* Connect now if not connected: the client, or NULL with supervisorctl's words in err
 * ("unix:///run/taskvisor.sock no such file"). ctl_request does it itself. */
struct tv_client *ctl_connect(struct ctl *c, char *err, size_t errlen);

/* Now, as epoch seconds with a fraction (CLOCK_REALTIME). */
double ctl_now(void);
/* "2026-11-23 14:00:05" in local time into buf, or "-" for a JSON value that is not a number. */
const char *ctl_time(json_t *v, char *buf, size_t len);

#endif
