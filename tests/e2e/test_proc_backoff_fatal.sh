#!/bin/sh
# A program that exits before startsecs goes BACKOFF with waits of 1 s, 2 s, ... and
# FATAL after startretries, shown as "Exited too quickly (process log may have details)".
. "$(dirname "$0")/lib.sh"
tv_init
tv_program quick <<EOF2
[program:quick]
command = sh -c 'echo trying; exit 1'
startsecs = 1
startretries = 2
EOF2
t0=$(date +%s%N)
tv_start
wait_state quick FATAL 10
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# attempts at 0 s, +1 s, +2 s more: FATAL after about 3 s, not sooner
[ "$ms" -ge 2900 ] || fail "FATAL after only ${ms} ms: back-off too short"
[ "$ms" -lt 6000 ] || fail "FATAL after ${ms} ms: back-off too long"
out=$(ctl status quick); rc=$?
assert_contains "$out" "Exited too quickly (process log may have details)" "status description"
assert_eq "$rc" 3 "status exit code for FATAL"
n=$(grep -c "quick: STARTING -> BACKOFF" "$T/taskvisord.log")
assert_eq "$n" 3 "failed starts"
grep -q "quick: BACKOFF -> FATAL" "$T/taskvisord.log" || fail "no BACKOFF -> FATAL"
# never retried afterwards
sleep 1.5
assert_eq "$(grep -c 'quick: spawned' "$T/taskvisord.log")" 3 "spawns after FATAL"
assert_eq "$(grep -c trying "$T/log/quick.log")" 3 "captured output"
