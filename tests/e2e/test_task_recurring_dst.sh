#!/bin/sh
# Recurring logics keep the daemon's local time across DST changes
# (TZ=Europe/Berlin). "30 2 * * *" on the spring-forward day (02:30 does not
# exist) fires once at 03:00 CEST and next at 02:30 CEST the day after
# (23.5 h later); on the fall-back day (02:30 happens twice) it fires once and
# next at 02:30 CET the day after (25 h later, not 1 h). Uses the cron clock's
# test seam TASKVISOR_TEST_CLOCK_OFFSET to put the daemon's schedules 5 s
# before each change; occurrences are compared exactly (next_at), no timing.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:nightly]
steps = run
step.run = true
EOF2
TZ=Europe/Berlin
export TZ
[ -e /usr/share/zoneinfo/Europe/Berlin ] || fail "tzdata is not installed"

field() { ctl recurring show "$1" --json | python3 -c "import json,sys; print(int(round(json.load(sys.stdin)['recurring']['$2'] or 0)))"; }
iter_is() { [ "$(field "$1" iteration)" = "$2" ]; }

# $1 = the UTC instant the cron clock should show 5 s after the start; $2 = the expected
# first occurrence (UTC); $3 = the expected gap to the second one (seconds)
scenario() {
	now=$(date +%s)
	TASKVISOR_TEST_CLOCK_OFFSET=$(($(date -u -d "$1" +%s) - 5 - now))
	export TASKVISOR_TEST_CLOCK_OFFSET
	tv_start
	wait_state exec-worker RUNNING
	out=$(ctl task schedule nightly --cron '30 2 * * *') || fail "schedule: $out"
	rid=$(echo "$out" | head -n 1)
	next0=$(field "$rid" next_at)
	assert_eq "$((next0 + TASKVISOR_TEST_CLOCK_OFFSET))" "$(date -u -d "$2" +%s)" "first occurrence ($1)"
	wait_for 40 iter_is "$rid" 1 || fail "did not fire: $(ctl recurring show "$rid")"
	next1=$(field "$rid" next_at)
	assert_eq "$((next1 - next0))" "$3" "gap to the next occurrence ($1)"
	ctl recurring cancel "$rid" >/dev/null || fail "cancel"
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
}
# spring forward: 2027-03-28 02:00 CET -> 03:00 CEST (01:00 UTC)
scenario "2027-03-28 01:00:00" "2027-03-28 01:00:00" $((23 * 3600 + 1800))
# fall back: 2027-10-31 03:00 CEST -> 02:00 CET (01:00 UTC); 02:30 CEST = 00:30 UTC
scenario "2027-10-31 00:30:00" "2027-10-31 00:30:00" $((25 * 3600))
echo "ok $TEST_NAME"
