#!/bin/sh
# Recurring logics after a daemon outage: the occurrences missed while the
# daemon was down are not fired in a burst; the restarted daemon runs ONE
# catch-up occurrence and logs how many it missed. The logic ends (--until)
# during the outage, so after the catch-up no further occurrence may come:
# the task count is exactly one more than before the outage. Uses the cron
# clock's test seam TASKVISOR_TEST_MINUTE_SECONDS=1 (a cron minute lasts 1 s).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:tick]
steps = run
step.run = true
EOF2
TASKVISOR_TEST_MINUTE_SECONDS=1
export TASKVISOR_TEST_MINUTE_SECONDS
tv_start
wait_state exec-worker RUNNING

until_at=$(($(date +%s) + 6))
out=$(ctl task schedule tick --cron '* * * * *' --until "$until_at") || fail "schedule: $out"
rid=$(echo "$out" | head -n 1)
fired() { [ "$(sqlite3 "$T/tasks.db" "select count(*) from tasks where label = 'tick'")" -ge 1 ]; }
wait_for 30 fired || fail "no first occurrence"
# the outage: stop the daemon and count what it submitted
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
before=$(sqlite3 "$T/tasks.db" "select count(*) from tasks where label = 'tick'")
state=$(sqlite3 "$T/tasks.db" "select state from recurring where id = '$rid'")
assert_eq "$state" active "still active when the daemon stopped (the machine was too slow?)"
# stay down until several occurrences and the end (until) have passed
while [ "$(date +%s)" -le $((until_at + 3)) ]; do sleep 0.5; done
tv_start
finished() { ctl recurring show "$rid" | grep -q "^State: *finished\$"; }
wait_for 30 finished || fail "not finished after restart: $(ctl recurring show "$rid")"
after=$(sqlite3 "$T/tasks.db" "select count(*) from tasks where label = 'tick'")
assert_eq "$after" $((before + 1)) "exactly one catch-up occurrence (before: $before)"
grep -Eq "recurring $rid: missed [0-9]+ occurrences while down; running one now" "$T/taskvisord.log" ||
	fail "no catch-up log line: $(grep -i recurring "$T/taskvisord.log" | tail -5)"
n=$(grep -Eo "recurring $rid: missed [0-9]+" "$T/taskvisord.log" | grep -Eo '[0-9]+$')
[ "$n" -ge 3 ] || fail "missed count $n (want >= 3)"
echo "ok $TEST_NAME"
