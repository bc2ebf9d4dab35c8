#!/bin/sh
# fatal_retry_after: a FATAL program is started again after that long (here 2 s), once its
# cause is gone it stays RUNNING; without the option FATAL is final.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program flaky <<EOF2
[program:flaky]
command = sh -c 'test -e $T/ok || exit 1; exec sleep 1000'
startsecs = 1
startretries = 0
fatal_retry_after = 2s
EOF2
tv_program final <<EOF2
[program:final]
command = sh -c 'test -e $T/ok || exit 1; exec sleep 1000'
startsecs = 1
startretries = 0
EOF2
tv_start
wait_state flaky FATAL 10
wait_state final FATAL 10
wait_for 15 grep -q "flaky: FATAL -> STARTING (fatal_retry_after elapsed)" "$T/taskvisord.log" ||
	fail "flaky not retried after FATAL"
wait_state flaky FATAL 10
touch "$T/ok"
wait_state flaky RUNNING 15
grep -q "final: FATAL -> STARTING" "$T/taskvisord.log" && fail "final retried without fatal_retry_after"
assert_contains "$(ctl status final)" "FATAL" "final stays FATAL"
echo "ok $TEST_NAME"
