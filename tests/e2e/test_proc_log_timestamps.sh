#!/bin/sh
# log_timestamps=true: every captured line (stdout and stderr, also a line written in two
# pieces) starts with an ISO-8601 time; without it the lines are kept as written.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program stamped <<EOF2
[program:stamped]
command = sh -c 'echo one; printf "tw"; sleep 0.2; echo o; echo err >&2; exec sleep 1000'
startsecs = 0
log_timestamps = true
EOF2
tv_program plain <<EOF2
[program:plain]
command = sh -c 'echo one; exec sleep 1000'
startsecs = 0
EOF2
tv_start
wait_state stamped RUNNING
wait_state plain RUNNING
wait_for 10 grep -q "two" "$T/log/stamped.log" || fail "no output: $(cat "$T/log/stamped.log")"
wait_for 10 grep -q "err" "$T/log/stamped-stderr.log" || fail "no stderr output"
re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{4}|Z)? '
n=$(grep -Ec "${re}(one|two)\$" "$T/log/stamped.log")
assert_eq "$n" 2 "stamped stdout lines: $(cat "$T/log/stamped.log")"
assert_eq "$(wc -l <"$T/log/stamped.log" | tr -d ' ')" 2 "one stamp per line, not per write"
grep -Eq "${re}err\$" "$T/log/stamped-stderr.log" || fail "stderr not stamped: $(cat "$T/log/stamped-stderr.log")"
wait_for 10 grep -q one "$T/log/plain.log" || fail "plain: no output"
assert_eq "$(cat "$T/log/plain.log")" "one" "no timestamps without the option"
echo "ok $TEST_NAME"
