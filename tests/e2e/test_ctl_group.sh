#!/bin/sh
# GROUP:* and all: only the members that need it are acted on; an unknown group exits 2.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program grp <<EOF2
[group:grp]
programs = one, two
[program:one]
command = sleep 1000
startsecs = 0
autostart = false
[program:two]
command = sleep 1000
startsecs = 0
autostart = false
[program:solo]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state solo RUNNING

out=$(ctl start 'grp:*'); rc=$?
assert_eq "$out" "grp:one: started
grp:two: started" "start grp:*"
assert_eq "$rc" 0 "start grp:* exit"
out=$(ctl status 'grp:*' | awk '{print $1, $2}' | tr '\n' ' ')
assert_eq "$out" "grp:one RUNNING grp:two RUNNING " "group status"

out=$(ctl start 'grp:*'); rc=$?
assert_eq "$out" "" "start grp:* when all run prints nothing"
assert_eq "$rc" 0 "exit"

out=$(ctl stop grp:one); rc=$?
assert_eq "$out" "grp:one: stopped" "stop one member by group:name"

out=$(ctl stop all); rc=$?
assert_eq "$out" "grp:two: stopped
solo: stopped" "stop all touches only running ones"

out=$(ctl start nogrp:*); rc=$?
assert_eq "$out" "nogrp: ERROR (no such group)" "unknown group text"
assert_eq "$rc" 2 "unknown group exit"

out=$(ctl start all); rc=$?
assert_eq "$out" "grp:one: started
grp:two: started
solo: started" "start all"
