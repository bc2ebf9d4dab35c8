#!/bin/sh
# No dead ends, in bulk: a chord whose 3 children paused in error is taken on in one command,
# `task resume --search "parent_task_id = ID"` (--noop first: lists them and a count, changes
# nothing), and the parent then finishes by itself; `task list --ids` prints ids only;
# `task cancel A B` takes several ids; an ambiguous id prefix lists the candidates.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'for n in 1 2 3; do echo "spawn flaky {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json'

[task:flaky]
steps = work
step.work = sh -c 'read in; [ -e $T/fixed ] || exit 3; echo "output {\"n\":\$in}" >&3'

[task:idle]
steps = run
step.run = true
EOF2
tv_start
wait_state exec-worker RUNNING

npaused() { ctl task list --search "parent_task_id = $1 and state = paused" --ids | grep -c .; }
id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 sh -c "[ \$($TVCTL -c $T/taskvisord.conf task list --search 'parent_task_id = $id and state = paused' --ids | grep -c .) = 3 ]" ||
	fail "3 paused children expected: $(ctl task list)"

# --ids: one id a line, nothing else
ids=$(ctl task list --search "parent_task_id = $id" --ids) || fail "list --ids"
assert_eq "$(echo "$ids" | grep -c .)" 3 "--ids lists the 3 children"
echo "$ids" | grep -Evq '^[0-9a-f-]{36}$' && fail "--ids prints something else than ids: [$ids]"

# --noop: what would change, a count, nothing changes
out=$(ctl task resume --search "parent_task_id = $id" --noop) || fail "resume --noop: $out"
assert_eq "$(echo "$out" | grep -c '^\[noop\] would resume task ')" 3 "--noop lists each task ($out)"
assert_contains "$out" "[noop] 3 tasks would be resumed" "--noop count"
sleep 0.3
assert_eq "$(npaused "$id")" 3 "--noop changed nothing"
j=$(ctl task resume --search "parent_task_id = $id" --noop --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["noop"], d["matched"], len(d["tasks"]))') ||
	fail "--noop --json"
assert_eq "$j" "True 3 3" "--noop --json"

# one command resumes every paused child; the parent goes on by itself
touch "$T/fixed"
out=$(ctl task resume --search "parent_task_id = $id") || fail "resume --search: $out"
assert_contains "$out" "Resumed 3 of 3 tasks" "count after"
assert_eq "$(echo "$out" | grep -c '^Resumed task ')" 3 "one line per task ($out)"
wait_for 30 sh -c "$TVCTL -c $T/taskvisord.conf task show $id | grep -q '^Result: *success'" ||
	fail "parent did not finish: $(ctl task show "$id")"

# several ids at once (ids are time-ordered: they share their first digits)
i=0
while [ $i -lt 17 ]; do ctl task submit idle --start-at +1d >/dev/null || fail "submit idle"; i=$((i + 1)); done
set -- $(ctl task list --search "label = idle" --ids)
out=$(ctl task cancel "$1" "$2") || fail "cancel A B: $out"
assert_contains "$out" "Cancelled task $1: state stopped, result cancelled" "first of two"
assert_contains "$out" "Cancelled task $2: state stopped, result cancelled" "second of two"
assert_contains "$out" "Cancelled 2 of 2 tasks" "count"
out=$(ctl task cancel "$1" "$3" 2>&1); rc=$?
[ "$rc" != 0 ] || fail "a refused one in several: exit 0 ($out)"
assert_contains "$out" "task $1 is already stopped" "the refusal is printed"
assert_contains "$out" "Cancelled 1 of 2 tasks" "count with a refusal"

# an ambiguous prefix names its candidates
p=$(ctl task list --ids | cut -c1 | sort | uniq -d | head -n 1)
[ -n "$p" ] || fail "no shared first digit among $(ctl task list --ids | wc -l) tasks"
out=$(ctl task show "$p" 2>&1) && fail "ambiguous prefix accepted: $out"
assert_contains "$out" "ambiguous task id prefix: $p (matches: " "candidates"
for c in $(ctl task list --ids --order id asc | grep "^$p" | head -n 10); do
	assert_contains "$out" "$c" "candidate $c listed"
done
n=$(ctl task list --ids | grep -c "^$p")
[ "$n" -le 10 ] || assert_contains "$out" "and $((n - 10)) more)" "more than 10"

# cancel --search: every idle one still waiting
out=$(ctl task cancel --search "label = idle") || fail "cancel --search: $out"
assert_contains "$out" "Cancelled 14 of 14 tasks" "cancel --search count"
echo "ok"
