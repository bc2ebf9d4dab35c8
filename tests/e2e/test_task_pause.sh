#!/bin/sh
# A failing step pauses its task (result error; the error holds the exit
# status and the tail of stderr; later steps do not run); resume after fixing
# the cause re-runs that step and the task succeeds; skip goes on with
# result warning.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:flaky]
steps = first, check, last
step.first = sh -c 'echo first >> $T/runs'
step.check = sh -c 'echo check >> $T/runs; seq 1 3000 >&2; echo "the cause: missing fixed file" >&2; test -f $T/fixed || exit 3'
step.last = sh -c 'echo last >> $T/runs'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

out=$(ctl task submit flaky --wait 2>&1); rc=$?
[ $rc -ne 0 ] || fail "--wait of a failing task exited 0: $out"
id=$(echo "$out" | head -n 1)
ctl task show "$id" --json >"$T/show.json" || fail "show --json"
python3 - "$T/show.json" <<'PY' || fail "paused task: $(cat "$T/show.json")"
import json, sys
t = json.load(open(sys.argv[1]))["task"]
assert t["state"] == "paused" and t["result"] == "error", (t["state"], t["result"])
assert [s["state"] for s in t["steps"]] == ["success", "error", "pending"], t["steps"]
e = t["errors"][-1]
assert e["step"] == "check", e
assert e["message"] == "exited 3", e
tail = e["output_tail"]
assert tail.endswith("the cause: missing fixed file\n"), tail[-200:]
assert len(tail) <= 4096 and len(tail) > 3000, len(tail)
assert "\n1\n" not in tail, "the tail is the end of stderr, not its start"
PY
show=$(ctl task show "$id")
assert_contains "$show" "step check: exited 3" "show prints the error"
assert_contains "$show" "| the cause: missing fixed file" "show prints the output tail"
assert_eq "$(tr '\n' ' ' <"$T/runs")" "first check " "later steps did not run"
assert_contains "$(ctl task list --search 'state = paused')" "$id" "list --search finds the paused task"

# Fix the cause, resume: the failed step runs again, then the last one.
touch "$T/fixed"
out=$(ctl task resume "$id"); rc=$?
assert_eq "$rc" 0 "resume exit code ($out)"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
	fail "resumed task did not succeed: $(ctl task show "$id")"
assert_eq "$(tr '\n' ' ' <"$T/runs")" "first check check last " "resume re-ran the failed step only"
out=$(ctl task resume "$id" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "resume of a stopped task succeeded: $out"

# Skip: a second failing task goes on past its failed step, result warning.
rm -f "$T/fixed" "$T/runs"
id2=$(ctl task submit flaky) || fail "submit"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id2 | grep -q 'State:        paused'" ||
	fail "second task did not pause: $(ctl task show "$id2")"
out=$(ctl task skip "$id2"); rc=$?
assert_eq "$rc" 0 "skip exit code ($out)"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id2 | grep -q 'State:        stopped'" ||
	fail "skipped task did not stop: $(ctl task show "$id2")"
show=$(ctl task show "$id2")
assert_contains "$show" "Result:       warning" "skip gives warning"
assert_eq "$(tr '\n' ' ' <"$T/runs")" "first check last " "skip went on with the next step"
echo "ok $TEST_NAME"
