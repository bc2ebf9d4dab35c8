#!/bin/sh
# SIGTERM: orderly shutdown, children stopped, exit 0; a second daemon on the same
# socket/pidfile is refused while the first runs.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program t <<EOF2
[program:t]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state t RUNNING
out=$("$TVD" -n -c "$T/taskvisord.conf" 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "a second daemon started"
assert_contains "$out" "already running" "second daemon refused"
assert_eq "$(ctl pid)" "$DAEMON_PID" "first daemon still serves"
child=$(ctl pid t)
kill -TERM "$DAEMON_PID"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	[ $i -ge 100 ] && fail "daemon still running 10 s after SIGTERM"
	sleep 0.1; i=$((i + 1))
done
wait "$DAEMON_PID"; rc=$?
assert_eq "$rc" 0 "exit status after SIGTERM"
kill -0 "$child" 2>/dev/null && fail "child $child survived SIGTERM of the daemon"
true
