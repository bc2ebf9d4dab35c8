#!/bin/sh
# The daemon cleans up on its own: stopped tasks older than their type's
# cleanup_after, else [tasks] cleanup_after, go; others (a longer cleanup_after,
# or not stopped) stay; a task that never started (a lock conflict) counts
# from its end.
. "$(dirname "$0")/lib.sh"
tv_init
cat >>"$T/taskvisord.conf" <<CONF
[tasks]
cleanup_after = 2s
CONF
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:short]
steps = run
step.run = true

[task:long]
steps = run
step.run = true
cleanup_after = 1h

[task:stuck]
steps = run
step.run = false
lock = thing:one
EOF2
tv_start
wait_state exec-worker RUNNING
db() { sqlite3 "$T/tasks.db" "$1"; }

for i in 1 2 3; do ctl task submit short --wait >/dev/null || fail "short $i"; done
for i in 1 2; do ctl task submit long --wait >/dev/null || fail "long $i"; done
p=$(ctl task submit stuck) || fail "stuck"
is_paused() { ctl task show "$p" | grep -q '^State: *paused'; }
wait_for 30 is_paused || fail "stuck task did not pause"
ctl task submit stuck >/dev/null 2>&1 # a lock conflict: stopped in planning, never started
assert_eq "$(db "select count(*) from tasks where label = 'stuck' and state = 'stopped' and started_at is null")" 1 "a never-started task"
assert_eq "$(db "select count(*) from tasks where label = 'short'")" 3 "short tasks there at first"
gone() { [ "$(db "select count(*) from tasks where label = 'short'")" = 0 ]; }
wait_for 40 gone || fail "short tasks not cleaned up: $(ctl task list)"
assert_eq "$(db "select count(*) from tasks where label = 'long'")" 2 "long tasks kept (cleanup_after = 1h)"
assert_eq "$(db "select count(*) from tasks where id = '$p'")" 1 "paused task kept"
nostart() { [ "$(db "select count(*) from tasks where label = 'stuck' and state = 'stopped'")" = 0 ]; }
wait_for 30 nostart || fail "the never-started task was not cleaned up (counted from its end)"
grep -q "cleanup label = \"short\": 3 tasks deleted" "$T/taskvisord.log" || fail "no cleanup in the log"
echo "ok $TEST_NAME"
