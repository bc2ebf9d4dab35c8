#!/bin/sh
# reopen-logs and SIGUSR2: after logrotate moved the files away, the daemon's log and
# the programs' captured logs are written to fresh files at the old paths.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program ticker <<EOF2
[program:ticker]
command = sh -c 'while :; do echo tick; sleep 0.1; done'
startsecs = 0
EOF2
tv_start
wait_state ticker RUNNING
wait_for 5 grep -q tick "$T/log/ticker.log" || fail "no program log"
mv "$T/taskvisord.log" "$T/taskvisord.log.1"
mv "$T/log/ticker.log" "$T/log/ticker.log.1"
out=$(ctl reopen-logs); rc=$?
assert_eq "$out" "Reopened log files" "reopen-logs text"
assert_eq "$rc" 0 "reopen-logs exit"
wait_for 5 grep -q "log files reopened" "$T/taskvisord.log" || fail "daemon log not reopened"
wait_for 5 grep -q tick "$T/log/ticker.log" || fail "program log not reopened"
mv "$T/taskvisord.log" "$T/taskvisord.log.2"
kill -USR2 "$DAEMON_PID"
wait_for 5 grep -q "log files reopened" "$T/taskvisord.log" || fail "SIGUSR2 did not reopen the daemon log"
kill -0 "$DAEMON_PID" || fail "daemon died on SIGUSR2"
