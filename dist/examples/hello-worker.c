/*
 * hello-worker.c — a taskvisor worker written outside the tree, on the
 * installed libtaskvisor:
 *
 *   cc hello-worker.c -o hello-worker $(pkg-config --cflags --libs taskvisor)
 *
 * It serves the queue named by its first argument (default "hello") with one
 * handler, "greet": the step's output is {"said": "hello WHO"} for the task's
 * input {"who": WHO}. A task type using it (conf.d/hello.conf):
 *
 *   [program:hello-worker]
 *   command = /usr/local/bin/hello-worker
 *
 *   [task:hello.greet]
 *   queue = hello
 *   steps = greet
 *   step.greet = handler:greet
 *
 * then: taskvisorctl task submit hello.greet --input '{"who":"world"}' --wait
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <taskvisor.h>

static struct tv_worker *hello_w;

static int hello_greet(struct tv_step *s, void *arg)
{
	const char *who = json_string_value(json_object_get(tv_step_input(s), "who"));
	json_t *out = json_pack("{s:s+}", "said", "hello ", who != NULL ? who : "world");
	char *text = json_dumps(out, JSON_COMPACT);
	int rc = text != NULL && tv_step_output(s, text) == 0 ? TV_STEP_OK : TV_STEP_FAILED;

	(void)arg;
	tv_step_log(s, "greeting");
	free(text);
	json_decref(out);
	return rc;
}

static void hello_stop(int sig)
{
	(void)sig;
	tv_worker_stop(hello_w);
}

int main(int argc, char **argv)
{
	char err[TV_ERR_LEN];

	/* NULL: the socket in $TASKVISOR_SOCKET (set by the daemon for its programs), else the default */
	hello_w = tv_worker_new(NULL, argc > 1 ? argv[1] : "hello", 1, err, sizeof(err));
	if (hello_w == NULL) {
		fprintf(stderr, "hello-worker: %s\n", err);
		return 1;
	}
	if (tv_worker_handle(hello_w, "greet", hello_greet, NULL) != 0) {
		fprintf(stderr, "hello-worker: %s\n", tv_worker_error(hello_w));
		return 1;
	}
	signal(SIGTERM, hello_stop);
	if (tv_worker_run(hello_w) != 0) {
		fprintf(stderr, "hello-worker: %s\n", tv_worker_error(hello_w));
		tv_worker_free(hello_w);
		return 1;
	}
	tv_worker_free(hello_w);
	return 0;
}
