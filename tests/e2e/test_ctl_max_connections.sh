#!/bin/sh
# [unix_socket] max_connections: at the cap the connection idle the longest is closed to make
# room; when every connection holds something (tail -f here), a newcomer gets one error frame
# "too many connections (N); try again later" and is closed.
. "$(dirname "$0")/lib.sh"
tv_init
sed -i 's/^\[unix_socket\]/[unix_socket]\nmax_connections = 3/' "$T/taskvisord.conf"
tv_program talker <<EOF2
[program:talker]
command = sh -c 'while :; do echo tick; sleep 1; done'
startsecs = 0
EOF2
tv_start
wait_state talker RUNNING
grep -q "control: at most 3 connections" "$T/taskvisord.log" || fail "cap not logged"

python3 - "$T/tv.sock" "$T/busy" "$T/release" <<'PY' &
import json, os, socket, struct, sys, time
b = json.dumps({"name": "talker", "follow": True}).encode()
conns = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 106, len(b)) + b)
    conns.append(s)
time.sleep(0.5)
# a fourth, raw: one error frame, then the end
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
data = b""
s.settimeout(5)
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
v, t, n = struct.unpack("=III", data[:12])
open(sys.argv[2], "w").write("%d %s\n" % (t, data[12:12 + n].decode()))
end = time.time() + 30
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
PY
PY_PID=$!
wait_for 10 test -s "$T/busy" || fail "no answer to the fourth connection"
assert_eq "$(cat "$T/busy")" '2 {"error":"too many connections (3); try again later","code":1}' "refusal frame"
out=$(ctl status 2>&1) && fail "status should be refused at the cap: $out"
assert_contains "$out" "too many connections (3); try again later" "ctl shows the refusal"
out=$(ctl restart talker 2>&1) && fail "restart should be refused at the cap: $out"
assert_contains "$out" "too many connections (3); try again later" "a waiting command shows the refusal"
grep -q "control: too many connections (3); try again later: connection refused" "$T/taskvisord.log" ||
	fail "refusal not logged"
touch "$T/release"
wait "$PY_PID"
wait_for 5 ctl status || fail "status after the busy clients left"

# three idle connections: the next client gets in, the longest idle one is closed
out=$(python3 - "$T/tv.sock" "$TVCTL" "$T/taskvisord.conf" <<'PY'
import os, socket, subprocess, sys, time
conns = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); conns.append(s)
    time.sleep(0.2)
r = subprocess.run([sys.argv[2], "-c", sys.argv[3], "status"], capture_output=True, text=True)
print("status rc", r.returncode, r.stdout.split()[:2])
for i, s in enumerate(conns):
    s.settimeout(0.5)
    try:
        print("conn", i, "closed" if s.recv(1) == b"" else "data")
    except socket.timeout:
        print("conn", i, "open")
PY
)
echo "$out"
assert_contains "$out" "status rc 0 ['talker', 'RUNNING']" "status gets in at the cap"
assert_contains "$out" "conn 0 closed" "the longest idle connection made room"
assert_contains "$out" "conn 1 open" "the others stay"
assert_contains "$out" "conn 2 open" "the others stay"
grep -q "control: max_connections (3) reached: closing the longest idle connection" "$T/taskvisord.log" ||
	fail "eviction not logged"
