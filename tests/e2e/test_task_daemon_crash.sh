#!/bin/sh
# kill -9 of the daemon with tasks queued, delayed and running, then a
# restart: every task submitted before is still there, the step that was
# running is rescued (not left "running"; its task pauses with the cause and
# can be resumed), the queued ones run, and new tasks run.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:slow]
steps = work
step.work = sh -c 'echo start >> $T/slow-runs; test -e $T/go || sleep 60; echo end >> $T/slow-runs'

[task:quick]
steps = one
step.one = sh -c 'echo \$TASK_ID >> $T/quick'
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_state exec-worker:exec-worker_01 RUNNING

count_tasks() { ctl task list --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))'; }
done_id=$(ctl task submit quick --wait | head -n 1) || fail "first quick task"
slow=$(ctl task submit slow) || fail "submit slow"
delayed=""
for i in 1 2 3 4 5; do
	delayed="$delayed $(ctl task submit quick --start-at +4s)" || fail "submit delayed"
done
wait_for 10 grep -q start "$T/slow-runs" || fail "slow step did not start"
assert_eq "$(count_tasks)" 7 "tasks before the crash"

kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
rm -f "$T/tv.sock"
sleep 0.5
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
assert_eq "$(count_tasks)" 7 "tasks after the restart"
python3 - "$T/tasks.db" <<'PY' || fail "database integrity"
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
PY
assert_contains "$(ctl task show "$done_id")" "Result:       success" "finished task kept its result"
# The running step was rescued: not "running" any more, paused with a cause.
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $slow | grep -q 'State:        paused'" ||
	fail "the running step was not rescued: $(ctl task show "$slow")"
assert_contains "$(ctl task show "$slow")" "daemon restarted" "rescue cause"
# The delayed tasks run when due, and new tasks run.
new=$(ctl task submit quick --wait | head -n 1) || fail "new task after the restart: $(ctl task show "$new")"
for id in $delayed; do
	wait_for 15 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $id | grep -q 'Result:       success'" ||
		fail "delayed task $id did not run after the restart: $(ctl task show "$id")"
done
assert_eq "$(sort -u "$T/quick" | wc -l | tr -d ' ')" 7 "quick tasks each ran"
assert_eq "$(wc -l <"$T/quick" | tr -d ' ')" 7 "no quick task ran twice"
# The rescued task can be resumed to success (its step no longer waits: on a loaded machine
# a fixed short sleep could end before the kill -9, and nothing would be left to rescue).
touch "$T/go"
ctl task resume "$slow" >/dev/null || fail "resume of the rescued task"
wait_for 15 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" task show $slow | grep -q 'Result:       success'" ||
	fail "resumed task did not succeed: $(ctl task show "$slow")"
echo "ok $TEST_NAME"
