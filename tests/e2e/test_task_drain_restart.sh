#!/bin/sh
# A deploy restarts the workers while steps run: `restart exec-worker:*` with 4 steps of 2 s on
# 2 workers drains each worker (it takes no new step and finishes its own) before its stop
# signal, and restarts them one at a time: all 4 tasks succeed, none pauses, and at every
# moment sampled at least one worker is RUNNING (rolling restart). Before draining, the steps
# were killed and the tasks paused with "worker exec-worker_00 pid N exited 0".
. "$(dirname "$0")/lib.sh"
tv_init
{ tv_conf_workers exec-worker 2 1 20 "$BUILD/bin/exec-worker --queue default"; cat <<EOF2

[task:slow]
steps = work
step.work = sh -c 'touch $T/started.\$TASK_ID; sleep 2; echo \$TASK_ID >> $T/finished'
EOF2
} | tv_program exec
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

ids=""
for i in 1 2 3 4; do
	id=$(ctl task submit slow) || fail "submit $i"
	ids="$ids $id"
done
nstarted() { ls "$T" | grep -c '^started\.'; }
wait_for 10 sh -c "[ \$(ls $T | grep -c '^started\.') -ge 2 ]" || fail "two steps did not start"

# Sample the workers' states while the restart runs: never zero RUNNING.
(
	while [ -d "$T" ] && [ ! -f "$T/sampler.stop" ]; do
		n=$("$TVCTL" -c "$T/taskvisord.conf" status 'exec-worker:*' 2>/dev/null | grep -c ' RUNNING ')
		echo "$n" >>"$T/samples"
		sleep 0.1
	done
) &
sampler=$!
t0=$(date +%s)
out=$(ctl restart 'exec-worker:*' 2>&1) || fail "restart failed: $out"
t1=$(date +%s)
touch "$T/sampler.stop"
wait "$sampler"
assert_contains "$out" "exec-worker:exec-worker_00: stopped" "restart output"
assert_contains "$out" "exec-worker:exec-worker_01: started" "restart output"

for id in $ids; do
	wait_for 20 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
		fail "task $id did not succeed: $(ctl task show "$id")"
done
paused=$(ctl task list --state paused 2>&1)
assert_not_contains "$paused" "slow" "no task paused"
for id in $ids; do
	assert_not_contains "$(ctl task show "$id")" "exited 0" "no worker-exit cause in $id"
done
[ "$(wc -l <"$T/finished" | tr -d ' ')" = 4 ] || fail "each step ran once: $(cat "$T/finished")"
[ -s "$T/samples" ] || fail "no sample taken"
if grep -qx 0 "$T/samples"; then
	fail "no worker RUNNING at some moment during the restart: $(tr '\n' ' ' <"$T/samples")"
fi
# Both workers were restarted (new pids, RUNNING), one after the other.
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING
grep -q 'exec-worker:exec-worker_00: STOPPING none -> draining\|exec-worker:exec-worker_00: RUNNING -> STOPPING (stop requested: drain first)' "$T/taskvisord.log" ||
	fail "exec-worker_00 was not drained: $(grep exec-worker_00 "$T/taskvisord.log" | tail -5)"

# `update` after a change of the workers' configuration rolls the same way.
sed -i 's/^startsecs = 1$/startsecs = 1\nenvironment = DEPLOY="2"/' "$T/conf.d/exec.conf"
grep -q DEPLOY "$T/conf.d/exec.conf" || fail "conf not changed"
rm -f "$T"/started.* "$T/samples"
ids2=""
for i in 1 2 3 4; do
	id=$(ctl task submit slow) || fail "submit $i (update)"
	ids2="$ids2 $id"
done
wait_for 10 sh -c "[ \$(ls $T | grep -c '^started\.') -ge 2 ]" || fail "two steps did not start (update)"
rm -f "$T/sampler.stop"
(
	while [ -d "$T" ] && [ ! -f "$T/sampler.stop" ]; do
		n=$("$TVCTL" -c "$T/taskvisord.conf" status 'exec-worker:*' 2>/dev/null | grep -c ' RUNNING ')
		echo "$n" >>"$T/samples"
		sleep 0.1
	done
) &
sampler=$!
out=$(ctl update 2>&1) || fail "update failed: $out"
for id in $ids2; do
	wait_for 20 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
		fail "task $id did not succeed across the update: $(ctl task show "$id")"
done
wait_for 20 sh -c "[ \$(grep -c 'rolling update: drain and restart' $T/taskvisord.log) -ge 2 ]" ||
	fail "the update did not roll both workers: $(grep 'rolling\|configuration changed' "$T/taskvisord.log")"
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING
touch "$T/sampler.stop"
wait "$sampler"
if grep -qx 0 "$T/samples"; then
	fail "no worker RUNNING at some moment during the update: $(tr '\n' ' ' <"$T/samples")"
fi
[ "$(wc -l <"$T/finished" | tr -d ' ')" = 8 ] || fail "each step ran once: $(cat "$T/finished")"
echo "ok $TEST_NAME (restart took $((t1 - t0)) s, $(wc -l <"$T/samples" | tr -d ' ') samples)"
