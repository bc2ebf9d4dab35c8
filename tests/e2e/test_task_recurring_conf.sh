#!/bin/sh
# [recurring:NAME] sections in conf.d become recurring logics: one with
# iterations = 2 runs twice and shows finished; one whose section is removed
# is cancelled by `update` (or a reload) (no more tasks). Uses the cron clock's test seam
# TASKVISOR_TEST_MINUTE_SECONDS=1 (a cron minute lasts 1 s).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
startsecs = 0

[task:tick]
steps = run
step.run = true

[task:tock]
steps = run
step.run = true

[recurring:twice]
label = tick
cron = * * * * *
iterations = 2
input = {"from":"conf"}
EOF2
tv_program forever <<EOF2
[recurring:forever]
label = tock
cron = * * * * *
EOF2
TASKVISOR_TEST_MINUTE_SECONDS=1
export TASKVISOR_TEST_MINUTE_SECONDS
tv_start
wait_state exec-worker RUNNING

rec() { ctl recurring list --json | python3 -c "
import json, sys
rs = [r for r in json.load(sys.stdin)['recurring'] if r['label'] == '$1']
print(rs[-1]['$2'] if rs else '')"; }
count() { ctl task list --search "label = $1" --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'; }
rec_is() { [ "$(rec "$1" "$2")" = "$3" ]; }

wait_for 30 rec_is tick state finished || fail "twice not finished: $(ctl recurring list)"
assert_eq "$(count tick)" 2 "two tasks of [recurring:twice]"
assert_eq "$(rec tick triggered_by)" taskvisord "configured logics are the daemon's"
first=$(ctl task list --search 'label = tick' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])')
assert_contains "$(ctl task show "$first")" '{"from":"conf"}' "input from the section"

wait_for 30 sh -c "[ \$($TVCTL -c $T/taskvisord.conf task list --search 'label = tock' --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"tasks\"]))') -ge 1 ]" ||
	fail "[recurring:forever] did not fire"
rm "$T/conf.d/forever.conf"
ctl update >/dev/null || fail "update"
wait_for 30 rec_is tock state cancelled || fail "removed section not cancelled: $(ctl recurring list)"
n=$(count tock)
sleep 3 # three cron minutes of the seam: no occurrence may fire
assert_eq "$(count tock)" "$n" "no task after the section was removed"
echo "ok $TEST_NAME"
