/*
 * exec-worker.c — the generic worker: runs each step's command as a process.
 *
 *   exec-worker --queue NAME [--socket PATH] [--prefetch N] [--kill-after SECS]
 *
 * Serves command steps ("*") of one queue, up to --prefetch at a time. Each
 * step runs in its own process group: the step's argv, as the daemon planned
 * it, execvp'd — never a shell this worker picks (a template with shell syntax
 * arrives as /bin/sh -c TEMPLATE, holding no input value). The task input
 * JSON is its stdin (one line) — except for a chord's callback, the step after
 * one that spawned children, whose stdin is the children's outputs as one
 * JSON array in spawn order; TASK_ID, TASK_LABEL, TASK_ATTEMPT, STEP_NAME,
 * STEP_INDEX, TASKVISOR_FD (3) and TASK_INPUT_<KEY> for each top-level key of
 * the input are in its environment. On fd 3 it may write lines:
 *
 *   progress {"items_total":37,"items_done":31}   merged into the task's progress
 *   output {"key":"value"}                        merged into the task's output
 *   spawn LABEL {"input":"json"}                  a child task (input optional)
 *
 * Exit 0 = done; else failed with "exited N" / "killed by signal N" and the
 * last 4 KB of its stderr. Its stdout and stderr are read line by line
 * (README "A step's output"): each line goes to libtaskvisor (tv_step_log_stream:
 * the step's stored tails, `task tail -f`) and, tagged "[task ID step NAME] line",
 * into the worker's own stdout or stderr (`taskvisorctl tail exec-worker`),
 * both under libtaskvisor's rate cap (lines over it are counted, and said).
 * A cancel sends SIGTERM to the step's group, SIGKILL --kill-after seconds
 * later. A keeper process per step takes the step's whole group down when the
 * worker dies (PR_SET_PDEATHSIG). Leases are renewed while steps run. SIGTERM to the worker stops its
 * steps the same way and exits once they are gone.
 * A drain request (the daemon stops this worker's program: stop, restart, update, shutdown)
 * lets the running steps finish and exits 0 once none runs (README "Draining workers").
 *
 * It never writes the database and never outlives its daemon connection.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "stepline.h"
#include "taskvisor.h"
#include "xmalloc.h"
#include "workeropt.h"

#define EXEC_FD 3
#define EXEC_LINE_MAX (1024 * 1024)

struct exec {
	struct ev_loop *loop;
	struct tv_worker *w;
	ev_io sock;
	ev_prepare flush;
	ev_signal sigterm, sigint;
	double kill_after;
	bool stopping;
	bool draining; /* MSG_WORKER_DRAIN: exit 0 once the running steps are done */
	int running;
	struct exec_step *steps;
};

struct exec_step {
	struct exec *x;
	struct tv_step *step;
	struct exec_step *next;
	pid_t pid;
	ev_child child;
	ev_io in_w, out_w, err_w, ctl_w;
	ev_timer kill_t, beat_t;
	char *in_buf;
	size_t in_len, in_off;
	char tail[2 * TV_TAIL_MAX];
	size_t tail_len;
	char *line;
	size_t line_len, line_cap;
	bool term_sent;
	/* stdout [0] and stderr [1]: the line begun, and lines kept from the worker's log */
	char *part[2];
	size_t part_len[2];
	long long hidden[2];
};

/* A single environment value the worker sets at most (longer ones: read stdin). */
#define EXEC_ENV_VALUE_MAX (64 * 1024)
/* All TASK_INPUT_ values of a step together at most. */
#define EXEC_ENV_TOTAL_MAX (512 * 1024)

/* Is key usable in TASK_INPUT_<key>? ([A-Za-z_][A-Za-z0-9_]*) */
static bool exec_env_name(const char *key)
{
	if (!(*key == '_' || (*key >= 'A' && *key <= 'Z') || (*key >= 'a' && *key <= 'z')))
		return false;
	for (; *key != '\0'; key++)
		if (!(*key == '_' || (*key >= 'A' && *key <= 'Z') || (*key >= 'a' && *key <= 'z') ||
		      (*key >= '0' && *key <= '9')))
			return false;
	return true;
}

