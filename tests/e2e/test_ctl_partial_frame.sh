#!/bin/sh
# Half-sent and idle connections time out ([unix_socket] request_timeout, idle_timeout):
# a header promising 16 MB followed by 1,000 bytes is closed after request_timeout, a silent
# connection after idle_timeout, each with a logged reason; a connection holding a
# long-running request (tail -f) or talking now and then is kept.
. "$(dirname "$0")/lib.sh"
tv_init
cat >>"$T/taskvisord.conf" <<EOF2

[unix_socket]
request_timeout = 2s
idle_timeout = 4s
EOF2
# [unix_socket] is already in the file: merge by rewriting the main file's section
python3 - "$T/taskvisord.conf" <<'PY'
import os, sys
p = sys.argv[1]
text = open(p).read()
head, sep, tail = text.rpartition("\n[unix_socket]\n")
text = head.replace("[unix_socket]\n", "[unix_socket]\n" + tail.strip() + "\n", 1) + "\n"
open(p, "w").write(text)
PY
tv_program talker <<EOF2
[program:talker]
command = sh -c 'while :; do echo tick; sleep 0.5; done'
startsecs = 0
EOF2
tv_start
wait_state talker RUNNING

out=$(python3 - "$T/tv.sock" <<'PY'
import os, json, socket, struct, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
def frame(t, body):
    b = json.dumps(body).encode(); return struct.pack("=III", int(os.environ["TV_PROTO"]), t, len(b)) + b
t0 = time.time()
partial = conn(); partial.sendall(struct.pack("=III", int(os.environ["TV_PROTO"]), 100, 16 * 1024 * 1024) + b"x" * 1000)
idle = conn()
follow = conn(); follow.sendall(frame(106, {"name": "talker", "follow": True}))
chatty = conn()
closed = {}
for s in (partial, idle, follow, chatty):
    s.setblocking(False)
last_chat = 0
while time.time() - t0 < 7:
    now = time.time() - t0
    if now - last_chat > 1:
        chatty.sendall(frame(113, {}))
        last_chat = now
    for name, s in (("partial", partial), ("idle", idle), ("follow", follow), ("chatty", chatty)):
        if name in closed:
            continue
        try:
            d = s.recv(1 << 20)
            if not d:
                closed[name] = now
        except BlockingIOError:
            pass
        except OSError:
            closed[name] = now
    time.sleep(0.02)
for name in ("partial", "idle", "follow", "chatty"):
    print(name, "closed after %.1f" % closed[name] if name in closed else "open")
PY
)
echo "$out"
p=$(echo "$out" | awk '/^partial closed/ {print $4}')
i=$(echo "$out" | awk '/^idle closed/ {print $4}')
[ -n "$p" ] || fail "the half-sent request was not closed: $out"
[ -n "$i" ] || fail "the idle connection was not closed: $out"
awk "BEGIN { exit !($p >= 1.9 && $p <= 3.5) }" || fail "partial request closed after $p s, not ~2 s"
awk "BEGIN { exit !($i >= 3.9 && $i <= 5.5) }" || fail "idle connection closed after $i s, not ~4 s"
assert_contains "$out" "follow open" "a tail -f connection is not idle"
assert_contains "$out" "chatty open" "a connection that talks is not idle"
grep -q "control: pid [0-9]*: request incomplete after 2s (1012 of 16777228 bytes): connection closed" \
	"$T/taskvisord.log" || fail "partial request close not logged: $(grep control: "$T/taskvisord.log" | tail -n 5)"
grep -q "control: pid [0-9]*: idle for 4s: connection closed" "$T/taskvisord.log" ||
	fail "idle close not logged"

# bad values are refused with file:line
sed -i 's/^idle_timeout = 4s/idle_timeout = soon/' "$T/taskvisord.conf"
out=$("$TVD" -n -c "$T/taskvisord.conf" 2>&1)
assert_contains "$out" "taskvisord.conf:" "file named"
assert_contains "$out" "idle_timeout:" "option named"

# Many large requests under way at once: the daemon holds at most a budget of them (64 MiB), not
# 12 x 15 MB; the others wait in their sockets and time out like any half-sent request.
rss() { awk '/^VmRSS/ {print $2}' /proc/$DAEMON_PID/status; }
rss0=$(rss)
python3 - "$T/tv.sock" "$T/sent" <<'PY' &
import os, socket, struct, sys, time, select
conns = []
for i in range(12):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.setblocking(False)
    conns.append([s, struct.pack("=III", int(os.environ["TV_PROTO"]), 200, 16 * 1024 * 1024) + b"x" * (15 * 1024 * 1024)])
end = time.time() + 3
while time.time() < end and any(len(c[1]) for c in conns):
    _, w, _ = select.select([], [c[0] for c in conns if c[1]], [], 0.1)
    for c in conns:
        if c[0] in w:
            try:
                n = c[0].send(c[1][:1 << 20])
                c[1] = c[1][n:]
            except OSError:  # closed by the daemon (request_timeout)
                c[1] = b""
                c.append("closed")
open(sys.argv[2], "w").write("%d closed while sending\n" % sum(len(c) > 2 for c in conns))
time.sleep(5)
PY
PY_PID=$!
max=0
for i in $(seq 1 20); do
	r=$(rss); [ "$r" -gt "$max" ] && max=$r
	sleep 0.15
done
grow=$(( (max - rss0) / 1024 ))
echo "12 requests of 16 MB under way: daemon RSS +${grow} MB ($(cat "$T/sent" 2>/dev/null))"
# Under ASan freed buffers sit in its quarantine and count in RSS: the figure says nothing there.
if ldd "$TVD" 2>/dev/null | grep -q libasan; then
	echo "ASan build: RSS not checked"
else
	[ "$grow" -lt 100 ] || fail "the daemon holds ${grow} MB of half-sent requests"
fi
assert_eq "$(ctl pid)" "$DAEMON_PID" "daemon serves meanwhile"
wait "$PY_PID"
