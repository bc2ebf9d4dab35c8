#!/bin/sh
# check queue: OK (exit 0) with nothing waiting; CRITICAL (exit 2) when steps wait in a queue
# no worker serves, with the oldest wait in the line and the perfdata.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program types <<EOF2
[task:orphan]
queue = nobody
steps = run
step.run = true
EOF2
tv_start
out=$(ctl check queue); rc=$?
assert_eq "$rc" 0 "empty queue: OK ($out)"
assert_contains "$out" "QUEUE OK - 0 steps ready, oldest waiting 0 s | queue=0;100;1000 oldest_wait=0s" "OK line"
for i in 1 2 3; do ctl task submit orphan >/dev/null || fail "submit $i"; done
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" check queue --warn 2 --crit 3 >/dev/null; [ \$? -eq 2 ]" ||
	fail "never CRITICAL: $(ctl check queue --warn 2 --crit 3)"
sleep 1.2
out=$(ctl check queue --warn 2 --crit 3); rc=$?
assert_eq "$rc" 2 "CRITICAL exit ($out)"
assert_contains "$out" "QUEUE CRITICAL - 3 steps ready, oldest waiting " "CRITICAL line"
assert_contains "$out" "| queue=3;2;3 oldest_wait=" "perfdata"
w=$(echo "$out" | sed -n 's/.*oldest_wait=\([0-9]*\)s$/\1/p')
[ -n "$w" ] && [ "$w" -ge 1 ] || fail "oldest wait not counted: [$out]"
out=$(ctl check queue --warn 3 --crit 10); rc=$?
assert_eq "$rc" 1 "WARNING exit ($out)"
echo "ok $TEST_NAME"
