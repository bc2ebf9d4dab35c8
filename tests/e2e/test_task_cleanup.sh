#!/bin/sh
# task cleanup: --noop counts and deletes nothing; cleanup deletes exactly the
# matching stopped tasks (in batches: --batch-size), with their steps, errors and
# locks, and never a paused or running one or one that does not match; refusals
# for states other than stopped; --config shows what is cleaned after how long.
. "$(dirname "$0")/lib.sh"
tv_init
cat >>"$T/taskvisord.conf" <<CONF
[tasks]
cleanup_after = 30d
CONF
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:gone]
steps = run
step.run = sh -c 'n=\$TASK_INPUT_n; test "\$n" != fail || exit 4; test "\$n" != pause || exit 5; test "\$n" != run || while [ ! -f $T/go ]; do sleep 0.1; done'
lock = item:%(input.n)s
cleanup_after = 2h

[task:gonestop]
steps = run
step.run = sh -c 'echo boom >&2; exit 3'
on_error = stop
lock = stop:%(input.n)s

[task:keep]
steps = run
step.run = true
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

field() { ctl task show "$1" | awk -v f="$2:" '$1 == f {print $2}'; }
is_state() { [ "$(field "$1" State)" = "$2" ]; }
db() { sqlite3 "$T/tasks.db" "$1"; }

: >"$T/want"
for i in $(seq 1 25); do
	id=$(ctl task submit gone --input "{\"n\":\"$i\"}") || fail "submit gone $i"
	echo "$id" >>"$T/want"
done
for i in 1 2 3 4 5; do
	id=$(ctl task submit gonestop --input "{\"n\":\"$i\"}") || fail "submit gonestop $i"
	echo "$id" >>"$T/want"
done
for i in $(seq 1 10); do ctl task submit keep >/dev/null || fail "submit keep"; done
paused=$(ctl task submit gone --input '{"n":"pause"}') || fail "submit paused"
running=$(ctl task submit gone --input '{"n":"run"}') || fail "submit running"
wait_for 30 is_state "$paused" paused || fail "paused task: $(ctl task show "$paused")"
wait_for 30 is_state "$running" running || fail "running task: $(ctl task show "$running")"
all_stopped() { [ "$(db "select count(*) from tasks where state = 'stopped'")" = 40 ]; }
wait_for 60 all_stopped || fail "not all stopped: $(ctl task list)"
[ "$(db "select count(*) from errors e join tasks t on t.num = e.task where t.label = 'gonestop'")" -ge 5 ] ||
	fail "gonestop tasks recorded no errors"
total=$(db "select count(*) from tasks")
assert_eq "$total" 42 "tasks before cleanup"

# --noop: counts, deletes nothing
out=$(ctl task cleanup --search 'label ~ gone' --noop) || fail "noop"
assert_eq "$out" "[noop] 30 tasks matching filter would be deleted" "noop count"
assert_eq "$(db "select count(*) from tasks")" 42 "noop deleted nothing"

# only stopped tasks can be cleaned
out=$(ctl task cleanup --states paused 2>&1); rc=$?
[ $rc -ne 0 ] || fail "cleanup --states paused accepted"
assert_contains "$out" "only stopped tasks" "states refusal"

# the real thing, in batches of 7
out=$(ctl task cleanup --search 'label ~ gone' --batch-size 7 --verbose) || fail "cleanup: $out"
assert_contains "$out" "30 tasks deleted" "deleted count"
echo "$out" | awk 'NR > 1 {print $1}' | sort >"$T/got"
sort "$T/want" >"$T/want.s"
cmp -s "$T/got" "$T/want.s" || fail "deleted ids differ: $(diff "$T/want.s" "$T/got")"
assert_eq "$(db "select count(*) from tasks")" 12 "tasks left"
assert_eq "$(db "select count(*) from tasks where label = 'keep'")" 10 "non-matching tasks kept"
for id in "$paused" "$running"; do
	assert_eq "$(db "select count(*) from tasks where id = '$id'")" 1 "unfinished task $id kept"
done
assert_eq "$(db "select count(*) from steps where task not in (select num from tasks)")" 0 "steps went with their tasks"
assert_eq "$(db "select count(*) from errors where task not in (select num from tasks)")" 0 "errors went with their tasks"
assert_eq "$(db "select count(*) from locks where task not in (select num from tasks)")" 0 "locks went with their tasks"
assert_eq "$(db "select count(*) from locks")" 2 "the paused and the running task keep their locks"
grep -q "cleanup label ~ gone: batch of 7 deleted" "$T/taskvisord.log" || fail "no batches in the log"
assert_eq "$(grep -c "cleanup label ~ gone: batch of [0-9]* deleted" "$T/taskvisord.log")" 5 "30 rows in batches of 7"
grep -q "cleanup label ~ gone: batch of 2 deleted .*(30/30)" "$T/taskvisord.log" || fail "the last batch holds the 2 left"

# a second run finds nothing
out=$(ctl task cleanup --search 'label ~ gone') || fail "second cleanup"
assert_eq "$out" "0 tasks deleted" "second cleanup"

# --config: each type's cleanup_after, else [tasks] cleanup_after
out=$(ctl task cleanup --config) || fail "cleanup --config"
assert_contains "$out" "gone                           label = gone                   2h" "type's own cleanup_after"
assert_contains "$out" "keep                           label = keep                   30d" "global cleanup_after"
touch "$T/go"
echo "ok $TEST_NAME"
