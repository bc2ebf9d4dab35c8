#!/bin/sh
# memory_limit with a memory cgroup: a program that touches 200 MB under a 32 MB limit is
# killed by the kernel's OOM killer inside its own cgroup, and `status` says ", OOM killed";
# the daemon's cgroups are gone once it stops. Skipped (77) where no memory cgroup can be
# made (the daemon logs "memory cgroups: none (why)").
. "$(dirname "$0")/lib.sh"

EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }

tv_init
tv_program eater <<CONF
[program:eater]
command = $EAT -H 200
memory_limit = 32MB
startsecs = 0
startretries = 0
autorestart = false
CONF
tv_program steady <<CONF
[program:steady]
command = $EAT -H 4
memory_limit = 32MB
CONF
tv_start

wait_for 10 grep -q "memory cgroups: " "$T/taskvisord.log" || fail "no 'memory cgroups:' line in the log"
line=$(grep "memory cgroups: " "$T/taskvisord.log" | head -n 1)
case "$line" in
*"memory cgroups: none"*) echo "skip: ${line#*memory cgroups: }"; exit 77 ;;
esac
cgdir=$(echo "$line" | sed -n 's/.*memory cgroups: v[12] (\(.*\))$/\1/p')
[ -n "$cgdir" ] && [ -d "$cgdir" ] || fail "cgroup directory not found from [$line]"

wait_state eater EXITED 20
st=$(ctl status eater)
assert_contains "$st" "EXITED    " "status of an OOM-killed program"
assert_contains "$st" ", OOM killed" "status of an OOM-killed program"
# --json carries the flag and the counter; the counter survives a later clean run
j=$(ctl --json status eater | python3 -c 'import json,sys; d=json.load(sys.stdin); p=[x for x in (d["processes"] if isinstance(d,dict) else d) if x["name"]=="eater"][0]; print(p["oom_killed"], p["oom_kills"])') ||
	fail "status --json does not parse: $(ctl --json status eater)"
assert_eq "$j" "True 1" "--json oom_killed and oom_kills after one OOM kill"
ctl start eater >/dev/null
wait_state eater EXITED 20
j=$(ctl --json status eater | python3 -c 'import json,sys; d=json.load(sys.stdin); p=[x for x in (d["processes"] if isinstance(d,dict) else d) if x["name"]=="eater"][0]; print(p["oom_killed"], p["oom_kills"])')
assert_eq "$j" "True 2" "the counter counts every OOM kill"
wait_state steady RUNNING 10
assert_not_contains "$(ctl status steady)" "OOM" "status of a program under its limit"
[ -d "$cgdir/steady" ] || fail "no cgroup $cgdir/steady"
# the running program is inside its cgroup
pid=$(ctl pid steady)
grep -qx "$pid" "$cgdir/steady/cgroup.procs" || fail "steady (pid $pid) is not in $cgdir/steady"

kill -TERM "$DAEMON_PID"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$DAEMON_PID" 2>/dev/null && fail "daemon did not stop"
[ -d "$cgdir" ] && fail "daemon left its cgroup $cgdir behind"
echo "ok"