/*
 * In the child: TASK_INPUT_<key> for each top-level key of the input whose name is an
 * environment name: strings as they are, numbers and booleans as text, null empty,
 * objects and arrays as compact JSON. What a shell template reads instead of a
 * substitution. Too long values are left out (the input is on stdin).
 */
static void exec_input_env(json_t *input)
{
	const char *key;
	json_t *v;
	size_t total = 0;

	json_object_foreach(input, key, v)
	{
		char name[256], num[64], *dump = NULL;
		const char *text = num;

		if (!exec_env_name(key) || strlen(key) > sizeof(name) - 12)
			continue;
		switch (json_typeof(v)) {
		case JSON_STRING:
			text = json_string_value(v);
			break;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			break;
		case JSON_REAL:
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			break;
		case JSON_TRUE:
			text = "true";
			break;
		case JSON_FALSE:
			text = "false";
			break;
		case JSON_NULL:
			text = "";
			break;
		default:
			text = dump = json_dumps(v, JSON_COMPACT);
		}
		if (text != NULL && strlen(text) <= EXEC_ENV_VALUE_MAX &&
		    total + strlen(text) <= EXEC_ENV_TOTAL_MAX) {
			snprintf(name, sizeof(name), "TASK_INPUT_%s", key);
			setenv(name, text, 1);
			total += strlen(text);
		}
		free(dump);
	}
}

/* Keep the last TV_TAIL_MAX bytes of the step's stderr. */
static void exec_tail_add(struct exec_step *es, const char *p, size_t n)
{
	if (n >= TV_TAIL_MAX) {
		size_t skip = n - TV_TAIL_MAX;
		memcpy(es->tail, &p[skip], TV_TAIL_MAX);
		es->tail_len = TV_TAIL_MAX;
		return;
	}
	if (es->tail_len + n > sizeof(es->tail)) {
		size_t keep = TV_TAIL_MAX - n;
		memmove(es->tail, es->tail + es->tail_len - keep, keep);
		es->tail_len = keep;
	}
	memcpy(es->tail + es->tail_len, p, n);
	es->tail_len += n;
}

/* A partial line longer than this is taken as a line (and cut by tv_log_clean). */
#define EXEC_PART_MAX (2 * TV_LOG_LINE_MAX)

/* Write all of buf to fd (the worker's own log); a lost log is not the step's failure. */
static void exec_write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/* One line the step printed on stream (1 stdout, 2 stderr): to its task, and tagged into the
 * worker's log on the same stream while under the rate cap. */
static void exec_out_line(struct exec_step *es, int stream, const char *p, size_t n)
{
	char clean[TV_LOG_LINE_MAX + 64], tagged[TV_LOG_LINE_MAX + 256];
	size_t len = tv_log_clean(p, n, clean, sizeof(clean));
	int k = stream == 2 ? 1 : 0, t;

	if (tv_step_log_stream(es->step, stream, clean, len) != 0) {
		es->hidden[k]++;
		return;
	}
	if (es->hidden[k] > 0) {
		t = snprintf(tagged, sizeof(tagged),
			     "[task %s step %s] (%lld lines not shown: over %d lines a second; the "
			     "step's stored tail has its end)\n",
			     tv_step_task_id(es->step), tv_step_name(es->step), es->hidden[k], TV_LOG_RATE);
		exec_write_all(stream, tagged, (size_t)t < sizeof(tagged) ? (size_t)t : sizeof(tagged) - 1);
		es->hidden[k] = 0;
	}
	t = snprintf(tagged, sizeof(tagged), "[task %s step %s] %s\n", tv_step_task_id(es->step),
		     tv_step_name(es->step), clean);
	exec_write_all(stream, tagged, (size_t)t < sizeof(tagged) ? (size_t)t : sizeof(tagged) - 1);
}

