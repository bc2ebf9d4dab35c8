/*
 * sdnotify.c — see sdnotify.h. libsystemd stays the one implementation of the
 * protocol; this file only decides when to load it.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "sdnotify.h"

/* The library handle, loaded once: a cache, not state (NULL until systemd asks). */
static void *sdnotify_lib;

/* A libsystemd function, loading the library when systemd set name (an env variable). */
static void *sdnotify_sym(const char *env, const char *name)
{
	static int failed;

	if (getenv(env) == NULL || failed)
		return NULL;
	if (sdnotify_lib == NULL) {
		sdnotify_lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
		if (sdnotify_lib == NULL) {
			failed = 1;
			log_warnx("systemd asked for notifications (%s) but libsystemd cannot be loaded: %s",
				  env, dlerror());
			return NULL;
		}
	}
	return dlsym(sdnotify_lib, name);
}

void sdnotify(const char *fmt, ...)
{
	int (*notify)(int, const char *);
	char msg[512];
	va_list ap;

	*(void **)&notify = sdnotify_sym("NOTIFY_SOCKET", "sd_notify");
	if (notify == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	notify(0, msg);
}

int sdnotify_watchdog(uint64_t *usec)
{
	int (*enabled)(int, uint64_t *);

	*(void **)&enabled = sdnotify_sym("WATCHDOG_USEC", "sd_watchdog_enabled");
	return enabled != NULL ? enabled(0, usec) : 0;
}
