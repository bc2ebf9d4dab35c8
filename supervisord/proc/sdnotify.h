/*
 * sdnotify.h — the daemon's own messages to systemd (READY=1, STATUS=,
 * STOPPING=1, WATCHDOG=1), sent by libsystemd's sd_notify(), which is loaded
 * with dlopen() the first time systemd asked for them (NOTIFY_SOCKET or
 * WATCHDOG_USEC set). Run by hand or in a container, the daemon never maps
 * libsystemd and its dependencies (~1 MB of RSS).
 */
#ifndef TV_SDNOTIFY_H
#define TV_SDNOTIFY_H

#include <stdint.h>

/* sd_notifyf(0, fmt, ...); a no-op when NOTIFY_SOCKET is unset. */
__attribute__((format(printf, 1, 2))) void sdnotify(const char *fmt, ...);

/* sd_watchdog_enabled(0, usec): > 0 when systemd wants WATCHDOG=1 every *usec. */
int sdnotify_watchdog(uint64_t *usec);

#endif
