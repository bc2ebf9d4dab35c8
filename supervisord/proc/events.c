/*
 * events.c — supervisord's events and event listener pools (see events.h):
 * the payloads (events.py), the global and per-pool serials, each pool's
 * bounded buffer (process.py EventListenerPool._acceptEvent: full, the oldest
 * is dropped with an error line; a rejected event goes back to the head), and
 * the dispatch of a pool's oldest event to one of its RUNNING, READY
 * listeners. The protocol of each listener process is listener.c's.
 *
 * An event is built once and shared by the pools that take it (reference
 * counted). Nothing here blocks: writes go through events_hooks.write,
 * which takes all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "listener.h"
#include "log.h"
#include "proc.h"
#include "utf8.h"
#include "xmalloc.h"

struct event {
	unsigned refs;
	enum evtype type;
	bool serialled;
	unsigned long long serial; /* given when the first pool takes it, as supervisord's */
	size_t len;
	char payload[]; /* len bytes, valid UTF-8, NUL-terminated */
};

/* An event in a pool, with the pool's serial for it (kept when it is buffered again). */
struct events_item {
	struct event *ev;
	unsigned long long poolserial;
};

struct events_pool;

/* One process of a pool, and its protocol state. */
struct events_lproc {
	struct events_pool *pool;
	char *name; /* process name; the group is the pool's name */
	struct listener *l;
	bool running;		   /* RUNNING: it may be sent events */
	struct events_item held;   /* the event it is busy with */
	struct events_lproc *next; /* the pool's list */
};

struct events_pool {
	struct events *ev;
	char *name;
	bool subs[EVT_COUNT]; /* the types it takes: its events= and their descendants */
	int size;	      /* buffer_size */
	struct events_item *ring;
	int head, n;
	bool serialled;
	unsigned long long serial;
	struct events_lproc *procs;
	bool seen; /* events_config: still in the configuration */
	struct events_pool *next;
};

struct events {
	struct ev_loop *loop;
	const struct conf *conf;
	struct events_hooks hooks;
	struct events_pool *pools;
	bool wanted[EVT_COUNT]; /* some pool takes it */
	unsigned long long serial;
	bool serialled;
	ev_periodic tick[3]; /* TICK_5, TICK_60, TICK_3600 */
};

static const struct {
	enum evtype type;
	int period;
} events_ticks[3] = {{EVT_TICK_5, 5}, {EVT_TICK_60, 60}, {EVT_TICK_3600, 3600}};

/* ---- payload text ---- */

size_t events_payload_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++) {
		int k = utf8_len((const unsigned char *)s + i, len - i);
		i += k > 0 ? (size_t)k : 1;
	}
	return n;
}

/* Append len bytes of data to *buf (at *n), invalid UTF-8 as U+FFFD: listeners read characters. */
static void events_text(char **buf, size_t *n, const char *data, size_t len)
{
	*buf = xreallocarray(*buf, *n + 3 * len + 1, 1);
	for (size_t i = 0; i < len;) {
		int k = utf8_len((const unsigned char *)data + i, len - i);
		if (k > 0) {
			memcpy(*buf + *n, data + i, (size_t)k);
			*n += (size_t)k;
			i += (size_t)k;
		} else {
			memcpy(*buf + *n, "\xef\xbf\xbd", 3);
			*n += 3;
			i++;
		}
	}
	(*buf)[*n] = '\0';
}

static struct event *events_new_event(enum evtype t, const char *payload, size_t len)
{
	struct event *e = xmalloc(sizeof(*e) + len + 1);

	e->refs = 1;
	e->type = t;
	e->serialled = false;
	e->serial = 0;
	e->len = len;
	memcpy(e->payload, payload, len);
	e->payload[len] = '\0';
	return e;
}