/* Split what a step's stdout/stderr gave into lines; at eof also the last partial one. */
static void exec_out_data(struct exec_step *es, int stream, const char *buf, size_t n, bool eof)
{
	int k = stream == 2 ? 1 : 0;
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n')
			continue;
		if (es->part_len[k] > 0) {
			size_t room = EXEC_PART_MAX - es->part_len[k];
			size_t take = i - start < room ? i - start : room;

			memcpy(es->part[k] + es->part_len[k], buf + start, take);
			exec_out_line(es, stream, es->part[k], es->part_len[k] + take);
			es->part_len[k] = 0;
		} else
			exec_out_line(es, stream, buf + start, i - start);
		start = i + 1;
	}
	if (start < n) {
		if (es->part[k] == NULL)
			es->part[k] = xmalloc(EXEC_PART_MAX);
		if (es->part_len[k] + (n - start) > EXEC_PART_MAX) { /* too long a line: taken as one */
			size_t take = EXEC_PART_MAX - es->part_len[k];

			memcpy(es->part[k] + es->part_len[k], buf + start, take);
			exec_out_line(es, stream, es->part[k], EXEC_PART_MAX);
			es->part_len[k] = 0;
			start = n; /* the rest of this read goes (the line is cut anyway); what follows
				    * up to its newline is taken as a further line */
		} else {
			memcpy(es->part[k] + es->part_len[k], buf + start, n - start);
			es->part_len[k] += n - start;
		}
	}
	if (eof && es->part_len[k] > 0) {
		exec_out_line(es, stream, es->part[k], es->part_len[k]);
		es->part_len[k] = 0;
	}
}

/* One line from the step's TASKVISOR_FD (split by lib/stepline.c). */
static void exec_ctl_line(struct exec_step *es, char *line)
{
	struct tv_step *s = es->step;
	struct stepline sl;
	char msg[TV_ERR_LEN + 128];
	int rc;

	switch (stepline_parse(line, &sl)) {
	case STEPLINE_EMPTY:
		return;
	case STEPLINE_PROGRESS:
		rc = tv_step_progress(s, sl.arg);
		break;
	case STEPLINE_OUTPUT:
		rc = tv_step_output(s, sl.arg);
		break;
	case STEPLINE_SPAWN:
		rc = tv_step_spawn(s, sl.label, sl.json);
		break;
	default:
		snprintf(msg, sizeof(msg),
			 "exec-worker: fd %d: unknown line \"%.64s\" (progress|output|spawn)\n", EXEC_FD,
			 sl.verb);
		exec_tail_add(es, msg, strlen(msg));
		log_warnx("task %s step %s: %.*s", tv_step_task_id(s), tv_step_name(s), (int)strlen(msg) - 1,
			  msg);
		return;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "exec-worker: fd %d: %s: %s\n", EXEC_FD, sl.verb,
			 tv_worker_error(es->x->w));
		exec_tail_add(es, msg, strlen(msg));
		log_warnx("task %s step %s: %.*s", tv_step_task_id(s), tv_step_name(s), (int)strlen(msg) - 1,
			  msg);
	}
}

/* Take whole lines out of the TASKVISOR_FD buffer; at eof also the last partial one. */
static void exec_ctl_lines(struct exec_step *es, bool eof)
{
	size_t start = 0;

	for (size_t i = 0; i < es->line_len; i++)
		if (es->line[i] == '\n') {
			es->line[i] = '\0';
			exec_ctl_line(es, es->line + start);
			start = i + 1;
		}
	if (eof && start < es->line_len) {
		es->line[es->line_len] = '\0';
		exec_ctl_line(es, es->line + start);
		start = es->line_len;
	}
	if (start > 0) {
		memmove(es->line, es->line + start, es->line_len - start);
		es->line_len -= start;
	}
}

/* Read what a pipe has (stream 1 stdout, 2 stderr, 3 TASKVISOR_FD); 1 open, 0 closed (eof or
 * error). */
static int exec_read_pipe(struct exec_step *es, int fd, int stream)
{
	char buf[8192];
	bool ctl = stream == EXEC_FD;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0) {
			if (ctl)
				exec_ctl_lines(es, true);
			else
				exec_out_data(es, stream, buf, 0, true);
			return 0;
		}
		if (!ctl) {
			if (stream == 2)
				exec_tail_add(es, buf, (size_t)n);
			exec_out_data(es, stream, buf, (size_t)n, false);
			continue;
		}
		if (es->line_len + (size_t)n + 1 > es->line_cap) {
			size_t cap = es->line_cap ? es->line_cap * 2 : 4096;
			char *nl;
			while (cap < es->line_len + (size_t)n + 1)
				cap *= 2;
			if (cap > EXEC_LINE_MAX + sizeof(buf)) {
				const char *m = "exec-worker: fd 3: line too long, dropped\n";
				exec_tail_add(es, m, strlen(m));
				es->line_len = 0;
				continue;
			}
			nl = realloc(es->line, cap);
			if (nl == NULL)
				return 1;
			es->line = nl;
			es->line_cap = cap;
		}
		memcpy(es->line + es->line_len, buf, (size_t)n);
		es->line_len += (size_t)n;
		exec_ctl_lines(es, false);
	}
}

