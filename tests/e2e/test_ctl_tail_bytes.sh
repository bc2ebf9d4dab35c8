#!/bin/sh
# `tail` of a log holding any bytes: invalid UTF-8 arrives as U+FFFD (the reply is JSON, which
# is UTF-8) instead of an empty answer or a closed connection; `tail -BYTES` and `tail -f` send
# at most 1 MiB at once, whatever the log's size (a larger reply would pass the frame limit).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program bin <<EOF2
[program:bin]
command = sh -c 'printf "caf\\303\\251 ok \\377\\376 bad \\342\\202 cut\\n"; head -c 3000000 /dev/zero | tr "\\\\0" x; echo; echo END; exec sleep 1000'
startsecs = 0
EOF2
tv_start
wait_state bin RUNNING
wait_for 5 grep -q END "$T/log/bin.log" || fail "the program's output did not arrive"
out=$(ctl tail -3100000 bin) || fail "tail of a log with invalid UTF-8: $out"
n=$(printf '%s' "$out" | wc -c)
[ "$n" -le 1048600 ] && [ "$n" -ge 1048000 ] || fail "tail -3100000 gave $n bytes, want 1 MiB"
assert_contains "$out" "END" "tail's last line"
tv_program bin2 <<EOF2
[program:bin2]
command = sh -c 'printf "caf\\303\\251 ok \\377\\376 bad \\342\\202 cut\\n"; exec sleep 1000'
startsecs = 0
EOF2
ctl update >/dev/null
wait_state bin2 RUNNING
wait_for 5 grep -q cut "$T/log/bin2.log" || fail "bin2 output"
out=$(ctl tail bin2) || fail "tail of invalid UTF-8"
assert_contains "$out" "café ok �� bad �" "invalid bytes shown as U+FFFD, valid ones kept"
assert_contains "$out" " cut" "the text after a cut character"
# tail -f: the same text, then what follows
out=$(timeout 2 "$TVCTL" -c "$T/taskvisord.conf" tail -f bin2)
assert_contains "$out" "café ok �� bad �" "tail -f with invalid UTF-8"
