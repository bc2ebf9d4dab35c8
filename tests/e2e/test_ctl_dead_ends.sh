#!/bin/sh
# No dead ends: a submit refused for a lock conflict still prints its task's id on stdout
# (exit non-zero); "Cancel Not Implemented" says what the operator can do; every error under
# --json is JSON on stdout ({"error", "code"}), check --json has its fields; `recurring show`
# lists its tasks and `task show` names the recurring logic; `check` with the daemon down is
# CRITICAL (exit 2), as Nagios expects of a dead service.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 2
startsecs = 0

[task:sync]
lock = repository:%(input.repo)s
steps = run
step.run = true

[task:slow]
steps = run
step.run = sleep 30

[task:tick]
steps = run
step.run = true
EOF2
TASKVISOR_TEST_MINUTE_SECONDS=1
export TASKVISOR_TEST_MINUTE_SECONDS
tv_start
wait_state exec-worker RUNNING

isjson() { python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d["error"], str) and d["error"] and isinstance(d["code"], int) and d["code"] != 0, d' ; }

# a lock conflict: the new task's id on stdout, exit non-zero, the task exists (stopped, error)
a=$(ctl task submit sync --input '{"repo":"base"}' --start-at +1d) || fail "submit a: $a"
b=$(ctl task submit sync --input '{"repo":"base"}' 2>"$T/err"); rc=$?
[ "$rc" != 0 ] || fail "a lock conflict exits 0"
echo "$b" | grep -Eq '^[0-9a-f-]{36}$' || fail "no task id on stdout: [$b] (stderr: $(cat "$T/err"))"
assert_contains "$(cat "$T/err")" "Required lock is already taken" "the refusal on stderr"
ctl task show "$b" | grep -q '^State: *stopped' || fail "the refused task: $(ctl task show "$b")"

# a running task whose type is not cancellable: the refusal says what can be done
s=$(ctl task submit slow) || fail "submit slow"
wait_for 20 sh -c "$TVCTL -c $T/taskvisord.conf task show $s | grep -q '^State: *running'" || fail "slow not running"
out=$(ctl task cancel "$s" 2>&1) && fail "cancel of a running non-cancellable task accepted: $out"
assert_contains "$out" "Cancel Not Implemented for Task: $s. " "the refusal"
assert_contains "$out" "task force-unlock $s" "what to do"

# --json: every error is JSON on stdout
ctl task show 00000000-0000 --json 2>/dev/null | isjson || fail "no such task --json: $(ctl task show 00000000-0000 --json 2>&1)"
ctl task show --json 2>/dev/null | isjson || fail "missing id --json: $(ctl task show --json 2>&1)"
ctl task list --bogus --json 2>/dev/null | isjson || fail "bad flag --json: $(ctl task list --bogus --json 2>&1)"
ctl task cancel "$s" --json 2>/dev/null | isjson || fail "refusal --json: $(ctl task cancel "$s" --json 2>&1)"
ctl task submit nosuchtype --json 2>/dev/null | isjson || fail "unknown type --json"
ctl recurring show nope --json 2>/dev/null | isjson || fail "recurring show --json"
out=$(ctl --json check processes) || fail "check processes --json: $out"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == "OK" and d["code"] == 0, d; assert d["message"].startswith("PROCESSES OK - "), d; assert d["perfdata"]["down"] == {"value": 0, "warn": 1, "crit": 1}, d; assert "restarts" in d["perfdata"], d' ||
	fail "check --json fields: $out"

# recurring show lists its tasks; task show names the logic
rid=$(ctl task schedule tick --cron '* * * * *' --iterations 2 | head -n 1) || fail "schedule"
wait_for 30 sh -c "$TVCTL -c $T/taskvisord.conf recurring show $rid | grep -q '^State: *finished'" || fail "not finished: $(ctl recurring show "$rid")"
show=$(ctl recurring show "$rid")
assert_contains "$show" "Tasks (last 10" "recurring show lists tasks"
t1=$(ctl task list --search "recurring_id = $rid" --ids | head -n 1)
[ -n "$t1" ] || fail "no task for recurring_id = $rid"
assert_eq "$(ctl task list --search "recurring_id = $rid" --ids | grep -c .)" 2 "two tasks of the logic"
assert_contains "$show" "$t1" "recurring show lists its task"
assert_contains "$(ctl task show "$t1")" "Recurring:    $rid" "task show names the logic"
j=$(ctl recurring show "$rid" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
assert_eq "$j" 2 "recurring show --json has its tasks"

# the daemon down: check is CRITICAL (exit 2); --json errors are still JSON
sock=$(sed -n 's/^file *= *//p' "$T/taskvisord.conf" | head -n 1)
kill -TERM "$DAEMON_PID"
wait_for 20 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || fail "daemon did not stop"
out=$(ctl check processes); rc=$?
assert_eq "$rc" 2 "check with the daemon down ($out)"
assert_contains "$out" "CRITICAL: taskvisord is not running (unix://" "check's line"
out=$(ctl check queue --json); rc=$?
assert_eq "$rc" 2 "check --json with the daemon down"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == "CRITICAL" and d["code"] == 2 and d["error"], d' || fail "check --json down: $out"
ctl task list --json | isjson || fail "task list --json with the daemon down: $(ctl task list --json)"
ctl status --json | isjson || fail "status --json with the daemon down: $(ctl status --json)"
echo "ok"