static void exec_close_io(struct exec *x, ev_io *io)
{
	if (io->fd >= 0) {
		ev_io_stop(x->loop, io);
		close(io->fd);
		ev_io_set(io, -1, 0);
	}
}

static void exec_err_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct exec_step *es = io->data;
	(void)loop;
	(void)revents;
	if (exec_read_pipe(es, io->fd, io == &es->out_w ? 1 : 2) == 0)
		exec_close_io(es->x, io);
}

static void exec_ctl_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct exec_step *es = io->data;
	(void)loop;
	(void)revents;
	if (exec_read_pipe(es, io->fd, EXEC_FD) == 0)
		exec_close_io(es->x, io);
}

static void exec_in_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct exec_step *es = io->data;
	(void)loop;
	(void)revents;
	while (es->in_off < es->in_len) {
		ssize_t n = write(io->fd, es->in_buf + es->in_off, es->in_len - es->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			break; /* EPIPE: the step does not read its input */
		es->in_off += (size_t)n;
	}
	exec_close_io(es->x, io);
}

static void exec_kill_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct exec_step *es = t->data;
	(void)loop;
	(void)revents;
	if (es->pid > 0) {
		log_info("step %s of task %s: still running %.0fs after SIGTERM, SIGKILL to group %ld",
			 tv_step_name(es->step), tv_step_task_id(es->step), es->x->kill_after, (long)es->pid);
		kill(-es->pid, SIGKILL);
	}
}

static void exec_beat_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct exec_step *es = t->data;
	(void)loop;
	(void)revents;
	tv_step_keepalive(es->step);
}

/* SIGTERM to the step's group now, SIGKILL later. */
static void exec_terminate(struct exec_step *es)
{
	if (es->pid <= 0 || es->term_sent)
		return;
	es->term_sent = true;
	kill(-es->pid, SIGTERM);
	kill(-es->pid, SIGCONT);
	ev_timer_set(&es->kill_t, es->x->kill_after, 0);
	ev_timer_start(es->x->loop, &es->kill_t);
}

