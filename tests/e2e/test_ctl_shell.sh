#!/bin/sh
# Without a command taskvisorctl reads commands from stdin until quit; prefixes work,
# ambiguous and unknown ones are refused.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program sh1 <<EOF2
[program:sh1]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state sh1 RUNNING
out=$(printf 'status sh1\nvers\nbogus\nquit\nversion\n' | ctl)
assert_contains "$out" "$(printf '%-33s%-10s' sh1 RUNNING)" "status in the shell"
assert_contains "$out" "$(ctl version)" "unique prefix vers -> version"
assert_contains "$out" "*** Unknown syntax: bogus" "unknown command in the shell"
assert_eq "$(echo "$out" | grep -c "$(ctl version)")" 1 "quit ends the shell"
out=$(ctl s); rc=$?
assert_eq "$out" "*** Ambiguous command: s" "ambiguous prefix"
assert_eq "$rc" 1 "ambiguous exit"
