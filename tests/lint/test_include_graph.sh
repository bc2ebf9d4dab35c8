#!/bin/sh
# tests/lint/include_graph.py passes on the tree and fails, naming the problem, on a copy with
# one bad include each: the engine including the socket server, a handler including the engine's
# private header, lib/ including the programs' allocators, the store including the supervisor, a cycle of two headers, the public taskvisor.h including a project header, an
# include of no project file. Run by `make test-unit` (tests/unit/run.sh).
root=$(cd "$(dirname "$0")/../.." && pwd)
script="$root/tests/lint/include_graph.py"
tmp=$(mktemp -d /tmp/tv-include-graph.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

fail() { echo "FAIL test_include_graph: $*"; fails=$((fails + 1)); }

# copy: a fresh copy of the sources and the Makefile (the -I folders) in $tmp/t
copy() {
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" &&
		(cd "$root" && tar cf - Makefile lib supervisord ctl services) | (cd "$tmp/t" && tar xf -)
}

# expect_fail WHAT PATTERN: the script exits 1 on $tmp/t and says PATTERN
expect_fail() {
	out=$(python3 "$script" "$tmp/t" 2>&1); rc=$?
	[ "$rc" -eq 1 ] || fail "$1: exit $rc, want 1 ($out)"
	case "$out" in *"$2"*) ;; *) fail "$1: no \"$2\" in: $out" ;; esac
}

out=$(python3 "$script" "$root" 2>&1) || fail "the tree itself: $out"

copy
printf '#include "control.h"\n' >>"$tmp/t/supervisord/engine/engine_plan.c"
expect_fail "engine includes control.h" \
	"supervisord/engine/engine_plan.c (engine) includes supervisord/server/control.h (server): the engine layer may include only"

copy
printf '#include "engine_int.h"\n' >>"$tmp/t/supervisord/server/handlers_task.c"
expect_fail "handler includes engine_int.h" "includes supervisord/engine/engine_int.h: private to the engine layer"

copy
printf '#include "xmalloc.h"\n' >>"$tmp/t/lib/conf.c"
expect_fail "lib/ includes xmalloc.h" "lib/conf.c (lib) includes lib/xmalloc.h: for the programs only"

copy
printf '#include "proc.h"\n' >>"$tmp/t/supervisord/store/queue.c"
expect_fail "store includes proc.h" "supervisord/store/queue.c (store) includes supervisord/proc/proc.h (proc)"

copy
printf '#include "daemon.h"\n' >>"$tmp/t/supervisord/server/control.c"
expect_fail "the socket server includes the daemon" \
	"module cycle (a .c and its .h as one): supervisord/daemon -> supervisord/server/control -> supervisord/daemon"
expect_fail "the socket server includes the daemon (layers)" "layer cycle: daemon -> server -> daemon"

copy
printf '#include "cycle_b.h"\n' >"$tmp/t/lib/cycle_a.h"
printf '#include "cycle_a.h"\n' >"$tmp/t/lib/cycle_b.h"
expect_fail "a cycle" "include cycle: lib/cycle_a.h -> lib/cycle_b.h -> lib/cycle_a.h"

copy
printf '#include "log.h"\n' >>"$tmp/t/lib/libtaskvisor/taskvisor.h"
expect_fail "taskvisor.h includes log.h" "a public header includes no project header"

copy
printf '#include "no_such_header.h"\n' >>"$tmp/t/lib/log.c"
expect_fail "unresolved include" "lib/log.c: #include \"no_such_header.h\": not a file of the project"

[ "$fails" -eq 0 ] || exit 1
echo "ok test_include_graph"
