#!/bin/sh
# restart_cron: a RUNNING program is restarted when its cron line comes due (here the weekly
# "0 4 * * 0"), once, and comes back with a new pid; a program without restart_cron is left
# alone; `status` shows the next scheduled restart and, after it, "1 restart, last: restart_cron: ...".
# Uses the daemon's test seam TASKVISOR_TEST_CLOCK_OFFSET (seconds added to the
# clock for restart_cron only): the offset puts "now" 6 s before next Sunday 04:00 UTC.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program weekly <<EOF2
[program:weekly]
command = sleep 1000
startsecs = 0
restart_cron = 0 4 * * 0
EOF2
tv_program plain <<EOF2
[program:plain]
command = sleep 1000
startsecs = 0
EOF2
TZ=UTC
export TZ
now=$(date +%s)
day=$((now / 86400))
dow=$(((day + 4) % 7)) # 1970-01-01 was a Thursday; 0 = Sunday
target=$(((day + (7 - dow) % 7) * 86400 + 4 * 3600))
[ "$target" -gt $((now + 30)) ] || target=$((target + 7 * 86400))
TASKVISOR_TEST_CLOCK_OFFSET=$((target - now - 6))
export TASKVISOR_TEST_CLOCK_OFFSET
tv_start
wait_state weekly RUNNING
wait_state plain RUNNING
first=$(ctl pid weekly)
plain=$(ctl pid plain)
grep -q "weekly: restarting" "$T/taskvisord.log" && fail "restarted before its time"
# the next scheduled restart is shown: status (description) and status --json (next_restart)
assert_contains "$(ctl status weekly)" ", next restart " "status shows the next restart"
assert_not_contains "$(ctl status plain)" "next restart" "no restart_cron, no next restart"
n=$(ctl --json status weekly | python3 -c 'import json,sys; p=json.load(sys.stdin)["processes"][0]; print(p["next_restart"] - p["now"])') ||
	fail "status --json next_restart: $(ctl --json status weekly)"
[ "$n" -ge 0 ] && [ "$n" -le 10 ] || fail "next_restart is $n s away, want 0-10 (the offset puts it 6 s ahead)"
wait_for 30 grep -q "weekly: restarting (restart_cron: 0 4 \* \* 0)" "$T/taskvisord.log" ||
	fail "no scheduled restart: $(grep weekly "$T/taskvisord.log")"
wait_for 10 sh -c "p=\$($TVCTL -c $T/taskvisord.conf pid weekly); [ \"\$p\" != 0 ] && [ \"\$p\" != $first ]" ||
	fail "weekly did not come back with a new pid"
wait_state weekly RUNNING
kill -0 "$first" 2>/dev/null && fail "old pid $first still alive"
sleep 2
assert_eq "$(grep -c 'weekly: restarting' "$T/taskvisord.log")" 1 "restarts (next is a week later)"
assert_eq "$(ctl pid plain)" "$plain" "program without restart_cron left alone"
assert_contains "$(ctl status weekly)" "1 restart, last: restart_cron: 0 4 * * 0" "status names the scheduled restart"
echo "ok $TEST_NAME"
