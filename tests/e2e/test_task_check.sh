#!/bin/sh
# `check paused|queue|stuck` as a Nagios plugin: one status line and exit
# 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN; bad arguments are UNKNOWN.
# Skipped (77) while the daemon does not answer MSG_CHECK yet.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:broken]
steps = run
step.run = false
EOF2
tv_start
wait_state exec-worker RUNNING

out=$(ctl check paused); rc=$?
case "$out" in *"unknown message type"*|*"not implemented"*) echo "skip: the daemon does not answer MSG_CHECK yet"; exit 77 ;; esac
assert_eq "$rc" 0 "no paused task: OK ($out)"
assert_contains "$out" "OK" "OK line"
id=$(ctl task submit broken) || fail "submit"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        paused'" || fail "did not pause"
out=$(ctl check paused --warn 1 --crit 5); rc=$?
assert_eq "$rc" 1 "one paused task: WARNING ($out)"
assert_contains "$out" "WARNING - 1 tasks paused" "WARNING line"
out=$(ctl check paused --warn 1 --crit 1); rc=$?
assert_eq "$rc" 2 "CRITICAL ($out)"
out=$(ctl check queue); rc=$?
assert_eq "$rc" 0 "empty queue OK ($out)"
out=$(ctl check nosuch); rc=$?
assert_eq "$rc" 3 "unknown check is UNKNOWN"
out=$(ctl check paused --warn x); rc=$?
assert_eq "$rc" 3 "bad threshold is UNKNOWN"
assert_contains "$out" "UNKNOWN" "UNKNOWN line"
echo "ok $TEST_NAME"
