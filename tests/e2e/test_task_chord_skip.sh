#!/bin/sh
# Chords exactly once, a skipped spawning step: its callback is skipped too,
# never run on part of the children's outputs.
# 1. a child pauses in error, so does the parent; `task skip PARENT` skips
#    split and its callback join (an error on join says why); the parent ends
#    with result warning and join never ran.
# 2. on_error = skip: a child stops in error, the parent's spawning step is
#    skipped by the rescue strategy: its callback is skipped the same way, and
#    the step after the callback still runs.
# 3. a step that spawned nothing is no chord: skipping it runs the next step.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'for n in 1 2 3; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json'

[task:leaf]
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) exit 3;; esac; echo "output {\"n\":\$in}" >&3'

[task:fanskip]
on_error = skip
steps = split, join, after
step.split = sh -c 'for n in 1 2 3; do echo "spawn stopleaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/joinskip.json'
step.after = sh -c 'touch $T/after'

[task:stopleaf]
on_error = stop
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) exit 3;; esac; echo "output {\"n\":\$in}" >&3'

[task:plain]
steps = one, two
step.one = sh -c 'exit 3'
step.two = sh -c 'touch $T/two'
EOF2
tv_start
wait_state exec-worker RUNNING

paused() { ctl task show "$1" | grep -q '^State: *paused$'; }
stopped() { ctl task show "$1" | grep -q '^State: *stopped$'; }

# 1. task skip of a paused chord
id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 paused "$id" || fail "parent not paused: $(ctl task show "$id")"
ctl task skip "$id" >/dev/null || fail "skip parent"
wait_for 30 stopped "$id" || fail "parent did not stop: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "Result:       warning" "parent result"
assert_contains "$show" "step split, whose 3 child tasks it would collect, was skipped (1 not stopped)" \
	"the callback's skip is said"
ctl task show "$id" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)["task"]
assert [s["state"] for s in t["steps"]] == ["skipped", "skipped"], t["steps"]
' || fail "steps: $(ctl task show "$id")"
[ -e "$T/join.json" ] && fail "the callback ran on part of the outputs: $(cat "$T/join.json")"

# 2. on_error = skip
id2=$(ctl task submit fanskip) || fail "submit: $id2"
wait_for 30 stopped "$id2" || fail "fanskip did not stop: $(ctl task show "$id2")"
wait_for 10 test -e "$T/after" || fail "the step after the callback did not run: $(ctl task show "$id2")"
ctl task show "$id2" --json | python3 -c '
import json, sys
t = json.load(sys.stdin)["task"]
assert t["result"] == "warning", t["result"]
assert [s["state"] for s in t["steps"]] == ["skipped", "skipped", "success"], t["steps"]
' || fail "fanskip: $(ctl task show "$id2")"
[ -e "$T/joinskip.json" ] && fail "the callback ran after a child failed: $(cat "$T/joinskip.json")"

# 3. no children: the next step is an ordinary one
id3=$(ctl task submit plain) || fail "submit: $id3"
wait_for 30 paused "$id3" || fail "plain not paused: $(ctl task show "$id3")"
ctl task skip "$id3" >/dev/null || fail "skip plain"
wait_for 10 test -e "$T/two" || fail "the step after a skipped plain step did not run: $(ctl task show "$id3")"
echo "ok $TEST_NAME"
