/*
 * events_capture.h — supervisord's capture mode (dispatchers.py POutputDispatcher with
 * stdout_capture_maxbytes / stderr_capture_maxbytes > 0): what a program writes between
 * <!--XSUPERVISOR:BEGIN--> and <!--XSUPERVISOR:END--> is not logged but becomes one
 * PROCESS_COMMUNICATION_STDOUT/STDERR event; the rest is logged as usual. The captured text
 * is bounded by the maxbytes (the last maxbytes bytes are kept, as supervisord's BoundIO).
 * Pure text handling: no I/O but the log writes given to it.
 */
#ifndef TV_EVENTS_CAPTURE_H
#define TV_EVENTS_CAPTURE_H

#include <stddef.h>

#define EVENTS_CAPTURE_BEGIN "<!--XSUPERVISOR:BEGIN-->"
#define EVENTS_CAPTURE_END "<!--XSUPERVISOR:END-->"

struct events_capture;

/* Write len bytes to the log (out of capture), or one captured text is complete. */
struct events_capture_ops {
	void *arg;
	void (*log)(void *arg, const char *buf, size_t len);
	void (*captured)(void *arg, const char *buf, size_t len);
};

struct events_capture *events_capture_new(long long maxbytes);
void events_capture_free(struct events_capture *c);
/* Bytes read from the program's pipe. */
void events_capture_feed(struct events_capture *c, const struct events_capture_ops *ops, const char *buf,
			 size_t len);

#endif
