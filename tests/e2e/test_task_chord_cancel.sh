#!/bin/sh
# Cancelling a parent cancels its children (running and waiting ones), all or
# nothing: a parent whose running child cannot be cancelled is refused and
# nothing changes.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 8
startsecs = 0

[task:fan]
steps = split, join
cancellable = true
step.split = sh -c 'for n in 1 2 3; do echo "spawn \$TASK_INPUT_kind {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = true

[task:leaf]
steps = work
cancellable = true
step.work = sh -c 'echo "\$TASK_ID" >> $T/started; exec sleep 60'

[task:stubborn]
steps = work
step.work = sh -c 'echo "\$TASK_ID" >> $T/stubborn; exec sleep 60'
EOF2
tv_start
wait_state exec-worker RUNNING

lines() { [ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
state() { ctl task show "$1" | awk '/^State:/ {print $2}'; }
result() { ctl task show "$1" | awk '/^Result:/ {print $2}'; }

id=$(ctl task submit fan --input '{"kind":"leaf"}') || fail "submit: $id"
wait_for 30 lines "$T/started" 3 || fail "children did not start: $(ctl task show "$id")"
out=$(ctl task cancel "$id" 2>&1) || fail "cancel: $out"
assert_eq "$(result "$id")" cancelled "parent result"
for c in $(cat "$T/started"); do
	assert_eq "$(state "$c")/$(result "$c")" stopped/cancelled "child $c"
done

# a child that cannot be cancelled while it runs keeps its parent (and siblings) running
id2=$(ctl task submit fan --input '{"kind":"stubborn"}') || fail "submit 2: $id2"
wait_for 30 lines "$T/stubborn" 3 || fail "stubborn children did not start: $(ctl task show "$id2")"
out=$(ctl task cancel "$id2" 2>&1) && fail "cancel should be refused: $out"
assert_contains "$out" "Cancel Not Implemented for Task:" "refusal"
assert_contains "$out" "a sub-task of $id2" "refusal names the parent"
assert_eq "$(state "$id2")" running "parent still running"
# (a task row is written up to ENGINE_LATE_MS after its step started: wait for it)
running() { [ "$(state "$1")" = running ]; }
for c in $(cat "$T/stubborn"); do
	wait_for 5 running "$c" || assert_eq "$(state "$c")" running "stubborn child $c"
done
echo "ok $TEST_NAME"
