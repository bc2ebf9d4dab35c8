#!/bin/sh
# memory_limit restarts a program that grows: with a memory cgroup, a program climbing 1 MB
# per 20 ms towards 200 MB under a 40 MB limit is OOM-killed by the kernel and restarted
# (status back to RUNNING with a new pid, oom_kills counted in --json); without a cgroup
# (TASKVISOR_CGROUP=none) the RSS sampler restarts it with the reason in the log.
. "$(dirname "$0")/lib.sh"
EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }

run() { # $1: TASKVISOR_CGROUP value or "" for the default
	tv_init
	tv_program grower <<EOF2
[program:grower]
command = $EAT -s 20 -H 200
memory_limit = 40MB
startsecs = 0
EOF2
	if [ -n "$1" ]; then TASKVISOR_CGROUP=$1; export TASKVISOR_CGROUP; fi
	tv_start
	wait_for 10 grep -q "memory cgroups: " "$T/taskvisord.log" || fail "no 'memory cgroups:' line"
	wait_state grower RUNNING
	first=$(ctl pid grower)
	if grep -q "memory cgroups: none" "$T/taskvisord.log"; then
		wait_for 30 grep -q "grower: restarting (memory_limit" "$T/taskvisord.log" ||
			fail "not restarted for memory_limit (no cgroup): $(grep grower "$T/taskvisord.log" | tail -5)"
		kind=rss
	else
		wait_for 30 grep -q "grower: pid $first terminated by signal 9" "$T/taskvisord.log" ||
			fail "not OOM-killed: $(grep grower "$T/taskvisord.log" | tail -5)"
		wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" --json status grower | grep -q '\"oom_kills\": *[1-9]'" ||
			fail "oom_kills not counted: $(ctl --json status grower)"
		kind=cgroup
	fi
	wait_for 10 sh -c "p=\$($TVCTL -c $T/taskvisord.conf pid grower); [ \"\$p\" != 0 ] && [ \"\$p\" != $first ]" ||
		fail "$kind: grower did not come back with a new pid"
	wait_state grower RUNNING
	kill -0 "$first" 2>/dev/null && fail "$kind: old pid $first still alive"
	echo "ok $TEST_NAME ($kind)"
	tv_cleanup
	T=""; DAEMON_PID=""
}
run ""
run none
