#!/bin/sh
# bench/search_cleanup.sh — search and cleanup on a big database.
#
# A fresh taskvisord creates the schema (migrations), is stopped, and sqlite3
# fills the database with $N tasks (one step each; 1 in 1000 paused in error,
# the first $OLD stopped with label "old"). The daemon is started again and:
#   1. `taskvisorctl task list --search 'state = paused and result = error'`
#      is timed with hyperfine (median; target <= 50 ms), and EXPLAIN QUERY PLAN
#      of the SQL it compiles to shows the index it uses;
#   2. `task cleanup --search 'label = old'` deletes $OLD tasks in batches while
#      strace records when the daemon takes and drops SQLite's WAL write lock
#      (fcntl on byte 120 of tasks.db-shm): the longest hold is the figure
#      (target <= 100 ms). A concurrent writer (python3 sqlite3: BEGIN IMMEDIATE;
#      COMMIT in a loop, retrying at once when locked) records the longest time
#      it could not get the lock (the criterion when strace is missing), and the
#      daemon's per-batch times (debug log) are printed too.
#
#   BUILD=build sh bench/search_cleanup.sh      (bench/run.sh runs it)
#   SC_N=1000000 SC_OLD=100000 SC_BATCH=1000
set -u
build=${BUILD:-build}
build=$(cd "$build" && pwd)
N=${SC_N:-1000000}
OLD=${SC_OLD:-100000}
BATCH=${SC_BATCH:-1000}
TARGET_SEARCH_MS=50
TARGET_LOCK_MS=100
TVD="$build/bin/taskvisord"
TVCTL="$build/bin/taskvisorctl"
for b in "$TVD" "$TVCTL"; do
	[ -x "$b" ] || { echo "search_cleanup: $b is missing (make all)"; exit 1; }
done
for t in sqlite3 python3 hyperfine; do
	command -v $t >/dev/null || { echo "search_cleanup: needs $t (make deps-bench)"; exit 1; }
done

DPID=""
WPID=""
TDIR=$(mktemp -d "${TMPDIR:-/tmp}/tv-bench-sc.XXXXXX")
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	if [ -n "$DPID" ]; then kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
	[ -n "${SC_KEEP:-}" ] || rm -rf "$TDIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$TDIR/tv.conf" <<CONF
[taskvisord]
logfile = $TDIR/tv.log
loglevel = debug
pidfile = $TDIR/tv.pid
logdir = $TDIR
database = $TDIR/tasks.db
durability = normal

[unix_socket]
file = $TDIR/tv.sock

[task:sync]
steps = run
step.run = true
CONF
CTL="$TVCTL -c $TDIR/tv.conf"

start_daemon() {
	"$TVD" -n -c "$TDIR/tv.conf" >"$TDIR/daemon.out" 2>&1 &
	DPID=$!
	i=0
	until $CTL task list --limit 1 >/dev/null 2>&1; do
		kill -0 "$DPID" 2>/dev/null || { echo "search_cleanup: daemon exited: $(tail -n 5 "$TDIR/daemon.out")"; exit 1; }
		i=$((i + 1)); [ $i -gt 1200 ] && { echo "search_cleanup: daemon not answering"; exit 1; }
		sleep 0.05
	done
}
stop_daemon() { kill -TERM "$DPID"; wait "$DPID" 2>/dev/null; DPID=""; }

start_daemon
stop_daemon
t0=$(date +%s.%N)
NOW_MS=$(( $(date +%s) * 1000 ))
sqlite3 "$TDIR/tasks.db" <<SQL || { echo "search_cleanup: filling the database failed"; exit 1; }

PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO tasks (num, id, label, name, queue, state, result, triggered_by, created_at, started_at, ended_at,
                   steps_total, steps_done)
SELECT i, printf('%08x-0000-4000-8000-%012x', i, i),
       CASE WHEN i <= $OLD THEN 'old' ELSE CASE i % 3 WHEN 0 THEN 'sync' WHEN 1 THEN 'publish' ELSE 'delete' END END,
       'task ' || i, 'default',
       CASE WHEN i > $OLD AND i % 1000 = 7 THEN 'paused' ELSE 'stopped' END,
       CASE WHEN i > $OLD AND i % 1000 = 7 THEN 'error'
            ELSE CASE i % 4 WHEN 0 THEN 'success' WHEN 1 THEN 'error' WHEN 2 THEN 'warning' ELSE 'cancelled' END END,
       'bench', $NOW_MS - ($N - i) * 1000, $NOW_MS - ($N - i) * 1000,
       CASE WHEN i > $OLD AND i % 1000 = 7 THEN NULL ELSE $NOW_MS - ($N - i) * 1000 + 500 END,
       1, CASE WHEN i > $OLD AND i % 1000 = 7 THEN 0 ELSE 1 END
FROM n;
INSERT INTO steps (task, idx, name, command, state, attempts, started_at, ended_at)
SELECT num, 0, 'run', 'true', CASE state WHEN 'paused' THEN 'error' ELSE 'success' END, 1, started_at,
       started_at + 500
FROM tasks;
INSERT INTO errors (task, step, message, at)
SELECT num, 0, 'exited 1', started_at + 500 FROM tasks WHERE result = 'error';
COMMIT;
ANALYZE;
SQL
t1=$(date +%s.%N)
paused=$(sqlite3 "$TDIR/tasks.db" "select count(*) from tasks where state = 'paused' and result = 'error'")
echo "database: $N tasks ($OLD label old, $paused paused in error), $N steps, filled in $(echo "$t1 - $t0" | bc 2>/dev/null || python3 -c "print(round($t1 - $t0, 1))") s"

