#!/bin/sh
# A worker message before HELLO is answered with an error frame, "send hello first",
# instead of leaving the client to its timeout; the connection stays usable.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program app <<EOF2
[task:hello]
steps = one
step.one = /bin/true
EOF2
tv_start
out=$(python3 - "$T/tv.sock" <<'PY'
import os, json, socket, struct, sys

def frame(mtype, payload):
    return struct.pack("=III", int(os.environ["TV_PROTO"]), mtype, len(payload)) + payload

def recv(s):
    hdr = b""
    while len(hdr) < 12:
        chunk = s.recv(12 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    version, mtype, n = struct.unpack("=III", hdr)
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return mtype, json.loads(body or b"{}")

s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(3)
for mtype, body in ((302, b'{"step_id":"1.1","progress":{}}'), (303, b'{"step_id":"1.1","output":{}}'),
                    (304, b'{"step_id":"1.1","output":{}}'), (304, b'{"step_id":"1.1"}'),
                    (305, b'{"step_id":"1.1","message":"x"}'), (306, b'{"step_id":"1.1","label":"hello"}')):
    s.sendall(frame(mtype, body))
    try:
        r = recv(s)
    except socket.timeout:
        r = "timeout"
    print(mtype, r)
s.sendall(frame(113, b""))
print("still", recv(s)[0])
PY
)
echo "$out" | grep -c "send hello first" | grep -qx 6 || fail "not every message before HELLO got the error: [$out]"
echo "$out" | grep -q "^302 (2, " || fail "not an error frame: [$out]"
assert_contains "$out" "still 1" "the connection survives"
exit 0
