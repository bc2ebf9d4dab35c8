#!/bin/sh
# supervisorctl parity: maintail [-f|-BYTES], clear, add/remove with supervisorctl's messages and
# exit codes, help CMD (exit 0, its texts), -s unix:///path, quit/exit, open, and "stat" refused.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program web <<EOF2
[program:web]
command = sh -c 'echo web-says-hello; exec sleep 1000'
startsecs = 0
EOF2
tv_program idle <<EOF2
[program:idle]
command = sleep 1000
autostart = false
EOF2
tv_start
wait_state web RUNNING

# stat is not status (supervisorctl: *** Unknown syntax: stat, exit 1)
out=$(ctl stat); rc=$?
assert_eq "$out" "*** Unknown syntax: stat" "stat refused"
assert_eq "$rc" 1 "stat exit"

# help CMD: exit 0 and supervisorctl's words
out=$(ctl help add); rc=$?
assert_eq "$out" "$(printf 'add <name> [...]\tActivates any updates in config for process/group')" "help add"
assert_eq "$rc" 0 "help add exit"
out=$(ctl help bogus); rc=$?
assert_eq "$out" "*** No help on bogus" "help bogus"
assert_eq "$rc" 0 "help bogus exit"
assert_contains "$(ctl help maintail)" "maintail -100" "help maintail"

# -s unix:///path and a plain path
out=$("$TVCTL" -s "unix://$T/tv.sock" status web); rc=$?
assert_contains "$out" "RUNNING" "-s unix://"
assert_eq "$rc" 0 "-s unix:// exit"
assert_contains "$("$TVCTL" -s "$T/tv.sock" status web)" "RUNNING" "-s PATH"
out=$("$TVCTL" -s "http://localhost:9001" status); rc=$?
assert_contains "$out" "url must be" "-s http refused"
assert_eq "$rc" 2 "-s http exit"

# maintail: the daemon's own log, bounded
out=$(ctl maintail); rc=$?
assert_eq "$rc" 0 "maintail exit"
assert_contains "$out" "web" "maintail shows the daemon log"
assert_eq "$(ctl maintail -10 | head -c 10 | wc -c)" 10 "maintail -10 prints 10 bytes"
out=$(ctl maintail x); rc=$?
assert_eq "$out" "Error: bad argument x" "maintail x"
assert_eq "$rc" 1 "maintail x exit"
# maintail -f: follows new lines (bounded by timeout)
timeout 3 "$TVCTL" -c "$T/taskvisord.conf" maintail -f >"$T/follow.out" 2>&1 &
fpid=$!
sleep 0.5
ctl start idle >/dev/null
wait "$fpid"
assert_contains "$(cat "$T/follow.out")" "idle" "maintail -f shows a line logged after it started"

# clear: logs emptied, supervisorctl's words
assert_contains "$(ctl tail web)" "web-says-hello" "log has output"
out=$(ctl clear web); rc=$?
assert_eq "$out" "web: cleared" "clear web"
assert_eq "$rc" 0 "clear exit"
assert_eq "$(wc -c <"$T/log/web.log")" 0 "log emptied"
out=$(ctl clear nosuch); rc=$?
assert_eq "$out" "nosuch: ERROR (no such process)" "clear unknown"
assert_eq "$rc" 1 "clear unknown exit"
out=$(ctl clear all); rc=$?
assert_contains "$out" "idle: cleared" "clear all"
assert_eq "$rc" 0 "clear all exit"

# remove / add
out=$(ctl remove web); rc=$?
assert_eq "$out" "ERROR: process/group still running: web" "remove running"
assert_eq "$rc" 1 "remove running exit"
out=$(ctl add web); rc=$?
assert_eq "$out" "ERROR: process group already active" "add active"
assert_eq "$rc" 0 "add active exit"
out=$(ctl add nosuch); rc=$?
assert_eq "$out" "ERROR: no such process/group: nosuch" "add unknown"
assert_eq "$rc" 1 "add unknown exit"
ctl stop web >/dev/null
out=$(ctl remove web); rc=$?
assert_eq "$out" "web: removed process group" "remove"
assert_eq "$rc" 0 "remove exit"
out=$(ctl status web); rc=$?
assert_eq "$out" "web: ERROR (no such process)" "removed: gone from status"
assert_eq "$(ctl reread)" "web: available" "removed: available again"
out=$(ctl remove web); rc=$?
assert_eq "$out" "ERROR: no such process/group: web" "remove again"
assert_eq "$rc" 1 "remove again exit"
out=$(ctl add web); rc=$?
assert_eq "$out" "web: added process group" "add"
assert_eq "$rc" 0 "add exit"
wait_state web RUNNING

# fg: the output live until EOF on stdin (Ctrl-C too); a line typed goes to the program's stdin
# (test_proc_stdin.sh shows it arrive; talker does not read it)
tv_program talker <<EOF2
[program:talker]
command = sh -c 'while :; do echo tick; echo tock >&2; sleep 0.2; done'
startsecs = 0
EOF2
ctl update >/dev/null
wait_state talker RUNNING
out=$( (sleep 1; echo hello) | ctl fg talker); rc=$?
assert_contains "$out" "==> Press Ctrl-C to exit <==" "fg banner"
assert_contains "$out" "tick" "fg shows the output live"
assert_contains "$out" "tock" "fg shows stderr too"
assert_not_contains "$out" "ERROR" "fg passes the line typed"
assert_contains "$out" "Exiting foreground" "fg ends at EOF"
assert_eq "$rc" 0 "fg exit"
ctl stop idle >/dev/null
out=$(ctl fg idle); rc=$?
assert_eq "$out" "ERROR: process not running" "fg stopped"

# quit/exit alone do nothing (an empty line, exit 0)
assert_eq "$(ctl quit; echo "rc=$?")" "$(printf '\nrc=0')" "quit alone"
assert_eq "$(ctl exit; echo "rc=$?")" "$(printf '\nrc=0')" "exit alone"
exit 0
