#!/bin/sh
# A queue no worker serves is never silent: `task submit` warns on stderr (exit 0, the id on
# stdout), `task show` says why the task waits, `check queue` is CRITICAL naming the queue, the
# daemon logs it, and a step waiting past its type's timeout is stuck (check stuck, task list
# --stuck). Once a worker serves the queue, the task runs and a submit no longer warns.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program reports <<EOF2
[program:reports-worker]
command = $BUILD/bin/exec-worker --queue reports
autostart = false
startsecs = 0

[task:report]
queue = reports
steps = run
step.run = true
timeout = 1s
EOF2
tv_start
id=$(ctl task submit report 2>"$T/submit.err"); rc=$?
assert_eq "$rc" 0 "submit exits 0"
[ -n "$id" ] || fail "no id on stdout"
assert_eq "$(cat "$T/submit.err")" 'warning: no worker serves queue "reports"; the task waits until one connects' "submit warns on stderr"
out=$(ctl task show "$id")
assert_contains "$out" 'Waiting:      no worker serves queue "reports"' "task show says why it waits"
ctl task show "$id" --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["task"]; assert t["waiting"] == "no worker serves queue \"reports\"", t' ||
	fail "--json carries waiting"
out=$(ctl check queue); rc=$?
assert_eq "$rc" 2 "check queue CRITICAL ($out)"
assert_contains "$out" 'TASKS QUEUE CRITICAL - 1 steps ready, oldest waiting ' "CRITICAL line"
assert_contains "$out" 'no worker serves queue "reports" (1 steps ready)' "names the queue"
assert_contains "$out" ' unserved=1' "perfdata"
grep -q 'no worker serves queue "reports"' "$T/taskvisord.log" || fail "not logged: $(tail -5 "$T/taskvisord.log")"
# past the type's timeout (1 s) it is stuck
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" check stuck >/dev/null; [ \$? -ne 0 ]" ||
	fail "never stuck: $(ctl check stuck)"
out=$(ctl check stuck)
assert_contains "$out" "STUCK WARNING - 1 tasks stuck" "check stuck counts it"
out=$(ctl task list --stuck)
assert_contains "$out" "$id" "task list --stuck lists it"
assert_contains "$out" 'step run: waiting ' "reason: waiting"
assert_contains "$out" 'no worker serves queue "reports"), over its timeout of 1 s' "reason: queue and timeout"
# a worker for the queue: the task runs, nothing warns any more
ctl start reports-worker >/dev/null || fail "start worker"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        stopped'" ||
	fail "never ran: $(ctl task show "$id")"
out=$(ctl check queue); rc=$?
assert_eq "$rc" 0 "check queue OK once served ($out)"
id2=$(ctl task submit report 2>"$T/submit2.err") || fail "second submit"
assert_eq "$(cat "$T/submit2.err")" "" "no warning once served"
echo "ok $TEST_NAME"
