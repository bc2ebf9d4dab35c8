#!/bin/sh
# A step lost to the OOM killer says so: the exec worker runs under memory_limit in its own
# memory cgroup; a step that touches 200 MB is killed by the kernel, the worker survives, and
# the step's error reads "killed by signal 9 (OOM killed: ...)". A plain kill -9 of a step
# is not called an OOM kill. Skipped (77) where no memory cgroup can be made.
. "$(dirname "$0")/lib.sh"
EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0
memory_limit = 48MB

[task:hog]
steps = run
step.run = $EAT -H 200

[task:victim]
steps = run
step.run = sleep 1000
EOF2
tv_start
wait_for 10 grep -q "memory cgroups: " "$T/taskvisord.log" || fail "no 'memory cgroups:' line"
line=$(grep "memory cgroups: " "$T/taskvisord.log" | head -n 1)
case "$line" in *"memory cgroups: none"*) echo "skip: ${line#*memory cgroups: }"; exit 77 ;; esac
wait_state exec-worker RUNNING
wpid=$(ctl pid exec-worker)
id=$(ctl task submit hog) || fail "submit hog"
wait_for 30 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        paused'" ||
	fail "hog did not pause: $(ctl task show $id)"
show=$(ctl task show "$id")
assert_contains "$show" "step run: killed by signal 9 (OOM killed: memory_limit of exec-worker)" "step error names the OOM kill"
assert_eq "$(ctl pid exec-worker)" "$wpid" "the worker survived its step's OOM kill"
id2=$(ctl task submit victim) || fail "submit victim"
kids() { cat /proc/"$wpid"/task/*/children 2>/dev/null; }
wait_for 10 sh -c "cat /proc/$wpid/task/*/children 2>/dev/null | grep -q '[0-9]'" || fail "victim step did not start"
kill -KILL $(kids)
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id2 | grep -q 'State:        paused'" ||
	fail "victim did not pause"
show=$(ctl task show "$id2")
assert_contains "$show" "step run: killed by signal 9" "plain kill"
assert_not_contains "$show" "OOM" "a plain kill -9 is no OOM kill"
echo "ok $TEST_NAME"
