#!/bin/sh
# Without a command taskvisorctl prints the status (as supervisorctl's shell does on entry), then
# reads commands from stdin line by line until quit/exit/EOF. Command words are exact, as
# supervisorctl's: a prefix ("vers", "stat", "s") is "*** Unknown syntax". open switches daemons.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program sh1 <<EOF2
[program:sh1]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state sh1 RUNNING
row=$(printf '%-33s%-10s' sh1 RUNNING)
out=$(printf 'version\nvers\nbogus x\nquit\nversion\n' | ctl); rc=$?
assert_eq "$(echo "$out" | head -n 1 | cut -c1-43)" "$row" "status first, on entry"
assert_contains "$out" "$(ctl version)" "version in the shell"
assert_contains "$out" "*** Unknown syntax: vers" "no prefix matching"
assert_contains "$out" "*** Unknown syntax: bogus x" "unknown command in the shell"
assert_eq "$(echo "$out" | grep -c "$(ctl version)")" 1 "quit ends the shell"
assert_eq "$rc" 1 "pipe: the exit status of the last command before quit (bogus x)"
out=$(printf 'status sh1\nexit\n' | ctl)
assert_eq "$(echo "$out" | grep -c "^$row")" 2 "status on entry, then status sh1"
# EOF ends it too; the exit status from a pipe is the last command's
out=$(printf 'status nosuch\n' | ctl); rc=$?
assert_contains "$out" "nosuch: ERROR (no such process)" "status nosuch in the shell"
assert_eq "$rc" 4 "pipe: the last command's exit status"
# open: another socket (unix:// or a path), its status shown
out=$(printf 'open unix:///nonexistent/tv.sock\nopen unix://%s/tv.sock\nopen http://x\n' "$T" | "$TVCTL" -s /nonexistent/x.sock)
assert_contains "$out" "unix:///nonexistent/tv.sock no such file" "open: unreachable"
assert_eq "$(echo "$out" | grep -c "^$row")" 1 "open unix://: status of the new daemon"
assert_contains "$out" "ERROR: url must be unix:///path or a path" "open http refused"
# In the shell Ctrl-C ends a tail -f (or maintail -f) and the shell reads on, as supervisorctl's
{ echo 'tail -f sh1'; sleep 1.5; echo version; } | "$TVCTL" -c "$T/taskvisord.conf" >"$T/intr.out" 2>&1 &
spid=$!
wait_for 10 grep -q "MSG_TAIL from pid" "$T/taskvisord.log" || fail "tail -f in the shell did not start"
kill -INT "$spid"
wait_for 10 sh -c "! kill -0 $spid" || fail "the shell did not end after tail -f was interrupted"
assert_contains "$(cat "$T/intr.out")" "$(ctl version)" "the shell read on after Ctrl-C in tail -f"
out=$(ctl s); rc=$?
assert_eq "$out" "*** Unknown syntax: s" "prefix refused"
assert_eq "$rc" 1 "unknown exit"
exit 0
