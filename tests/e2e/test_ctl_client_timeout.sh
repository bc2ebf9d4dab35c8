#!/bin/sh
# taskvisorctl gives up on a socket that answers nothing: "no answer from SOCKET within N s",
# status with exit 4 (unreachable), other commands non-zero, after --timeout SECS. Commands that
# wait for something (start waiting for RUNNING) still wait as long as it takes, once the daemon
# has answered.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program slow <<EOF2
[program:slow]
command = sleep 1000
startsecs = 3
autostart = false
EOF2
tv_start

# a socket that accepts and never answers
python3 - "$T/silent.sock" <<'PY' &
import socket, sys, time
l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(64)
held = []
l.settimeout(0.1)
end = time.time() + 60
while time.time() < end:
    try:
        held.append(l.accept()[0])
    except socket.timeout:
        pass
PY
wait_for 5 test -S "$T/silent.sock" || fail "silent socket not there"

took() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
for cmd in "status" "start slow" "tail -f slow" "task list"; do
	t0=$(date +%s%N)
	out=$(timeout 20 "$TVCTL" -s "$T/silent.sock" --timeout 2 $cmd 2>&1)
	rc=$?
	ms=$(took "$t0")
	echo "$cmd: rc $rc in $ms ms: $out"
	[ $rc -ne 124 ] || fail "$cmd: hung on a silent socket"
	[ $rc -ne 0 ] || fail "$cmd: exit 0 from a silent socket"
	assert_contains "$out" "no answer from $T/silent.sock within 2 s" "$cmd: the message"
	[ $ms -ge 1800 ] && [ $ms -le 5000 ] || fail "$cmd: gave up after $ms ms, not ~2 s"
done
out=$(timeout 20 "$TVCTL" -s "$T/silent.sock" -t 1 status 2>&1)
assert_eq "$?" 4 "status of an unreachable daemon exits 4"

# waiting commands keep waiting for the real daemon: start blocks for startsecs = 3 > --timeout 1
t0=$(date +%s%N)
out=$(ctl --timeout 1 start slow 2>&1) || fail "start with --timeout 1: $out"
ms=$(took "$t0")
assert_contains "$out" "slow: started" "start waits past the timeout"
[ $ms -ge 2500 ] || fail "start returned after $ms ms, before startsecs"
out=$(ctl --timeout 1 status slow) || fail "status: $out"
assert_contains "$out" "RUNNING" "slow running"

# documented, and checked
"$TVCTL" --help | grep -q -- "--timeout SECS" || fail "--timeout not in --help"
out=$("$TVCTL" --timeout soon status 2>&1)
assert_eq "$?" 2 "a bad --timeout is a usage error"
assert_contains "$out" "--timeout: not a number of seconds" "bad --timeout message"
