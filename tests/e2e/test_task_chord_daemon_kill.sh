#!/bin/sh
# The daemon is killed (kill -9) between a chord's last child and its
# callback: the transaction that stopped the last child also made the
# parent's next step ready, so after the restart the callback runs exactly
# once and the children are not run again. The callback is a handler step
# (handler:noop) whose only worker (noop-worker --stamp, one line per step
# run) is started only after the restart, so the kill surely comes after the
# chord's commit and before the callback could start.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'for n in 1 2 3; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = handler:noop

[task:leaf]
steps = work
step.work = sh -c 'echo "\$TASK_ID" >> $T/leaves'
EOF2
noop_conf() {
	tv_program noop <<EOF2
[program:noop-worker]
command = $BUILD/bin/noop-worker --queue default --stamp $T/stamps
startsecs = 0
autostart = $1
EOF2
}
noop_conf false
tv_start
wait_state exec-worker RUNNING

id=$(ctl task submit fan) || fail "submit: $id"
join_ready() { ctl task show "$id" | grep -Eq '^ +1 +join +ready '; }
wait_for 30 join_ready || fail "callback not ready: $(ctl task show "$id")"
assert_eq "$(wc -l <"$T/leaves")" 3 "three children ran"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
[ -e "$T/stamps" ] && fail "the callback ran before the restart"

noop_conf true
tv_start
done_ok() { ctl task show "$id" | grep -q '^Result: *success$'; }
wait_for 30 done_ok || fail "parent did not finish after the restart: $(ctl task show "$id")"
assert_contains "$(ctl task show "$id")" "2/2, 3/3 children stopped" "chord progress"
ctl stop noop-worker >/dev/null # flushes its stamp file
assert_eq "$(grep -c "^$id " "$T/stamps")" 1 "callback runs"
assert_eq "$(wc -l <"$T/stamps")" 1 "steps run by the noop worker"
assert_eq "$(wc -l <"$T/leaves")" 3 "children were not run again"
echo "ok $TEST_NAME"
