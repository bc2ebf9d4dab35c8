#!/bin/sh
# Chords exactly once, `task resume PARENT`:
# 1. a child stops in error (its type: on_error = stop): the parent pauses;
#    `task resume PARENT` does not run the spawning step again (it would
#    only collect the same failed child): it is refused, naming the child and
#    what to do, and nothing changes (3 children, the step ran once);
#    `task skip PARENT` then goes on without the chord (split and its callback
#    join skipped, result warning, the callback never ran).
# 2. the spawning step itself fails after 2 of its 3 spawns: `task resume`
#    runs it again; its spawns 0 and 1 get the children it has, spawn 2 is
#    new: 3 children, and the callback gets each of them once.
# 3. a child paused in error is unlocked (stopped, resumable): `task resume
#    PARENT` is refused and says to resume the child; `task resume CHILD`
#    lets the parent go on by itself: 3 children, the callback gets each once.
. "$(dirname "$0")/lib.sh"
tv_init
sed -i 's/^\[taskvisord\]$/[taskvisord]\nallow_dangerous_actions = true/' "$T/taskvisord.conf"
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[task:fan]
steps = split, join
step.split = sh -c 'echo run >> $T/split-runs; for n in 1 2 3; do echo "spawn leaf {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join.json'

[task:leaf]
on_error = stop
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) echo "\$TASK_ID" > $T/bad.id; exit 3;; esac; echo "output {\"n\":\$in}" >&3'

[task:fan2]
steps = split, join
step.split = sh -c 'echo run >> $T/split2-runs; for n in 1 2; do echo "spawn ok {\"n\":\$n}"; done >&\$TASKVISOR_FD; [ -e $T/fixed ] || exit 3; echo "spawn ok {\"n\":3}" >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join2.json'

[task:ok]
steps = work
step.work = sh -c 'read in; echo "output {\"n\":\$in}" >&3'

[task:fan3]
steps = split, join
step.split = sh -c 'echo run >> $T/split3-runs; for n in 1 2 3; do echo "spawn flaky {\"n\":\$n}"; done >&\$TASKVISOR_FD'
step.join = sh -c 'cat > $T/join3.json'

[task:flaky]
steps = work
step.work = sh -c 'read in; case "\$in" in *2*) [ -e $T/fixed3 ] || { echo "\$TASK_ID" > $T/flaky.id; exit 3; };; esac; echo "output {\"n\":\$in}" >&3'
EOF2
tv_start
wait_state exec-worker RUNNING

children() {
	ctl task list --search "parent_task_id = $1" --limit 0 --json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'
}
paused() { ctl task show "$1" | grep -q '^State: *paused$'; }
stopped() { ctl task show "$1" | grep -q '^State: *stopped$'; }

# 1. a child stopped in error
id=$(ctl task submit fan) || fail "submit: $id"
wait_for 30 paused "$id" || fail "parent not paused: $(ctl task show "$id")"
child=$(cat "$T/bad.id")
stopped "$child" || fail "child not stopped: $(ctl task show "$child")"
out=$(ctl task resume "$id" 2>&1) && fail "resume of the parent accepted: $out"
assert_contains "$out" "child task $child stopped in error" "resume names the child"
assert_contains "$out" "task skip $id" "resume says what to do"
sleep 0.5 # a re-run would have spawned by now
paused "$id" || fail "parent changed: $(ctl task show "$id")"
assert_eq "$(wc -l < "$T/split-runs" | tr -d ' ')" 1 "the spawning step ran once"
assert_eq "$(children "$id")" 3 "children"
ctl task skip "$id" >/dev/null || fail "skip parent"
wait_for 30 stopped "$id" || fail "parent did not stop: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "Result:       warning" "parent result after skip"
assert_contains "$show" "step split, whose 3 child tasks it would collect, was skipped" "callback skip said"
[ -e "$T/join.json" ] && fail "the callback ran after its chord was skipped: $(cat "$T/join.json")"
assert_eq "$(children "$id")" 3 "children after skip"

# 2. the spawning step fails after 2 spawns; resume runs it again
id2=$(ctl task submit fan2) || fail "submit: $id2"
wait_for 30 paused "$id2" || fail "fan2 not paused: $(ctl task show "$id2")"
assert_eq "$(children "$id2")" 2 "children of the failed run"
touch "$T/fixed"
ctl task resume "$id2" >/dev/null || fail "resume fan2"
done_ok() { ctl task show "$1" | grep -q '^Result: *success$'; }
wait_for 30 done_ok "$id2" || fail "fan2 did not complete: $(ctl task show "$id2")"
assert_eq "$(wc -l < "$T/split2-runs" | tr -d ' ')" 2 "fan2's spawning step ran twice"
assert_eq "$(children "$id2")" 3 "children after the re-run"
python3 - "$T/join2.json" <<'PY' || fail "callback input: $(cat "$T/join2.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert [o["n"]["n"] for o in outs] == [1, 2, 3], outs
PY

# 3. an unlocked child
id3=$(ctl task submit fan3) || fail "submit: $id3"
wait_for 30 paused "$id3" || fail "fan3 not paused: $(ctl task show "$id3")"
child3=$(cat "$T/flaky.id")
ctl task unlock "$child3" >/dev/null || fail "unlock child"
out=$(ctl task resume "$id3" 2>&1) && fail "resume of fan3 accepted: $out"
assert_contains "$out" "task resume $child3" "resume says to resume the child"
touch "$T/fixed3"
ctl task resume "$child3" >/dev/null || fail "resume child"
wait_for 30 done_ok "$id3" || fail "fan3 did not complete: $(ctl task show "$id3")"
assert_eq "$(wc -l < "$T/split3-runs" | tr -d ' ')" 1 "fan3's spawning step ran once"
assert_eq "$(children "$id3")" 3 "fan3's children"
assert_contains "$(ctl task show "$id3")" "2/2, 3/3 children stopped" "each child counted once"
python3 - "$T/join3.json" <<'PY' || fail "callback input: $(cat "$T/join3.json")"
import json, sys
outs = json.load(open(sys.argv[1]))
assert [o["n"]["n"] for o in outs] == [1, 2, 3], outs
PY
echo "ok $TEST_NAME"
