#!/bin/sh
# kill -9 of the exec worker mid-step: the task pauses at once with the cause
# "worker exec-worker_0N pid PID was killed by signal 9"; nothing else is
# lost (other tasks, before and after, complete; the worker is restarted).
# With retry_on_worker_loss = 1 the step is re-run exactly once: a second
# loss pauses the task.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:hang]
steps = hang, after
step.hang = sh -c 'echo \$\$ > $T/hang.pid; touch $T/hang.started; exec sleep 300'
step.after = sh -c 'echo after >> $T/after-ran'

[task:quick]
steps = one
step.one = sh -c 'echo \$TASK_ID >> $T/quick'

[task:retry]
retry_on_worker_loss = 1
steps = hang
step.hang = sh -c 'echo run >> $T/retry-runs; exec sleep 300'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

# worker name and pid of the running step of task $1
step_worker() {
	ctl task show "$1" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)["task"]
r = [s for s in t["steps"] if s["state"] == "running"]
print(r[0]["worker"], r[0]["pid"]) if r else sys.exit(1)'
}

q1=$(ctl task submit quick) || fail "submit quick"
id=$(ctl task submit hang) || fail "submit hang"
wait_for 10 test -f "$T/hang.started" || fail "hang step did not start: $(ctl task show "$id")"
wait_for 10 step_worker "$id" || fail "no running step with a worker: $(ctl task show "$id")"
set -- $(step_worker "$id"); wname=$1; wpid=$2
case "$wname" in exec-worker_00|exec-worker_01) ;; *) fail "worker name [$wname]" ;; esac
kill -9 "$wpid"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        paused'" ||
	fail "task did not pause after the worker was killed: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "worker $wname pid $wpid was killed by signal 9" "the cause"
assert_contains "$show" "Result:       error" "result"
[ -f "$T/after-ran" ] && fail "the next step ran after the worker was lost"
spid=$(cat "$T/hang.pid")
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
wait_for 10 gone "$spid" || fail "the step's process $spid outlived its killed worker"
# Nothing else lost: the worker comes back, other tasks complete.
wait_for 10 _state_is "exec-worker:$wname" RUNNING || fail "worker not restarted"
q2=$(ctl task submit quick) || fail "submit quick after the kill"
wait_for 10 sh -c "grep -q $q1 $T/quick && grep -q $q2 $T/quick" || fail "quick tasks did not run: $(cat "$T/quick" 2>&1)"
for q in $q1 $q2; do
	wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $q | grep -q 'Result:       success'" ||
		fail "task $q did not succeed: $(ctl task show "$q")"
done

# retry_on_worker_loss = 1: first loss re-queues, second loss pauses.
rid=$(ctl task submit retry) || fail "submit retry"
for n in 1 2; do
	wait_for 10 sh -c "[ \"\$(wc -l < $T/retry-runs 2>/dev/null)\" = $n ]" || fail "run $n did not start"
	wait_for 10 step_worker "$rid" || fail "run $n: no running step: $(ctl task show "$rid")"
	set -- $(step_worker "$rid")
	kill -9 "$2"
	if [ $n = 1 ]; then
		wait_for 10 sh -c "[ \"\$(wc -l < $T/retry-runs)\" = 2 ]" ||
			fail "the step was not re-run after the first loss: $(ctl task show "$rid")"
	fi
done
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $rid | grep -q 'State:        paused'" ||
	fail "retry task did not pause after the second loss: $(ctl task show "$rid")"
sleep 1
assert_eq "$(wc -l <"$T/retry-runs" | tr -d ' ')" 2 "runs with retry_on_worker_loss=1"
assert_contains "$(ctl task show "$rid")" "was killed by signal 9" "retry cause"
echo "ok $TEST_NAME"
