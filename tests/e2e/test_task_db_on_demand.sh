#!/bin/sh
# A daemon without task types opens no database and maps no SQLite until a task
# command needs it; task types added by reload open it; an unopenable database
# is a clear error for the task command and leaves supervision running.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program sleeper <<CONF
[program:sleeper]
command = sleep 600
startsecs = 0
CONF
tv_start
wait_state sleeper RUNNING
[ -e "$T/tasks.db" ] && fail "the database was created without task types"
grep -q 'libsqlite3' "/proc/$DAEMON_PID/maps" && fail "SQLite is mapped without task types"
out=$(ctl ping)
echo "$out" | grep -Eq '^database +ok +not opened yet' || fail "ping: [$out]"
# process checks need no database either
ctl check processes >/dev/null || fail "check processes"
[ -e "$T/tasks.db" ] && fail "check processes created the database"
# the first task command opens it
out=$(ctl task list 2>&1); rc=$?
assert_eq "$rc" 0 "task list exit ($out)"
[ -e "$T/tasks.db" ] || fail "task list did not open the database"
grep -q 'libsqlite3' "/proc/$DAEMON_PID/maps" || fail "SQLite not loaded after task list"
ctl ping | grep -Eq '^database +ok +' || fail "ping after opening"
ctl ping | grep -q 'not opened yet' && fail "ping still says not opened"
ctl stop all >/dev/null
ctl shutdown >/dev/null
wait "$DAEMON_PID"

# reload that adds a task type opens the database at once
rm -f "$T/tasks.db" "$T/tasks.db-wal" "$T/tasks.db-shm"
tv_start
[ -e "$T/tasks.db" ] && fail "second start created the database"
cat >"$T/conf.d/task.conf" <<CONF
[task:hello]
steps = one
step.one = /bin/true
CONF
ctl reload >/dev/null || fail "reload"
wait_for 5 test -e "$T/tasks.db" || fail "reload with a task type did not open the database"
ctl shutdown >/dev/null
wait "$DAEMON_PID"

# an unopenable database: the task command says why, supervision goes on
rm -f "$T/conf.d/task.conf" "$T/tasks.db" "$T/tasks.db-wal" "$T/tasks.db-shm"
sed -i "s|^database = .*|database = $T/no/such/dir/tasks.db|" "$T/taskvisord.conf"
tv_start
wait_state sleeper RUNNING
out=$(ctl task list 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "task list on an unopenable database succeeded: [$out]"
assert_contains "$out" "task database:" "error names the database"
assert_contains "$out" "$T/no/such/dir/tasks.db" "error names the path"
wait_state sleeper RUNNING
