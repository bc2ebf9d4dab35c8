#!/bin/sh
# libtaskvisor as a library: its public header names no private header, the shared object has a
# soname and exports tv_* only, and a worker and a client written outside the tree (only
# <taskvisor.h>, built once against libtaskvisor.so and once against libtaskvisor.a) serve and
# submit a task on the real daemon.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LIBDIR="$BUILD/lib"
command -v cc >/dev/null 2>&1 || { echo "SKIP: no C compiler"; exit 77; }

grep -n '#include "' "$SRC/lib/libtaskvisor/taskvisor.h" && fail "taskvisor.h includes a project header"
soname=$(readelf -d "$LIBDIR/libtaskvisor.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
assert_eq "$soname" "libtaskvisor.so.0" "soname"
other=$(nm -D --defined-only "$LIBDIR/libtaskvisor.so" | awk '$2 != "A" {print $3}' | grep -v '^tv_')
assert_eq "$other" "" "symbols exported besides tv_*"
other=$(nm -g --defined-only "$LIBDIR/libtaskvisor.a" 2>/dev/null | awk 'NF == 3 {print $3}' | grep -v '^tv_')
assert_eq "$other" "" "global symbols of the archive besides tv_*"

tv_init
W="$T/outside"
mkdir -p "$W"
cat >"$W/worker.c" <<'EOC'
#include <signal.h>
#include <stdio.h>
#include <taskvisor.h>

static struct tv_worker *w;

static int shout(struct tv_step *s, void *arg)
{
	const char *who = json_string_value(json_object_get(tv_step_input(s), "who"));
	char out[256];
	(void)arg;
	snprintf(out, sizeof(out), "{\"said\":\"HELLO %s\"}", who != NULL ? who : "?");
	return tv_step_output(s, out) == 0 ? TV_STEP_OK : TV_STEP_FAILED;
}

static void stop(int sig)
{
	(void)sig;
	tv_worker_stop(w);
}

int main(void)
{
	char err[TV_ERR_LEN];
	w = tv_worker_new(NULL, "outside", 1, err, sizeof(err));
	if (w == NULL || tv_worker_handle(w, "shout", shout, NULL) != 0) {
		fprintf(stderr, "worker: %s\n", w == NULL ? err : tv_worker_error(w));
		return 1;
	}
	signal(SIGTERM, stop);
	return tv_worker_run(w) == 0 ? 0 : 1;
}
EOC
cat >"$W/client.c" <<'EOC'
#include <stdio.h>
#include <stdlib.h>
#include <taskvisor.h>

int main(int argc, char **argv)
{
	char err[TV_ERR_LEN], id[TV_ID_LEN];
	json_t *task = NULL;
	struct tv_client *c = tv_client_connect(argc > 1 ? argv[1] : NULL, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "client: %s\n", err);
		return 1;
	}
	if (tv_submit(c, "outside.shout", "{\"who\":\"world\"}", NULL, id) != 0 || tv_wait(c, id, &task) != 0) {
		fprintf(stderr, "client: %s\n", tv_client_error(c));
		return 1;
	}
	char *s = json_dumps(task, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s);
	free(s);
	json_decref(task);
	tv_client_close(c);
	return 0;
}
EOC
CFL="-std=c11 -Wall -Wextra -Werror -I$SRC/lib/libtaskvisor"
# a sanitizer build (make asan): the library's objects need the same runtime in the program
readelf -d "$LIBDIR/libtaskvisor.so" | grep -q 'libasan' && CFL="$CFL -fsanitize=address,undefined"
cc $CFL -o "$W/worker-so" "$W/worker.c" -L"$LIBDIR" -ltaskvisor -ljansson || fail "worker does not build against the .so"
cc $CFL -o "$W/client-so" "$W/client.c" -L"$LIBDIR" -ltaskvisor -ljansson || fail "client does not build against the .so"
cc $CFL -o "$W/client-a" "$W/client.c" "$LIBDIR/libtaskvisor.a" -ljansson -lm || fail "client does not build against the .a"
readelf -d "$W/worker-so" | grep -q 'NEEDED.*\[libtaskvisor.so.0\]' || fail "worker does not need libtaskvisor.so.0"

tv_program outside <<EOF2
[program:outside-worker]
command = $W/worker-so
environment = LD_LIBRARY_PATH="$LIBDIR"
startsecs = 0

[task:outside.shout]
queue = outside
steps = one
step.one = handler:shout
EOF2
tv_start
wait_state outside-worker RUNNING
sock=$(sed -n 's/^file *= *//p' "$T/taskvisord.conf" | head -n 1)
[ -n "$sock" ] || fail "no socket path in the test config"
out=$(LD_LIBRARY_PATH="$LIBDIR" "$W/client-so" "$sock") || fail "client (.so): $out"
assert_contains "$out" '"said":"HELLO world"' "output through the .so worker and client"
assert_contains "$out" '"state":"stopped"' "task stopped"
out=$("$W/client-a" "$sock") || fail "client (.a): $out"
assert_contains "$out" '"said":"HELLO world"' "output through the static client"
echo "PASS $TEST_NAME"
