#!/bin/sh
# HTTP on the Unix socket is bounded: a request line or headers or a body that stop coming are
# closed after request_timeout; a body over 2 MB is 413 (without being held); garbage is 400; a
# client that hangs up in the middle of a start leaves the daemon answering; the native protocol
# on the same socket is untouched throughout.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "python3 not installed"; exit 77; }

tv_init
sed -i "s#^file = $T/tv.sock\$#&\nrequest_timeout = 2#" "$T/taskvisord.conf"
tv_program slow <<EOF
[program:slow]
command = sleep 1000
startsecs = 3
autostart = false
EOF
tv_start

out=$("$PY" - "$T/tv.sock" <<'EOF' 2>&1
import socket, sys, time
path = sys.argv[1]
problems = []

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(8)
    return s

def closed_within(s, secs):
    t0 = time.time()
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
    except (ConnectionResetError, socket.timeout) as e:
        if isinstance(e, socket.timeout):
            return None
    return time.time() - t0

def status_of(s):
    data = b""
    try:
        while b"\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except Exception:
        pass
    line = data.split(b"\r\n")[0].decode(errors="replace")
    return int(line.split()[1]) if line.startswith("HTTP/") else line

# headers that never end
s = conn(); s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n")
t = closed_within(s, 8)
if t is None or t > 6: problems.append("unfinished headers not closed in time: %r" % t)
# a body that never comes whole
s = conn(); s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<methodCall>")
t = closed_within(s, 8)
if t is None or t > 6: problems.append("unfinished body not closed in time: %r" % t)
# too large
s = conn()
s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (3 * 1024 * 1024))
chunk = b"<" * 65536
try:
    for _ in range(48):
        s.sendall(chunk)
except Exception:
    pass
st = status_of(s)
if st != 413: problems.append("3 MB body: %r, want 413" % st)
# garbage and wrong places
for req, want in [(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nnot xml", 400),
                  (b"GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                  (b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404),
                  (b"GET /logtail/nosuch HTTP/1.1\r\nHost: x\r\n\r\n", 404),
                  (b"PUT /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400),
                  (b"GARBAGE\r\n\r\n", "")]:  # not HTTP: libmicrohttpd closes
    s = conn(); s.sendall(req)
    st = status_of(s)
    if st != want: problems.append("%r: %r, want %r" % (req[:30], st, want))
# hang up in the middle of a start that waits 3 s
body = b"<methodCall><methodName>supervisor.startProcess</methodName><params><param><value>slow</value></param></params></methodCall>"
s = conn(); s.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
time.sleep(0.3); s.close()
print("\n".join(problems) if problems else "ok")
EOF
)
assert_eq "$out" "ok" "bounds"
out=$(ctl status slow); rc=$?
assert_contains "$out" "slow" "native protocol still answered"
wait_state slow RUNNING 10
kill -0 "$DAEMON_PID" || fail "daemon died"
echo ok