static void events_unref(struct event *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

/* ---- pools ---- */

static struct events_item events_pool_pop(struct events_pool *pl)
{
	struct events_item it = pl->ring[pl->head];

	pl->head = (pl->head + 1) % pl->size;
	pl->n--;
	return it;
}

/* Buffer it at the tail (or the head: a rejected event, tried again first). */
static void events_pool_put(struct events_pool *pl, struct events_item it, bool head)
{
	if (pl->n >= pl->size) {
		struct events_item old = events_pool_pop(pl);
		log_error("pool %s event buffer overflowed, discarding event %llu", pl->name, old.ev->serial);
		events_unref(old.ev);
	}
	if (head) {
		pl->head = (pl->head + pl->size - 1) % pl->size;
		pl->ring[pl->head] = it;
	} else {
		pl->ring[(pl->head + pl->n) % pl->size] = it;
	}
	pl->n++;
}

/* The envelope: supervisord's header line, then the payload. */
static char *events_envelope(const struct events_pool *pl, const struct events_item *it, size_t *len)
{
	const struct conf *c = pl->ev->conf;
	char *s = NULL;
	int k = asprintf(&s, "ver:3.0 server:%s serial:%llu pool:%s poolserial:%llu eventname:%s len:%zu\n%s",
			 c != NULL && c->identifier != NULL ? c->identifier : "supervisor", it->ev->serial,
			 pl->name, it->poolserial, evtype_name(it->ev->type),
			 events_payload_chars(it->ev->payload, it->ev->len), it->ev->payload);
	if (k < 0)
		xmalloc_failed(0);
	*len = (size_t)k;
	return s;
}

/* Send the oldest events to READY listeners while there are both. */
static void events_pool_dispatch(struct events_pool *pl)
{
	while (pl->n > 0) {
		struct events_item it = pl->ring[pl->head];
		struct events_lproc *lp;
		size_t len;
		char *env = NULL;
		bool sent = false;

		for (lp = pl->procs; lp != NULL && !sent; lp = lp->next) {
			if (!lp->running || listener_state(lp->l) != LISTENER_READY)
				continue;
			if (env == NULL)
				env = events_envelope(pl, &it, &len);
			if (pl->ev->hooks.write(pl->ev->hooks.arg, pl->name, lp->name, env, len) != 0) {
				log_debug("pool %s: event %llu not taken by listener %s, listener state "
					  "unchanged",
					  pl->name, it.ev->serial, lp->name);
				continue;
			}
			events_pool_pop(pl);
			lp->held = it;
			listener_sent(lp->l, &lp->held);
			log_debug("event %llu sent to listener %s", it.ev->serial, lp->name);
			sent = true;
		}
		free(env);
		if (!sent)
			return;
	}
}

/* listener_ops.done: OK, or back to the head of the buffer. */
static void events_lproc_done(void *arg, struct listener *l, void *evp, bool rejected)
{
	struct events_lproc *lp = arg;
	struct events_item it = *(struct events_item *)evp;

	(void)l;
	lp->held.ev = NULL;
	if (!rejected) {
		events_unref(it.ev);
	} else if (lp->pool != NULL) {
		log_debug("rebuffering event %llu for pool %s (buf size=%d, max=%d)", it.ev->serial,
			  lp->pool->name, lp->pool->n, lp->pool->size);
		events_pool_put(lp->pool, it, true);
	} else {
		events_unref(it.ev);
	}
	if (lp->pool != NULL)
		events_pool_dispatch(lp->pool);
}

/* listener_ops.ready */
static void events_lproc_ready(void *arg, struct listener *l)
{
	struct events_lproc *lp = arg;

	(void)l;
	if (lp->pool != NULL)
		events_pool_dispatch(lp->pool);
}

static struct events_lproc *events_lproc_find(const struct events_pool *pl, const char *name)
{
	for (struct events_lproc *lp = pl->procs; lp != NULL; lp = lp->next)
		if (strcmp(lp->name, name) == 0)
			return lp;
	return NULL;
}

static struct events_lproc *events_lproc_new(struct events_pool *pl, const char *name)
{
	struct events_lproc *lp = xcalloc(1, sizeof(*lp));
	char full[512];
	struct listener_ops ops = {.arg = lp, .done = events_lproc_done, .ready = events_lproc_ready};

	snprintf(full, sizeof(full), "%s:%s", pl->name, name);
	lp->pool = pl;
	lp->name = xstrdup(name);
	lp->l = listener_new(full, &ops);
	if (lp->l == NULL)
		xmalloc_failed(0);
	lp->next = pl->procs;
	pl->procs = lp;
	return lp;
}

static void events_lproc_free(struct events_lproc *lp)
{
	lp->pool = NULL; /* a held event is dropped, not buffered again */
	listener_free(lp->l);
	free(lp->name);
	free(lp);
}

/* The pool's subscriptions, size and processes from its program (pl->procs kept by name). */
static void events_pool_set(struct events_pool *pl, const struct conf_program *pr)
{
	memset(pl->subs, 0, sizeof(pl->subs));
	for (char **e = pr->events; e != NULL && *e != NULL; e++) {
		int t = evtype_find(*e);
		for (int s = 0; t >= 0 && s < EVT_COUNT; s++)
			if (evtype_covers((enum evtype)t, (enum evtype)s))
				pl->subs[s] = true;
	}
	if (pl->size != pr->buffer_size) {
		int size = pr->buffer_size > 0 ? pr->buffer_size : 1;
		struct events_item *ring = xcalloc((size_t)size, sizeof(*ring));
		int n = 0;
		while (pl->n > 0) {
			struct events_item it = events_pool_pop(pl);
			if (pl->n >= size) {
				log_error("pool %s event buffer overflowed, discarding event %llu", pl->name,
					  it.ev->serial);
				events_unref(it.ev);
				continue;
			}
			ring[n++] = it;
		}
		free(pl->ring);
		pl->ring = ring;
		pl->size = size;
		pl->head = 0;
		pl->n = n;
	}
	/* processes that left the program (numprocs lowered) go; new ones come */
	struct events_lproc **pp = &pl->procs;
	while (*pp != NULL) {
		bool keep = false;
		for (size_t i = 0; i < pr->nprocs && !keep; i++)
			keep = strcmp(pr->procs[i].name, (*pp)->name) == 0;
		if (keep) {
			pp = &(*pp)->next;
			continue;
		}
		struct events_lproc *gone = *pp;
		*pp = gone->next;
		events_lproc_free(gone);
	}
	for (size_t i = 0; i < pr->nprocs; i++)
		if (events_lproc_find(pl, pr->procs[i].name) == NULL)
			events_lproc_new(pl, pr->procs[i].name);
}

static void events_pool_free(struct events_pool *pl)
{
	while (pl->procs != NULL) {
		struct events_lproc *lp = pl->procs;
		pl->procs = lp->next;
		events_lproc_free(lp);
	}
	while (pl->n > 0)
		events_unref(events_pool_pop(pl).ev);
	free(pl->ring);
	free(pl->name);
	free(pl);
}

static struct events_pool *events_pool_find(const struct events *ev, const char *name)
{
	for (struct events_pool *pl = ev->pools; pl != NULL; pl = pl->next)
		if (strcmp(pl->name, name) == 0)
			return pl;
	return NULL;
}

/* ---- ticks ---- */

static void events_tick_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	struct events *ev = w->data;
	int i = (int)(w - ev->tick);
	/* rounded (no libm: the daemon does not map it for one call) */
	long long now = (long long)(ev_now(loop) + 0.5), when = now - now % events_ticks[i].period;
	char payload[64];

	(void)revents;
	int k = snprintf(payload, sizeof(payload), "when:%lld", when);
	events_emit(ev, events_ticks[i].type, payload, (size_t)k);
}

