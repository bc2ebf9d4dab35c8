#!/bin/sh
# A 3-step task runs its steps in order on the exec worker and succeeds
# (progress 3/3, result success, progress/output lines from fd 3 land in the
# task); submitting an unknown label or bad JSON is refused and creates nothing.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:three]
steps = a, b, c
step.a = sh -c 'echo a >> $T/order; echo "progress {\"items_total\":3,\"items_done\":1}" >&3'
step.b = echo b >> $T/order
step.c = sh -c 'cat > $T/input; echo c >> $T/order; echo "output {\"step\":\"\$STEP_NAME\",\"index\":\$STEP_INDEX,\"task\":\"\$TASK_ID\"}" >&3'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

# Refusals: nothing is created.
out=$(ctl task submit nosuch 2>&1); rc=$?
[ $rc -ne 0 ] || fail "submit of an unknown label succeeded: $out"
assert_contains "$out" "unknown task type 'nosuch'" "unknown label message"
out=$(ctl task submit three --input '{"a":' 2>&1); rc=$?
assert_eq "$rc" 2 "bad JSON exit code"
assert_contains "$out" "--input: bad JSON" "bad JSON message"
out=$(ctl task submit three --input '[1,2]' 2>&1); rc=$?
assert_eq "$rc" 2 "non-object input exit code"
assert_contains "$out" "not a JSON object" "non-object message"
out=$(ctl task submit three --start-at 'next tuesday' 2>&1); rc=$?
assert_eq "$rc" 2 "bad time exit code"
assert_contains "$out" "--start-at: cannot parse time" "bad time message"
out=$(ctl task submit three --bogus 2>&1); rc=$?
assert_eq "$rc" 2 "unknown option exit code"
n=$(ctl task list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
assert_eq "$n" 0 "tasks created by refused submits"
ctl task --help >/dev/null || fail "task --help is not true"

# The 3-step task.
out=$(ctl task submit three --input '{"repo":"base"}' --wait); rc=$?
assert_eq "$rc" 0 "submit --wait exit code ($out)"
id=$(echo "$out" | head -n 1)
case "$id" in ????????-????-????-????-????????????) ;; *) fail "first line is not a task id: $id" ;; esac
assert_contains "$out" "Task $id stopped: success" "--wait end line"
assert_eq "$(tr '\n' ' ' <"$T/order")" "a b c " "steps ran in order"
assert_eq "$(cat "$T/input")" '{"repo":"base"}' "input JSON on stdin"
show=$(ctl task show "$id")
assert_contains "$show" "Progress:     3/3" "progress"
assert_contains "$show" "Result:       success" "result"
ctl task show "$id" --json >"$T/show.json" || fail "show --json"
python3 - "$T/show.json" "$id" <<'PY' || fail "show --json content: $(cat "$T/show.json")"
import json, sys
t = json.load(open(sys.argv[1]))["task"]
assert t["state"] == "stopped" and t["result"] == "success", t
assert t["steps_done"] == 3 and t["steps_total"] == 3, t
assert [s["state"] for s in t["steps"]] == ["success"] * 3, t["steps"]
assert [s["name"] for s in t["steps"]] == ["a", "b", "c"], t["steps"]
assert t["progress"].get("items_total") == 3, t["progress"]
assert t["output"].get("step") == "c" and t["output"].get("index") == 2, t["output"]
assert t["output"].get("task") == sys.argv[2], t["output"]
PY
list=$(ctl task list)
assert_contains "$list" "$id  three" "list row"
assert_contains "$list" "3/3" "list progress"
# a unique prefix works as an id
short=$(echo "$id" | cut -c1-8)
assert_contains "$(ctl task show "$short")" "ID:           $id" "id prefix"
echo "ok $TEST_NAME"
