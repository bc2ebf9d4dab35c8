#!/bin/sh
# A worker that never reads what it is sent cannot grow the daemon without bound: once more than
# 36 MiB of steps wait unsent on its connection, the daemon closes it with a logged reason and
# the engine rescues its steps as for any lost worker (the tasks pause with the cause).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program tasks <<EOF2
[task:big]
queue = default
steps = one
step.one = true
EOF2
tv_start

# the deaf worker: says hello, takes up to 100 steps, reads nothing more
python3 - "$T/tv.sock" "$T/hello" <<'PY' &
import os, json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
b = json.dumps({"queue": "default", "handlers": ["*"], "prefetch": 100, "name": "deaf"}).encode()
s.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 300, len(b)) + b)
h = s.recv(12)
open(sys.argv[2], "w").write("%d\n" % struct.unpack("=III", h)[1])
time.sleep(60)
PY
wait_for 10 test -s "$T/hello" || fail "the fake worker got no hello reply"

# 50 tasks with 1 MB inputs each: 50 MB of steps for it
python3 - "$T/tv.sock" <<'PY'
import os, json, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def recv():
    h = b""
    while len(h) < 12:
        h += s.recv(12 - len(h))
    v, t, n = struct.unpack("=III", h)
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return t, body
for i in range(5):
    tasks = [{"label": "big", "input": {"blob": "x" * (1 << 20), "n": i * 10 + k}} for k in range(10)]
    b = json.dumps({"tasks": tasks}).encode()
    s.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 200, len(b)) + b)
    t, body = recv()
    assert t == 1, body[:200]
PY
[ $? -eq 0 ] || fail "submitting the tasks failed"
wait_for 20 grep -q "control: pid [0-9]* does not read what it is sent ([0-9]* bytes unsent): connection closed" \
	"$T/taskvisord.log" || fail "the deaf worker was not closed: $(grep -E 'control|engine' "$T/taskvisord.log" | grep -v DEBG | tail -n 5)"
wait_for 20 grep -q "step one: worker deaf pid [0-9]* disconnected" "$T/taskvisord.log" || fail "no rescue logged"
rss=$(awk '/^VmRSS/ {print $2}' /proc/$DAEMON_PID/status)
echo "deaf worker closed; daemon RSS now $((rss / 1024)) MB"
wait_for 20 sh -c "'$TVCTL' -c '$T/taskvisord.conf' task list --search 'state = paused' | grep -q big" ||
	fail "no task paused after its worker was closed: $(ctl task list | head -n 5)"
assert_eq "$(ctl pid)" "$DAEMON_PID" "daemon still serves"
