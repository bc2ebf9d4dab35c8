/*
 * engine_list.c — task lists and exports streamed to a client in pages
 * (DESIGN.md, promise 4: any answer fits). The request finds the row numbers
 * of the matching tasks in one read (8 bytes a task: 8 MB for a million);
 * pages of rows are then rendered from the store and sent as DATA frames
 * ({"tasks": [...]}, about 512 KiB each), a slice of at most 8 ms per loop
 * iteration, and only while the client has taken what it was sent (less
 * than 2 MiB waiting in its connection): a client that does not read stops
 * the stream, never grows the daemon. The final OK says how many tasks were
 * sent. One stream per connection at a time, and at most 4M row numbers
 * (32 MB) held by all streams together: a request beyond either is refused.
 * A task deleted meanwhile (cleanup) is left out. Pages are read only
 * between group transactions, so they never show a change not yet committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "log.h"
#include "proto.h"

#define LIST_PAGE_BYTES (512 << 10) /* a DATA frame's tasks, about */
#define LIST_MAX_ROWS (4u << 20)    /* row numbers held by every stream together (8 bytes each) */
#define LIST_MAX_UNSENT (2 << 20)   /* more than this not yet read by the client: wait */
#define LIST_SLICE_US 8000	    /* pages rendered per loop iteration, at most this long */
#define LIST_WAIT_S 0.002	    /* the client's pace, or the group transaction's end */
#define LIST_TASK_MAX (4u << 20)    /* one exported task larger than this: input/output left out */

struct list_job {
	struct engine *e;
	struct conn *c; /* held */
	int64_t *nums;
	size_t n, next, sent;
	bool full; /* export: steps, errors, locks, children, input, output */
	ev_timer w;
	struct list_job *jnext;
};

static void list_job_free(struct list_job *j)
{
	struct list_job **pp;

	for (pp = &j->e->lists; *pp != NULL; pp = &(*pp)->jnext)
		if (*pp == j) {
			*pp = j->jnext;
			break;
		}
	if (j->e->loop != NULL)
		ev_timer_stop(j->e->loop, &j->w);
	j->e->hooks.release(j->c);
	free(j->nums);
	free(j);
}

static long long list_us_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000LL + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* The task as the page shows it; NULL when it is gone (cleaned up meanwhile). */
static json_t *list_task(struct list_job *j, int64_t num, size_t *bytes)
{
	struct engine *e = j->e;
	json_t *t;

	if (!j->full) { /* a row: its size from its texts, without serialising it twice */
		struct q_task row;

		memset(&row, 0, sizeof(row));
		if (e->ops->task_get(e->b, num, &row) != 0)
			return NULL;
		t = engine_row_json(&row, false);
		*bytes = 600 + (row.name != NULL ? 2 * strlen(row.name) : 0) +
			 (row.progress != NULL ? 2 * strlen(row.progress) : 0) +
			 (row.label != NULL ? 2 * strlen(row.label) : 0);
		q_task_clear(&row);
		return t;
	}
	t = engine_task_json(e, num, true);
	if (t == NULL)
		return NULL;
	*bytes = json_dumpb(t, NULL, 0, JSON_COMPACT);
	if (*bytes > LIST_TASK_MAX) { /* a 15 MB input still leaves the export possible */
		json_object_set_new(t, "input", json_pack("{s:b}", "left_out_too_large", 1));
		json_object_set_new(t, "output", json_pack("{s:b}", "left_out_too_large", 1));
		*bytes = json_dumpb(t, NULL, 0, JSON_COMPACT);
	}
	return t;
}

static void list_job_run(struct list_job *j)
{
	struct engine *e = j->e;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (j->next < j->n) {
		json_t *page;
		size_t bytes = 0;

		if (e->hooks.closed(j->c)) {
			log_debug("engine: list for pid %ld: client gone after %zu of %zu tasks",
				  (long)e->hooks.pid(j->c), j->sent, j->n);
			list_job_free(j);
			return;
		}
		if (e->loop != NULL && (e->in_tx || e->hooks.unsent(j->c) > LIST_MAX_UNSENT ||
					list_us_since(&t0) > LIST_SLICE_US)) {
			ev_timer_set(
			    &j->w, e->hooks.unsent(j->c) > LIST_MAX_UNSENT || e->in_tx ? LIST_WAIT_S : 0, 0);
			ev_timer_start(e->loop, &j->w);
			return;
		}
		page = json_array();
		while (j->next < j->n && bytes < LIST_PAGE_BYTES) {
			size_t b = 0;
			json_t *t = list_task(j, j->nums[j->next], &b);

			if (t != NULL && bytes > 0 && bytes + b > PROTO_MAX_PAYLOAD / 2) {
				json_decref(t); /* the next page takes it */
				break;
			}
			j->next++;
			if (t == NULL)
				continue;
			json_array_append_new(page, t);
			bytes += b + 1;
			j->sent++;
		}
		if (json_array_size(page) > 0)
			e->hooks.send(j->c, MSG_DATA, json_pack("{s:o}", "tasks", page));
		else
			json_decref(page);
	}
	if (!e->hooks.closed(j->c))
		e->hooks.send(j->c, MSG_OK,
			      json_pack("{s:I, s:b}", "count", (json_int_t)j->sent, "streamed", 1));
	list_job_free(j);
}

static void list_job_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	list_job_run(w->data);
}

int engine_list_start(struct engine *e, struct conn *c, const char *search, const char *order, long limit,
		      bool full, char *err, size_t errlen)
{
	struct list_job *j;
	size_t held = 0;

	for (j = e->lists; j != NULL; j = j->jnext) {
		if (j->c == c) { /* pipelined lists on one connection would each hold their rows */
			snprintf(err, errlen, "a list is already being streamed on this connection");
			return -1;
		}
		held += j->n - j->next;
	}
	if (held >= LIST_MAX_ROWS) {
		snprintf(err, errlen,
			 "busy: %zu tasks are being streamed to other clients; try again shortly", held);
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (e->ops->task_nums(e->b, search, order, limit, engine_now(), &j->nums, &j->n, err, errlen) < 0) {
		free(j);
		return -1;
	}
	j->e = e;
	j->c = c;
	j->full = full;
	e->hooks.hold(c);
	ev_timer_init(&j->w, list_job_cb, 0, 0);
	j->w.data = j;
	j->jnext = e->lists;
	e->lists = j;
	if (e->loop != NULL) {
		ev_timer_start(e->loop, &j->w); /* the first page in the next iteration */
		return 0;
	}
	list_job_run(j); /* no loop (unit tests): all at once */
	return 0;
}

void engine_list_free(struct engine *e)
{
	while (e->lists != NULL)
		list_job_free(e->lists);
}
