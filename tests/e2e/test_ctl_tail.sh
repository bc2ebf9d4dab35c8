#!/bin/sh
# tail: the end of stdout/stderr logs (supervisorctl's trailing newline), -BYTES, and -f
# streaming what is appended.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program talker <<EOF2
[program:talker]
command = sh -c 'echo out-line; echo err-line >&2; exec sleep 1000'
startsecs = 0
EOF2
tv_start
wait_state talker RUNNING
wait_for 5 grep -q out-line "$T/log/talker.log" || fail "no stdout log: $(ls -l "$T/log")"

out=$(ctl tail talker | od -c | head -1)
assert_contains "$out" "o   u   t   -   l   i   n   e  \n  \n" "tail text + newline"
out=$(ctl tail talker stderr)
assert_eq "$out" "err-line" "tail stderr"
out=$(ctl tail -5 talker)
assert_eq "$out" "line" "tail -5 (bytes)"
out=$(ctl tail nosuch); rc=$?
assert_eq "$out" "nosuch: ERROR (no such process name)" "tail of an unknown process"
assert_eq "$rc" 1 "tail unknown exit"
out=$(ctl tail talker bogus); rc=$?
assert_eq "$out" "Error: bad channel 'bogus'" "bad channel"

"$TVCTL" -c "$T/taskvisord.conf" tail -f talker >"$T/follow.out" 2>&1 &
fpid=$!
wait_for 5 grep -q out-line "$T/follow.out" || fail "tail -f printed nothing"
echo appended-later >>"$T/log/talker.log"
wait_for 5 grep -q appended-later "$T/follow.out" || { kill "$fpid"; fail "tail -f missed the appended line: $(cat "$T/follow.out")"; }
kill "$fpid"
wait "$fpid" 2>/dev/null || true  # 143: it was killed, as meant
