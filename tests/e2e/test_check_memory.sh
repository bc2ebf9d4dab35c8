#!/bin/sh
# check memory: the largest program RSS in MB against --warn/--crit: OK (exit 0) under the
# thresholds, CRITICAL (exit 2) over them, naming the program, with perfdata.
. "$(dirname "$0")/lib.sh"
EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }
tv_init
tv_program fat <<EOF2
[program:fat]
command = $EAT -H 48
startsecs = 0
EOF2
tv_start
wait_state fat RUNNING
wait_for 20 grep -q "holds 48 MB" "$T/log/fat.log" || fail "eat-memory did not hold its memory: $(cat "$T/log/fat.log")"
out=$(ctl check memory --warn 200 --crit 400); rc=$?
assert_eq "$rc" 0 "48 MB under 200/400: OK ($out)"
assert_contains "$out" "PROCESSES MEMORY OK - largest RSS " "OK line"
assert_contains "$out" "| rss_mb=" "perfdata"
out=$(ctl check memory --warn 10 --crit 30); rc=$?
assert_eq "$rc" 2 "48 MB over 30: CRITICAL ($out)"
assert_contains "$out" "PROCESSES MEMORY CRITICAL - largest RSS " "CRITICAL line"
assert_contains "$out" "(fat) | rss_mb=" "names the program"
assert_contains "$out" ";10;30" "thresholds in the perfdata"
echo "ok $TEST_NAME"
