#!/bin/sh
# A step's own output (README "A step's output"): `task tail -f` prints a
# running step's lines as they come (a line every 200 ms: the first ones are
# seen before the step ends) and exits 0 when it succeeded, non-zero when it
# failed; `task show` shows the stdout and stderr tails of a finished step;
# output over the tail's size is cut with a note; the exec-worker's own log
# has the lines tagged "[task ID step NAME]"; a flood is rate capped live, and said.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 1
startsecs = 0
environment = TASKVISOR_OUTPUT_TAIL="4K"

[task:slow]
steps = count
step.count = sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do echo "line \$i"; sleep 0.2; done; echo "to stderr" >&2'

[task:both]
steps = prep, talk
step.prep = sh -c 'echo prep-out'
step.talk = sh -c 'echo out-one; echo out-two; echo err-one >&2; echo "caf\\303\\251 ok"; exit 3'

[task:big]
steps = flood
step.flood = sh -c 'i=0; while [ \$i -lt 10000 ]; do echo "big line \$i padding padding padding"; i=\$((i+1)); done'

[task:quiet]
steps = nothing
step.nothing = true
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

# tail -f of a running step: lines as they come, then exit 0.
id=$(ctl task submit slow) || fail "submit slow"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q ' running '" ||
	fail "step did not start: $(ctl task show "$id")"
ctl task tail -f "$id" >"$T/tail.out" 2>"$T/tail.err" &
tailpid=$!
wait_for 10 grep -q "line 2" "$T/tail.out" || fail "tail -f printed nothing while the step ran: $(cat "$T/tail.out" "$T/tail.err")"
# seen before the step ended: the task is still running now
assert_contains "$(ctl task show "$id")" "State:        running" "first lines seen while the step runs"
grep -q "line 15" "$T/tail.out" && fail "tail -f only printed once the step was over"
wait "$tailpid"; rc=$?
assert_eq "$rc" 0 "tail -f exit status of a step that succeeded ($(cat "$T/tail.err"))"
assert_contains "$(cat "$T/tail.out")" "line 15" "tail -f printed the last line"
assert_contains "$(cat "$T/tail.err")" "to stderr" "tail -f printed stderr lines on stderr"
assert_eq "$(grep -c '^line ' "$T/tail.out")" 15 "every line once"

# task show: stdout and stderr tails of a finished (failed) step.
id=$(ctl task submit both) || fail "submit both"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'State:        paused'" ||
	fail "both did not pause: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "Step output" "show has a step output section"
assert_contains "$show" "step talk (attempt 1):" "the failed step's output"
assert_contains "$show" "      | out-two" "stdout tail"
assert_contains "$show" "      | err-one" "stderr tail"
assert_contains "$show" "      | café ok" "UTF-8 kept"
assert_contains "$show" "step prep (attempt 1):" "the step that succeeded has its output too"
json=$(ctl task show "$id" --json)
assert_contains "$json" '"stdout": "out-one\nout-two\ncafé ok\n"' "--json has the whole stored tail"
out=$(ctl task tail "$id" talk 2>"$T/err2"); rc=$?
assert_eq "$rc" 0 "task tail of a finished step"
assert_eq "$out" "$(printf 'out-one\nout-two\ncafé ok')" "task tail prints stdout"
assert_contains "$(cat "$T/err2")" "err-one" "task tail prints stderr on stderr"
out=$(ctl task tail -f "$id" talk 2>/dev/null); rc=$?
[ "$rc" -ne 0 ] || fail "tail -f of a failed step exited 0"
out=$(ctl task tail "$id" nosuch 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "tail of an unknown step exited 0"
assert_contains "$out" "has no step \"nosuch\"" "unknown step named"

# The worker's own log has the lines, tagged.
log=$(ctl tail exec-worker:exec-worker_00 2>/dev/null; ctl tail exec-worker:exec-worker_00 stderr 2>/dev/null)
assert_contains "$log" "step talk] out-two" "tagged stdout line in the worker's log"
assert_contains "$log" "step talk] err-one" "tagged stderr line in the worker's log"

# Over the tail's size (4K here): cut, with a note.
# A flood, followed from before it starts: the worker's rate cap drops lines live, says so, and
# the stored tail still has the end.
id=$(ctl task submit big --start-at +1s) || fail "submit big"
ctl task tail -f "$id" flood >"$T/flood.out" 2>"$T/flood.err"; rc=$?
assert_eq "$rc" 0 "tail -f of a flood ($(tail -3 "$T/flood.err"))"
assert_contains "$(cat "$T/flood.out")" "big line 0 padding" "the flood's first lines live"
assert_contains "$(cat "$T/flood.err")" "lines dropped by the worker: over 200 lines a second" "dropped lines said"
n=$(wc -l <"$T/flood.out")
[ "$n" -lt 10000 ] || fail "the rate cap let all $n lines through"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
	fail "big did not succeed: $(ctl task show "$id")"
show=$(ctl task show "$id")
assert_contains "$show" "cut: the last" "a cut tail says so"
assert_contains "$show" "      | big line 9999 padding" "the end of the output kept"
assert_contains "$show" "lines were not sent live" "show says lines were not sent live"
out=$(ctl task tail "$id" 2>&1 >/dev/null)
assert_contains "$out" "stdout had" "task tail says the tail was cut"

# A step that prints nothing has no output section.
id=$(ctl task submit quiet) || fail "submit quiet"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
	fail "quiet did not succeed: $(ctl task show "$id")"
assert_not_contains "$(ctl task show "$id")" "Step output" "no output, no section"
echo "ok $TEST_NAME"
