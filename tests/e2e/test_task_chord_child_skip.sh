#!/bin/sh
# A chord's child fails (exit 3): child and parent pause, the parent's error
# names the child; skipping the child's failed step (task skip CHILD) lets the
# parent go on: the callback runs, the parent succeeds, the child ends with
# result warning.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'for n in 1 2; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json'

[task:leaf]
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) echo "\$TASK_ID" > $T/bad.id; exit 3;; esac; echo "output {\"ok\":true}" >&3'
EOF2
tv_start
wait_state exec-worker RUNNING

paused() { ctl task show "$1" | grep -q '^State: *paused$'; }
id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 paused "$id" || fail "parent not paused: $(ctl task show "$id")"
child=$(cat "$T/bad.id")
assert_contains "$(ctl task show "$id")" "child task $child" "parent's error names the child"
paused "$child" || fail "child not paused: $(ctl task show "$child")"
ctl task skip "$child" >/dev/null || fail "skip child"
done_ok() { ctl task show "$1" | grep -q '^Result: *success$'; }
wait_for 30 done_ok "$id" || fail "parent did not complete: $(ctl task show "$id")"
assert_contains "$(ctl task show "$child")" "Result:       warning" "skipped child's result"
python3 - "$T/join.json" <<'PY' || fail "callback input: $(cat "$T/join.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert outs == [{"ok": True}, {}], outs
PY
echo "ok $TEST_NAME"
