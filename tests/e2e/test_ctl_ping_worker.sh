#!/bin/sh
# ping: one line per check (daemon, database with a write and a read, workers, and every
# worker program); exit 0 while all are up, non-zero once a worker program is down.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0
EOF2
tv_program plain <<EOF2
[program:plain]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state exec-worker RUNNING
wait_state plain RUNNING
wait_for 10 grep -q "engine: worker exec-worker" "$T/taskvisord.log" || fail "worker never said HELLO"
out=$(ctl ping); rc=$?
assert_eq "$rc" 0 "ping exit with everything up ($out)"
echo "$out" | grep -Eq '^daemon +ok ' || fail "no daemon line: [$out]"
echo "$out" | grep -Eq '^database +ok ' || fail "no database line: [$out]"
echo "$out" | grep -Eq '^worker exec-worker +ok +RUNNING, pid [0-9]+$' || fail "no worker program line: [$out]"
assert_not_contains "$out" "worker plain" "a program that is no worker is not listed"
assert_not_contains "$out" "FAIL" "nothing failed"
ctl stop exec-worker >/dev/null || fail "stop"
out=$(ctl ping); rc=$?
[ "$rc" -ne 0 ] || fail "ping exit 0 with a worker program down: [$out]"
echo "$out" | grep -Eq '^worker exec-worker +FAIL +STOPPED' || fail "no DOWN line for the worker program: [$out]"
echo "$out" | grep -Eq '^daemon +ok ' || fail "daemon line: [$out]"
ctl start exec-worker >/dev/null || fail "start"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" ping" || fail "ping did not recover: $(ctl ping)"
echo "ok $TEST_NAME"
