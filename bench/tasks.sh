#!/bin/sh
# bench/tasks.sh — the task engine's throughput and latency, side by side with
# a reference SQLite job queue from npm (plainjob on better-sqlite3).
#
# For each durability (normal, full): a fresh taskvisord on a temp dir with
# 2 noop-worker processes (prefetch $PREFETCH) serving task type "noop" (one
# handler step that does nothing). task-bench submits $N tasks in batches of
# $BATCH through libtaskvisor (after $WARMUP untimed ones) and waits until all
# have stopped (tasks/s), then
# submits $LAT_N tasks one at a time $INTERVAL ms apart; submit -> start
# latency = the worker's start stamp - the client's clock before the submit
# (both CLOCK_REALTIME on this machine). The reference does the same work
# with 2 worker processes. Targets are printed with met or MISSED. The CPU
# time per task of the daemon, the workers and the client over the timed run
# (from /proc and getrusage) says where the time goes.
#
#   BUILD=build sh bench/tasks.sh        (make bench runs it through bench/run.sh)
#   TASKS_REF=0 skips the reference; TASKS_N, TASKS_BATCH, TASKS_PREFETCH ... below
set -u
build=${BUILD:-build}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/e2e/tvconf.sh"
N=${TASKS_N:-50000}
BATCH=${TASKS_BATCH:-500}
LAT_N=${TASKS_LAT_N:-500}
INTERVAL=${TASKS_INTERVAL_MS:-2}
# Each worker holds up to 256 steps: a no-op step takes microseconds, so with fewer in flight the
# two workers' windows, not the daemon, bound the rate, and each group commit carries fewer tasks
# (here: prefetch 32 ~33k/s, 128 ~37k/s, 256 ~44k/s). TASKS_PREFETCH changes it. Real steps
# want a small prefetch (README: Performance).
PREFETCH=${TASKS_PREFETCH:-256}
WARMUP=${TASKS_WARMUP:-2000}
REF=${TASKS_REF:-1}
TARGET_NORMAL=37000
TARGET_FULL=10000
TARGET_RATIO=2
TARGET_P50=1.0

TVD="$build/bin/taskvisord"
BENCH="$build/bench/task-bench"
for b in "$TVD" "$BENCH" "$build/bin/noop-worker"; do
	[ -x "$b" ] || { echo "tasks: $b is missing (make all $BENCH)"; exit 1; }
done

