#!/bin/sh
# A process that left its program's process group (setsid) is still in the program's
# memory cgroup: a stop kills it too. Skipped (77) where no memory cgroup can be made.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program escapee <<EOF2
[program:escapee]
command = sh -c 'setsid sleep 1000 & echo \$! > $T/escaped.pid; exec sleep 1000'
startsecs = 0
EOF2
tv_start
wait_for 10 grep -q "memory cgroups: " "$T/taskvisord.log" || fail "no 'memory cgroups:' line in the log"
line=$(grep "memory cgroups: " "$T/taskvisord.log" | head -n 1)
case "$line" in
*"memory cgroups: none"*) echo "skip: ${line#*memory cgroups: }"; exit 77 ;;
esac
wait_state escapee RUNNING
wait_for 3 test -s "$T/escaped.pid" || fail "no escaped pid"
esc=$(cat "$T/escaped.pid")
pid=$(ctl pid escapee)
kill -0 "$esc" || fail "escaped process $esc not running"
[ "$(ps -o sid= -p "$esc" | tr -d ' ')" = "$esc" ] || fail "$esc did not leave the session"
ctl stop escapee >/dev/null
wait_state escapee STOPPED 5
wait_for 2 sh -c "! { st=\$(awk '{print \$3}' /proc/$esc/stat 2>/dev/null); [ -n \"\$st\" ] && [ \"\$st\" != Z ]; }" ||
	fail "process $esc that left the group survived the stop"
grep -q "escapee: killed 1 process left in its memory cgroup" "$T/taskvisord.log" || fail "cgroup kill not logged"
