#!/bin/sh
# check queue: OK (exit 0) with nothing waiting; CRITICAL (exit 2) when steps wait in a queue
# no worker serves, whatever the thresholds, naming the queue, with the oldest wait in the line
# and the perfdata. On served queues the thresholds count steps ready (--warn N) or the oldest
# wait (--warn 5m: a duration).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program types <<EOF2
[program:busy-worker]
command = $BUILD/bin/exec-worker --queue busy
startsecs = 0

[task:orphan]
queue = nobody
steps = run
step.run = true

[task:slow]
queue = busy
steps = run
step.run = sleep 30
cancellable = true
EOF2
tv_start
wait_state busy-worker RUNNING
out=$(ctl check queue); rc=$?
assert_eq "$rc" 0 "empty queue: OK ($out)"
assert_contains "$out" "QUEUE OK - 0 steps ready, oldest waiting 0 s | queue=0;100;1000 oldest_wait=0s unserved=0" "OK line"
ids=""
for i in 1 2 3; do id=$(ctl task submit orphan 2>/dev/null) || fail "submit $i"; ids="$ids $id"; done
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" check queue --warn 2 --crit 3 >/dev/null; [ \$? -eq 2 ]" ||
	fail "never CRITICAL: $(ctl check queue --warn 2 --crit 3)"
sleep 1.2
out=$(ctl check queue --warn 2 --crit 3); rc=$?
assert_eq "$rc" 2 "CRITICAL exit ($out)"
assert_contains "$out" "QUEUE CRITICAL - 3 steps ready, oldest waiting " "CRITICAL line"
assert_contains "$out" ', no worker serves queue "nobody" (3 steps ready) | queue=3;2;3 oldest_wait=' "names the queue, perfdata"
assert_contains "$out" " unserved=3" "unserved perfdata"
w=$(echo "$out" | sed -n 's/.*oldest_wait=\([0-9]*\)s .*/\1/p')
[ -n "$w" ] && [ "$w" -ge 1 ] || fail "oldest wait not counted: [$out]"
out=$(ctl check queue --warn 50 --crit 100); rc=$?
assert_eq "$rc" 2 "unserved: CRITICAL whatever the thresholds ($out)"
for id in $ids; do ctl task cancel "$id" >/dev/null || fail "cancel $id"; done
# a served queue: one step runs, one waits behind it
ctl task submit slow >/dev/null || fail "slow 1"
ctl task submit slow >/dev/null || fail "slow 2"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" check queue --warn 1 --crit 10 >/dev/null; [ \$? -eq 1 ]" ||
	fail "never WARNING: $(ctl check queue --warn 1 --crit 10)"
out=$(ctl check queue --warn 1 --crit 10); rc=$?
assert_eq "$rc" 1 "WARNING on steps ready ($out)"
assert_contains "$out" "QUEUE WARNING - 1 steps ready, oldest waiting " "WARNING line"
assert_contains "$out" " unserved=0" "served"
sleep 1.2
out=$(ctl check queue --warn 1s --crit 1h); rc=$?
assert_eq "$rc" 1 "WARNING on the oldest wait ($out)"
assert_contains "$out" ";1;3600 unserved=0" "wait thresholds in the perfdata"
out=$(ctl check queue --warn 1s --crit 1s); rc=$?
assert_eq "$rc" 2 "CRITICAL on the oldest wait ($out)"
out=$(ctl check queue --warn 1h --crit 2h); rc=$?
assert_eq "$rc" 0 "OK under the wait thresholds ($out)"
out=$(ctl check queue --warn 5x); rc=$?
assert_eq "$rc" 3 "bad threshold: UNKNOWN"
assert_contains "$out" 'CHECK UNKNOWN - warn: not a number or duration: "5x"' "bad threshold message"
echo "ok $TEST_NAME"