static void exec_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct exec_step *es = c->data;
	struct exec *x = es->x;
	int st = c->rstatus;
	char msg[128];

	(void)revents;
	ev_child_stop(loop, c);
	/* What the step wrote is in the pipes: take it all, then nothing of it may linger. */
	if (es->ctl_w.fd >= 0)
		exec_read_pipe(es, es->ctl_w.fd, EXEC_FD);
	if (es->out_w.fd >= 0)
		exec_read_pipe(es, es->out_w.fd, 1);
	if (es->err_w.fd >= 0)
		exec_read_pipe(es, es->err_w.fd, 2);
	for (int k = 0; k < 2; k++) /* a last line without its newline (the pipe may stay open) */
		if (es->part_len[k] > 0)
			exec_out_data(es, k + 1, "", 0, true);
	kill(-es->pid, SIGKILL);
	es->pid = 0;
	exec_close_io(x, &es->in_w);
	exec_close_io(x, &es->out_w);
	exec_close_io(x, &es->err_w);
	exec_close_io(x, &es->ctl_w);
	ev_timer_stop(loop, &es->kill_t);
	ev_timer_stop(loop, &es->beat_t);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		tv_step_done(es->step, NULL);
	else {
		if (WIFSIGNALED(st))
			snprintf(msg, sizeof(msg), "killed by signal %d", WTERMSIG(st));
		else
			snprintf(msg, sizeof(msg), "exited %d", WEXITSTATUS(st));
		es->tail[es->tail_len < sizeof(es->tail) ? es->tail_len : sizeof(es->tail) - 1] = '\0';
		tv_step_fail(es->step, msg, es->tail_len > 0 ? es->tail : NULL);
	}
	for (struct exec_step **pp = &x->steps; *pp != NULL; pp = &(*pp)->next)
		if (*pp == es) {
			*pp = es->next;
			break;
		}
	x->running--;
	free(es->in_buf);
	free(es->line);
	free(es->part[0]);
	free(es->part[1]);
	free(es);
	if ((x->stopping || x->draining) && x->running == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* Move fd to at least 10, so that dup2 onto 0..3 cannot clobber another. */
static int exec_high(int fd)
{
	int h = fcntl(fd, F_DUPFD, 10);
	return h;
}

/* The keeper's parent (the worker) died: take the whole step group down. */
static void exec_keeper_orphaned(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
}

/*
 * The step's keeper: the worker's direct child and its process group's
 * leader. It runs the command as its own child and ends the way the command
 * ended (exit code, or the same signal), so the worker sees the command's
 * status. Why it exists: PR_SET_PDEATHSIG reaches only a direct child, and a
 * step's command (sh -c, pipelines) has grandchildren; when the worker is
 * SIGKILLed the keeper is told and kills the whole group, so a lost step
 * never runs on unsupervised (a re-run or resume would overlap with it).
 */
static void exec_keeper(pid_t parent, pid_t cmd)
{
	struct sigaction sa;
	struct rlimit no_core = {0, 0};
	sigset_t none;
	int st;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &sa, NULL); /* a cancel's SIGTERM is for the command; its status is relayed */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = exec_keeper_orphaned;
	sigaction(SIGUSR1, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (getppid() != parent)
		kill(0, SIGKILL);
	close(0);
	close(EXEC_FD);
	while (waitpid(cmd, &st, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st));
	setrlimit(RLIMIT_CORE, &no_core);
	signal(WTERMSIG(st), SIG_DFL);
	raise(WTERMSIG(st));
	_exit(128 + WTERMSIG(st));
}

/* In the child: set up fds, signals, environment; fork the command under a keeper. Never returns. */
static void exec_child(struct tv_step *s, pid_t parent, int in_r, int out_w, int err_w, int ctl_w)
{
	char *const *argv = tv_step_argv(s);
	char idx[16], att[16], fdn[8];
	sigset_t none;
	pid_t pid;
	int a = exec_high(in_r), o = exec_high(out_w), b = exec_high(err_w), c = exec_high(ctl_w);

	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (a < 0 || o < 0 || b < 0 || c < 0 || dup2(a, 0) < 0 || dup2(o, 1) < 0 || dup2(b, 2) < 0 ||
	    dup2(c, EXEC_FD) < 0)
		_exit(127);
	close_range(EXEC_FD + 1, ~0U, 0);
	snprintf(idx, sizeof(idx), "%d", tv_step_index(s));
	snprintf(att, sizeof(att), "%d", tv_step_attempt(s));
	snprintf(fdn, sizeof(fdn), "%d", EXEC_FD);
	setenv("TASK_ID", tv_step_task_id(s) != NULL ? tv_step_task_id(s) : "", 1);
	setenv("TASK_LABEL", tv_step_label(s) != NULL ? tv_step_label(s) : "", 1);
	setenv("TASK_ATTEMPT", att, 1);
	setenv("STEP_NAME", tv_step_name(s) != NULL ? tv_step_name(s) : "", 1);
	setenv("STEP_INDEX", idx, 1);
	setenv("TASKVISOR_FD", fdn, 1);
	exec_input_env(tv_step_input(s));
	pid = fork(); /* signals are still blocked here: the keeper sets its own up first */
	if (pid < 0)
		_exit(127);
	if (pid > 0)
		exec_keeper(parent, pid);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	dprintf(2, "exec-worker: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The "*" handler: start the step's command; it finishes in exec_child_cb. */
static int exec_step_start(struct tv_step *s, void *arg)
{
	struct exec *x = arg;
	struct exec_step *es;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, ctl[2] = {-1, -1};
	sigset_t all, old;
	pid_t pid, parent;

	if (x->stopping) {
		tv_step_set_error(s, "exec-worker pid %ld is stopping", (long)getpid());
		return TV_STEP_FAILED;
	}
	if (tv_step_argv(s) == NULL) {
		tv_step_set_error(s, "step %s has no argv (the exec worker runs commands only)",
				  tv_step_name(s) != NULL ? tv_step_name(s) : "?");
		return TV_STEP_FAILED;
	}
	es = calloc(1, sizeof(*es));
	if (es == NULL || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0 || pipe2(ctl, O_CLOEXEC) < 0) {
		tv_step_set_error(s, "exec-worker: pipe: %s", strerror(errno));
		goto fail;
	}
	es->in_buf =
	    json_dumps(tv_step_children(s) != NULL ? tv_step_children(s) : tv_step_input(s), JSON_COMPACT);
	es->in_len = es->in_buf != NULL ? strlen(es->in_buf) : 0;
	if (es->in_buf != NULL) {
		char *nb = realloc(es->in_buf, es->in_len + 2);
		if (nb != NULL) {
			es->in_buf = nb;
			es->in_buf[es->in_len++] = '\n';
		}
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	parent = getpid();
	pid = fork();
	if (pid == 0)
		exec_child(s, parent, in[0], out[1], err[1], ctl[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		tv_step_set_error(s, "exec-worker: fork: %s", strerror(errno));
		goto fail;
	}
	setpgid(pid, pid); /* also here: no race with a kill(-pid) before the child ran */
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(ctl[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	fcntl(ctl[0], F_SETFL, O_NONBLOCK);
	es->x = x;
	es->step = s;
	es->pid = pid;
	tv_step_set_data(s, es);
	ev_child_init(&es->child, exec_child_cb, pid, 0);
	ev_io_init(&es->in_w, exec_in_cb, in[1], EV_WRITE);
	ev_io_init(&es->out_w, exec_err_cb, out[0], EV_READ);
	ev_io_init(&es->err_w, exec_err_cb, err[0], EV_READ);
	ev_io_init(&es->ctl_w, exec_ctl_cb, ctl[0], EV_READ);
	ev_timer_init(&es->kill_t, exec_kill_cb, 0, 0);
	ev_timer_init(&es->beat_t, exec_beat_cb, 1, 1);
	es->child.data = es->in_w.data = es->out_w.data = es->err_w.data = es->ctl_w.data = es->kill_t.data =
	    es->beat_t.data = es;
	ev_child_start(x->loop, &es->child);
	ev_io_start(x->loop, &es->in_w);
	ev_io_start(x->loop, &es->out_w);
	ev_io_start(x->loop, &es->err_w);
	ev_io_start(x->loop, &es->ctl_w);
	ev_timer_start(x->loop, &es->beat_t);
	es->next = x->steps;
	x->steps = es;
	x->running++;
	return TV_STEP_PENDING;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (ctl[i] >= 0)
			close(ctl[i]);
	}
	if (es != NULL)
		free(es->in_buf);
	free(es);
	return TV_STEP_FAILED;
}

static void exec_cancel(struct tv_step *s, void *arg)
{
	struct exec_step *es = tv_step_get_data(s);
	(void)arg;
	if (es != NULL) {
		log_info("task %s step %s cancelled: SIGTERM to group %ld", tv_step_task_id(s),
			 tv_step_name(s), (long)es->pid);
		exec_terminate(es);
	}
}

static void exec_gone(struct exec *x)
{
	log_warnx("%s; stopping %d running step(s)", tv_worker_error(x->w), x->running);
	for (struct exec_step *es = x->steps; es != NULL; es = es->next)
		if (es->pid > 0)
			kill(-es->pid, SIGKILL);
	ev_io_stop(x->loop, &x->sock);
	ev_break(x->loop, EVBREAK_ALL);
}

static void exec_sock_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct exec *x = io->data;
	(void)loop;
	if ((revents & EV_READ) && tv_worker_dispatch(x->w) < 0)
		exec_gone(x);
	else if ((revents & EV_WRITE) && tv_worker_flush(x->w) < 0)
		exec_gone(x);
}

/* Before the loop sleeps: send what finished (group send), watch for writability if needed. */
static void exec_flush_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct exec *x = p->data;
	int want;

	(void)revents;
	if (!ev_is_active(&x->sock))
		return;
	if (tv_worker_flush(x->w) < 0) {
		exec_gone(x);
		return;
	}
	want = EV_READ | (tv_worker_want_write(x->w) ? EV_WRITE : 0);
	if ((x->sock.events & (EV_READ | EV_WRITE)) != want) {
		ev_io_stop(loop, &x->sock);
		ev_io_set(&x->sock, tv_worker_fd(x->w), want);
		ev_io_start(loop, &x->sock);
	}
}

static void exec_sig_cb(struct ev_loop *loop, ev_signal *sg, int revents)
{
	struct exec *x = sg->data;
	(void)revents;
	if (x->stopping)
		return;
	x->stopping = true;
	log_info("signal %d: stopping %d running step(s)", sg->signum, x->running);
	for (struct exec_step *es = x->steps; es != NULL; es = es->next)
		exec_terminate(es);
	if (x->running == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* The daemon stops this worker: no new step comes; let the running ones finish, then exit 0. */
static void exec_drain(struct tv_worker *w, int timeout_s, void *arg)
{
	struct exec *x = arg;

	(void)w;
	x->draining = true;
	log_info("drain requested: finishing %d running step(s) (at most %d s)", x->running, timeout_s);
	if (x->running == 0)
		ev_break(x->loop, EVBREAK_ALL);
}

/* --kill-after SECS */
static int exec_kill_after(void *arg, const char *v)
{
	struct exec *x = arg;
	char *end;

	x->kill_after = strtod(v, &end);
	if (end == v || *end != '\0' || !(x->kill_after >= 0)) {
		fprintf(stderr, "exec-worker: --kill-after: not a number of seconds: \"%s\"\n", v);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct exec x;
	struct workeropt o = {"exec-worker", NULL, {"kill-after", "SECS", 'k', exec_kill_after, &x}, NULL, 1};
	const char *queue, *sock;
	int prefetch, status;
	char err[TV_ERR_LEN];

	memset(&x, 0, sizeof(x));
	x.kill_after = 5;
	log_init("exec-worker", LOG_LVL_INFO, 1);
	xmalloc_json(); /* README "Errors" */
	if (workeropt_parse(&o, argc, argv, &status) < 0)
		return status;
	queue = o.queue;
	sock = o.socket;
	prefetch = o.prefetch;
	signal(SIGPIPE, SIG_IGN);
	x.w = tv_worker_new(sock, queue, prefetch, err, sizeof(err));
	if (x.w == NULL) {
		log_warnx("%s", err);
		return 100;
	}
	tv_worker_handle(x.w, "*", exec_step_start, &x);
	tv_worker_on_cancel(x.w, exec_cancel, &x);
	tv_worker_on_drain(x.w, exec_drain, &x);
	if (tv_worker_connect(x.w) < 0) {
		log_warnx("%s", tv_worker_error(x.w));
		tv_worker_free(x.w);
		return 111;
	}
	log_info("serving queue %s as %s, prefetch %d", queue,
		 tv_worker_name(x.w) != NULL ? tv_worker_name(x.w) : "?", prefetch);
	x.loop = ev_default_loop(EVFLAG_AUTO);
	ev_io_init(&x.sock, exec_sock_cb, tv_worker_fd(x.w), EV_READ);
	ev_prepare_init(&x.flush, exec_flush_cb);
	ev_signal_init(&x.sigterm, exec_sig_cb, SIGTERM);
	ev_signal_init(&x.sigint, exec_sig_cb, SIGINT);
	x.sock.data = x.flush.data = x.sigterm.data = x.sigint.data = &x;
	ev_io_start(x.loop, &x.sock);
	ev_prepare_start(x.loop, &x.flush);
	ev_signal_start(x.loop, &x.sigterm);
	ev_signal_start(x.loop, &x.sigint);
	/* Steps may already be waiting in the socket. */
	if (tv_worker_dispatch(x.w) < 0)
		exec_gone(&x);
	else if (!x.draining || x.running > 0)
		ev_run(x.loop, 0);
	tv_worker_flush(x.w);
	tv_worker_free(x.w);
	return x.stopping || x.draining ? 0 : 111;
}