static void events_ticks_arm(struct events *ev)
{
	if (ev->loop == NULL)
		return;
	for (int i = 0; i < 3; i++) {
		bool want = ev->wanted[events_ticks[i].type];
		if (want && !ev_is_active(&ev->tick[i]))
			ev_periodic_start(ev->loop, &ev->tick[i]);
		else if (!want && ev_is_active(&ev->tick[i]))
			ev_periodic_stop(ev->loop, &ev->tick[i]);
	}
}

/* ---- life ---- */

void events_config(struct events *ev, const struct conf *conf)
{
	ev->conf = conf;
	for (struct events_pool *pl = ev->pools; pl != NULL; pl = pl->next)
		pl->seen = false;
	for (size_t i = 0; conf != NULL && i < conf->nprograms; i++) {
		const struct conf_program *pr = &conf->programs[i];
		if (!pr->listener)
			continue;
		struct events_pool *pl = events_pool_find(ev, pr->name);
		if (pl == NULL) { /* appended: pools stay in configuration order */
			struct events_pool **tail = &ev->pools;
			while (*tail != NULL)
				tail = &(*tail)->next;
			pl = xcalloc(1, sizeof(*pl));
			pl->ev = ev;
			pl->name = xstrdup(pr->name);
			*tail = pl;
		}
		pl->seen = true;
		events_pool_set(pl, pr);
	}
	memset(ev->wanted, 0, sizeof(ev->wanted));
	for (struct events_pool **pp = &ev->pools; *pp != NULL;) {
		struct events_pool *pl = *pp;
		if (!pl->seen) {
			*pp = pl->next;
			events_pool_free(pl);
			continue;
		}
		for (int t = 0; t < EVT_COUNT; t++)
			ev->wanted[t] |= pl->subs[t];
		pp = &pl->next;
	}
	events_ticks_arm(ev);
}

struct events *events_new(struct ev_loop *loop, const struct conf *conf, const struct events_hooks *hooks)
{
	struct events *ev = xcalloc(1, sizeof(*ev));

