#!/bin/sh
# numprocs expands a program into named processes of one group, each supervised alone.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program w <<EOF2
[program:w]
command = sleep 1000
process_name = %(program_name)s_%(process_num)02d
numprocs = 3
numprocs_start = 1
startsecs = 0
EOF2
tv_start
wait_state w:w_01 RUNNING
wait_state w:w_02 RUNNING
wait_state w:w_03 RUNNING
out=$(ctl status)
assert_contains "$out" "w:w_01" "status row"
assert_contains "$out" "w:w_03" "status row"
assert_not_contains "$out" "w:w_00" "numprocs_start"
p2=$(ctl pid w:w_02)
kill -9 "$p2"
wait_for 3 sh -c "[ \"\$(\"$TVCTL\" -c '$T/taskvisord.conf' pid w:w_02)\" != '$p2' ]" || fail "w_02 not restarted"
grep -q "w:w_02: EXITED -> STARTING" "$T/taskvisord.log" || fail "w_02 restart not logged"
assert_eq "$(grep -c 'w:w_01: spawned' "$T/taskvisord.log")" 1 "w_01 untouched"
tr '\0' '\n' </proc/$(ctl pid w:w_03)/environ | grep -qx "SUPERVISOR_PROCESS_NAME=w_03" || fail "SUPERVISOR_PROCESS_NAME"
tr '\0' '\n' </proc/$(ctl pid w:w_03)/environ | grep -qx "TASKVISOR_GROUP_NAME=w" || fail "TASKVISOR_GROUP_NAME"
