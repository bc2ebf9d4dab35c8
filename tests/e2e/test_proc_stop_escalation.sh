#!/bin/sh
# A program that ignores SIGTERM is SIGKILLed after stopwaitsecs.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program stubborn <<EOF2
[program:stubborn]
command = sh -c 'trap "" TERM; echo trapped; while :; do sleep 0.1; done'
startsecs = 0
stopwaitsecs = 1
EOF2
tv_start
wait_state stubborn RUNNING
wait_for 3 grep -q trapped "$T/log/stubborn.log" || fail "trap not set"
pid=$(ctl pid stubborn)
t0=$(date +%s%N)
ctl stop stubborn >/dev/null
wait_state stubborn STOPPED 5
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -ge 900 ] || fail "stopped after ${ms} ms: SIGKILL before stopwaitsecs"
kill -0 "$pid" 2>/dev/null && fail "pid $pid still alive"
grep -q "stubborn: still running after 1 s: SIGKILL" "$T/taskvisord.log" || fail "no SIGKILL logged"
grep -q "stubborn: pid $pid terminated by signal 9" "$T/taskvisord.log" || fail "reap not logged"
[ -z "$(ps -o pid= -g "$pid" 2>/dev/null)" ] || fail "group $pid not empty: $(ps -o pid,args -g "$pid")"
