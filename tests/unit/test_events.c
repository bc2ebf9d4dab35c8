/*
 * test_events.c — events.c and listener.c: supervisord's payloads and envelope byte for byte,
 * the serials, the listener protocol state machine (READY, RESULT, rejections, violations,
 * input split anywhere), the bounded pool buffer (oldest dropped), and what the configuration
 * refuses in an [eventlistener:x] section, as supervisord 4.2.5 does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "events.h"
#include "events_capture.h"
#include "evtype.h"
#include "listener.h"
#include "log.h"
#include "proc.h"

/* ---- a pool "watch" with one listener process "watch", built by hand ---- */

static char written[8192]; /* what the pool wrote to the listener's stdin, all of it */
static size_t nwritten;
static int refuse_writes;

static int fake_write(void *arg, const char *group, const char *name, const char *buf, size_t len)
{
	(void)arg;
	assert_string_equal(group, "watch");
	assert_string_equal(name, "watch");
	if (refuse_writes)
		return -1;
	assert_true(nwritten + len < sizeof(written));
	memcpy(written + nwritten, buf, len);
	nwritten += len;
	written[nwritten] = '\0';
	return 0;
}

struct fixture {
	struct conf c;
	struct conf_program pr[2];
	struct conf_proc cp[2];
	char *events[4];
	struct proc lp; /* the listener process */
	struct proc app;
	struct events *ev;
};

static struct fixture F;

static void fixture_new(const char *const *events, int buffer_size)
{
	memset(&F, 0, sizeof(F));
	nwritten = 0;
	written[0] = '\0';
	refuse_writes = 0;
	for (int i = 0; events[i] != NULL; i++)
		F.events[i] = (char *)events[i];
	F.cp[0].name = "watch";
	F.pr[0].name = "watch";
	F.pr[0].group = "watch";
	F.pr[0].listener = true;
	F.pr[0].events = F.events;
	F.pr[0].buffer_size = buffer_size;
	F.pr[0].procs = &F.cp[0];
	F.pr[0].nprocs = 1;
	F.cp[1].name = "app";
	F.pr[1].name = "app";
	F.pr[1].group = "web";
	F.pr[1].procs = &F.cp[1];
	F.pr[1].nprocs = 1;
	F.pr[1].stdout_events_enabled = true;
	F.c.programs = F.pr;
	F.c.nprograms = 2;
	F.c.identifier = "supervisor";
	F.lp = (struct proc){.name = "watch", .group = "watch", .prog = &F.pr[0], .state = PROC_STOPPED};
	F.app = (struct proc){.name = "app", .group = "web", .prog = &F.pr[1], .state = PROC_STOPPED};
	const struct events_hooks h = {.arg = NULL, .write = fake_write};
	F.ev = events_new(NULL, &F.c, &h);
}

static void fixture_free(void)
{
	events_free(F.ev);
	F.ev = NULL;
}

/* The listener process is spawned and comes up (STARTING, RUNNING), and says READY. */
static void listener_up(void)
{
	F.lp.pid = 4242;
	events_proc_state(F.ev, &F.lp, PROC_STOPPED, PROC_STARTING);
	events_proc_state(F.ev, &F.lp, PROC_STARTING, PROC_RUNNING);
}

static void feed(const char *s)
{
	events_proc_output(F.ev, &F.lp, 1, s, strlen(s));
}

static int lstate(void)
{
	return events_listener_state(F.ev, "watch", "watch");
}

/* The app crashes after startsecs: RUNNING -> EXITED, not expected, pid 321. */
static void app_crash(void)
{
	F.app.pid = 0;
	F.app.last_pid = 321;
	F.app.last_exit_expected = false;
	events_proc_state(F.ev, &F.app, PROC_RUNNING, PROC_EXITED);
}

/* ---- evtype ---- */

static void test_evtype(void **state)
{
	(void)state;
	assert_int_equal(evtype_find("PROCESS_STATE_EXITED"), EVT_PROCESS_STATE_EXITED);
	assert_int_equal(evtype_find("process_state_exited"), EVT_PROCESS_STATE_EXITED);
	assert_int_equal(evtype_find("TASK_STATE_STOPPED"), EVT_TASK_STATE_STOPPED);
	assert_int_equal(evtype_find("PROCESS_STATE_EXIT"), -1);
	assert_true(evtype_covers(EVT_EVENT, EVT_TICK_5));
	assert_true(evtype_covers(EVT_PROCESS_STATE, EVT_PROCESS_STATE_FATAL));
	assert_true(evtype_covers(EVT_TICK_5, EVT_TICK_5));
	assert_false(evtype_covers(EVT_TICK_5, EVT_TICK));
	assert_false(evtype_covers(EVT_PROCESS_STATE, EVT_PROCESS_LOG_STDOUT));
	assert_true(evtype_covers(EVT_TASK_STATE, EVT_TASK_STATE_PAUSED));
	assert_true(evtype_abstract(EVT_PROCESS_STATE));
	assert_false(evtype_abstract(EVT_REMOTE_COMMUNICATION));
	for (int t = 0; t < EVT_COUNT; t++)
		assert_int_equal(evtype_find(evtype_name((enum evtype)t)), t);
}