	ev->loop = loop;
	ev->hooks = *hooks;
	for (int i = 0; i < 3; i++) {
		ev_periodic_init(&ev->tick[i], events_tick_cb, 0., events_ticks[i].period, 0);
		ev->tick[i].data = ev;
	}
	events_config(ev, conf);
	return ev;
}

void events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	for (int i = 0; ev->loop != NULL && i < 3; i++)
		ev_periodic_stop(ev->loop, &ev->tick[i]);
	while (ev->pools != NULL) {
		struct events_pool *pl = ev->pools;
		ev->pools = pl->next;
		events_pool_free(pl);
	}
	free(ev);
}

/* ---- emitting ---- */

bool events_wanted(const struct events *ev, enum evtype t)
{
	return ev != NULL && (unsigned)t < EVT_COUNT && ev->wanted[t];
}

void events_emit(struct events *ev, enum evtype t, const char *payload, size_t len)
{
	struct event *e = NULL;

	if (!events_wanted(ev, t))
		return;
	/* every pool that takes it buffers it (in configuration order, as supervisord's pools
	 * subscribed), then each sends what it can */
	for (struct events_pool *pl = ev->pools; pl != NULL; pl = pl->next) {
		if (!pl->subs[t])
			continue;
		if (e == NULL) {
			e = events_new_event(t, payload, len);
			e->serial = ev->serialled ? ev->serial + 1 : 0;
			ev->serial = e->serial;
			ev->serialled = true;
		} else {
			e->refs++;
		}
		struct events_item it = {e, pl->serialled ? pl->serial + 1 : 0};
		pl->serial = it.poolserial;
		pl->serialled = true;
		events_pool_put(pl, it, false);
	}
	for (struct events_pool *pl = ev->pools; pl != NULL; pl = pl->next)
		if (pl->subs[t])
			events_pool_dispatch(pl);
}

/* An event whose payload holds data: "HEADER\nDATA" (data as valid UTF-8). */
static void events_emit_data(struct events *ev, enum evtype t, const char *header, const char *data,
			     size_t len)
{
	size_t n = strlen(header);
	char *buf = xmalloc(n + 2);

	memcpy(buf, header, n);
	buf[n++] = '\n';
	events_text(&buf, &n, data, len);
	events_emit(ev, t, buf, n);
	free(buf);
}

static enum evtype events_state_type(int state)
{
	switch (state) {
	case PROC_STOPPED:
		return EVT_PROCESS_STATE_STOPPED;
	case PROC_STARTING:
		return EVT_PROCESS_STATE_STARTING;
	case PROC_RUNNING:
		return EVT_PROCESS_STATE_RUNNING;
	case PROC_BACKOFF:
		return EVT_PROCESS_STATE_BACKOFF;
	case PROC_STOPPING:
		return EVT_PROCESS_STATE_STOPPING;
	case PROC_EXITED:
		return EVT_PROCESS_STATE_EXITED;
	case PROC_FATAL:
		return EVT_PROCESS_STATE_FATAL;
	default:
		return EVT_PROCESS_STATE_UNKNOWN;
	}
}

/* The listener process of p, when p is one. */
static struct events_lproc *events_lproc_of(const struct events *ev, const struct proc *p)
{
	struct events_pool *pl = ev != NULL && ev->pools != NULL ? events_pool_find(ev, p->group) : NULL;

	return pl != NULL ? events_lproc_find(pl, p->name) : NULL;
}

