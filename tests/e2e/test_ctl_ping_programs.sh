#!/bin/sh
# ping lists every program meant to run: one that is FATAL from its first start (a worker
# that never came up and so never said HELLO) fails the ping; a manual program is not listed.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program progs <<EOF2
[program:good]
command = sleep 1000
startsecs = 0

[program:broken]
command = /nonexistent/exec-worker --queue default
startretries = 0

[program:manual]
command = sleep 1000
autostart = false
EOF2
tv_start
wait_state good RUNNING
wait_state broken FATAL
out=$(ctl ping 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "ping exit 0 with a program FATAL: [$out]"
echo "$out" | grep -Eq '^program good +ok +RUNNING, pid [0-9]+$' || fail "no ok line for good: [$out]"
echo "$out" | grep -Eq '^program broken +FAIL +FATAL' || fail "no FAIL line for broken: [$out]"
assert_not_contains "$out" "manual" "a program with autostart=false is not listed"
ctl stop broken >/dev/null 2>&1
exit 0
