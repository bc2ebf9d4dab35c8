#!/bin/sh
# check memory counts a program's children: a program whose own process is a small shell and
# whose child holds 64 MB is a 64 MB program (its cgroup's charge, else its process group's
# RSS — memcg_program_memory), not the shell's few hundred kB.
. "$(dirname "$0")/lib.sh"
EAT="$BUILD/tests/helpers/eat-memory"
[ -x "$EAT" ] || { echo "skip: $EAT not built"; exit 77; }
tv_init
tv_program parent <<EOF2
[program:parent]
command = /bin/sh -c '$EAT -H 64 & wait'
startsecs = 0
EOF2
tv_start
wait_state parent RUNNING
wait_for 20 grep -q "holds 64 MB" "$T/log/parent.log" || fail "eat-memory did not hold its memory: $(cat "$T/log/parent.log")"
out=$(ctl check memory --warn 20 --crit 40); rc=$?
assert_eq "$rc" 2 "a 64 MB child over 40: CRITICAL ($out)"
assert_contains "$out" "(parent) | rss_mb=" "names the program"
mb=$(echo "$out" | sed -n 's/.*rss_mb=\([0-9]*\);.*/\1/p')
[ "${mb:-0}" -ge 60 ] || fail "the child's 64 MB not counted: $out"
echo "ok $TEST_NAME"
