#!/bin/sh
# Handler steps served by a C worker built on libtaskvisor (noop-worker:
# handlers noop, sleep, fail) next to command steps on the exec worker, in
# two queues; a handler's failure message reaches the task; a running
# handler step is cancelled; the exec worker's failure texts for a missing
# command ("exited 127") and a step killed by a signal.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program workers <<EOF2
[program:noop-worker]
command = $BUILD/bin/noop-worker --queue c --prefetch 4
startsecs = 0

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:mixed]
queue = c
steps = first, second
step.first = handler:noop
step.second = handler:noop

[task:hfail]
queue = c
steps = boom
step.boom = handler:fail

[task:hsleep]
queue = c
cancellable = true
steps = nap
step.nap = handler:sleep

[task:missing]
steps = run
step.run = /nonexistent/bin/tool --flag

[task:signal]
steps = run
step.run = echo about to die >&2; kill -9 \$\$
EOF2
tv_start
wait_state noop-worker RUNNING
wait_state exec-worker RUNNING

out=$(ctl task submit mixed --wait); rc=$?
assert_eq "$rc" 0 "handler task ($out)"
assert_contains "$out" "stopped: success" "handler task result"
id=$(echo "$out" | head -n 1)
assert_contains "$(ctl task show "$id")" "handler: noop" "show names the handler"

out=$(ctl task submit hfail --input '{"message":"the disk is full"}' --wait); rc=$?
[ $rc -ne 0 ] || fail "failing handler task exited 0: $out"
id=$(echo "$out" | head -n 1)
show=$(ctl task show "$id")
assert_contains "$show" "State:        paused" "failing handler pauses"
assert_contains "$show" "step boom: the disk is full" "handler's message"

id=$(ctl task submit hsleep --input '{"seconds":60}') || fail "submit hsleep"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        running'" ||
	fail "sleep handler did not start: $(ctl task show "$id")"
ctl task cancel "$id" >/dev/null || fail "cancel of a running handler step"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       cancelled'" ||
	fail "handler step not cancelled: $(ctl task show "$id")"
# the worker is free again: a new task runs at once
out=$(ctl task submit mixed --wait) || fail "worker not free after the cancel: $out"

out=$(ctl task submit missing --wait 2>&1)
id=$(echo "$out" | head -n 1)
show=$(ctl task show "$id")
assert_contains "$show" "step run: exited 127" "missing command status"
assert_contains "$show" "cannot run /nonexistent/bin/tool: No such file or directory" "missing command tail"

out=$(ctl task submit signal --wait 2>&1)
id=$(echo "$out" | head -n 1)
show=$(ctl task show "$id")
assert_contains "$show" "step run: killed by signal 9" "signal status"
assert_contains "$show" "| about to die" "signal tail"
echo "ok $TEST_NAME"
