/*
 * tv_steplog.h — private to libtaskvisor: what a running step printed
 * (tv_step_log*), kept by its worker: the last bytes of each stream (sent with
 * DONE/FAIL, stored with the step) and the lines not yet sent live
 * (MSG_WORKER_LOG), under a rate cap. tv_worker.c owns the steps and sends.
 */
#ifndef TV_STEPLOG_H
#define TV_STEPLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct tv_steplog;

#define TV_STEPLOG_HIDDEN __attribute__((visibility("hidden")))

/* tail: bytes kept of each stream (0: none). NULL when out of memory. */
TV_STEPLOG_HIDDEN struct tv_steplog *tv_steplog_new(size_t tail);
TV_STEPLOG_HIDDEN void tv_steplog_free(struct tv_steplog *l);
/* One line (stream 1 stdout, 2 stderr), already clean (tv_log_clean): into the tail, and into
 * the batch to send unless the rate cap drops it (then 1, else 0). now: CLOCK_MONOTONIC seconds. */
TV_STEPLOG_HIDDEN int tv_steplog_add(struct tv_steplog *l, int stream, const char *line, size_t len,
				     double now);
/* The batch is big enough to be sent at once. */
TV_STEPLOG_HIDDEN bool tv_steplog_full(const struct tv_steplog *l);
/* The MSG_WORKER_LOG body of the batch ({"lines","dropped"}, step_id not set), emptied; NULL when
 * there is nothing to send. */
TV_STEPLOG_HIDDEN json_t *tv_steplog_take(struct tv_steplog *l);
/* The "log" of DONE/FAIL: {"stdout","stderr","stdout_bytes","stderr_bytes","dropped"}. */
TV_STEPLOG_HIDDEN json_t *tv_steplog_tails(const struct tv_steplog *l);

#endif
