#!/bin/sh
# [eventlistener:x] as supervisord 4.2.5 runs it, with a listener written as superlance's are
# (tests/e2e/evlistener.py: supervisor.childutils' wait/ok/fail):
# 1. side by side with the real supervisord on one supervisord.conf: a program that crashes
#    reaches the listener as PROCESS_STATE_EXITED expected:0 with its processname, groupname and
#    pid, and the event lines recorded under both daemons are the same (pids, serials, lengths
#    masked, order sorted);
# 2. taskvisord alone: an event answered FAIL comes again (same serial); a listener that does not
#    answer fills its pool's buffer_size and the oldest events are dropped with a log line; TICK_5
#    arrives; a task that fails (on_error = stop) is a TASK_STATE_STOPPED with result:error;
#    sendRemoteCommEvent over XML-RPC is a REMOTE_COMMUNICATION.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"

# Debian's python3 has the supervisor module (a python3 earlier in PATH may not)
svd_require python
PY=$(command -v "$PY")
EVL="$(cd "$(dirname "$0")" && pwd)/evlistener.py"

tv_init

# ---- 1. side by side ----
write_conf() {
	D=$1
	mkdir -p "$D/log"
	svd_conf_head "$D" >"$D/supervisord.conf"
	cat >>"$D/supervisord.conf" <<EOF

[program:crasher]
command=/bin/sh -c 'sleep 1.3; exit 3'
startsecs=1
autorestart=false

[program:talker]
command=/bin/sh -c 'printf "before<!--XSUPERVISOR:BEGIN-->sec"; sleep 0.3; printf "ret\\nmessage<!--XSUPERVISOR:END-->after\\n"; exec sleep 1000'
stdout_capture_maxbytes=1KB
startsecs=0

[eventlistener:crashwatch]
command=$PY $EVL $D/events.txt ok
events=PROCESS_STATE,PROCESS_COMMUNICATION
EOF
}
S="$T/sup"
V="$T/tvd"
write_conf "$S"
write_conf "$V"
svd_start "$S/supervisord.conf"
"$TVD" -n -c "$V/supervisord.conf" >"$V/out" 2>&1 &
DAEMON_PID=$!

for D in "$S" "$V"; do
	wait_for 15 grep -q PROCESS_STATE_EXITED "$D/events.txt" ||
		fail "no PROCESS_STATE_EXITED recorded in $D: $(cat "$D/events.txt" 2>&1; tail -n 20 "$D/main.log" "$V/out" 2>&1)"
	wait_for 5 grep -q PROCESS_COMMUNICATION_STDOUT "$D/events.txt" ||
		fail "no PROCESS_COMMUNICATION_STDOUT recorded in $D: $(cat "$D/events.txt" 2>&1)"
done
sleep 0.5
line=$(grep PROCESS_STATE_EXITED "$V/events.txt")
assert_contains "$line" "| processname:crasher groupname:crasher from_state:RUNNING expected:0 pid:" "EXITED payload"
pid=${line##*pid:}
case "$pid" in '' | 0 | *[!0-9]*) fail "EXITED pid not a pid: $line" ;; esac
grep -q "crashmail\|crash: crasher:crasher expected=0 pid=$pid" "$V/log/"crashwatch-stderr.log 2>/dev/null ||
	grep -rq "crash: crasher:crasher expected=0 pid=$pid" "$V/log/" || fail "the listener's stderr is not logged: $(ls "$V/log")"
# capture mode: the text between the tokens is an event, not in the log
line=$(grep PROCESS_COMMUNICATION_STDOUT "$V/events.txt")
assert_contains "$line" "| processname:talker groupname:talker pid:" "PROCESS_COMMUNICATION payload"
assert_contains "$line" '\nsecret\nmessage' "PROCESS_COMMUNICATION data"
wait_for 5 grep -q after "$V/log/talker.log" || fail "talker's log: $(cat "$V/log/talker.log")"
assert_eq "$(cat "$V/log/talker.log")" "beforeafter" "the captured text is not logged"
mask() { sed -e 's/serial:[0-9]*/serial:N/g; s/len:[0-9]*/len:N/g; s/pid:[0-9]*/pid:N/g' "$1" | sort; }
want=$(mask "$S/events.txt")
got=$(mask "$V/events.txt")
[ "$got" = "$want" ] || fail "events differ from supervisord's:
--- supervisord
$want
--- taskvisord
$got"
# supervisorctl shows the pool as supervisord does (avail: group priority -1, process 999)
for cmd in avail status; do
	want=$(supervisorctl -s "unix://$S/sock" $cmd 2>&1 | sed 's/pid [0-9]*, uptime [0-9:]*/PID/; s/[A-Z][a-z][a-z] [0-9][0-9] [0-9:]* [AP]M/DATE/')
	got=$(supervisorctl -s "unix://$V/sock" $cmd 2>&1 | sed 's/pid [0-9]*, uptime [0-9:]*/PID/; s/[A-Z][a-z][a-z] [0-9][0-9] [0-9:]* [AP]M/DATE/')
	[ "$got" = "$want" ] || fail "supervisorctl $cmd differs:
--- supervisord
$want
--- taskvisord
$got"
done
svd_stop
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
DAEMON_PID=""

