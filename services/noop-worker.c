/*
 * noop-worker.c — the example C worker built on libtaskvisor, used by tests
 * and the task benchmark.
 *
 *   noop-worker [--queue NAME] [--socket PATH] [--prefetch N] [--stamp FILE]
 *
 * Handlers: "noop" does nothing; "sleep" sleeps input.seconds (renewing the
 * lease while it sleeps, stopping early when cancelled); "fail" fails with
 * input.message (default "failed on purpose"). With --stamp FILE every step's
 * start is appended to FILE as "TASK_ID CLOCK_REALTIME_NS" (benchmark latency).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "taskvisor.h"
#include "xmalloc.h"
#include "workeropt.h"

static struct tv_worker *noop_w;
static FILE *noop_stamp;

static void noop_stamp_step(struct tv_step *s)
{
	struct timespec ts;

	if (noop_stamp == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(noop_stamp, "%s %lld\n", tv_step_task_id(s) != NULL ? tv_step_task_id(s) : "-",
		(long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static int noop_noop(struct tv_step *s, void *arg)
{
	(void)arg;
	noop_stamp_step(s);
	return TV_STEP_OK;
}

static int noop_sleep(struct tv_step *s, void *arg)
{
	json_t *secs = json_object_get(tv_step_input(s), "seconds");
	double left = json_is_number(secs) ? json_number_value(secs) : 1.0;

	(void)arg;
	noop_stamp_step(s);
	while (left > 0) {
		double chunk = left < 0.1 ? left : 0.1;
		struct timespec ts = {(time_t)chunk, (long)((chunk - (double)(time_t)chunk) * 1e9)};
		nanosleep(&ts, NULL);
		left -= chunk;
		if (tv_step_cancelled(s)) {
			tv_step_set_error(s, "cancelled");
			return TV_STEP_FAILED;
		}
		tv_step_keepalive(s);
	}
	return TV_STEP_OK;
}

static int noop_fail(struct tv_step *s, void *arg)
{
	const char *m = json_string_value(json_object_get(tv_step_input(s), "message"));

	(void)arg;
	noop_stamp_step(s);
	tv_step_set_error(s, "%s", m != NULL ? m : "failed on purpose");
	return TV_STEP_FAILED;
}

static void noop_on_term(int sig)
{
	(void)sig;
	tv_worker_stop(noop_w);
}

/* --stamp FILE */
static int noop_stamp_opt(void *arg, const char *v)
{
	*(const char **)arg = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *queue, *sock, *stamp = NULL;
	struct workeropt o = {
	    "noop-worker", "default", {"stamp", "FILE", 't', noop_stamp_opt, &stamp}, NULL, 1};
	int prefetch, rc;
	char err[TV_ERR_LEN];
	struct sigaction sa;

	log_init("noop-worker", LOG_LVL_INFO, 1);
	xmalloc_json(); /* README "Errors" */
	if (workeropt_parse(&o, argc, argv, &rc) < 0)
		return rc;
	queue = o.queue;
	sock = o.socket;
	prefetch = o.prefetch;
	if (stamp != NULL && (noop_stamp = fopen(stamp, "a")) == NULL) {
		log_warn("%s", stamp);
		return 111;
	}
	noop_w = tv_worker_new(sock, queue, prefetch, err, sizeof(err));
	if (noop_w == NULL) {
		log_warnx("%s", err);
		return 100;
	}
	tv_worker_handle(noop_w, "noop", noop_noop, NULL);
	tv_worker_handle(noop_w, "sleep", noop_sleep, NULL);
	tv_worker_handle(noop_w, "fail", noop_fail, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (tv_worker_connect(noop_w) < 0) {
		log_warnx("%s", tv_worker_error(noop_w));
		tv_worker_free(noop_w);
		return 111;
	}
	log_info("serving queue %s (noop, sleep, fail), prefetch %d", queue, prefetch);
	rc = tv_worker_run(noop_w);
	if (rc < 0)
		log_warnx("%s", tv_worker_error(noop_w));
	if (noop_stamp != NULL)
		fclose(noop_stamp);
	tv_worker_free(noop_w);
	return rc < 0 ? 111 : 0;
}
