#!/bin/sh
# One `task wait` and one `tail -f` per connection: a second on the same connection is refused
# with a reason (it used to take the first one's place, whose waiter then lived on unseen), and
# the first keeps working.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program w <<EOF2
[program:echo]
command = sh -c 'echo hello; exec sleep 1000'
startsecs = 0

[task:slow]
steps = run
step.run = /bin/true
EOF2
tv_start
wait_state echo RUNNING
id=$(ctl task submit slow --start-at +60s) || fail "submit"
python3 - "$T/tv.sock" "$id" <<'PY' || fail "second watch on one connection"
import os, json, socket, struct, sys
def frame(t, body):
    b = json.dumps(body).encode()
    return struct.pack("=III", int(os.environ["TV_PROTO"]), t, len(b)) + b
def read(s):
    h = b""
    while len(h) < 12:
        h += s.recv(12 - len(h))
    v, t, n = struct.unpack("=III", h)
    p = b""
    while len(p) < n:
        p += s.recv(n - len(p))
    return t, json.loads(p or b"{}")
for first, second in (((211, {"id": sys.argv[2]}), (211, {"id": sys.argv[2]})),
                      ((106, {"name": "echo", "follow": True}), (106, {"name": "echo", "follow": True}))):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(frame(*first))
    if first[0] == 106:
        t, b = read(s)  # the tail's first DATA
        assert t == 4, (t, b)
    s.sendall(frame(*second))
    t, b = read(s)
    assert t == 2 and "one " in b["error"], (t, b)
    s.close()
PY
ctl task cancel "$id" >/dev/null || fail "cancel"
