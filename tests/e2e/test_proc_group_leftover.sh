#!/bin/sh
# supervisord 4.2.5 leaks this: the leader dies on SIGTERM but a member of its process
# group ignores it. The stop must go on until the group is empty (SIGKILL after
# stopwaitsecs), with neither stopasgroup nor killasgroup set.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program leaky <<EOF2
[program:leaky]
command = sh -c 'sh -c "trap \"\" TERM; echo \\\$\\\$ > $T/gc.pid; while :; do sleep 0.1; done" & wait'
startsecs = 0
stopwaitsecs = 1
EOF2
tv_start
wait_state leaky RUNNING
wait_for 3 test -s "$T/gc.pid" || fail "grandchild did not start"
gc=$(cat "$T/gc.pid")
pid=$(ctl pid leaky)
ctl stop leaky >/dev/null
wait_state leaky STOPPED 5
kill -0 "$gc" 2>/dev/null && fail "group member $gc survived the stop"
grep -q "leaky: pid $pid terminated by signal 15" "$T/taskvisord.log" || fail "leader did not exit on TERM first"
grep -q "leaky: process group $pid outlived its leader" "$T/taskvisord.log" || fail "leftover group not noticed"
grep -q "leaky: process group $pid still alive after 1 s: SIGKILL" "$T/taskvisord.log" || fail "no SIGKILL for the group"
