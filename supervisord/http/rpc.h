/*
 * rpc.h — supervisord's XML-RPC methods (the supervisor.* and system.*
 * namespaces of supervisor 4.2.5: names, parameters, structs, fault codes and
 * strings), on top of struct http_ops. One rpc_call is one request; its answer
 * comes through done() at once or later (start waits for RUNNING) without ever
 * blocking the loop.
 */
#ifndef TV_RPC_H
#define TV_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_module.h"

/* supervisord's fault codes (supervisor/xmlrpc.py Faults). */
enum rpc_fault {
	RPC_UNKNOWN_METHOD = 1,
	RPC_INCORRECT_PARAMETERS = 2,
	RPC_BAD_ARGUMENTS = 3,
	RPC_SIGNATURE_UNSUPPORTED = 4,
	RPC_SHUTDOWN_STATE = 6,
	RPC_BAD_NAME = 10,
	RPC_BAD_SIGNAL = 11,
	RPC_NO_FILE = 20,
	RPC_NOT_EXECUTABLE = 21,
	RPC_FAILED = 30,
	RPC_ABNORMAL_TERMINATION = 40,
	RPC_SPAWN_ERROR = 50,
	RPC_ALREADY_STARTED = 60,
	RPC_NOT_RUNNING = 70,
	RPC_SUCCESS = 80,
	RPC_ALREADY_ADDED = 90,
	RPC_STILL_RUNNING = 91,
	RPC_CANT_REREAD = 92,
};

/* What system.methodHelp/methodSignature say of each method (rpc_help.c, generated). */
struct rpc_help {
	const char *name, *signature, *help;
};
extern const struct rpc_help rpc_help[];

struct rpc_env {
	const struct http_ops *ops;
	const char *identifier; /* getIdentification */
	const char *version;	/* getSupervisorVersion */
	/* Send a native request (shutdown) a moment after the reply went out, whatever becomes of
	 * the call; darg is the server's. */
	void (*defer)(void *darg, uint32_t type);
	void *darg;
	/* What the last reloadConfig found (group names), as supervisord keeps the configs it re-read:
	 * a group of it that an earlier update already brought in is not "already added". */
	json_t *reread_changed, *reread_removed;
	/* Groups removeProcessGroup took out while still configured (they stay listed, stopped, until
	 * addProcessGroup brings them back). */
	json_t *taken_out;
};

/*
 * The taskvisor.* namespace (rpc_taskvisor.c): the task commands, each one native request
 * (proto.h's MSG_TASK_*, MSG_WORKER_LIST, MSG_QUEUE_LIST, MSG_RECURRING_LIST, MSG_CHECK) that rpc.c
 * sends with the caller's role and answers as supervisor.* methods are answered.
 */
struct rpc_tv_method {
	const char *name, *signature, *help; /* as system.methodSignature/methodHelp say them */
	uint32_t type;			     /* the native request */
	int nmin, nmax;			     /* parameters */
	bool admin;			     /* changes something: not for read-only peers */
	/* The native request of params (a new object), or NULL with a fault code and its text. */
	json_t *(*request)(json_t *params, int *code, char *text, size_t len);
	/* The value returned, from the native OK body (borrowed) and the params as given. */
	json_t *(*answer)(json_t *params, json_t *body);
};
extern const struct rpc_tv_method rpc_taskvisor[]; /* ends with a NULL name */
const struct rpc_tv_method *rpc_taskvisor_find(const char *name);
/* A native error as a fault: BAD_NAME "BAD_NAME: X" for "no such task: X", else FAILED "FAILED: msg".
 * The code; the fault string in text. */
int rpc_taskvisor_fault(const char *error, char *text, size_t len);

/* The answer: an XML-RPC body (malloc'd, taken), or NULL = HTTP 500. */
typedef void rpc_done_fn(void *arg, char *xml, size_t len);

struct rpc_call;
/* Run method(params) (params taken). done may run before this returns; free with rpc_free after
 * done, or before to cancel (done is then never called). */
struct rpc_call *rpc_start(struct rpc_env *env, enum http_role role, const char *method, json_t *params,
			   rpc_done_fn *done, void *arg);
void rpc_free(struct rpc_call *c);

/* supervisord's name for a fault code ("BAD_NAME"); "UNKNOWN" otherwise. */
const char *rpc_fault_name(int code);

#endif