# the plan of the SQL `task list --search 'state = paused and result = error'` runs (queue_sqlite.c:
# SELECT ... WHERE <compiled search> ORDER BY num DESC LIMIT 100)
echo "query plan (list, default order):"
sqlite3 "$TDIR/tasks.db" "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE (state = 'paused' AND result = 'error') ORDER BY num DESC LIMIT 100" | sed 's/^/  /'
echo "query plan (cleanup's search):"
sqlite3 "$TDIR/tasks.db" "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE state = 'stopped' AND (label = 'old') ORDER BY num DESC" | sed 's/^/  /'

start_daemon
echo "daemon up with $N tasks ($(grep -o '[0-9]* unfinished tasks' "$TDIR/tv.log" | tail -n 1))"

# 1. search
hyperfine -N --warmup 3 --runs 30 --export-json "$TDIR/hf.json" \
	"$TVCTL -c $TDIR/tv.conf task list --search 'state = paused and result = error'" >"$TDIR/hf.out" 2>&1 ||
	{ echo "search_cleanup: hyperfine failed: $(tail -n 5 "$TDIR/hf.out")"; exit 1; }
rows=$($CTL task list --search 'state = paused and result = error' --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
all=$($CTL task list --search 'state = paused and result = error' --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
SEARCH_MS=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f %.1f %.1f" % (r["median"]*1000, r["min"]*1000, r["max"]*1000))' "$TDIR/hf.json")
set -- $SEARCH_MS
med=$1
echo "task list --search 'state = paused and result = error' ($rows rows shown, $all match): median $1 ms (min $2, max $3; hyperfine, 30 runs)"

# 2. cleanup of $OLD tasks with a concurrent writer
python3 - "$TDIR/tasks.db" "$TDIR/writer.out" "$TDIR/writer.stop" <<'PY' &
import sqlite3, sys, time, os
db, out, stop = sys.argv[1:4]
c = sqlite3.connect(db, timeout=0, isolation_level=None)
worst = 0.0; n = 0; at = "-"
while not os.path.exists(stop):
    t = time.monotonic()
    while True:
        try:
            c.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError:
            time.sleep(0.0002)
    waited = time.monotonic() - t
    c.execute("COMMIT")
    n += 1
    if waited > worst:
        worst = waited
        at = time.strftime("%H:%M:%S", time.localtime(time.time() - waited)) + ".%03d" % int(((time.time() - waited) % 1) * 1000)
    time.sleep(0.001)
open(out, "w").write("%.1f %d %s\n" % (worst * 1000, n, at if worst > 0 else "-"))
PY
WPID=$!
# the daemon's own hold of SQLite's WAL write lock (byte 120 of the -shm file), from strace
SPID=""
if command -v strace >/dev/null; then
	strace -f -tt -e trace=fcntl -p "$DPID" -o "$TDIR/strace.out" 2>/dev/null &
	SPID=$!
fi
sleep 1
c0=$(date +%s.%N)
out=$($CTL task cleanup --search 'label = old' --batch-size "$BATCH") || { echo "search_cleanup: cleanup failed: $out"; exit 1; }
c1=$(date +%s.%N)
sleep 0.5
touch "$TDIR/writer.stop"
wait "$WPID"; WPID=""
hold="-"
if [ -n "$SPID" ]; then
	kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
	hold=$(grep "l_start=120, l_len=1" "$TDIR/strace.out" | python3 -c '
import sys, datetime
worst = n = 0; t0 = None
for l in sys.stdin:
    f = l.split()
    ts = datetime.datetime.strptime(f[1], "%H:%M:%S.%f")
    if "F_WRLCK" in l and l.rstrip().endswith("= 0"):
        t0 = ts
    elif "F_UNLCK" in l and t0 is not None:
        worst = max(worst, (ts - t0).total_seconds()); n += 1; t0 = None
print("%.1f %d" % (worst * 1000, n))')
fi
set -- $(cat "$TDIR/writer.out")
lock=$1
batches=$(grep -c "cleanup label = old: batch of" "$TDIR/tv.log")
worst_batch=$(grep "cleanup label = old: batch of" "$TDIR/tv.log" | sed 's/.* deleted in \([0-9]*\) us.*/\1/' | sort -n | tail -n 1)
left=$(sqlite3 "$TDIR/tasks.db" "select count(*) from tasks where label = 'old'")
echo "task cleanup --search 'label = old' --batch-size $BATCH: $out in $(python3 -c "print(round($c1 - $c0, 2))") s, $batches batches, $left left"
echo "  finding them (one read, the daemon's loop busy): $(grep -o "cleanup label = old: [0-9]* tasks found in [0-9]* ms" "$TDIR/tv.log" | sed 's/.*found in //')"
echo "  longest batch (daemon, deletes only): $(python3 -c "print(round($worst_batch / 1000, 1))") ms"
echo "  concurrent writer (python3 sqlite3, BEGIN IMMEDIATE; COMMIT): longest wait for the write lock $lock ms over $2 transactions (from $3)"
[ "$hold" != "-" ] && echo "  daemon (strace of the WAL write lock): longest hold ${hold% *} ms over ${hold#* } transactions"
# the criterion: the daemon's own longest hold when strace could measure it, else the writer's longest wait
if [ "$hold" != "-" ] && [ -n "$hold" ]; then crit=${hold% *}; else crit=$lock; fi

met() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo met; else echo MISSED; fi; }
echo "target search <= $TARGET_SEARCH_MS ms: $med ms: $(met "$med <= $TARGET_SEARCH_MS")"
echo "target write lock held <= $TARGET_LOCK_MS ms at a time during cleanup: $crit ms: $(met "$crit <= $TARGET_LOCK_MS")"
