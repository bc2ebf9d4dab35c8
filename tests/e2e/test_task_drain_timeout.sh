#!/bin/sh
# Draining has a deadline: a step longer than drain_timeout is given up when it passes — re-queued
# when its type's retry_on_worker_loss allows (it runs again on the restarted worker), else the
# task pauses with the cause `stopped by "restart exec-worker:*" before the step finished`, never
# "exited 0". A worker that holds no step is stopped at once, whatever drain_timeout says.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
process_name = %(program_name)s_%(process_num)02d
numprocs = 1
startsecs = 0
drain_timeout = 1
stopwaitsecs = 10

[task:retried]
retry_on_worker_loss = 1
steps = long
step.long = sh -c 'echo run >> $T/retried-runs; exec sleep 30'

[task:once]
steps = long
step.long = sh -c 'echo run >> $T/once-runs; exec sleep 30'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

# Holding nothing: stopped at once (no drain_timeout, no stopwaitsecs).
t0=$(date +%s%N)
out=$(ctl stop exec-worker:exec-worker_00 2>&1) || fail "stop: $out"
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 900 ] || fail "an idle worker took $ms ms to stop"
ctl start exec-worker:exec-worker_00 >/dev/null || fail "start"
wait_state exec-worker:exec-worker_00 RUNNING

r=$(ctl task submit retried) || fail "submit retried"
o=$(ctl task submit once) || fail "submit once"
wait_for 10 sh -c "[ -f $T/retried-runs ] && [ -f $T/once-runs ]" || fail "the steps did not start"
t0=$(date +%s)
out=$(ctl restart 'exec-worker:*' 2>&1) || fail "restart: $out"
t1=$(date +%s)
[ $((t1 - t0)) -le 5 ] || fail "restart took $((t1 - t0)) s with drain_timeout = 1"

wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $o | grep -q 'State:        paused'" ||
	fail "the task without retry did not pause: $(ctl task show "$o")"
show=$(ctl task show "$o")
assert_contains "$show" 'stopped by "restart exec-worker:*" before the step finished' "cause"
assert_not_contains "$show" "exited 0" "cause"
assert_not_contains "$show" "killed by signal" "cause"

# The retried step runs again on the restarted worker.
wait_for 10 sh -c "[ \"\$(wc -l < $T/retried-runs)\" = 2 ]" ||
	fail "the retried step was not re-run: $(ctl task show "$r")"
show=$(ctl task show "$r")
assert_contains "$show" 'State:        running' "retried task"
assert_contains "$show" 'stopped by "restart exec-worker:*" before the step finished (re-queued: attempt 2 of 2)' "re-queue note"
grep -q 'still holds steps after drain_timeout 1 s' "$T/taskvisord.log" || fail "no deadline line in the log"
echo "ok $TEST_NAME"
