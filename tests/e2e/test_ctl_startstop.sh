#!/bin/sh
# start/stop/restart: messages and exit codes as supervisorctl 4.2.5, start waits for RUNNING.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program svc <<EOF2
[program:svc]
command = sleep 1000
autostart = false
startsecs = 1
EOF2
tv_program broken <<EOF2
[program:broken]
command = /bin/false
autostart = false
startsecs = 1
startretries = 0
EOF2
tv_start

t0=$(date +%s%N)
out=$(ctl start svc); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "$out" "svc: started" "start text"
assert_eq "$rc" 0 "start exit"
[ "$ms" -ge 900 ] || fail "start returned after ${ms} ms, before startsecs=1"
out=$(ctl status svc | awk '{print $2}')
assert_eq "$out" RUNNING "RUNNING once start returned"

out=$(ctl start svc); rc=$?
assert_eq "$out" "svc: ERROR (already started)" "already started text"
assert_eq "$rc" 0 "already started exit"

old=$(ctl pid svc)
out=$(ctl restart svc); rc=$?
assert_eq "$out" "svc: stopped
svc: started" "restart text"
assert_eq "$rc" 0 "restart exit"
new=$(ctl pid svc)
[ "$new" != "$old" ] && [ "$new" -gt 0 ] || fail "restart kept pid $old"

out=$(ctl stop svc); rc=$?
assert_eq "$out" "svc: stopped" "stop text"
assert_eq "$rc" 0 "stop exit"
kill -0 "$new" 2>/dev/null && fail "pid $new still alive after stop"

out=$(ctl stop svc); rc=$?
assert_eq "$out" "svc: ERROR (not running)" "not running text"
assert_eq "$rc" 0 "not running exit"

out=$(ctl start nosuch); rc=$?
assert_eq "$out" "nosuch: ERROR (no such process)" "start unknown text"
assert_eq "$rc" 1 "start unknown exit"
out=$(ctl stop nosuch); rc=$?
assert_eq "$rc" 1 "stop unknown exit"

out=$(ctl start broken); rc=$?
assert_eq "$out" "broken: ERROR (spawn error)" "spawn error text"
assert_eq "$rc" 7 "spawn error exit"

out=$(ctl start); rc=$?
assert_contains "$out" "Error: start requires a process name" "start without name"
assert_eq "$rc" 2 "start without name exit"

out=$(ctl frobnicate); rc=$?
assert_eq "$out" "*** Unknown syntax: frobnicate" "unknown command text"
assert_eq "$rc" 1 "unknown command exit"
