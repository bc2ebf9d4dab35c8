#!/bin/sh
# reread lists changes; update adds and removes programs and restarts only the changed member
# of a group, leaving the other member running (same pid).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program grp <<EOF2
[group:grp]
programs = a, b
[program:a]
command = sleep 1000
startsecs = 0
[program:b]
command = sleep 1000
startsecs = 0
EOF2
tv_program old <<EOF2
[program:old]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state grp:a RUNNING
wait_state grp:b RUNNING
wait_state old RUNNING

out=$(ctl reread); rc=$?
assert_eq "$out" "No config updates to processes" "reread without changes"
assert_eq "$rc" 0 "reread exit"

pid_a=$(ctl pid grp:a); pid_b=$(ctl pid grp:b); pid_old=$(ctl pid old)
rm "$T/conf.d/old.conf"
tv_program new <<EOF2
[program:new]
command = sleep 1000
startsecs = 0
EOF2
sed -i 's/^\[program:b\]$/[program:b]\nenvironment = CHANGED=1/' "$T/conf.d/grp.conf"

out=$(ctl reread); rc=$?
assert_eq "$out" "grp: changed
new: available
old: disappeared" "reread lists the changes"
assert_eq "$rc" 0 "reread exit"
out=$(ctl avail)
assert_contains "$out" "$(printf '%-32s %-9s %-9s %s' new avail auto 999:999)" "avail shows the new program"

out=$(ctl update); rc=$?
assert_eq "$out" "old: stopped
old: removed process group
grp: stopped
grp: updated process group
new: added process group" "update text"
assert_eq "$rc" 0 "update exit"

wait_state new RUNNING
wait_state grp:b RUNNING
out=$(ctl status old); rc=$?
assert_eq "$rc" 4 "old is gone"
kill -0 "$pid_old" 2>/dev/null && fail "removed program's pid $pid_old still alive"
assert_eq "$(ctl pid grp:a)" "$pid_a" "unchanged member a kept running"
[ "$(ctl pid grp:b)" != "$pid_b" ] || fail "changed member b was not restarted"
tr '\0' '\n' <"/proc/$(ctl pid grp:b)/environ" | grep -qx CHANGED=1 || fail "b runs without its new environment"

out=$(ctl update nosuch); rc=$?
assert_eq "$out" "ERROR: no such group: nosuch" "update of an unknown group"
assert_eq "$rc" 1 "update unknown exit"

# A broken file: reread says why, with file:line, exit 1, and nothing changes.
printf '[program:bad]\ncommand = sleep 1\nstartsecs = abc\n' >"$T/conf.d/bad.conf"
out=$(ctl reread); rc=$?
assert_contains "$out" "ERROR: CANT_REREAD: $T/conf.d/bad.conf:3" "reread of a bad file"
assert_eq "$rc" 1 "reread bad exit"
out=$(ctl update); rc=$?
assert_eq "$rc" 1 "update bad exit"
assert_eq "$(ctl pid grp:a)" "$pid_a" "a untouched by a refused update"
