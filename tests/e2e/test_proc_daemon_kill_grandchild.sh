#!/bin/sh
# kill -9 of the daemon: its children die with it (PDEATHSIG), and what they started themselves
# (a shell's background job) is killed by the next daemon's start, which sweeps the dead daemon's
# program cgroups. Skipped (77) where no memory cgroup can be made.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program bg <<EOF2
[program:bg]
command = /bin/sh -c 'sleep 1000 & echo \$! > $T/grandchild.pid; wait'
startsecs = 0
EOF2
tv_start
wait_state bg RUNNING
wait_for 10 test -s "$T/grandchild.pid" || fail "the program did not start its background job"
if grep -q "memory cgroups: none" "$T/taskvisord.log"; then
	echo "no memory cgroup on this machine: $(grep 'memory cgroups' "$T/taskvisord.log")"
	exit 77
fi
gc=$(cat "$T/grandchild.pid")
sh_pid=$(ctl pid bg)
first=$DAEMON_PID
kill -KILL "$first"
wait_for 10 sh -c "! kill -0 $first 2>/dev/null" || fail "the daemon did not die"
wait_for 10 sh -c "! kill -0 $sh_pid 2>/dev/null" || fail "the program outlived its daemon"
kill -0 "$gc" 2>/dev/null || fail "precondition: the background job should still run after kill -9 of the daemon"
tv_start
wait_state bg RUNNING
wait_for 10 sh -c "! kill -0 $gc 2>/dev/null" || fail "the grandchild $gc of the dead daemon still runs after a new start"
grep -q "left in .* by a daemon that died (pid $first)" "$T/taskvisord.log" || fail "the sweep was not logged"
exit 0
