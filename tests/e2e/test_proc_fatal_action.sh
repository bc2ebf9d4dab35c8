#!/bin/sh
# fatal_action=shutdown: when that program goes FATAL the daemon stops its other programs and
# exits non-zero; a FATAL program without it leaves the daemon running.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program other <<EOF2
[program:other]
command = sleep 1000
startsecs = 0
EOF2
tv_program meh <<EOF2
[program:meh]
command = sh -c 'exit 1'
startsecs = 1
startretries = 0
EOF2
tv_program critical <<EOF2
[program:critical]
command = sh -c 'exit 1'
startsecs = 1
startretries = 0
autostart = false
fatal_action = shutdown
EOF2
tv_start
wait_state other RUNNING
wait_state meh FATAL 10
kill -0 "$DAEMON_PID" || fail "daemon exited for a program without fatal_action"
other=$(ctl pid other)
ctl start critical >/dev/null
wait_for 20 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "daemon still running after critical went FATAL"
wait "$DAEMON_PID"; rc=$?
[ "$rc" -ne 0 ] || fail "daemon exited 0"
grep -q "critical: .*-> FATAL" "$T/taskvisord.log" || fail "critical never FATAL"
grep -q "critical is FATAL and has fatal_action=shutdown: shutting down" "$T/taskvisord.log" || fail "no reason in the log"
kill -0 "$other" 2>/dev/null && fail "other (pid $other) left running"
echo "ok $TEST_NAME (daemon exit $rc)"