/* ---- payloads and envelope ---- */

static void test_exited_envelope(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	(void)state;
	fixture_new(ev, 10);
	app_crash(); /* buffered: the listener is not up yet */
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 1);
	listener_up();
	assert_int_equal(nwritten, 0); /* not before READY */
	assert_int_equal(lstate(), LISTENER_ACKNOWLEDGED);
	feed("READY\n");
	assert_int_equal(lstate(), LISTENER_BUSY);
	assert_string_equal(written, "ver:3.0 server:supervisor serial:0 pool:watch poolserial:0 "
				     "eventname:PROCESS_STATE_EXITED len:67\n"
				     "processname:app groupname:web from_state:RUNNING expected:0 pid:321");
	feed("RESULT 2\nOK");
	assert_int_equal(lstate(), LISTENER_ACKNOWLEDGED);
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 0);
	fixture_free();
}

/* Each state's payload, supervisord's extra fields (tries, expected pid, pid). */
static void test_state_payloads(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE", NULL};
	static const struct {
		int from, to;
		const char *want;
	} cases[] = {
	    {PROC_STOPPED, PROC_STARTING, "processname:app groupname:web from_state:STOPPED tries:0"},
	    {PROC_STARTING, PROC_RUNNING, "processname:app groupname:web from_state:STARTING pid:77"},
	    {PROC_RUNNING, PROC_STOPPING, "processname:app groupname:web from_state:RUNNING pid:77"},
	    {PROC_STARTING, PROC_BACKOFF, "processname:app groupname:web from_state:STARTING tries:0"},
	    {PROC_BACKOFF, PROC_FATAL, "processname:app groupname:web from_state:BACKOFF"},
	    {PROC_BACKOFF, PROC_STOPPED, "processname:app groupname:web from_state:BACKOFF pid:0"},
	};
	(void)state;
	fixture_new(ev, 100);
	listener_up();
	feed("READY\n");
	/* the listener's own STARTING and RUNNING came first */
	assert_non_null(strstr(written, "processname:watch groupname:watch from_state:STOPPED tries:0"));
	feed("RESULT 2\nOKREADY\n"); /* and its RUNNING */
	assert_non_null(strstr(written, "processname:watch groupname:watch from_state:STARTING pid:4242"));
	feed("RESULT 2\nOKREADY\n");
	assert_int_equal(lstate(), LISTENER_READY);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nwritten = 0;
		F.app.pid =
		    cases[i].to == PROC_FATAL || cases[i].to == PROC_STOPPED || cases[i].to == PROC_BACKOFF
			? 0
			: 77;
		F.app.last_pid = 77;
		events_proc_state(F.ev, &F.app, cases[i].from, cases[i].to);
		char *nl = strchr(written, '\n');
		assert_non_null(nl);
		assert_string_equal(nl + 1, cases[i].want);
		feed("RESULT 2\nOKREADY\n");
	}
	fixture_free();
}