DPID=""
TDIR=""
cleanup() {
	if [ -n "$DPID" ]; then kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
	[ -n "$TDIR" ] && rm -rf "$TDIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# percentile P of the numbers on stdin (sorted here)
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} i=int(p/100*NR); if (i<1) i=1; if (i>NR) i=NR; printf "%.3f", a[i]}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a+0 >= b+0)}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a+0 <= b+0)}'; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# CPU clock ticks (user + system) of pid $1 and, with $2 = children, of its children
ticks() {
	if [ "${2:-}" = children ]; then
		for p in $(pgrep -P "$1"); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'
	else
		awk '{print $14 + $15}' "/proc/$1/stat"
	fi
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run_tv DURABILITY -> sets TV_RATE TV_P50 TV_P99 TV_FAILED
run_tv() {
	TDIR=$(mktemp -d "${TMPDIR:-/tmp}/tv-bench.XXXXXX")
	mkdir -p "$TDIR/log"
	{ tv_conf_main "$TDIR" warn "$1"; echo
	tv_conf_workers noop 2 0 10 "$build/bin/noop-worker --queue bench --prefetch $PREFETCH --stamp $TDIR/stamps_%(process_num)02d"
	cat <<CONF

[task:noop]
queue = bench
steps = run
step.run = handler:noop
CONF
	} >"$TDIR/taskvisord.conf"
	"$TVD" -n -c "$TDIR/taskvisord.conf" >"$TDIR/daemon.out" 2>&1 &
	DPID=$!
	why=$(tv_wait_socket "$DPID" "$TDIR/tv.sock" 200) || { echo "tasks: $why: $(tail -5 "$TDIR/daemon.out")"; return 1; }
	sleep 1 # let both workers connect
	if [ "$WARMUP" -gt 0 ]; then
		"$BENCH" throughput "$TDIR/tv.sock" noop "$WARMUP" "$BATCH" >/dev/null || { tail -5 "$TDIR/daemon.out"; return 1; }
	fi
	d0=$(ticks "$DPID"); w0=$(ticks "$DPID" children)
	out=$("$BENCH" throughput "$TDIR/tv.sock" noop "$N" "$BATCH") || { echo "tasks: $out"; tail -5 "$TDIR/daemon.out"; return 1; }
	d1=$(ticks "$DPID"); w1=$(ticks "$DPID" children)
	TV_RATE=$(field "$out" rate)
	TV_FAILED=$(field "$out" failed)
	TV_CPU=$(awk -v d="$((d1 - d0))" -v w="$((w1 - w0))" -v c="$(field "$out" client_cpu_us)" -v n="$N" -v hz="$HZ" \
		'BEGIN {printf "daemon %.1f, workers %.1f, client %.1f", d * 1e6 / hz / n, w * 1e6 / hz / n, c / n}')
	"$BENCH" latency "$TDIR/tv.sock" noop "$LAT_N" "$INTERVAL" "$TDIR/submits" || return 1
	sleep 0.5
	kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID="" # workers flush their stamps as they stop
	cat "$TDIR"/stamps_* 2>/dev/null >"$TDIR/stamps"
	awk 'NR == FNR {s[$1] = $2; next} ($1 in s) {printf "%.6f\n", ($2 - s[$1]) / 1e6}' \
		"$TDIR/submits" "$TDIR/stamps" >"$TDIR/lat"
	TV_P50=$(pct 50 <"$TDIR/lat")
	TV_P99=$(pct 99 <"$TDIR/lat")
	TV_LAT_N=$(wc -l <"$TDIR/lat")
	rm -rf "$TDIR"; TDIR=""
}

# run_ref DURABILITY -> sets REF_RATE REF_P50 REF_P99 ("" when unavailable)
REF_OK=""
ref_setup() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "tasks: node/npm missing: no reference"; return 1; }
	if [ ! -f "$here/ref-queue/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
		echo "tasks: installing the reference (plainjob, better-sqlite3) into bench/ref-queue/node_modules ..."
		(cd "$here/ref-queue" && npm install --no-audit --no-fund >/dev/null 2>&1 &&
			npm rebuild better-sqlite3 >/dev/null 2>&1) || { echo "tasks: npm install failed: no reference"; return 1; }
	fi
	REF_OK=1
}
run_ref() {
	REF_RATE=""; REF_P50=""; REF_P99=""
	[ -n "$REF_OK" ] || return 0
	TDIR=$(mktemp -d "${TMPDIR:-/tmp}/tv-bench-ref.XXXXXX")
	out=$(cd "$here/ref-queue" && timeout 600 node bench.mjs main "$TDIR/queue.db" "$1" "$N" "$BATCH" "$LAT_N" "$INTERVAL" 2>"$TDIR/ref.err") ||
		{ echo "tasks: reference failed: $out $(tail -3 "$TDIR/ref.err")"; rm -rf "$TDIR"; TDIR=""; return 0; }
	REF_RATE=$(field "$out" rate)
	REF_P50=$(field "$out" p50_ms)
	REF_P99=$(field "$out" p99_ms)
	REF_NOTE="worker crashes $(field "$out" worker_crashes), jobs stalled $(field "$out" stalled), busy retries $(field "$out" busy_retries)"
	err=$(grep -m 1 -o 'SqliteError: .*' "$TDIR/ref.err")
	[ -n "$err" ] && REF_NOTE="$REF_NOTE; $err"
	rm -rf "$TDIR"; TDIR=""
}

met() { if "$@"; then echo "met"; else echo "MISSED"; fi; }

echo "tasks: $N no-op tasks (batches of $BATCH), 2 workers (prefetch $PREFETCH); latency over $LAT_N single submits $INTERVAL ms apart"
[ "$REF" = 0 ] || ref_setup || true
rc=0
for dur in normal full; do
	run_tv "$dur" || { rc=1; continue; }
	run_ref "$dur"
	if [ "$dur" = normal ]; then target=$TARGET_NORMAL; else target=$TARGET_FULL; fi
	printf '%-8s taskvisor  %8s tasks/s  p50 %7s ms  p99 %7s ms  (failed %s, %s latency samples)\n' \
		"$dur" "$TV_RATE" "$TV_P50" "$TV_P99" "$TV_FAILED" "$TV_LAT_N"
	echo "$dur   CPU per task (us): $TV_CPU"
	if [ -n "$REF_RATE" ]; then
		printf '%-8s plainjob   %8s tasks/s  p50 %7s ms  p99 %7s ms  (%s)\n' "$dur" "$REF_RATE" "$REF_P50" "$REF_P99" "$REF_NOTE"
		ratio=$(awk -v a="$TV_RATE" -v b="$REF_RATE" 'BEGIN {printf "%.2f", a / b}')
		echo "$dur   goal >= ${TARGET_RATIO}x the reference: $(met ge "$ratio" "$TARGET_RATIO") (${ratio}x)"
	fi
	echo "$dur   goal >= $target tasks/s: $(met ge "$TV_RATE" "$target")"
	echo "$dur   goal p50 <= $TARGET_P50 ms: $(met le "$TV_P50" "$TARGET_P50")"
	[ -n "$REF_RATE" ] || echo "$dur   goal >= ${TARGET_RATIO}x the reference: MISSED (no reference run)"
	[ "$TV_FAILED" = 0 ] || { echo "$dur   $TV_FAILED tasks did not succeed"; rc=1; }
done
exit $rc
