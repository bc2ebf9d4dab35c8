#!/bin/sh
# status: supervisorctl's layout (name padded to max(30,longest)+3, state to 10), rows sorted
# by group then name, exit 0 all running / 3 some stopped / 4 unknown name or no daemon.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program runner <<EOF2
[program:runner]
command = sleep 1000
startsecs = 0
EOF2
tv_program idle <<EOF2
[program:idle]
command = sleep 1000
autostart = false
EOF2
tv_start
wait_state runner RUNNING

out=$(ctl status runner); rc=$?
assert_eq "$rc" 0 "status of a running process"
pid=$(ctl pid runner)
want=$(printf '%-33s%-10s%s' runner RUNNING "pid $pid, uptime 0:00:0")
case "$out" in "$want"*) ;; *) fail "layout: got [$out], want prefix [$want]" ;; esac

out=$(ctl status idle); rc=$?
assert_eq "$rc" 3 "status of a stopped process"
assert_eq "$out" "$(printf '%-33s%-10s%s' idle STOPPED 'Not started')" "stopped line"

out=$(ctl status); rc=$?
assert_eq "$rc" 3 "status of all with one stopped"
assert_eq "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "idle runner " "sorted rows"

out=$(ctl status nosuch); rc=$?
assert_eq "$rc" 4 "status of an unknown name"
assert_eq "$out" "nosuch: ERROR (no such process)" "unknown name text"

out=$(ctl status nogroup:*); rc=$?
assert_eq "$rc" 4 "status of an unknown group"
assert_eq "$out" "nogroup: ERROR (no such group)" "unknown group text"

# A long name widens the column for every row.
tv_program longname <<EOF2
[program:a_really_long_program_name_of_40_chars__]
command = sleep 1000
autostart = false
EOF2
ctl update >/dev/null
out=$(ctl status idle)
assert_eq "$out" "$(printf '%-33s%-10s%s' idle STOPPED 'Not started')" "width counts only the rows shown"
out=$(ctl status | grep '^idle ')
assert_eq "$out" "$(printf '%-43s%-10s%s' idle STOPPED 'Not started')" "width follows the longest name"

# No daemon: supervisorctl's words, exit 4.
out=$("$TVCTL" -s "$T/nothere.sock" status); rc=$?
assert_eq "$rc" 4 "status with no daemon"
assert_eq "$out" "unix://$T/nothere.sock no such file" "no daemon text"
