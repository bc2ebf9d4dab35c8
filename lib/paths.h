/*
 * paths.h — where an installed taskvisor finds its files: the directories
 * `make install` put them in (PREFIX, SBINDIR, LIBDIR, SYSCONFDIR), compiled
 * into paths.o only, so changing them rebuilds one object.
 *
 * A program running from anywhere else (the build tree, the tests, a DESTDIR)
 * finds its modules beside itself, in $exe_dir/../lib/taskvisor/, as before.
 */
#ifndef TV_PATHS_H
#define TV_PATHS_H

#include <stddef.h>

/* SYSCONFDIR/taskvisor/taskvisord.conf: the configuration read when no -c is given. */
const char *paths_conf(void);
/*
 * The full path of the module file ("http.so", "queue-sqlite.so") into path: LIBDIR/taskvisor/FILE
 * when this program is the one installed in SBINDIR or BINDIR, else $exe_dir/../lib/taskvisor/FILE.
 * 0, or -1 with err ("cannot find this program's directory").
 */
int paths_module(const char *file, char *path, size_t len, char *err, size_t errlen);

#endif
