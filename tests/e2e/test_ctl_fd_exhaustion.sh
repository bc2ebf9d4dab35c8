#!/bin/sh
# Clients cannot starve supervision (DESIGN.md promise 3): under `ulimit -n 1024`, 2,000 idle
# connections neither make the daemon spin (accept() failing with EMFILE) nor flood its log,
# `status` still answers within a second, a killed program is respawned within a second (its
# pipes need descriptors), and once the clients are gone the daemon holds what it held before.
. "$(dirname "$0")/lib.sh"
tv_init
for p in alpha beta; do
	tv_program $p <<EOF2
[program:$p]
command = sleep 1000
startsecs = 0
autorestart = true
EOF2
done
sh -c 'ulimit -n 1024 && exec "$0" -n -c "$1"' "$TVD" "$T/taskvisord.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
wait_for 5 test -S "$T/tv.sock" || fail "daemon socket did not appear: $(cat "$T/daemon.out")"
wait_state alpha RUNNING
wait_state beta RUNNING
[ "$(awk '/open files/ {print $4}' /proc/$DAEMON_PID/limits)" = 1024 ] || fail "the daemon's limit is not 1024"
idle_fds=$(ls /proc/$DAEMON_PID/fd | wc -l)

# 2,000 connections that never say anything, held until $T/release exists.
python3 - "$T/tv.sock" "$T/opened" "$T/release" <<'PY' &
import os, resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
conns = []
for i in range(2000):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    give_up = time.time() + 1
    while True:
        try:
            s.connect(sys.argv[1])
            conns.append(s)
            break
        except BlockingIOError:  # the listen backlog is full for a moment
            if time.time() > give_up:
                s.close()
                break
            time.sleep(0.001)
        except OSError:
            s.close()
            break
open(sys.argv[2], "w").write("%d\n" % len(conns))
end = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
for s in conns:
    s.close()
PY
PY_PID=$!
wait_for 60 test -s "$T/opened" || fail "the client could not open its connections"
echo "client connected $(cat "$T/opened") times"
sleep 1

ticks() { awk '{print $14 + $15}' /proc/$DAEMON_PID/stat; }
log0=$(stat -c %s "$T/taskvisord.log")
cpu0=$(ticks)
sleep 3
cpu1=$(ticks)
log1=$(stat -c %s "$T/taskvisord.log")
hz=$(getconf CLK_TCK)
pct=$(( (cpu1 - cpu0) * 100 / (3 * hz) ))
echo "daemon CPU over 3 s: ${pct}%, log grew $((log1 - log0)) bytes"
[ "$pct" -lt 10 ] || fail "the daemon spins: ${pct}% CPU with idle clients"
[ $((log1 - log0)) -le 4096 ] || fail "the log grew $((log1 - log0)) bytes in 3 s: $(tail -n 5 "$T/taskvisord.log")"

# status answers, and within a second
t0=$(date +%s%N)
out=$(timeout 5 "$TVCTL" -c "$T/taskvisord.conf" status 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 0 ] || fail "status failed (rc $rc) with 2,000 idle connections: $out"
[ $ms -le 1000 ] || fail "status took $ms ms"
assert_contains "$out" "alpha" "status lists alpha"
echo "status in $ms ms"

# a killed program is respawned (new pipes, new log descriptors) within a second
old=$(ctl pid alpha)
kill -9 "$old"
t0=$(date +%s%N)
while :; do
	new=$(timeout 5 "$TVCTL" -c "$T/taskvisord.conf" pid alpha 2>/dev/null)
	if [ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" -gt 0 ] 2>/dev/null &&
		_state_is alpha RUNNING; then
		break
	fi
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 1000 ] &&
		fail "alpha not RUNNING again within 1 s of kill -9: $(ctl status alpha 2>&1) $(grep -i 'too many\|pipe' "$T/taskvisord.log" | tail -n 3)"
	sleep 0.05
done
echo "alpha respawned as pid $new within $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -q "Too many open files" "$T/taskvisord.log" && fail "the daemon ran out of descriptors: $(grep -m3 'Too many open files' "$T/taskvisord.log")"

# the clients leave: the daemon goes back to what it held
touch "$T/release"
wait "$PY_PID"
wait_for 5 sh -c "[ \$(ls /proc/$DAEMON_PID/fd | wc -l) -le $((idle_fds + 2)) ]" ||
	fail "the daemon holds $(ls /proc/$DAEMON_PID/fd | wc -l) descriptors, $idle_fds before the clients"
assert_eq "$(ctl status | awk '{print $2}' | sort -u)" "RUNNING" "everything still RUNNING"

# Descriptors short for another reason (here the limit lowered under the running daemon, below
# what it holds plus its cap): accept() fails with EMFILE. The daemon pauses accepting instead
# of spinning, refuses a waiting client with a reason through its spare descriptor, and logs a
# count rather than a line per failure.
command -v prlimit >/dev/null || { echo "no prlimit: EMFILE pause not checked"; exit 0; }
held=$(ls /proc/$DAEMON_PID/fd | wc -l)
prlimit --pid "$DAEMON_PID" --nofile=$((held + 5)):1024 || { echo "prlimit refused: EMFILE pause not checked"; exit 0; }
rm -f "$T/opened" "$T/release"
python3 - "$T/tv.sock" "$T/opened" "$T/release" <<'PY' &
import os, socket, struct, sys, time
conns, refused = [], 0
for i in range(100):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(sys.argv[1])
        conns.append(s)
    except OSError:
        s.close()
time.sleep(1.5)
for s in conns:  # who was told why
    s.settimeout(0.01)
    try:
        d = s.recv(4096)
        if b"out of file descriptors" in d:
            refused += 1
    except OSError:
        pass
open(sys.argv[2], "w").write("%d %d\n" % (len(conns), refused))
end = time.time() + 30
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
PY
PY_PID=$!
wait_for 30 test -s "$T/opened" || fail "the client could not connect"
log0=$(stat -c %s "$T/taskvisord.log")
cpu0=$(ticks)
sleep 3
cpu1=$(ticks)
log1=$(stat -c %s "$T/taskvisord.log")
pct=$(( (cpu1 - cpu0) * 100 / (3 * hz) ))
echo "out of descriptors: $(cat "$T/opened") (connected, told why); CPU ${pct}%, log +$((log1 - log0)) bytes"
[ "$pct" -lt 10 ] || fail "the daemon spins on EMFILE: ${pct}% CPU"
[ $((log1 - log0)) -le 4096 ] || fail "the log grew $((log1 - log0)) bytes in 3 s on EMFILE"
grep -q "control: accept, pausing new connections (a waiting client is told why): Too many open files" "$T/taskvisord.log" ||
	fail "EMFILE not logged"
[ "$(awk '{print $2}' "$T/opened")" -ge 1 ] || fail "nobody was told the daemon is out of descriptors"
touch "$T/release"
wait "$PY_PID"
prlimit --pid "$DAEMON_PID" --nofile=1024:1024 || fail "cannot give the descriptors back"
wait_for 5 ctl status || fail "status once descriptors are back"
