#!/bin/sh
# A daemon shutdown drains its workers (in parallel, bounded by drain_timeout): a running step
# of 2 s finishes and is recorded before the daemon exits, and the task ends in success (read
# after a restart of the daemon). Before, the step was killed and the task paused.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0
drain_timeout = 8

[program:plain]
command = sleep 1000
startsecs = 0

[task:slow]
steps = work
step.work = sh -c 'touch $T/started.\$TASK_ID; sleep 2; touch $T/finished.\$TASK_ID'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING
a=$(ctl task submit slow) || fail "submit"
b=$(ctl task submit slow) || fail "submit"
wait_for 10 sh -c "[ -f $T/started.$a ] && [ -f $T/started.$b ]" || fail "the steps did not start"
t0=$(date +%s%N)
kill -TERM "$DAEMON_PID"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	[ $i -ge 150 ] && fail "the daemon did not exit within 15 s"
	sleep 0.1; i=$((i + 1))
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ -f "$T/finished.$a" ] && [ -f "$T/finished.$b" ] || fail "a step was killed by the shutdown"
# in parallel: both 2 s steps in about 2 s, not 4
[ "$ms" -lt 3800 ] || fail "shutdown took $ms ms: the workers were not drained in parallel"
grep -q 'exec-worker_00: RUNNING -> STOPPING (stop requested: drain first)' "$T/taskvisord.log" ||
	fail "exec-worker_00 was not drained"
rm -f "$T/tv.sock"
tv_start
for id in $a $b; do
	show=$(ctl task show "$id")
	assert_contains "$show" "Result:       success" "task $id after the shutdown"
done
echo "ok $TEST_NAME (shutdown took $ms ms)"
