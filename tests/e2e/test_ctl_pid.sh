#!/bin/sh
# pid: the daemon's pid, a process's pid, 0 + exit 7 for a stopped one, exit 1 for an unknown one.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program on <<EOF2
[program:on]
command = sleep 1000
startsecs = 0
[program:off]
command = sleep 1000
autostart = false
EOF2
tv_start
wait_state on RUNNING
out=$(ctl pid); rc=$?
assert_eq "$out" "$DAEMON_PID" "daemon pid"
assert_eq "$(cat "$T/taskvisord.pid")" "$DAEMON_PID" "pidfile"
out=$(ctl pid on); rc=$?
[ "$out" -gt 0 ] 2>/dev/null || fail "pid on: [$out]"
assert_eq "$rc" 0 "pid of a running process"
grep -q "sleep" "/proc/$out/cmdline" || fail "pid $out is not the program"
out=$(ctl pid off); rc=$?
assert_eq "$out" 0 "pid of a stopped process"
assert_eq "$rc" 7 "pid of a stopped process exit"
out=$(ctl pid nosuch); rc=$?
assert_eq "$out" "No such process nosuch" "pid of an unknown process"
assert_eq "$rc" 1 "pid unknown exit"
out=$(ctl pid all); rc=$?
assert_eq "$(echo "$out" | wc -l)" 2 "pid all lists every process"
assert_eq "$rc" 0 "pid all exit"
