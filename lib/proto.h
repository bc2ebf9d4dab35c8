/*
 * proto.h — the one protocol between taskvisord, taskvisorctl, workers and
 * libtaskvisor, over the daemon's Unix stream socket.
 *
 * Every message is a frame: struct proto_hdr (host byte order: both ends are on
 * one machine) followed by hdr.len bytes of payload, a UTF-8 JSON object
 * (empty payload = {}). Every frame carries PROTO_VERSION; a daemon that gets
 * another version answers MSG_VERSION_MISMATCH and closes, never misparses.
 *
 * A request (client -> daemon) gets exactly one reply: MSG_OK with a JSON body,
 * or MSG_ERROR {"error": "text", "code": N}. Streaming requests (tail -f,
 * task wait) get any number of MSG_DATA frames and then one MSG_OK/MSG_ERROR.
 * Worker messages (300 block) are asynchronous in both directions.
 *
 * Numbers are never reused: a retired message stays as a commented-out line.
 * Bump PROTO_VERSION whenever a message or payload changes meaning.
 */
#ifndef TV_PROTO_H
#define TV_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION 1
#define PROTO_MAX_PAYLOAD (16u * 1024u * 1024u)

struct proto_hdr {
	uint32_t version;
	uint32_t type; /* enum msgtype */
	uint32_t len;  /* payload bytes following the header */
};

enum msgtype {
	/* Replies, 1-99. */
	MSG_OK = 1,               /* {...}: request done; body depends on request */
	MSG_ERROR = 2,            /* {"error": "text", "code": exitcode-hint} */
	MSG_VERSION_MISMATCH = 3, /* {"daemon": N}: then the daemon closes */
	MSG_DATA = 4,             /* {...}: one piece of a streamed reply */

	/* Process control, 100-199 (taskvisorctl). */
	MSG_STATUS = 100,     /* {"names": [...]} -> {"processes": [proc...]} */
	MSG_START = 101,      /* {"names": [...]} -> {"results": [{"name","status","message"}]} */
	MSG_STOP = 102,       /* as MSG_START */
	MSG_RESTART = 103,    /* as MSG_START */
	MSG_SIGNAL = 104,     /* {"signal": "HUP", "names": [...]} -> results */
	MSG_PID = 105,        /* {"names": [...]} -> {"pid": N} or {"processes": [...]} */
	MSG_TAIL = 106,       /* {"name", "stream": "stdout|stderr", "bytes": N, "follow": bool} -> DATA {"text"}... */
	MSG_AVAIL = 107,      /* {} -> {"programs": [...]} */
	MSG_REREAD = 108,     /* {} -> {"added": [], "changed": [], "removed": []} */
	MSG_UPDATE = 109,     /* {"names": [...]} -> {"results": [...]} */
	MSG_RELOAD = 110,     /* {} -> {} then the daemon restarts its config */
	MSG_SHUTDOWN = 111,   /* {} -> {} then the daemon stops everything and exits */
	MSG_PING = 112,       /* {} -> {"checks": [{"name","ok","message"}]} */
	MSG_VERSION = 113,    /* {} -> {"version": "x.y.z", "protocol": N} */
	MSG_REOPEN_LOGS = 114,/* {} -> {} (same as SIGUSR2) */
	MSG_CHECK = 115,      /* {"check": "processes|memory|queue|paused|stuck", "warn", "crit"} -> {"code","line"} */

	/* Tasks, 200-299 (taskvisorctl, libtaskvisor clients). */
	MSG_TASK_SUBMIT = 200,       /* {"label","input","start_at","start_before","parent"} or {"tasks":[...]} -> {"id"} / {"ids"} */
	MSG_TASK_LIST = 201,         /* {"search","limit","order","stuck"} -> {"tasks": [...]} */
	MSG_TASK_SHOW = 202,         /* {"id"} -> {"task": {...}} */
	MSG_TASK_RESUME = 203,       /* {"id"} -> {"task": {...}} */
	MSG_TASK_SKIP = 204,         /* {"id"} -> {"task": {...}} */
	MSG_TASK_CANCEL = 205,       /* {"id"} -> {"task": {...}} */
	MSG_TASK_UNLOCK = 206,       /* {"id"} -> {"task": {...}} */
	MSG_TASK_FORCE_UNLOCK = 207, /* {"id"} -> {"task": {...}} */
	MSG_TASK_LOCKS = 208,        /* {"resource"} -> {"locks": [...]} */
	MSG_TASK_CLEANUP = 209,      /* {"search","after","states","noop","batch_size"} -> {"deleted", "ids"} */
	MSG_TASK_EXPORT = 210,       /* {"search","days"} -> {"tasks": [full task...]} */
	MSG_TASK_WAIT = 211,         /* {"id"} -> DATA {"task"} on each change ... OK {"task"} when stopped */
	MSG_TASK_SCHEDULE = 212,     /* {"label","cron","input","iterations","until"} -> {"id"} */
	MSG_RECURRING_LIST = 213,    /* {} -> {"recurring": [...]} */
	MSG_RECURRING_SHOW = 214,    /* {"id"} -> {"recurring": {...}} */
	MSG_RECURRING_CANCEL = 215,  /* {"id"} -> {"recurring": {...}} */
	MSG_CLEANUP_CONFIG = 216,    /* {} -> {"rules": [{"label","after"}]} */

