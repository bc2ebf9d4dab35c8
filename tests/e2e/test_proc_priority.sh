#!/bin/sh
# Start in ascending priority, stop (daemon shutdown) in descending priority, one level at a time.
. "$(dirname "$0")/lib.sh"
tv_init
for x in "c 300" "a 100" "b 200"; do
	set -- $x
	tv_program "$1" <<EOF2
[program:$1]
command = sh -c 'trap "sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done'
priority = $2
startsecs = 0
EOF2
done
tv_start
wait_state a RUNNING
wait_state b RUNNING
wait_state c RUNNING
order=$(grep -o '[abc]: spawned' "$T/taskvisord.log" | cut -c1 | tr -d '\n')
assert_eq "$order" "abc" "start order"
kill -TERM "$DAEMON_PID"
wait_for 10 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "daemon did not exit"
order=$(grep -oE '[abc]: (STOPPING -> STOPPED|RUNNING -> STOPPING)' "$T/taskvisord.log" | sed 's/: RUNNING.*/+/; s/: STOPPING.*/-/' | tr -d '\n')
# each level is down before the next one is asked to stop
assert_eq "$order" "c+c-b+b-a+a-" "stop order"
