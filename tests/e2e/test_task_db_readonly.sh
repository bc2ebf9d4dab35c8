#!/bin/sh
# A database on a file system that became read-only: a submit is refused with the cause in
# words and the path ("database is read-only"), never the SQL text; programs run on.
. "$(dirname "$0")/lib.sh"
tv_init
mkdir "$T/ro"
mount -t tmpfs -o size=4m tmpfs "$T/ro" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
# the daemon must be gone before the file system can be unmounted
ro_cleanup() {
	[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	umount "$T/ro" 2>/dev/null
	tv_cleanup
}
trap ro_cleanup EXIT
sed -i "s|^database = .*|database = $T/ro/tasks.db|" "$T/taskvisord.conf"
tv_program app <<EOF2
[program:sleeper]
command = sleep 600
startsecs = 0

[task:hello]
steps = one
step.one = /bin/true
EOF2
tv_start
wait_state sleeper RUNNING
ctl task submit hello --start-at +1h >/dev/null || fail "submit before"
# (a file system with the database open for writing cannot be remounted read-only; killed,
# the daemon leaves its -wal and -shm, with which SQLite can open the file read-only)
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID"
mount -o remount,ro "$T/ro" || fail "remount ro"
tv_start
wait_state sleeper RUNNING
out=$(ctl task submit hello 2>&1) && fail "submit on a read-only database succeeded: [$out]"
assert_contains "$out" "read-only" "submit error in words"
assert_contains "$out" "$T/ro/tasks.db" "submit error names the path"
assert_not_contains "$out" "INSERT" "no SQL in the error"
assert_not_contains "$out" "VALUES" "no SQL in the error"
wait_state sleeper RUNNING
ctl status >/dev/null || fail "status"
# the statement is in the debug log only
grep -q "engine: database: .*read-only" "$T/taskvisord.log" || fail "no detail in the debug log"
out=$(ctl task list 2>&1) || fail "task list on a read-only database: [$out]"
ctl shutdown >/dev/null
wait "$DAEMON_PID"
exit 0
