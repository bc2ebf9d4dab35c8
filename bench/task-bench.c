/*
 * task-bench.c — the task engine's benchmark client (bench/tasks.sh runs it
 * against a daemon with noop-worker processes). Uses libtaskvisor only.
 *
 *   task-bench throughput SOCKET LABEL COUNT BATCH [WARMUP]
 *       first WARMUP tasks (default 0) untimed, to warm the database; then
 *       submit COUNT tasks in batches of BATCH (one request and one
 *       transaction per batch), wait until every task has stopped, print
 *       "tasks=N seconds=S rate=R submit_rate=R failed=F client_cpu_us=U": S
 *       runs from the first submit to the last task's ended_at as the daemon
 *       recorded it; U is this process's CPU time (user + system) meanwhile.
 *   task-bench latency SOCKET LABEL COUNT INTERVAL_MS OUTFILE
 *       submit COUNT tasks one at a time, INTERVAL_MS apart; write
 *       "TASK_ID SUBMIT_NS" lines (CLOCK_REALTIME just before each submit)
 *       to OUTFILE, for joining with noop-worker --stamp lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "proto.h"
#include "taskvisor.h"

static double bench_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
	nanosleep(&ts, NULL);
}

/* How many tasks match search (up to limit), or -1. The first task in *first (may be NULL). */
static long bench_count(struct tv_client *c, const char *search, const char *order, int limit, json_t **first)
{
	json_t *reply = NULL, *tasks;
	long n;
	json_t *req = json_pack("{s:s, s:i}", "search", search, "limit", limit);

	if (order != NULL)
		json_object_set_new(req, "order", json_string(order));
	if (tv_request(c, MSG_TASK_LIST, req, &reply) != 0) {
		fprintf(stderr, "task-bench: list: %s\n", tv_client_error(c));
		json_decref(reply);
		return -1;
	}
	tasks = json_object_get(reply, "tasks");
	n = (long)json_array_size(tasks);
	if (first != NULL)
		*first = n > 0 ? json_incref(json_array_get(tasks, 0)) : NULL;
	json_decref(reply);
	return n;
}

static int bench_throughput(struct tv_client *c, const char *label, long count, long batch, long warmup)
{
	const char **labels = malloc((size_t)batch * sizeof(char *));
	char(*ids)[TV_ID_LEN] = malloc((size_t)batch * TV_ID_LEN);
	double t0, t_sub, t_end, cpu0, cpu1;
	long done = 0, left, failed;
	json_t *last = NULL;

	for (long i = 0; i < batch; i++)
		labels[i] = label;
	for (long w = 0; w < warmup; w += batch) {
		long n = warmup - w < batch ? warmup - w : batch;
		if (tv_submit_many(c, (size_t)n, labels, NULL, NULL, ids) < 0 ||
		    tv_wait(c, ids[n - 1], NULL) < 0) {
			fprintf(stderr, "task-bench: warm-up: %s\n", tv_client_error(c));
			return 1;
		}
	}
	t0 = bench_now();
	cpu0 = bench_cpu_us();
	while (done < count) {
		long n = count - done < batch ? count - done : batch;
		if (tv_submit_many(c, (size_t)n, labels, NULL, NULL, ids) < 0) {
			fprintf(stderr, "task-bench: submit: %s\n", tv_client_error(c));
			return 1;
		}
		done += n;
	}
	t_sub = bench_now();
	/*
	 * Wait for the queue to drain. First the last task submitted (a pushed
	 * wait: polling a list query would load the daemon being measured), then
	 * make sure nothing at all is left that has not stopped.
	 */
	if (tv_wait(c, ids[(count - 1) % batch], NULL) < 0) {
		fprintf(stderr, "task-bench: wait: %s\n", tv_client_error(c));
		return 1;
	}
	for (;;) {
		left = bench_count(c, "state != stopped", NULL, 1, NULL);
		if (left < 0)
			return 1;
		if (left == 0)
			break;
		if (bench_now() - t0 > 600) {
			fprintf(stderr, "task-bench: tasks still not stopped after 600 s\n");
			return 1;
		}
		bench_sleep_ms(20);
	}
	t_end = bench_now();
	cpu1 = bench_cpu_us();
	if (bench_count(c, "state = stopped", "ended_at desc", 1, &last) == 1 &&
	    json_is_number(json_object_get(last, "ended_at")))
		t_end = json_number_value(json_object_get(last, "ended_at"));
	json_decref(last);
	failed = bench_count(c, "result != success", NULL, 0, NULL);
	printf("tasks=%ld seconds=%.3f rate=%.0f submit_rate=%.0f failed=%ld client_cpu_us=%.0f\n", count,
	       t_end - t0, (double)count / (t_end - t0), (double)count / (t_sub - t0), failed, cpu1 - cpu0);
	free(labels);
	free(ids);
	return failed == 0 ? 0 : 1;
}

static int bench_latency(struct tv_client *c, const char *label, long count, double interval_ms,
			 const char *out)
{
	FILE *fp = fopen(out, "w");

	if (fp == NULL) {
		perror(out);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		char id[TV_ID_LEN];
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		if (tv_submit(c, label, NULL, NULL, id) < 0) {
			fprintf(stderr, "task-bench: submit: %s\n", tv_client_error(c));
			fclose(fp);
			return 1;
		}
		fprintf(fp, "%s %lld\n", id, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		bench_sleep_ms(interval_ms);
	}
	fclose(fp);
	return 0;
}

int main(int argc, char **argv)
{
	struct tv_client *c;
	char err[TV_ERR_LEN];
	int rc;

	if ((argc == 6 || argc == 7) && strcmp(argv[1], "throughput") == 0) {
	} else if (argc == 7 && strcmp(argv[1], "latency") == 0) {
	} else {
		fprintf(stderr, "usage: task-bench throughput SOCKET LABEL COUNT BATCH [WARMUP]\n"
				"       task-bench latency SOCKET LABEL COUNT INTERVAL_MS OUTFILE\n");
		return 2;
	}
	c = tv_client_connect(argv[2], err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "task-bench: %s\n", err);
		return 1;
	}
	if (argv[1][0] == 't')
		rc = bench_throughput(c, argv[3], atol(argv[4]), atol(argv[5]) > 0 ? atol(argv[5]) : 1,
				      argc == 7 ? atol(argv[6]) : 0);
	else
		rc = bench_latency(c, argv[3], atol(argv[4]), atof(argv[5]), argv[6]);
	tv_client_close(c);
	return rc;
}