static void test_other_payloads(void **state)
{
	static const char *const ev[] = {"EVENT", NULL};
	(void)state;
	fixture_new(ev, 100);
	listener_up(); /* its own STARTING, RUNNING: serials 0 and 1 */
	feed("READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\n");
	nwritten = 0;
	events_remote(F.ev, "mytype", "hello\xff", 6);
	assert_string_equal(written, "ver:3.0 server:supervisor serial:2 pool:watch poolserial:2 "
				     "eventname:REMOTE_COMMUNICATION len:18\ntype:mytype\nhello\xef\xbf\xbd");
	feed("RESULT 2\nOKREADY\n");
	nwritten = 0;
	events_group(F.ev, "web", true);
	assert_string_equal(written, "ver:3.0 server:supervisor serial:3 pool:watch poolserial:3 "
				     "eventname:PROCESS_GROUP_ADDED len:14\ngroupname:web\n");
	feed("RESULT 2\nOKREADY\n");
	nwritten = 0;
	events_supervisor_state(F.ev, false);
	assert_string_equal(written, "ver:3.0 server:supervisor serial:4 pool:watch poolserial:4 "
				     "eventname:SUPERVISOR_STATE_CHANGE_STOPPING len:0\n");
	feed("RESULT 2\nOKREADY\n");
	nwritten = 0;
	events_task(F.ev, EVT_TASK_STATE_STOPPED, "0a1b", "repo.sync", "running", "stopped", "error");
	assert_string_equal(written, "ver:3.0 server:supervisor serial:5 pool:watch poolserial:5 "
				     "eventname:TASK_STATE_STOPPED len:69\nid:0a1b label:repo.sync "
				     "from_state:running state:stopped result:error");
	feed("RESULT 2\nOKREADY\n");
	nwritten = 0;
	F.app.pid = 55;
	events_proc_output(F.ev, &F.app, 1, "h\xc3\xa9llo\n", 7);
	assert_string_equal(written,
			    "ver:3.0 server:supervisor serial:6 pool:watch poolserial:6 "
			    "eventname:PROCESS_LOG_STDOUT len:58\nprocessname:app groupname:web pid:55 "
			    "channel:stdout\nh\xc3\xa9llo\n");
	/* stderr is not enabled for the app: no event */
	feed("RESULT 2\nOKREADY\n");
	nwritten = 0;
	events_proc_output(F.ev, &F.app, 2, "x", 1);
	assert_int_equal(nwritten, 0);
	assert_int_equal(events_payload_chars("h\xc3\xa9", 3), 2);
	fixture_free();
}

/* ---- the protocol ---- */

/* FAIL (anything but OK): the event comes back with the same serial and pool serial. */
static void test_fail_rebuffered(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	(void)state;
	fixture_new(ev, 10);
	listener_up();
	feed("READY\n");
	app_crash();
	char first[sizeof(written)];
	snprintf(first, sizeof(first), "%s", written);
	assert_non_null(strstr(first, "serial:0 pool:watch poolserial:0 eventname:PROCESS_STATE_EXITED"));
	nwritten = 0;
	feed("RESULT 4\nFAIL");
	assert_int_equal(lstate(), LISTENER_ACKNOWLEDGED);
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 1);
	feed("READY\n");
	assert_string_equal(written, first);
	fixture_free();
}

/* Input cut anywhere is the same input. */
static void test_split_input(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	static const char *const pieces[] = {"RE", "AD", "Y", "\n"};
	(void)state;
	fixture_new(ev, 10);
	listener_up();
	app_crash();
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(lstate(), LISTENER_ACKNOWLEDGED);
		feed(pieces[i]);
	}
	assert_int_equal(lstate(), LISTENER_BUSY);
	const char *res = "RESULT 2\nOKREADY\n";
	for (size_t i = 0; res[i] != '\0'; i++)
		events_proc_output(F.ev, &F.lp, 1, res + i, 1);
	assert_int_equal(lstate(), LISTENER_READY);
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 0);
	fixture_free();
}

/* What supervisord calls a protocol violation: UNKNOWN, no more events until a new process. */
static void test_violations(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	static const char *const bad[] = {"hello\n", "READY\nREADY\n", "READY\n@RESULT\nxx",
					  "READY\n@RESULT x\n", "READY\n@RESULT 99999999\n"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fixture_new(ev, 10);
		listener_up();
		const char *at = strchr(bad[i], '@');
		if (at != NULL) { /* busy first, then the bad result line */
			feed("READY\n");
			app_crash();
			assert_int_equal(lstate(), LISTENER_BUSY);
			feed(at + 1);
		} else {
			feed(bad[i]);
		}
		assert_int_equal(lstate(), LISTENER_UNKNOWN);
		if (at != NULL) /* the event it held is not lost */
			assert_int_equal(events_pool_buffered(F.ev, "watch"), 1);
		feed("READY\n"); /* ignored */
		assert_int_equal(lstate(), LISTENER_UNKNOWN);
		/* started again: back to ACKNOWLEDGED */
		events_proc_state(F.ev, &F.lp, PROC_RUNNING, PROC_EXITED);
		events_proc_state(F.ev, &F.lp, PROC_EXITED, PROC_STARTING);
		assert_int_equal(lstate(), LISTENER_ACKNOWLEDGED);
		fixture_free();
	}
	/* a result line without end is cut at LISTENER_LINE_MAX */
	fixture_new(ev, 10);
	listener_up();
	feed("READY\n");
	app_crash();
	char big[LISTENER_LINE_MAX + 8];
	memset(big, 'R', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	feed(big);
	assert_int_equal(lstate(), LISTENER_UNKNOWN);
	fixture_free();
}

/* A listener that dies while busy: its event is buffered again (supervisord's finish()). */
static void test_death_rebuffers(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	(void)state;
	fixture_new(ev, 10);
	listener_up();
	feed("READY\n");
	app_crash();
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 0);
	events_proc_state(F.ev, &F.lp, PROC_RUNNING, PROC_EXITED);
	/* its own EXITED and the one it held */
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 2);
	nwritten = 0;
	events_proc_state(F.ev, &F.lp, PROC_EXITED, PROC_STARTING);
	events_proc_state(F.ev, &F.lp, PROC_STARTING, PROC_RUNNING);
	feed("READY\n");
	assert_non_null(strstr(written, "serial:0 pool:watch poolserial:0 eventname:PROCESS_STATE_EXITED"));
	fixture_free();
}

