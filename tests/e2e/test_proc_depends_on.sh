#!/bin/sh
# depends_on: a program starts only once what it depends on is RUNNING (whatever the
# priorities say), and stops before it.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program web <<EOF2
[program:web]
command = sleep 1000
priority = 1
startsecs = 0
depends_on = db
EOF2
tv_program db <<EOF2
[program:db]
command = sleep 1000
priority = 500
startsecs = 1
EOF2
tv_start
wait_state web RUNNING 5
order=$(grep -oE '(web|db): (spawned|STARTING -> RUNNING)' "$T/taskvisord.log" | sed 's/: spawned/+/; s/: STARTING -> RUNNING/!/' | tr -d '\n')
assert_eq "$order" "db+db!web+web!" "start order"
kill -TERM "$DAEMON_PID"
wait_for 10 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "daemon did not exit"
order=$(grep -oE '(web|db): STOPPING -> STOPPED' "$T/taskvisord.log" | cut -d: -f1 | tr '\n' ' ')
assert_eq "$order" "web db " "stop order"
