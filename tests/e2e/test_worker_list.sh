#!/bin/sh
# `worker list` shows the busy worker with the task it runs (pid, program, queue, handlers,
# slots, counters) and --json has every field; `worker show NAME` has one worker's details and
# refuses an unknown name (exit 1); `task show` of a task behind the busy worker says so; `queue
# list` counts workers, ready, running, paused, and the steps done and failed. A read-only user
# (nobody in a readonly_groups group, when run as root) may run all three. A step force-unlocked
# while its worker still runs it stays visible in `worker list`.
. "$(dirname "$0")/lib.sh"
tv_init
sed -i 's/^\[taskvisord\]$/[taskvisord]\nallow_dangerous_actions = true/' "$T/taskvisord.conf"
ro_group=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ro_group=$(id -gn nobody 2>/dev/null); then
	chmod 755 "$T"
	sed -i "s|^file = $T/tv.sock\$|file = $T/tv.sock\nchmod = 0766\nreadonly_groups = $ro_group\nadmin_groups = root|" "$T/taskvisord.conf"
fi
ro() { setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -s "$T/tv.sock" "$@"; }
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 1
startsecs = 0

[task:quick]
steps = run
step.run = true

[task:bad]
steps = run
step.run = false

[task:slow]
steps = run
step.run = sleep 30
cancellable = true
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" worker list | grep -q '^exec-worker_00 '" ||
	fail "worker never listed: $(ctl worker list)"
ctl task submit quick --wait >/dev/null || fail "quick"
ctl task submit bad --wait >/dev/null && fail "bad succeeded"
pid=$(ctl pid exec-worker:exec-worker_00)
id=$(ctl task submit slow) || fail "submit slow"
wait_for 10 sh -c "\"$TVCTL\" -c \"$T/taskvisord.conf\" worker list | grep -q 'task $id step run'" ||
	fail "busy worker without its task: $(ctl worker list)"
out=$(ctl worker list)
assert_contains "$out" "NAME " "header"
line=$(echo "$out" | grep '^exec-worker_00 ')
assert_contains "$line" " $pid " "pid"
assert_contains "$line" " exec-worker:exec-worker_00 " "program"
assert_contains "$line" " default " "queue"
assert_contains "$line" " 1/1 " "slots held/prefetch"
assert_contains "$out" "    task $id step run (#0, slow) for " "the step it holds"
ctl worker list --json | python3 -c '
import json, sys
w = json.load(sys.stdin)["workers"]
assert len(w) == 1, w
w = w[0]
for k in ("id", "name", "pid", "program", "supervised", "queue", "handlers", "prefetch", "held",
          "done", "failed", "connected_at", "last_seen", "gone"):
    assert k in w, k
assert w["name"] == "exec-worker_00" and w["pid"] == int(sys.argv[1]), w
assert w["program"] == "exec-worker:exec-worker_00" and w["supervised"] is True, w
assert w["queue"] == "default" and w["handlers"] == ["*"] and w["prefetch"] == 1, w
assert w["done"] == 1 and w["failed"] == 1, w
h = w["held"]
assert len(h) == 1 and h[0]["task_id"] == sys.argv[2] and h[0]["step"] == "run" and h[0]["index"] == 0, h
assert h[0]["since"] >= w["connected_at"] and w["last_seen"] >= w["connected_at"], w
' "$pid" "$id" || fail "worker list --json: $(ctl worker list --json)"
out=$(ctl worker show exec-worker_00)
assert_contains "$out" "Name:         exec-worker_00" "show: name"
assert_contains "$out" "PID:          $pid" "show: pid"
assert_contains "$out" "Program:      exec-worker:exec-worker_00" "show: program"
assert_contains "$out" "Done:         1" "show: done"
assert_contains "$out" "Failed:       1" "show: failed"
assert_contains "$out" "task $id step run" "show: held step"
assert_contains "$(ctl worker show "$pid")" "Name:         exec-worker_00" "show by pid"
assert_contains "$(ctl worker show exec-worker:exec-worker_00)" "Name:         exec-worker_00" "show by group:name"
out=$(ctl worker show nosuch); rc=$?
assert_eq "$rc" 1 "unknown worker exit"
assert_contains "$out" "no such worker: nosuch" "unknown worker message"
# a second task waits behind the busy worker
id2=$(ctl task submit slow 2>"$T/submit.err") || fail "submit 2"
assert_eq "$(cat "$T/submit.err")" "" "served queue: no warning"
out=$(ctl task show "$id2")
assert_contains "$out" 'Waiting:      1 worker busy; step run is #1 of 1 ready on queue "default"' "waits behind the busy worker"
ctl queue list --json | python3 -c '
import json, sys
q = {x["name"]: x for x in json.load(sys.stdin)["queues"]}["default"]
assert q["workers"] == 1 and q["busy"] == 1 and q["ready"] == 1 and q["running"] == 1, q
assert q["paused"] == 1, q
assert q["done_1m"] == 1 and q["failed_1m"] == 1 and q["done_1h"] == 1 and q["failed_1h"] == 1, q
assert q["done"] == 1 and q["failed"] == 1, q
assert q["oldest_wait"] is not None and q["mean_step"] is not None and q["mean_step"] >= 0, q
' || fail "queue list --json: $(ctl queue list --json)"
out=$(ctl queue list)
assert_contains "$out" "QUEUE " "queue list header"
line=$(echo "$out" | grep '^default ')
[ -n "$line" ] || fail "queue default not listed: $out"
set -- $line
assert_eq "$2 $3 $4 $5 $6" "1 1 1 1 1" "workers busy ready running paused"
if [ -n "$ro_group" ]; then
	out=$(ro worker list) || fail "read-only worker list: $out"
	assert_contains "$out" "task $id step run" "read-only worker list"
	out=$(ro worker show exec-worker_00) || fail "read-only worker show: $out"
	out=$(ro queue list) || fail "read-only queue list: $out"
	assert_contains "$out" "default " "read-only queue list"
	out=$(ro task cancel "$id2" 2>&1) && fail "read-only cancel allowed: $out"
else
	echo "(read-only part skipped: needs root, setpriv and a user nobody)"
fi
ctl task force-unlock "$id" >/dev/null || fail "force-unlock"
# force-unlock cancels the step at its worker (README "A step's output"): from then on the slot
# is never shown as the task's; until the worker says the step ended it is listed as no longer the
# task's, then the note goes (the slot may serve the next task at once). Never unseen.
out=$(ctl worker list)
assert_not_contains "$out" "task $id step run" "a force-unlocked step is not shown as its task's"
wait_for 10 sh -c '! "$0" -c "$1" worker list | grep -q "no longer the task"' "$TVCTL" "$T/taskvisord.conf" ||
	fail "the force-unlocked step was never reported ended: $(ctl worker list)"
echo "ok $TEST_NAME"