	/* Workers, 300-399 (libtaskvisor <-> daemon, asynchronous). */
	MSG_WORKER_HELLO = 300,    /* w->d {"queue","handlers":[...],"prefetch":N,"pid"} -> OK {"worker_id"} */
	MSG_WORKER_STEP = 301,     /* d->w {"step_id","task_id","label","step","index","command"|"handler","input","lease"} */
	MSG_WORKER_PROGRESS = 302, /* w->d {"step_id","progress":{...}} (also renews the lease) */
	MSG_WORKER_OUTPUT = 303,   /* w->d {"step_id","output":{...}} merged into the task's output */
	MSG_WORKER_DONE = 304,     /* w->d {"step_id","output":{...}} step succeeded */
	MSG_WORKER_FAIL = 305,     /* w->d {"step_id","message","output_tail"} step failed */
	MSG_WORKER_SPAWN = 306,    /* w->d {"step_id","label","input"} a child task of the step's task */
	MSG_WORKER_CANCEL = 307,   /* d->w {"step_id"}: stop running this step (cancel) */
};

/* The name of a message type, for logs ("MSG_STATUS"); "MSG_?" if unknown. */
const char *proto_msg_name(uint32_t type);

/*
 * Blocking I/O for clients (ctl, libtaskvisor in blocking mode).
 * proto_send: writes header + payload fully; 0 or -1 (errno).
 * proto_recv: reads one frame; *payload is malloc'd and NUL-terminated (caller frees).
 *             0 ok, -1 error (errno; EPROTO for a bad header/version, ECONNRESET on EOF).
 */
int proto_send(int fd, uint32_t type, const char *payload, size_t len);
int proto_recv(int fd, struct proto_hdr *hdr, char **payload);

/*
 * Incremental reader for non-blocking sockets (daemon side, libtaskvisor's
 * event mode): feed it what read() returned, take whole frames out.
 */
struct proto_rbuf {
	char *buf;
	size_t off, len, cap; /* unconsumed bytes are buf[off..len) */
	size_t nul_pos;       /* where a NUL was put after the last payload (0: none) */
	char nul_saved;       /* the byte it replaced */
};
void proto_rbuf_init(struct proto_rbuf *rb);
void proto_rbuf_free(struct proto_rbuf *rb);
/* read() once from fd into rb: >0 bytes read, 0 EOF, -1 error (EAGAIN: nothing now). */
ssize_t proto_rbuf_fill(struct proto_rbuf *rb, int fd);
/* Take the next whole frame: 1 got one (*payload points into rb, NUL-terminated,
 * valid until the next call), 0 need more bytes, -1 malformed (bad version/size: hdr is filled). */
int proto_rbuf_next(struct proto_rbuf *rb, struct proto_hdr *hdr, char **payload);

/* Outgoing buffer for non-blocking sockets. */
struct proto_wbuf {
	char *buf;
	size_t off, len, cap;
};
void proto_wbuf_init(struct proto_wbuf *wb);
void proto_wbuf_free(struct proto_wbuf *wb);
int proto_wbuf_add(struct proto_wbuf *wb, uint32_t type, const char *payload, size_t len);
/* write() what is pending: 1 all flushed, 0 some left (wait for writable), -1 error. */
int proto_wbuf_flush(struct proto_wbuf *wb, int fd);

/* Connect to a Unix socket path: fd or -1 (errno). */
int proto_connect(const char *path);

#endif
