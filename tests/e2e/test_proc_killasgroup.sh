#!/bin/sh
# killasgroup: a grandchild that ignores SIGTERM dies with its stubborn parent.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program fam <<EOF2
[program:fam]
command = sh -c 'sh -c "trap \"\" TERM; echo \\\$\\\$ > $T/gc.pid; while :; do sleep 0.1; done" & trap "" TERM; wait'
startsecs = 0
stopwaitsecs = 1
killasgroup = true
EOF2
tv_start
wait_state fam RUNNING
wait_for 3 test -s "$T/gc.pid" || fail "grandchild did not start"
gc=$(cat "$T/gc.pid")
kill -0 "$gc" || fail "grandchild $gc not running"
ctl stop fam >/dev/null
wait_state fam STOPPED 5
kill -0 "$gc" 2>/dev/null && fail "grandchild $gc survived the stop"
grep -q "fam: still running after 1 s: SIGKILL to process group" "$T/taskvisord.log" || fail "no group SIGKILL logged"
