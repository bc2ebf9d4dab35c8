#!/bin/sh
# Chords exactly once, worker lost: the exec worker running a spawning step is
# killed (kill -9) after the step spawned its 3 children; with
# retry_on_worker_loss = 1 the step runs again and spawns the same 3 lines,
# which get the children it already has (identity: parent, step, spawn
# index): still 3 children, and the callback runs once with 3 outputs in
# spawn order.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 1
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:fan]
retry_on_worker_loss = 1
steps = split, join
step.split = sh -c 'for n in 1 2 3; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD; echo run >> $T/split-runs; if [ ! -e $T/killed ]; then exec sleep 60; fi'
step.join = sh -c 'cat > $T/join.json; echo join >> $T/joins'

[task:leaf]
steps = work
step.work = sh -c 'read in; echo "output {\"n\":\$in}" >&3'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

children() {
	ctl task list --search "parent_task_id = $1" --limit 0 --json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'
}
three_children() { [ "$(children "$1")" = 3 ]; }
# the pid of the worker running the step of task $1
step_worker_pid() {
	ctl task show "$1" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)["task"]
r = [s for s in t["steps"] if s["state"] == "running"]
print(r[0]["pid"]) if r else sys.exit(1)'
}

id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 test -s "$T/split-runs" || fail "split did not run: $(ctl task show "$id")"
wait_for 30 three_children "$id" || fail "3 children: $(children "$id")"
wpid=$(step_worker_pid "$id") || fail "no running step: $(ctl task show "$id")"
touch "$T/killed"
kill -KILL "$wpid"

done_ok() { ctl task show "$1" | grep -q '^Result: *success$'; }
wait_for 30 done_ok "$id" || fail "parent did not complete: $(ctl task show "$id")"
assert_eq "$(wc -l < "$T/split-runs" | tr -d ' ')" 2 "the spawning step ran twice"
assert_contains "$(ctl task show "$id")" "re-queued" "the loss is recorded"
assert_eq "$(children "$id")" 3 "children after the retry"
assert_eq "$(cat "$T/joins")" "join" "the callback ran once"
python3 - "$T/join.json" <<'PY' || fail "callback input: $(cat "$T/join.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert [o["n"]["n"] for o in outs] == [1, 2, 3], outs
PY
ctl task list --search "parent_task_id = $id" --limit 0 --json | python3 -c '
import json, sys
ts = json.load(sys.stdin)["tasks"]
assert sorted(t["spawn_index"] for t in ts) == [0, 1, 2], ts
' || fail "spawn indexes: $(ctl task list --search "parent_task_id = $id" --limit 0 --json)"
grep -q "spawned by an earlier run" "$T/taskvisord.log" || fail "no log of a re-spawn found again"
echo "ok $TEST_NAME"
