#!/bin/sh
# The control socket on the wire: a frame of another protocol version gets
# MSG_VERSION_MISMATCH and the connection is closed; bad JSON gets "malformed request";
# an unknown type gets "unknown message type N"; the connection survives both.
. "$(dirname "$0")/lib.sh"
tv_init
tv_start
out=$(python3 - "$T/tv.sock" <<'PY'
import json, os, socket, struct, sys
V = int(os.environ["TV_PROTO"])

def frame(version, mtype, payload):
    return struct.pack("=III", version, mtype, len(payload)) + payload

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

s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(frame(V, 113, b""))
print("version", recv(s))
s.sendall(frame(V, 100, b"{not json"))
print("badjson", recv(s))
s.sendall(frame(V, 100, b"[1,2]"))
print("notobject", recv(s))
s.sendall(frame(V, 199, b"{}"))
print("unknown", recv(s))
s.sendall(frame(V, 113, b""))
print("still", recv(s)[0])
# Two requests in one write: two replies, in order.
s.sendall(frame(V, 113, b"") + frame(V, 105, b"{}"))
print("pipelined", recv(s)[0], sorted(recv(s)[1].keys()))
s.sendall(frame(7, 113, b""))
print("mismatch", recv(s))
print("closed", recv(s))
PY
)
echo "$out" | grep -q "^version (1, {'version'" || fail "version reply: $out"
assert_contains "$out" "badjson (2, {'error': 'malformed request', 'code': 1})" "malformed JSON"
assert_contains "$out" "notobject (2, {'error': 'malformed request', 'code': 1})" "JSON that is not an object"
assert_contains "$out" "unknown (2, {'error': 'unknown message type 199', 'code': 1})" "unknown type"
assert_contains "$out" "still 1" "connection survives errors"
assert_contains "$out" "pipelined 1 ['pid']" "two frames in one write"
assert_contains "$out" "mismatch (3, {'daemon': $TV_PROTO})" "version mismatch reply"
assert_contains "$out" "closed None" "closed after a version mismatch"
assert_eq "$(ctl pid)" "$DAEMON_PID" "daemon still serves"
