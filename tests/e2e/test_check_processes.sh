#!/bin/sh
# check processes: OK (exit 0) while every program is RUNNING; CRITICAL (exit 2) once one is
# FATAL, naming it, with perfdata.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program good <<EOF2
[program:good]
command = sleep 1000
startsecs = 0
EOF2
tv_program bad <<EOF2
[program:bad]
command = sh -c 'exit 1'
autostart = false
startsecs = 1
startretries = 0
EOF2
tv_start
wait_state good RUNNING
out=$(ctl check processes); rc=$?
assert_eq "$rc" 0 "all running: OK ($out)"
assert_contains "$out" "PROCESSES OK - 0 of 2 processes not running | down=0;1;1" "OK line"
ctl start bad >/dev/null
wait_state bad FATAL 10
out=$(ctl check processes); rc=$?
assert_eq "$rc" 2 "a FATAL program: CRITICAL ($out)"
assert_contains "$out" "PROCESSES CRITICAL - 1 of 2 processes not running (first: bad) | down=1;1;1" "CRITICAL line"
out=$(ctl check processes --warn 1 --crit 2); rc=$?
assert_eq "$rc" 1 "WARNING with --crit 2 ($out)"
echo "ok $TEST_NAME"
