#!/bin/sh
# Cancel: a delayed task (--start-at +60s) is cancelled before it starts; a
# running cancellable task is cancelled and its step's processes are gone
# (the whole process group); a running task whose type is not cancellable is
# refused with "Cancel Not Implemented for Task: ID" and keeps running.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --kill-after 2
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:later]
steps = only
step.only = sh -c 'echo ran >> $T/later-ran'

[task:longc]
cancellable = true
steps = sleep, after
step.sleep = sh -c 'sleep 300 & echo \$! > $T/child.pid; echo \$\$ > $T/longc.pid; wait'
step.after = sh -c 'echo after >> $T/after-ran'

[task:longn]
steps = sleep
step.sleep = sh -c 'echo \$\$ > $T/longn.pid; sleep 2; echo done > $T/longn.done'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

# A delayed task, cancelled while it waits.
id=$(ctl task submit later --start-at +60s) || fail "submit --start-at"
show=$(ctl task show "$id")
assert_contains "$show" "Result:       pending" "delayed task is pending"
out=$(ctl task cancel "$id"); rc=$?
assert_eq "$rc" 0 "cancel of a delayed task ($out)"
show=$(ctl task show "$id")
assert_contains "$show" "State:        stopped" "cancelled delayed task is stopped"
assert_contains "$show" "Result:       cancelled" "cancelled delayed task result"
[ -f "$T/later-ran" ] && fail "the cancelled delayed task ran"

# A running cancellable task.
id=$(ctl task submit longc) || fail "submit longc"
wait_for 10 test -s "$T/child.pid" || fail "long step did not start: $(ctl task show "$id")"
wait_for 10 test -s "$T/longc.pid" || fail "no step pid"
spid=$(cat "$T/longc.pid"); cpid=$(cat "$T/child.pid")
kill -0 "$spid" 2>/dev/null || fail "step process not running"
out=$(ctl task cancel "$id"); rc=$?
assert_eq "$rc" 0 "cancel of a running cancellable task ($out)"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       cancelled'" ||
	fail "running task not cancelled: $(ctl task show "$id")"
assert_contains "$(ctl task show "$id")" "State:        stopped" "cancelled running task is stopped"
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
wait_for 10 gone "$spid" || fail "the step's process $spid is still there after cancel"
wait_for 10 gone "$cpid" || fail "the step's child $cpid (same group) is still there after cancel"
sleep 0.5
[ -f "$T/after-ran" ] && fail "the step after the cancelled one ran"

# A running task that is not cancellable: refused, keeps running, succeeds.
id=$(ctl task submit longn) || fail "submit longn"
wait_for 10 test -s "$T/longn.pid" || fail "longn did not start"
out=$(ctl task cancel "$id" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "cancel of a non-cancellable running task exited 0: $out"
assert_contains "$out" "Cancel Not Implemented for Task: $id" "refusal text"
wait_for 10 test -f "$T/longn.done" || fail "the refused task did not go on"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
	fail "refused task did not succeed: $(ctl task show "$id")"
# Cancelling a stopped task is refused too.
out=$(ctl task cancel "$id" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "cancel of a stopped task exited 0: $out"
echo "ok $TEST_NAME"