/* buffer_size: the oldest are dropped; the listener then gets the newest. A write that is not
 * taken leaves the event in the buffer. */
static void test_overflow(void **state)
{
	static const char *const ev[] = {"PROCESS_STATE_EXITED", NULL};
	(void)state;
	fixture_new(ev, 2);
	for (int i = 0; i < 5; i++)
		app_crash();
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 2);
	listener_up();
	refuse_writes = 1;
	feed("READY\n");
	assert_int_equal(lstate(), LISTENER_READY);
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 2);
	refuse_writes = 0;
	/* the next event makes the pool try again */
	app_crash();
	assert_non_null(strstr(written, "serial:4 pool:watch poolserial:4 "));
	fixture_free();
}

/* Nobody subscribed: no serial used (supervisord gives serials as pools take events). */
static void test_unwanted(void **state)
{
	static const char *const ev[] = {"TICK_60", NULL};
	(void)state;
	fixture_new(ev, 10);
	assert_false(events_wanted(F.ev, EVT_PROCESS_STATE_EXITED));
	app_crash();
	assert_int_equal(events_pool_buffered(F.ev, "watch"), 0);
	assert_true(events_wanted(F.ev, EVT_TICK_60));
	fixture_free();
}

static void test_listener_table(void **state)
{
	(void)state;
	assert_true(listener_transition_allowed(LISTENER_ACKNOWLEDGED, LISTENER_READY));
	assert_true(listener_transition_allowed(LISTENER_READY, LISTENER_BUSY));
	assert_true(listener_transition_allowed(LISTENER_BUSY, LISTENER_ACKNOWLEDGED));
	assert_true(listener_transition_allowed(LISTENER_BUSY, LISTENER_UNKNOWN));
	assert_false(listener_transition_allowed(LISTENER_UNKNOWN, LISTENER_READY));
	assert_false(listener_transition_allowed(LISTENER_ACKNOWLEDGED, LISTENER_BUSY));
	assert_string_equal(listener_state_name(LISTENER_ACKNOWLEDGED), "ACKNOWLEDGED");
}

/* ---- capture mode ---- */

static char cap_log[4096], cap_got[4096];
static size_t ncap_log;
static int ncaptured;

static void cap_log_fn(void *arg, const char *buf, size_t len)
{
	(void)arg;
	assert_true(ncap_log + len < sizeof(cap_log));
	memcpy(cap_log + ncap_log, buf, len);
	ncap_log += len;
	cap_log[ncap_log] = '\0';
}

static void cap_done_fn(void *arg, const char *buf, size_t len)
{
	(void)arg;
	snprintf(cap_got, sizeof(cap_got), "%.*s", (int)len, buf);
	ncaptured++;
}

/* The same output cut at every place gives the same log and the same captured text. */
static void test_capture(void **state)
{
	const char *out = "a<!-b<!--XSUPERVISOR:BEGIN-->se<!--cret<!--XSUPERVISOR:END-->c<!--XSUPERVISOR";
	const struct events_capture_ops ops = {NULL, cap_log_fn, cap_done_fn};
	(void)state;
	for (size_t cut = 0; cut <= strlen(out); cut++) {
		struct events_capture *c = events_capture_new(100);
		ncap_log = 0;
		cap_log[0] = cap_got[0] = '\0';
		ncaptured = 0;
		events_capture_feed(c, &ops, out, cut);
		events_capture_feed(c, &ops, out + cut, strlen(out) - cut);
		assert_int_equal(ncaptured, 1);
		assert_string_equal(cap_got, "se<!--cret");
		assert_string_equal(cap_log, "a<!-bc"); /* "<!--XSUPERVISOR" is held: maybe a token */
		events_capture_free(c);
	}
	/* bounded: the last maxbytes bytes are kept */
	struct events_capture *c = events_capture_new(4);
	ncaptured = 0;
	const char *big = "<!--XSUPERVISOR:BEGIN-->0123456789<!--XSUPERVISOR:END-->";
	events_capture_feed(c, &ops, big, 30);
	events_capture_feed(c, &ops, big + 30, strlen(big) - 30);
	assert_int_equal(ncaptured, 1);
	assert_string_equal(cap_got, "6789");
	events_capture_free(c);
}

