#!/bin/sh
# Locks in planning: a second task on a resource held exclusively is stopped in
# planning (result error) with "Required lock is already taken by other running
# tasks." and the holder's id, and never runs; links never conflict; a paused task
# keeps its lock; `task show` lists a task's locks and `task locks [RESOURCE]` who
# holds what; a stopped task holds nothing.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:sync]
steps = run
step.run = sh -c 'echo "\$TASK_INPUT_repo" >> $T/ran; test -f $T/ok'
lock = repository:%(input.repo)s
link = user:%(triggered_by)s

[task:peek]
steps = run
step.run = true
link = repository:%(input.repo)s
EOF2
tv_start
wait_state exec-worker RUNNING

show_state() { ctl task show "$1" | awk '/^State:/ {print $2}'; }
is_paused() { [ "$(show_state "$1")" = paused ]; }

# a: fails, pauses, keeps its lock
a=$(ctl task submit sync --input '{"repo":"base"}') || fail "submit a"
wait_for 30 is_paused "$a" || fail "a did not pause: $(ctl task show "$a")"
show=$(ctl task show "$a")
assert_contains "$show" "repository:base" "task show lists the lock"
assert_contains "$show" "user:root" "task show lists the link"
assert_contains "$(ctl task locks repository:base)" "repository:base  exclusive  $a" "paused task keeps its lock"

# b: same resource -> stopped in planning, error, the message and a's id; never ran
out=$(ctl task submit sync --input '{"repo":"base"}' 2>&1); rc=$?
b=$(ctl task list --search 'label = sync and state = stopped' | awk 'NR > 1 && $1 != "" {print $1}' | head -n 1)
[ -n "$b" ] || fail "no stopped task after the conflicting submit: rc=$rc out=$out; $(ctl task list)"
ctl task show "$b" --json >"$T/b.json" || fail "show b"
python3 - "$T/b.json" "$a" <<'PY' || fail "conflicting task: $(cat "$T/b.json")"
import json, sys
t = json.load(open(sys.argv[1]))["task"]
assert t["state"] == "stopped" and t["result"] == "error", (t["state"], t["result"])
msg = t["errors"][-1]["message"]
assert msg.startswith("Required lock is already taken by other running tasks."), msg
assert sys.argv[2] in msg, (sys.argv[2], msg)
assert t["locks"] == [], t["locks"]
assert all(s["state"] == "pending" for s in t["steps"]), t["steps"]
PY
assert_eq "$(grep -c base "$T/ran")" 1 "the conflicting task never ran a step"

# a link does not block: another sync on another repo shares the link user:root,
# and peek links the resource a holds exclusively
c=$(ctl task submit sync --input '{"repo":"other"}') || fail "submit c"
wait_for 30 is_paused "$c" || fail "c (same link) did not run: $(ctl task show "$c")"
ctl task submit peek --input '{"repo":"base"}' --wait >"$T/p.out" || fail "peek on a locked resource did not succeed: $(ctl task list)"
p=$(head -n 1 "$T/p.out")
assert_contains "$(ctl task show "$p")" "Result:       success" "link on a held resource"

# task locks without a resource: everything held, by whom
all=$(ctl task locks) || fail "task locks (all)"
assert_contains "$all" "repository:base  exclusive  $a" "all locks: a"
assert_contains "$all" "repository:other  exclusive  $c" "all locks: c"
assert_contains "$all" "user:root  link       $a" "all locks: a's link"
assert_contains "$all" "user:root  link       $c" "all locks: c's link"
assert_not_contains "$all" "$b" "the stopped task holds nothing"
assert_not_contains "$all" "$p" "a finished task holds nothing"

# cancelling a frees its lock; the next submit on base plans and runs
ctl task cancel "$a" >/dev/null || fail "cancel a"
assert_contains "$(ctl task locks repository:base)" "no locks" "stopping releases the lock"
touch "$T/ok"
ctl task submit sync --input '{"repo":"base"}' --wait >"$T/d.out" || fail "d after a stopped: $(ctl task list)"
d=$(head -n 1 "$T/d.out")
assert_contains "$(ctl task show "$d")" "Result:       success" "d succeeds"
echo "ok $TEST_NAME"
