#!/bin/sh
# check stuck: OK (exit 0) with nothing stuck; CRITICAL (exit 2) once a step runs past its
# type's timeout=, and `task list --stuck` lists that task with the reason.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:slow]
steps = run
step.run = sleep 60
timeout = 1s
cancellable = true
EOF2
tv_start
wait_state exec-worker RUNNING
out=$(ctl check stuck); rc=$?
assert_eq "$rc" 0 "nothing stuck: OK ($out)"
assert_contains "$out" "STUCK OK - 0 tasks stuck | stuck=0;" "OK line with perfdata"
assert_eq "$(ctl task list --stuck | tail -n +2)" "" "task list --stuck empty"
id=$(ctl task submit slow) || fail "submit"
wait_for 20 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" check stuck --warn 1 --crit 1 >/dev/null; [ \$? -eq 2 ]" ||
	fail "never CRITICAL: $(ctl check stuck --warn 1 --crit 1)"
out=$(ctl check stuck --warn 1 --crit 1); rc=$?
assert_eq "$rc" 2 "CRITICAL exit ($out)"
assert_contains "$out" "STUCK CRITICAL - 1 tasks stuck | stuck=1;1;1" "CRITICAL line with perfdata"
out=$(ctl task list --stuck)
assert_contains "$out" "$id" "task list --stuck lists it"
assert_contains "$out" "STUCK: step run: running " "reason given"
assert_contains "$out" "over its timeout of 1 s" "reason names the timeout"
ctl task list --stuck --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "timeout" in d["tasks"][0]["stuck_reason"]' ||
	fail "--json carries stuck_reason"
echo "ok $TEST_NAME"