void events_proc_state(struct events *ev, const struct proc *p, int from, int to)
{
	enum evtype t = events_state_type(to);

	if (events_wanted(ev, t)) {
		char buf[1024];
		int pid = p->pid != 0					  ? (int)p->pid
			  : (to == PROC_STOPPED && from != PROC_STOPPING) ? 0
									  : (int)p->last_pid;
		int k = snprintf(buf, sizeof(buf), "processname:%s groupname:%s from_state:%s", p->name,
				 p->group, proc_state_name((enum proc_state)from));
		size_t n = k > 0 ? (size_t)k : 0;
		if (to == PROC_STARTING || to == PROC_BACKOFF)
			k = snprintf(buf + n, sizeof(buf) - n, " tries:%d", p->backoff);
		else if (to == PROC_EXITED)
			k = snprintf(buf + n, sizeof(buf) - n, " expected:%d pid:%d",
				     p->last_exit_expected ? 1 : 0, pid);
		else if (to == PROC_RUNNING || to == PROC_STOPPING || to == PROC_STOPPED)
			k = snprintf(buf + n, sizeof(buf) - n, " pid:%d", pid);
		else
			k = 0;
		n += k > 0 ? (size_t)k : 0;
		events_emit(ev, t, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
	}
	struct events_lproc *lp = events_lproc_of(ev, p);
	if (lp == NULL)
		return;
	lp->running = to == PROC_RUNNING;
	if (to == PROC_STARTING)
		listener_reset(lp->l, "spawned");
	else if (to == PROC_STOPPED || to == PROC_EXITED || to == PROC_BACKOFF || to == PROC_FATAL ||
		 to == PROC_UNKNOWN)
		listener_reset(lp->l, "exited");
	else if (to == PROC_RUNNING)
		events_pool_dispatch(lp->pool);
}

void events_proc_output(struct events *ev, const struct proc *p, int stream, const char *buf, size_t len)
{
	const struct conf_program *pr = p->prog;

	if (ev == NULL)
		return;
	if (stream == 1 && (pr == NULL || pr->listener)) {
		struct events_lproc *lp = events_lproc_of(ev, p);
		if (lp != NULL)
			listener_feed(lp->l, buf, len);
		return;
	}
	enum evtype t = stream == 1 ? EVT_PROCESS_LOG_STDOUT : EVT_PROCESS_LOG_STDERR;
	bool on = pr != NULL && (stream == 1 ? pr->stdout_events_enabled : pr->stderr_events_enabled);
	if (!on || !events_wanted(ev, t))
		return;
	char header[600];
	snprintf(header, sizeof(header), "processname:%s groupname:%s pid:%d channel:%s", p->name, p->group,
		 (int)(p->pid != 0 ? p->pid : p->last_pid), stream == 1 ? "stdout" : "stderr");
	events_emit_data(ev, t, header, buf, len);
}

void events_proc_comm(struct events *ev, const struct proc *p, int stream, const char *buf, size_t len)
{
	enum evtype t = stream == 1 ? EVT_PROCESS_COMMUNICATION_STDOUT : EVT_PROCESS_COMMUNICATION_STDERR;
	char header[600];

	if (!events_wanted(ev, t))
		return;
	snprintf(header, sizeof(header), "processname:%s groupname:%s pid:%d", p->name, p->group,
		 (int)(p->pid != 0 ? p->pid : p->last_pid));
	events_emit_data(ev, t, header, buf, len);
}

void events_supervisor_state(struct events *ev, bool running)
{
	events_emit(ev, running ? EVT_SUPERVISOR_STATE_CHANGE_RUNNING : EVT_SUPERVISOR_STATE_CHANGE_STOPPING,
		    "", 0);
}

void events_group(struct events *ev, const char *group, bool added)
{
	char buf[600];
	int k = snprintf(buf, sizeof(buf), "groupname:%s\n", group);

	events_emit(ev, added ? EVT_PROCESS_GROUP_ADDED : EVT_PROCESS_GROUP_REMOVED, buf,
		    k > 0 && (size_t)k < sizeof(buf) ? (size_t)k : strlen(buf));
}

void events_remote(struct events *ev, const char *type, const char *data, size_t len)
{
	if (!events_wanted(ev, EVT_REMOTE_COMMUNICATION))
		return;
	char *header = NULL;
	size_t n = 0;
	events_text(&header, &n, "type:", 5);
	events_text(&header, &n, type, strlen(type));
	events_emit_data(ev, EVT_REMOTE_COMMUNICATION, header, data, len);
	free(header);
}

void events_task(struct events *ev, enum evtype t, const char *id, const char *label, const char *from,
		 const char *state, const char *result)
{
	if (!events_wanted(ev, t))
		return;
	char buf[1024];
	int k = snprintf(buf, sizeof(buf), "id:%s label:%s from_state:%s state:%s result:%s", id, label, from,
			 state, result);
	events_emit(ev, t, buf, k > 0 && (size_t)k < sizeof(buf) ? (size_t)k : strlen(buf));
}

int events_pool_buffered(const struct events *ev, const char *pool)
{
	const struct events_pool *pl = ev != NULL ? events_pool_find(ev, pool) : NULL;

	return pl != NULL ? pl->n : -1;
}

int events_listener_state(const struct events *ev, const char *group, const char *name)
{
	const struct events_pool *pl = ev != NULL ? events_pool_find(ev, group) : NULL;
	const struct events_lproc *lp = pl != NULL ? events_lproc_find(pl, name) : NULL;

	return lp != NULL ? (int)listener_state(lp->l) : -1;
}
