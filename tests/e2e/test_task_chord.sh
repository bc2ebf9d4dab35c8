#!/bin/sh
# A chord: a step spawns 50 children on the exec worker's fd; they run in
# parallel over 4 workers; the parent's next step (the callback) runs once,
# after all of them, and gets their 50 outputs in spawn order as its stdin.
# task show counts the chord ("50/50 children stopped") and
# --search 'parent_task_id = ID' finds the children.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
process_name = %(program_name)s_%(process_num)02d
numprocs = 4
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'i=0; while [ \$i -lt 50 ]; do echo "spawn leaf {\"n\":\$i}"; i=\$((i+1)); done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json; echo join >> $T/joins'

[task:leaf]
steps = work
step.work = sh -c 'read in; sleep 0.1; echo "output {\"got\":\$in}" >&3'
EOF2
tv_start
for i in 00 01 02 03; do wait_state "exec-worker:exec-worker_$i" RUNNING; done

out=$(ctl task submit fan --wait); rc=$?
id=$(echo "$out" | head -n 1)
assert_eq "$rc" 0 "fan --wait exit code ($out)"
assert_eq "$(cat "$T/joins")" "join" "the callback ran once"
python3 - "$T/join.json" <<'PY' || fail "callback input: $(head -c 300 "$T/join.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert isinstance(outs, list) and len(outs) == 50, len(outs)
assert [o["got"]["n"] for o in outs] == list(range(50)), [o["got"]["n"] for o in outs]
PY
show=$(ctl task show "$id")
assert_contains "$show" "Result:       success" "parent result"
assert_contains "$show" "2/2, 50/50 children stopped" "chord progress in show"
ctl task export --search "parent_task_id = $id" --format json --file "$T/children.json" 2>/dev/null ||
	fail "export children"
python3 - "$T/children.json" "$id" <<'PY' || fail "children: $(head -c 300 "$T/children.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
tasks = doc["tasks"] if isinstance(doc, dict) else doc
assert len(tasks) == 50, len(tasks)
assert all(t["parent_task_id"] == sys.argv[2] and t["result"] == "success" for t in tasks)
workers = {t["steps"][0]["worker"] for t in tasks}
assert len(workers) >= 2, workers  # in parallel across workers
PY
n=$(ctl task list --search "parent_task_id = $id" --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
assert_eq "$n" 50 "search parent_task_id"
echo "ok $TEST_NAME"