/* ---- configuration ---- */

static void conf_write(const char *text)
{
	FILE *fp = fopen("main.conf", "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void conf_refused(const char *text, const char *want)
{
	char err[1024] = "";
	conf_write(text);
	struct conf *c = conf_load("main.conf", err, sizeof(err));
	if (c != NULL)
		fail_msg("loaded: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("error [%s] does not say [%s]", err, want);
}

static void test_conf_listener(void **state)
{
	(void)state;
	char err[1024] = "";
	conf_write("[eventlistener:mon]\ncommand=/bin/cat\nevents=process_state_exited, TICK_60\n"
		   "buffer_size=3\nresult_handler=supervisor.dispatchers:default_handler\nnumprocs=2\n"
		   "process_name=%(program_name)s_%(process_num)d\n"
		   "[program:app]\ncommand=/bin/true\nstderr_events_enabled=true\n");
	struct conf *c = conf_load("main.conf", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	const struct conf_program *p = conf_program_find(c, "mon");
	assert_non_null(p);
	assert_true(p->listener);
	assert_string_equal(p->group, "mon");
	assert_string_equal(p->events[0], "PROCESS_STATE_EXITED");
	assert_string_equal(p->events[1], "TICK_60");
	assert_int_equal(p->buffer_size, 3);
	assert_int_equal(p->pool_priority, -1);
	assert_int_equal(p->priority, 999);
	assert_int_equal(p->nprocs, 2);
	assert_true(conf_program_find(c, "app")->stderr_events_enabled);
	assert_false(conf_program_find(c, "app")->listener);
	conf_free(c);

	conf_refused("[eventlistener:mon]\ncommand=/bin/cat\n",
		     "main.conf:1: [eventlistener:mon] section requires an \"events\" line");
	conf_refused("[eventlistener:mon]\ncommand=/bin/cat\nevents=PROCESS_STATE_EXIT\n",
		     "main.conf:3: Unknown event type PROCESS_STATE_EXIT in [eventlistener:mon] events");
	conf_refused("[eventlistener:mon]\ncommand=/bin/cat\nevents=EVENT\nbuffer_size=0\n",
		     "main.conf:4: [eventlistener:mon] section sets invalid buffer_size (0)");
	conf_refused("[eventlistener:mon]\ncommand=/bin/cat\nevents=EVENT\nredirect_stderr=true\n",
		     "main.conf:4: [eventlistener:mon] section sets redirect_stderr=true but this is not "
		     "allowed because it will interfere with the eventlistener protocol");
	conf_refused("[eventlistener:mon]\ncommand=/bin/cat\nevents=EVENT\nresult_handler=my.mod:fn\n",
		     "main.conf:4: my.mod:fn cannot be resolved within [eventlistener:mon]");
	conf_refused("[eventlistener:x]\ncommand=/bin/cat\nevents=EVENT\n[program:x]\ncommand=/bin/cat\n",
		     "main.conf:1: [eventlistener:x]: [program:x] (main.conf:4) has the same name");
	conf_refused("[eventlistener:mon]\nevents=EVENT\n", "[eventlistener:mon]: command is required");
}

static int setup_dir(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test_events.XXXXXX";
	if (mkdtemp(tmpl) == NULL || chdir(tmpl) != 0)
		return -1;
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	unlink("main.conf");
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) != NULL && chdir("/") == 0)
		rmdir(cwd);
	return 0;
}

int main(void)
{
	log_init("test_events", LOG_LVL_CRIT, 0);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_evtype),	    cmocka_unit_test(test_exited_envelope),
	    cmocka_unit_test(test_state_payloads),  cmocka_unit_test(test_other_payloads),
	    cmocka_unit_test(test_fail_rebuffered), cmocka_unit_test(test_split_input),
	    cmocka_unit_test(test_violations),	    cmocka_unit_test(test_death_rebuffers),
	    cmocka_unit_test(test_overflow),	    cmocka_unit_test(test_unwanted),
	    cmocka_unit_test(test_listener_table),  cmocka_unit_test(test_capture),
	    cmocka_unit_test(test_conf_listener),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
