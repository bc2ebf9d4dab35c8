#!/bin/sh
# `task submit --parent ID` makes the new task a child of the parent's running
# step, as a spawn from that step would: the parent's next step waits until
# the child has stopped and gets its output; task show lists the child and
# --search 'parent_task_id = ID' finds it.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[task:holder]
steps = wait, after
step.wait = sh -c 'touch $T/holding; while [ ! -e $T/go ]; do sleep 0.1; done'
step.after = sh -c 'cat > $T/after.json'

[task:leaf]
steps = work
step.work = sh -c 'while [ ! -e $T/leaf-go ]; do sleep 0.1; done; echo "output {\"leaf\":1}" >&3'
EOF2
tv_start
wait_state exec-worker RUNNING

id=$(ctl task submit holder) || fail "submit holder: $id"
wait_for 30 test -e "$T/holding" || fail "holder did not start"
child=$(ctl task submit leaf --parent "$id") || fail "submit --parent: $child"
touch "$T/go"
step_is() { ctl task show "$id" | grep -Eq "^ +0 +wait +$1 "; }
wait_for 30 step_is suspended || fail "the parent's step does not wait for the child: $(ctl task show "$id")"
[ -e "$T/after.json" ] && fail "next step ran before the child stopped"
assert_contains "$(ctl task show "$id")" "$child" "show lists the child"
n=$(ctl task list --search "parent_task_id = $id" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
assert_eq "$n" 1 "search parent_task_id"
touch "$T/leaf-go"
done_ok() { ctl task show "$id" | grep -q '^Result: *success$'; }
wait_for 30 done_ok || fail "parent did not complete: $(ctl task show "$id")"
assert_eq "$(cat "$T/after.json")" '[{"leaf":1}]' "the next step's input"
echo "ok $TEST_NAME"
