#!/bin/sh
# Every state change is one log line from its transition function
# (supervisord/engine_state.c): at loglevel info the daemon logs a step in
# error, the pause, the resume and the step's way back, each once, as
# "task ID: FROM -> TO (why)", and none of the routine moves (planned,
# ready, claimed, success), which are debug.
. "$(dirname "$0")/lib.sh"
tv_init
sed -i 's/^loglevel = .*/loglevel = info/' "$T/taskvisord.conf"
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:flaky]
steps = first, check
step.first = true
step.check = sh -c 'test -f $T/fixed || exit 3'
EOF2
tv_start
wait_state exec-worker RUNNING

paused() { ctl task show "$1" | grep -q '^State: *paused$'; }
stopped() { ctl task show "$1" | grep -q '^State: *stopped$'; }
id=$(ctl task submit flaky) || fail "submit: $id"
wait_for 10 paused "$id" || fail "not paused: $(ctl task show "$id")"
touch "$T/fixed"
ctl task resume "$id" >/dev/null || fail "resume"
wait_for 10 stopped "$id" || fail "not stopped: $(ctl task show "$id")"
ctl task show "$id" | grep -q '^Result: *success$' || fail "result: $(ctl task show "$id")"

log=$(grep -F "task $id:" "$T/taskvisord.log" | sed 's/^.* \([A-Z]*\) taskvisord: /\1 /')
want="INFO task $id: step check: running -> error (exited 3)
INFO task $id: running -> paused (step check failed)
INFO task $id: step check: error -> ready (resumed)
INFO task $id: paused -> running (resumed)"
assert_eq "$log" "$want" "the task's log lines at info"
echo "ok $TEST_NAME"
