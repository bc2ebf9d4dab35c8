/*
 * paths.c — the installed directories (paths.h), given by the Makefile as
 * -DTV_SBINDIR, -DTV_BINDIR, -DTV_PKGLIBDIR and -DTV_CONF for this file only.
 * Never looks at the environment: where modules are loaded from is not for a
 * caller to steer.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

#ifndef TV_SBINDIR
#define TV_SBINDIR "/usr/local/sbin"
#endif
#ifndef TV_BINDIR
#define TV_BINDIR "/usr/local/bin"
#endif
#ifndef TV_PKGLIBDIR
#define TV_PKGLIBDIR "/usr/local/lib/taskvisor"
#endif
#ifndef TV_CONF
#define TV_CONF "/usr/local/etc/taskvisor/taskvisord.conf"
#endif

const char *paths_conf(void)
{
	return TV_CONF;
}

/* Is dir (a resolved path) the installed directory inst, itself resolved (/sbin -> /usr/sbin)? */
static int paths_same_dir(const char *dir, const char *inst)
{
	char real[PATH_MAX];

	if (strcmp(dir, inst) == 0)
		return 1;
	return realpath(inst, real) != NULL && strcmp(dir, real) == 0;
}

int paths_module(const char *file, char *path, size_t len, char *err, size_t errlen)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int w;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(err, errlen, "cannot find this program's directory");
		return -1;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	if (paths_same_dir(exe, TV_SBINDIR) || paths_same_dir(exe, TV_BINDIR))
		w = snprintf(path, len, "%s/%s", TV_PKGLIBDIR, file);
	else
		w = snprintf(path, len, "%s/../lib/taskvisor/%s", exe, file);
	if (w < 0 || (size_t)w >= len) {
		snprintf(err, errlen, "%s: path too long", file);
		return -1;
	}
	return 0;
}
