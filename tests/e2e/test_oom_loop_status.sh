#!/bin/sh
# An OOM loop is visible: a program OOM-killed over and over (autorestart) shows its restarts
# since the daemon started and the last exit's cause in `status` ("N restarts, last: OOM
# killed"), with supervisorctl's columns first; `check processes` warns on the restart storm
# (--restarts-warn/--restarts-crit within --window, perfdata restarts=N;W;C); a FATAL program
# shows its last exit status in plain `status`. Skipped (77) without a memory cgroup.
. "$(dirname "$0")/lib.sh"

EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }

tv_init
tv_program eater <<CONF
[program:eater]
command = $EAT -H 200
memory_limit = 32MB
startsecs = 0
autorestart = true
CONF
tv_program quitter <<CONF
[program:quitter]
command = sh -c 'exit 3'
startsecs = 1
startretries = 0
CONF
tv_start

wait_for 10 grep -q "memory cgroups: " "$T/taskvisord.log" || fail "no 'memory cgroups:' line in the log"
case "$(grep "memory cgroups: " "$T/taskvisord.log" | head -n 1)" in
*"memory cgroups: none"*) echo "skip: no memory cgroup"; exit 77 ;;
esac

wait_for 20 sh -c "[ \$(grep -c 'eater: pid .* was killed by the OOM killer' $T/taskvisord.log) -ge 11 ]" ||
	fail "eater was not OOM-killed 11 times: $(grep eater "$T/taskvisord.log" | tail -5)"
st=$(ctl status eater)
echo "$st" | grep -Eq '^eater +(RUNNING|STARTING|BACKOFF) +' || fail "status columns: [$st]"
echo "$st" | grep -Eq '[0-9]+ restarts, last: OOM killed' || fail "no restart count and cause in [$st]"
n=$(echo "$st" | sed -n 's/.* \([0-9][0-9]*\) restarts.*/\1/p')
[ "$n" -ge 3 ] || fail "restart count $n < 3 in [$st]"
j=$(ctl --json status eater | python3 -c 'import json,sys; p=json.load(sys.stdin)["processes"][0]; print(p["last_cause"], p["restarts"] >= 3, p["last_restart"] is not None)') ||
	fail "status --json: $(ctl --json status eater)"
assert_eq "$j" "OOM killed True True" "--json last_cause, restarts, last_restart"

# (--warn/--crit 100: the count of programs down, caught EXITED for a moment, stays out of it)
out=$(ctl check processes --warn 100 --crit 100); rc=$?
assert_eq "$rc" 2 "a restart storm (>= 10 in 300 s by default) is CRITICAL ($out)"
assert_contains "$out" "eater restarted" "the check names the program"
echo "$out" | grep -Eq 'restarts=[0-9]+;3;10$' || fail "perfdata restarts=N;3;10 in [$out]"
out=$(ctl check processes --warn 100 --crit 100 --restarts-warn 2 --restarts-crit 100000); rc=$?
assert_eq "$rc" 1 "--restarts-warn 2 --restarts-crit 100000: WARNING ($out)"
out=$(ctl check processes --warn 100 --crit 100 --restarts-warn 100000 --restarts-crit 100000); rc=$?
assert_eq "$rc" 0 "high thresholds: OK ($out)"
assert_not_contains "$out" "restarted" "high thresholds: no storm ($out)"
out=$(ctl check processes --window 0.001)
assert_not_contains "$out" "restarted" "a tiny window counts nothing ($out)"

# the exit status of a FATAL program, in plain status
wait_state quitter FATAL 10
st=$(ctl status quitter)
assert_contains "$st" "Exited too quickly (process log may have details), last: exit status 3" "FATAL status"
ctl stop eater >/dev/null
echo "ok"
