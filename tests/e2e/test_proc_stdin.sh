#!/bin/sh
# A program's stdin is a pipe, as under supervisord: `taskvisorctl fg` passes each typed line to it
# (and shows the echo live); XML-RPC sendProcessStdin writes to it with a real supervisord 4.2.5's
# answers and faults side by side (True; NOT_RUNNING for a stopped program, BAD_NAME,
# INCORRECT_PARAMETERS, NO_FILE once the program closed its stdin); Debian's supervisorctl fg works
# against taskvisord; and a flood to a program that never reads is refused past the 64 KiB queue
# without stalling the daemon (status answers meanwhile, at once).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"

svd_require python

tv_init

PROGS='[program:echoer]
command = cat
startsecs = 0

[program:idle]
command = cat
autostart = false

[program:closer]
command = sh -c "exec 0<&-; exec sleep 1000"
startsecs = 0

[program:sink]
command = sleep 1000
startsecs = 0
'
printf '%s' "$PROGS" | tv_program progs
S="$T/sup"
mkdir -p "$S/log"
{ svd_conf_head "$S"; printf '\n%s' "$PROGS"; } >"$S/supervisord.conf"
svd_start "$S/supervisord.conf"
tv_start
svd_wait "$S/sock"
for n in echoer closer sink; do wait_state "$n" RUNNING 10; done

# fg: a line typed reaches the program; its echo shows live and in the log; EOF ends fg.
out=$( (sleep 1; echo hello-fg; sleep 1.5) | timeout 15 "$TVCTL" -c "$T/taskvisord.conf" fg echoer 2>&1)
rc=$?
assert_eq "$rc" 0 "fg exit status (output: $out)"
assert_contains "$out" "==> Press Ctrl-C to exit <==" "fg banner"
assert_contains "$out" "hello-fg" "fg shows the program's echo of the typed line"
assert_contains "$out" "Exiting foreground" "fg ends at EOF"
assert_not_contains "$out" "ERROR" "fg passed the line"
wait_for 5 grep -q hello-fg "$T/log/echoer.log" || fail "the typed line never reached the program"
assert_contains "$(ctl tail echoer)" "hello-fg" "tail shows the echo"

# Debian's supervisorctl fg against taskvisord (its sendProcessStdin).
if command -v supervisorctl >/dev/null 2>&1; then
	out=$( (sleep 1; echo hello-sctl; sleep 1.5) | timeout 15 supervisorctl -s "unix://$T/tv.sock" fg echoer 2>&1)
	assert_contains "$out" "hello-sctl" "supervisorctl fg shows the echo (output: $out)"
	assert_not_contains "$out" "ERROR" "supervisorctl fg passed the line"
fi

# XML-RPC, side by side with supervisord: the same answers and faults, the echo in the log.
out=$("$PY" - "$S/sock" "$T/tv.sock" <<'EOF' 2>&1
import sys, time, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport

def local(path):
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + path))

s, v = local(sys.argv[1]), local(sys.argv[2])
problems = []

for p in (s, v):
    for name in ("echoer", "closer", "sink"):
        for _ in range(100):
            if p.supervisor.getProcessInfo(name)["statename"] == "RUNNING":
                break
            time.sleep(0.1)

def call(p, *args):
    try:
        return ("ok", p.supervisor.sendProcessStdin(*args))
    except xmlrpc.client.Fault as e:
        return ("fault", e.faultCode, e.faultString)

for args in [("echoer", "hello-rpc\n"), ("idle", "x\n"), ("nosuch", "x\n"), ("g:nosuch", "x"),
             ("echoer", 5), ("closer", "x\n"), ("closer", "y\n")]:
    a, b = call(s, *args), call(v, *args)
    if a != b:
        problems.append("sendProcessStdin%r:\n  supervisord %r\n  taskvisord  %r" % (args, a, b))
    print("sendProcessStdin%r -> %r" % (args, b))

for name, p in (("supervisord", s), ("taskvisord", v)):
    for _ in range(50):
        if "hello-rpc" in p.supervisor.readProcessStdoutLog("echoer", 0, 0):
            break
        time.sleep(0.1)
    else:
        problems.append("%s: no echo of hello-rpc in echoer's log" % name)

# A flood to a program that never reads: the pipe (64 KiB) and the queue (64 KiB) fill, then each
# request is refused at once; the daemon answers meanwhile.
chunk = "z" * 16383 + "\n"
ok = 0
refused = None
t0 = time.time()
for i in range(64):
    t = time.time()
    try:
        v.supervisor.sendProcessStdin("sink", chunk)
        ok += 1
    except xmlrpc.client.Fault as e:
        refused = (e.faultCode, e.faultString)
    if time.time() - t > 2:
        problems.append("sendProcessStdin #%d took %.1f s" % (i, time.time() - t))
    t = time.time()
    if v.supervisor.getState()["statename"] != "RUNNING" or time.time() - t > 2:
        problems.append("getState during the flood: slow or wrong")
    if refused:
        break
print("flood: %d x 16 KiB accepted, then %r (%.2f s)" % (ok, refused, time.time() - t0))
if refused is None or refused[0] != 30 or "stdin full" not in refused[1]:
    problems.append("the flood was not refused as FAILED ... stdin full: %r" % (refused,))
if not 4 <= ok <= 9:
    problems.append("accepted %d x 16 KiB: want the pipe's 64 KiB and the 64 KiB queue" % ok)
big = call(v, "sink", "q" * 70000)
if big[0] != "fault" or "stdin full" not in big[2]:
    problems.append("a 70000-byte request: %r" % (big,))
if problems:
    print("PROBLEMS\n" + "\n".join(problems))
    sys.exit(1)
EOF
) || fail "$out"
printf "%s\n" "$out"
assert_contains "$(ctl tail echoer)" "hello-rpc" "tail shows the echo of sendProcessStdin"
# the daemon is not stalled by the full pipe: status answers at once, the sink stops as usual
t0=$(date +%s%N)
ctl status >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] || fail "status took $ms ms after the flood"
echo "status after the flood: $ms ms"
assert_eq "$(ctl stop sink)" "sink: stopped" "a program with a full stdin queue stops"
grep -q "sink: stdin: .* bytes refused" "$T/taskvisord.log" || fail "the refusal is not logged"
echo "ok"
