#!/bin/sh
# ready=notify: STARTING until the program sends READY=1 (not after startsecs), STATUS= is
# kept; watchdog_sec: a program that stops sending WATCHDOG=1 is restarted.
. "$(dirname "$0")/lib.sh"
NR="$BUILD/tests/helpers/notify-ready"
[ -x "$NR" ] || { echo "skip: $NR not built"; exit 77; }
tv_init
tv_program slow <<EOF2
[program:slow]
command = $NR -d 2 -s serving
ready = notify
startsecs = 0
EOF2
tv_program child <<EOF2
[program:child]
command = $NR -c
ready = notify
EOF2
tv_program dog <<EOF2
[program:dog]
command = $NR -w 3
ready = notify
watchdog_sec = 1
EOF2
tv_start
wait_state child RUNNING 5
sleep 1
out=$(ctl status slow)
assert_contains "$out" "STARTING" "slow before READY=1 (startsecs=0 must not count)"
wait_state slow RUNNING 5
assert_contains "$(ctl status slow)" ", status: serving" "STATUS= text shown by status"
grep -q "slow: STARTING -> RUNNING (READY=1)" "$T/taskvisord.log" || fail "RUNNING not from READY=1"
grep -q "child: STARTING -> RUNNING (READY=1)" "$T/taskvisord.log" || fail "READY=1 from a child of the program not accepted"
wait_state dog RUNNING 5
first=$(ctl pid dog)
wait_for 10 grep -q "dog: restarting (watchdog: no WATCHDOG=1" "$T/taskvisord.log" || fail "dog not restarted by the watchdog"
wait_for 5 sh -c "p=\$($TVCTL -c $T/taskvisord.conf pid dog); [ \"\$p\" != 0 ] && [ \"\$p\" != $first ]" || fail "dog did not come back"
