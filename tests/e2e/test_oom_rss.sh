#!/bin/sh
# memory_limit without a cgroup (TASKVISOR_CGROUP=none): the daemon samples the RSS of the
# whole process group and restarts a program that stays above its limit, with the reason in
# the log; a program under its limit is left alone. Here two processes of 24 MB each
# (48 MB together, each under the 32 MB limit) must count as one program.
. "$(dirname "$0")/lib.sh"

EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }

tv_init
tv_program hog <<CONF
[program:hog]
command = $EAT -f 1 -H 24
memory_limit = 32MB
startsecs = 1
CONF
tv_program small <<CONF
[program:small]
command = $EAT -H 4
memory_limit = 32MB
startsecs = 1
CONF
TASKVISOR_CGROUP=none
export TASKVISOR_CGROUP
tv_start

wait_for 10 grep -q "memory cgroups: none" "$T/taskvisord.log" ||
	fail "TASKVISOR_CGROUP=none not honoured: $(grep 'memory cgroups' "$T/taskvisord.log")"
wait_state small RUNNING 10
wait_state hog RUNNING 10
first=$(ctl pid hog)
wait_for 15 grep -q "hog: restarting (memory_limit" "$T/taskvisord.log" ||
	fail "hog was not restarted for its memory_limit"
wait_for 10 sh -c "p=\$($TVCTL -c $T/taskvisord.conf pid hog); [ \"\$p\" != 0 ] && [ \"\$p\" != $first ]" ||
	fail "hog did not come back with a new pid"
grep -q "small: restarting" "$T/taskvisord.log" && fail "small was restarted though under its limit"
assert_not_contains "$(ctl status hog)" "OOM" "a memory_limit restart is not an OOM kill"
echo "ok"