# ---- 2. taskvisord alone ----
tv_program listeners <<EOF
[program:crash2]
command = /bin/sh -c 'sleep 1.2; exit 4'
startsecs = 1
autorestart = false

[eventlistener:failer]
command = $PY $EVL $T/failer.txt failonce
events = PROCESS_STATE_EXITED

[eventlistener:hang]
command = $PY $EVL $T/hang.txt hang
events = PROCESS_STATE
buffer_size = 2

[eventlistener:ticker]
command = $PY $EVL $T/ticker.txt ok
events = TICK_5, REMOTE_COMMUNICATION, PROCESS_GROUP

[eventlistener:tasks]
command = $PY $EVL $T/tasks.txt ok
events = TASK_STATE

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:doomed]
on_error = stop
steps = only
step.only = sh -c 'exit 1'

[task:stuck]
steps = only
step.only = sh -c 'exit 2'
EOF
tv_start
wait_state exec-worker RUNNING
wait_state tasks:tasks RUNNING
id=$(ctl task submit doomed) || fail "submit doomed"
wait_for 15 grep -q "TASK_STATE_STOPPED" "$T/tasks.txt" || fail "no TASK_STATE_STOPPED: $(cat "$T/tasks.txt" 2>&1)"
assert_contains "$(grep TASK_STATE_STOPPED "$T/tasks.txt")" "| id:$id label:doomed from_state:running state:stopped result:error" "TASK_STATE_STOPPED payload"
id=$(ctl task submit stuck) || fail "submit stuck"
wait_for 15 grep -q "TASK_STATE_PAUSED" "$T/tasks.txt" || fail "no TASK_STATE_PAUSED: $(cat "$T/tasks.txt" 2>&1)"
assert_contains "$(grep TASK_STATE_PAUSED "$T/tasks.txt")" "| id:$id label:stuck from_state:running state:paused result:" "TASK_STATE_PAUSED payload"

# FAIL: the same event (same serial) again, then OK
wait_for 15 sh -c "[ \$(grep -c 'PROCESS_STATE_EXITED.*processname:crash2' '$T/failer.txt') -ge 2 ]" ||
	fail "the rejected event did not come again: $(cat "$T/failer.txt" 2>&1)"
s1=$(grep 'processname:crash2' "$T/failer.txt" | sed -n '1s/.* serial:\([0-9]*\) .*/\1/p')
s2=$(grep 'processname:crash2' "$T/failer.txt" | sed -n '2s/.* serial:\([0-9]*\) .*/\1/p')
assert_eq "$s2" "$s1" "the event sent again has its serial"
assert_contains "$(cat "$T/taskvisord.log")" "failer:failer: event was rejected" "rejection logged"

# overflow: hang took one event and never answers; more than buffer_size = 2 came
wait_for 10 grep -q "pool hang event buffer overflowed, discarding event" "$T/taskvisord.log" ||
	fail "no overflow line: $(grep -i hang "$T/taskvisord.log" | tail -n 5)"
assert_eq "$(wc -l <"$T/hang.txt")" 1 "the hanging listener got one event"

# REMOTE_COMMUNICATION
"$PY" - "$T/tv.sock" <<'PY' || fail "sendRemoteCommEvent failed"
import sys
from supervisor.compat import xmlrpclib
from supervisor.xmlrpc import SupervisorTransport
p = xmlrpclib.ServerProxy('http://127.0.0.1', SupervisorTransport('', '', 'unix://' + sys.argv[1]))
assert p.supervisor.sendRemoteCommEvent('mytype', 'hello there') is True
PY
wait_for 10 grep -q REMOTE_COMMUNICATION "$T/ticker.txt" || fail "no REMOTE_COMMUNICATION: $(cat "$T/ticker.txt" 2>&1)"
assert_contains "$(grep REMOTE_COMMUNICATION "$T/ticker.txt")" "len:23 | type:mytype" "REMOTE_COMMUNICATION payload"

# PROCESS_GROUP_*: every group at start; remove and add
assert_contains "$(cat "$T/ticker.txt")" "PROCESS_GROUP_ADDED serial:" "groups added at start"
assert_contains "$(grep PROCESS_GROUP_ADDED "$T/ticker.txt")" "| groupname:exec-worker\n" "exec-worker added at start"
wait_state crash2 EXITED
ctl remove crash2 >/dev/null || fail "remove crash2"
wait_for 5 grep -q "PROCESS_GROUP_REMOVED.*| groupname:crash2" "$T/ticker.txt" || fail "no PROCESS_GROUP_REMOVED: $(cat "$T/ticker.txt")"
ctl add crash2 >/dev/null || fail "add crash2"
wait_for 5 sh -c "grep 'PROCESS_GROUP_ADDED' '$T/ticker.txt' | grep -q 'groupname:crash2' && [ \$(grep -c 'groupname:crash2' '$T/ticker.txt') -ge 3 ]" ||
	fail "no PROCESS_GROUP_ADDED after add: $(cat "$T/ticker.txt")"

# TICK_5
wait_for 8 grep -q TICK_5 "$T/ticker.txt" || fail "no TICK_5: $(cat "$T/ticker.txt" 2>&1)"
when=$(grep TICK_5 "$T/ticker.txt" | head -n 1 | sed 's/.*when://')
[ $((when % 5)) -eq 0 ] || fail "TICK_5 when:$when is not a multiple of 5"
echo "ok $TEST_NAME"
