#!/bin/sh
# The task commands around the queue: export (CSV, HTML .tar.gz), locks, cleanup (--noop
# counts, then deletes only stopped tasks), schedule and recurring
# list/show/cancel, and their flag checks.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:sync]
steps = run
step.run = true
lock = repository:%(input.repo)s

[task:hold]
steps = run
step.run = sleep 30
lock = repository:%(input.repo)s
EOF2
tv_start
wait_state exec-worker RUNNING

a=$(ctl task submit sync --input '{"repo":"a"}' --wait | head -n 1) || fail "sync a"
b=$(ctl task submit sync --input '{"repo":"b"}' --wait | head -n 1) || fail "sync b"
h=$(ctl task submit hold --input '{"repo":"held"}') || fail "hold"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $h | grep -q 'State:        running'" || fail "hold not running"

# export
ctl task export --search 'label = sync' --file "$T/out.csv" 2>/dev/null || fail "export"
assert_eq "$(head -n 1 "$T/out.csv")" "id,state,type,label,result,parent_task_id,started_at,ended_at" "CSV header"
assert_eq "$(wc -l <"$T/out.csv" | tr -d ' ')" 3 "CSV rows"
assert_contains "$(cat "$T/out.csv")" "$a,stopped,sync,sync,success,," "CSV row"
out=$(ctl task export --format html 2>&1); rc=$?
assert_eq "$rc" 2 "html export without --file"
out=$(ctl task export --format xml 2>&1); rc=$?
assert_eq "$rc" 2 "unknown export format"
ctl task export --search 'label = sync' --format html --file "$T/out.tar.gz" 2>/dev/null || fail "html export"
files=$(tar -tzf "$T/out.tar.gz" | sort | tr '\n' ' ')
assert_contains "$files" "./index.html" "html index"
assert_contains "$files" "./$a.html" "html page per task"
tar -xzf "$T/out.tar.gz" -C "$T" "./$a.html" || fail "untar"
assert_contains "$(cat "$T/$a.html")" '"repo": "a"' "html page holds the input"

# locks
assert_contains "$(ctl task locks repository:held)" "repository:held  exclusive  $h" "lock holder"
assert_contains "$(ctl task locks repository:none)" "no locks" "no locks"

# cleanup: stopped tasks only, --noop deletes nothing
out=$(ctl task cleanup --noop) || fail "cleanup --noop"
assert_eq "$out" "[noop] 2 tasks matching filter would be deleted" "noop count"
out=$(ctl task cleanup --after 1h --noop) || fail "cleanup --after --noop"
assert_eq "$out" "[noop] 0 tasks matching filter would be deleted" "--after excludes recent tasks"
out=$(ctl task cleanup --after 3x 2>&1); rc=$?
assert_eq "$rc" 2 "bad --after exit"
out=$(ctl task cleanup --verbose) || fail "cleanup"
assert_contains "$out" "2 tasks deleted" "deleted count"
assert_contains "$out" "$a" "verbose lists ids"
ctl task show "$a" >/dev/null 2>&1 && fail "a deleted task is still there"
assert_contains "$(ctl task show "$h")" "State:        running" "running task kept"

# schedule / recurring
out=$(ctl task schedule sync --cron '0 3 * * 0' --input '{"repo":"r"}' --iterations 2) || fail "schedule: $out"
rid=$(echo "$out" | head -n 1)
assert_contains "$out" "Next at:" "schedule prints the next occurrence"
assert_contains "$(ctl recurring list)" "$rid  sync" "recurring list"
show=$(ctl recurring show "$rid")
assert_contains "$show" "Iteration:    0 of 2" "recurring show"
assert_contains "$show" "State:        active" "recurring state"
out=$(ctl task schedule sync --cron '61 * * * *' 2>&1); rc=$?
[ $rc -ne 0 ] || fail "bad cron accepted"
assert_contains "$out" "minute" "cron error names the field"
out=$(ctl task schedule sync 2>&1); rc=$?
assert_eq "$rc" 2 "schedule without --cron"
ctl recurring cancel "$rid" >/dev/null || fail "recurring cancel"
assert_contains "$(ctl recurring show "$rid")" "State:        cancelled" "cancelled recurring"
out=$(ctl recurring cancel "$rid" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "second cancel succeeded"
assert_contains "$out" "already cancelled" "second cancel message"
echo "ok $TEST_NAME"
