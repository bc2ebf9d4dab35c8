#!/bin/sh
# Sub-tasks from the exec worker's fd: a step writes "spawn LABEL {json}"
# lines on TASKVISOR_FD; the parent's next step runs only once every child
# has stopped, and the children's outputs land in the parent's output.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'echo "spawn leaf {\"n\":1}" >&\$TASKVISOR_FD; echo "spawn leaf {\"n\":2}" >&\$TASKVISOR_FD'
step.join = sh -c 'test "\$(wc -l < $T/leaves)" -eq 2 && echo join >> $T/order'

[task:leaf]
steps = work
step.work = sh -c 'read in; sleep 0.3; echo "output {\"got\":\$in}" >&3; echo leaf >> $T/leaves'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

out=$(ctl task submit fan --wait); rc=$?
id=$(echo "$out" | head -n 1)
assert_eq "$rc" 0 "fan task --wait exit code ($out; $(ctl task show "$id"))"
assert_eq "$(cat "$T/order")" "join" "join ran after both children"
ctl task show "$id" --json >"$T/show.json" || fail "show --json"
python3 - "$T/show.json" <<'PY' || fail "parent output: $(cat "$T/show.json")"
import json, sys
t = json.load(open(sys.argv[1]))["task"]
assert len(t["children"]) == 2, t["children"]
outs = t["output"]["children"]
assert sorted(o["got"]["n"] for o in outs.values()) == [1, 2], outs
assert sorted(outs) == sorted(t["children"]), (outs, t["children"])
PY
for c in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["task"]["children"]))' "$T/show.json"); do
	show=$(ctl task show "$c")
	assert_contains "$show" "Result:       success" "child $c result"
	assert_contains "$show" "Parent task:  $id" "child $c parent"
done
echo "ok $TEST_NAME"
