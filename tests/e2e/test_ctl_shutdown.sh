#!/bin/sh
# shutdown: every process is stopped, the daemon exits 0, its socket and pidfile are gone.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program s <<EOF2
[program:s1]
command = sleep 1000
startsecs = 0
[program:s2]
command = sleep 1000
startsecs = 0
priority = 10
EOF2
tv_start
wait_state s1 RUNNING
wait_state s2 RUNNING
p1=$(ctl pid s1); p2=$(ctl pid s2)
out=$(ctl shutdown); rc=$?
assert_eq "$out" "Shut down" "shutdown text"
assert_eq "$rc" 0 "shutdown exit"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	[ $i -ge 100 ] && fail "daemon still running 10 s after shutdown"
	sleep 0.1; i=$((i + 1))
done
wait "$DAEMON_PID"; rc=$?
assert_eq "$rc" 0 "daemon exit status"
kill -0 "$p1" 2>/dev/null && fail "s1 ($p1) survived the shutdown"
kill -0 "$p2" 2>/dev/null && fail "s2 ($p2) survived the shutdown"
[ -e "$T/tv.sock" ] && fail "socket left behind"
[ -e "$T/taskvisord.pid" ] && fail "pidfile left behind"
# stopped in descending priority: s1 (999) before s2 (10)
l1=$(grep -n "s1: .*-> STOPPED" "$T/taskvisord.log" | head -1 | cut -d: -f1)
l2=$(grep -n "s2: .*-> STOPPED" "$T/taskvisord.log" | head -1 | cut -d: -f1)
[ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" -lt "$l2" ] || fail "stop order: s1 at line [$l1], s2 at [$l2]"
out=$(ctl shutdown); rc=$?
assert_eq "$out" "ERROR: unix://$T/tv.sock no such file (already shut down?)" "shutdown with no daemon"
assert_eq "$rc" 1 "shutdown with no daemon exit"
