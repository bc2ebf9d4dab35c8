#!/bin/sh
# A chord's child is killed with kill -9: the child pauses in error and so
# does its parent, with an error naming the child; resuming the child (no
# operator action on the parent) lets the parent go on and complete.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'for n in 1 2 3; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json'

[task:leaf]
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) if [ ! -e $T/killed ]; then echo "\$TASK_ID" > $T/victim.id; echo \$\$ > $T/victim.pid; exec sleep 60; fi;; esac; echo "output {\"n\":\$in}" >&3'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 test -s "$T/victim.pid" || fail "the victim child did not start: $(ctl task show "$id")"
sleep 0.2 # let it reach the exec
child=$(cat "$T/victim.id")
touch "$T/killed"
kill -KILL "$(cat "$T/victim.pid")"

paused() { ctl task show "$1" | grep -q '^State: *paused$'; }
wait_for 30 paused "$child" || fail "child not paused: $(ctl task show "$child")"
# the step's command is itself "sh -c ...": the worker's shell reports its child's SIGKILL as 137
ctl task show "$child" | grep -Eq "killed by signal 9|exited 137" || fail "child's error: $(ctl task show "$child")"
wait_for 30 paused "$id" || fail "parent not paused: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "child task $child paused" "parent's error names the child"
assert_contains "$show" "0/2, 2/3 children stopped" "chord progress while paused"
[ -e "$T/join.json" ] && fail "callback ran with a child paused"

ctl task resume "$child" >/dev/null || fail "resume child"
done_ok() { ctl task show "$1" | grep -q '^Result: *success$'; }
wait_for 30 done_ok "$id" || fail "parent did not complete: $(ctl task show "$id")"
assert_contains "$(ctl task show "$child")" "Result:       success" "child result"
python3 - "$T/join.json" <<'PY' || fail "callback input: $(cat "$T/join.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert [o["n"]["n"] for o in outs] == [1, 2, 3], outs
PY
echo "ok $TEST_NAME"
