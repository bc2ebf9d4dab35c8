#!/bin/sh
# Recurring logics: `task schedule --iterations 3` on a short schedule submits
# three tasks, one per occurrence, then shows Finished; `recurring cancel`
# stops a logic (no more tasks). Uses the cron clock's test seam
# TASKVISOR_TEST_MINUTE_SECONDS (lib/clock.c): a cron minute lasts 1 s.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
startsecs = 0

[task:tick]
steps = run
step.run = sh -c 'echo tick >> $T/ticks'

[task:tock]
steps = run
step.run = true
EOF2
TASKVISOR_TEST_MINUTE_SECONDS=1
export TASKVISOR_TEST_MINUTE_SECONDS
tv_start
wait_state exec-worker RUNNING

count() { ctl task list --search "label = $1" --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'; }
state_is() { ctl recurring show "$1" | grep -q "^State: *$2\$"; }
succeeded() { [ "$(ctl task list --search "label = $1 and result = success" --limit 0 --json |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')" = "$2" ]; }

out=$(ctl task schedule tick --cron '* * * * *' --iterations 3) || fail "schedule: $out"
rid=$(echo "$out" | head -n 1)
wait_for 40 state_is "$rid" finished || fail "not finished: $(ctl recurring show "$rid")"
show=$(ctl recurring show "$rid")
assert_contains "$show" "Iteration:    3 of 3" "iterations done"
assert_contains "$show" "Next at:      -" "no next occurrence"
assert_eq "$(count tick)" 3 "three tasks"
wait_for 30 succeeded tick 3 || fail "tick tasks: $(ctl task list --search 'label = tick')"
assert_eq "$(wc -l <"$T/ticks")" 3 "three runs"
assert_contains "$(ctl recurring list)" "finished" "list shows it finished"
grep -q "recurring logic $rid: active -> finished (after 3 iterations)" "$T/taskvisord.log" || fail "no finish log line"
# each task carries its logic: triggered by the scheduler's user, one per iteration
grep -c "recurring logic $rid: iteration" "$T/taskvisord.log" | grep -qx 3 || fail "iteration log lines"

# cancel stops a logic
out=$(ctl task schedule tock --cron '* * * * *') || fail "schedule tock: $out"
cid=$(echo "$out" | head -n 1)
has_tock() { [ "$(count tock)" -ge 1 ]; }
wait_for 30 has_tock || fail "no tock task"
ctl recurring cancel "$cid" >/dev/null || fail "cancel"
n=$(count tock)
assert_contains "$(ctl recurring show "$cid")" "State:        cancelled" "cancelled"
sleep 3 # three cron minutes of the seam: no occurrence may fire
assert_eq "$(count tock)" "$n" "no task after cancel"
echo "ok $TEST_NAME"
