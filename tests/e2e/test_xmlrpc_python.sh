#!/bin/sh
# Python's xmlrpc.client against taskvisord and a real supervisord 4.2.5, same configuration:
# getAllProcessInfo and getAllConfigInfo equal field by field in names and types, the same faults
# (codes and strings) for the same bad calls, system.multicall, system.* introspection,
# [inet_http_server] with Basic auth ({SHA} password: the right one in, a wrong or missing one 401),
# a malformed body 400, and the same calls over the Unix socket.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svd.sh"

# PY: the Python that has Debian's supervisor package (its Unix socket transport)
svd_require python

tv_init

ports=$("$PY" -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
SPORT=$1
VPORT=$2
SHA=$(printf %s 's3cret' | sha1sum | cut -d' ' -f1)

write_conf() {
	D=$1
	mkdir -p "$D/log"
	cat >"$D/supervisord.conf" <<EOF
[unix_http_server]
file=$D/sock

[inet_http_server]
port=127.0.0.1:$2
username=admin
password={SHA}$SHA

[supervisord]
logfile=$D/main.log
pidfile=$D/pid
childlogdir=$D/log
nodaemon=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleeper]
command=/bin/sh -c 'echo hello; exec sleep 1000'
stdout_logfile=$D/log/sleeper.log
stderr_logfile=$D/log/sleeper-err.log

[program:idle]
command=/bin/sleep 1000
autostart=false
startsecs=0
stdout_logfile=$D/log/idle.log
stderr_logfile=$D/log/idle-err.log

[program:crash]
command=/bin/false
autostart=false
startretries=0
stdout_logfile=$D/log/crash.log
stderr_logfile=$D/log/crash-err.log
EOF
}
S="$T/sup"
V="$T/tvd"
write_conf "$S" "$SPORT"
write_conf "$V" "$VPORT"

svd_start "$S/supervisord.conf"
"$TVD" -n -c "$V/supervisord.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
svd_wait "$S/sock"
wait_for 10 test -S "$V/sock" || fail "taskvisord did not start: $(cat "$T/daemon.out")"

out=$("$PY" - "$S" "$V" "$SPORT" "$VPORT" <<'EOF' 2>&1
import http.client, sys, time, xmlrpc.client
from supervisor.xmlrpc import SupervisorTransport

S, V, SPORT, VPORT = sys.argv[1:5]
problems = []

def inet(port, user="admin", pw="s3cret"):
    auth = "%s:%s@" % (user, pw) if user else ""
    return xmlrpc.client.ServerProxy("http://%s127.0.0.1:%s/RPC2" % (auth, port))

def local(d):
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://%s/sock" % d))

s, v = inet(SPORT), inet(VPORT)

def wait_running(p, name):
    for _ in range(100):
        if p.supervisor.getProcessInfo(name)["statename"] == "RUNNING":
            return
        time.sleep(0.1)
    problems.append("%s never RUNNING" % name)

wait_running(s, "sleeper")
wait_running(v, "sleeper")

def call(p, method, *args):
    try:
        f = p
        for part in method.split("."):
            f = getattr(f, part)
        return ("ok", f(*args))
    except xmlrpc.client.Fault as e:
        return ("fault", e.faultCode, e.faultString)
    except xmlrpc.client.ProtocolError as e:
        return ("http", e.errcode)

def shape(x):
    if isinstance(x, dict):
        return {k: shape(x[k]) for k in x}
    if isinstance(x, list):
        return [shape(e) for e in x]
    return type(x).__name__

def same(what, a, b):
    if a != b:
        problems.append("%s:\n  supervisord %r\n  taskvisord  %r" % (what, a, b))

# process info: names, types, and the values that do not depend on time or pids
ia, ib = s.supervisor.getAllProcessInfo(), v.supervisor.getAllProcessInfo()
same("getAllProcessInfo names", [i["name"] for i in ia], [i["name"] for i in ib])
for a, b in zip(ia, ib):
    same("getAllProcessInfo %s fields" % a["name"], list(a.keys()), list(b.keys()))
    same("getAllProcessInfo %s types" % a["name"], shape(a), shape(b))
    for k in ("name", "group", "state", "statename", "spawnerr", "exitstatus", "description"):
        if k == "description" and a["statename"] == "RUNNING":
            continue
        same("getAllProcessInfo %s %s" % (a["name"], k), a[k], b[k])
    for k in ("logfile", "stdout_logfile", "stderr_logfile"):
        same("getAllProcessInfo %s %s" % (a["name"], k), a[k].replace(S, "D"), b[k].replace(V, "D"))
same("getProcessInfo types", shape(s.supervisor.getProcessInfo("sleeper")), shape(v.supervisor.getProcessInfo("sleeper")))

ca, cb = s.supervisor.getAllConfigInfo(), v.supervisor.getAllConfigInfo()
same("getAllConfigInfo names", [c["name"] for c in ca], [c["name"] for c in cb])
for a, b in zip(ca, cb):
    same("getAllConfigInfo %s fields" % a["name"], sorted(a.keys()), sorted(b.keys()))
    same("getAllConfigInfo %s types" % a["name"], shape(a), shape(b))
    for k in ("name", "group", "autostart", "command", "exitcodes", "startsecs", "startretries",
              "stopsignal", "stopwaitsecs", "inuse", "group_prio", "process_prio", "redirect_stderr",
              "killasgroup", "stdout_logfile_backups", "stdout_logfile_maxbytes"):
        same("getAllConfigInfo %s %s" % (a["name"], k), a[k], b[k])

# the same answers
for m, args in [("supervisor.getAPIVersion", ()), ("supervisor.getVersion", ()),
                ("supervisor.getIdentification", ()), ("supervisor.getState", ()),
                ("system.methodHelp", ("supervisor.startProcess",)),
                ("system.methodSignature", ("supervisor.startProcess",)),
                ("system.methodSignature", ("supervisor.tailProcessStdoutLog",)),
                ("supervisor.readProcessStdoutLog", ("sleeper", 0, 6)),
                ("supervisor.readProcessStdoutLog", ("sleeper", -3, 0)),
                ("supervisor.tailProcessStdoutLog", ("sleeper", 0, 3)),
                ("supervisor.tailProcessStdoutLog", ("sleeper", 2, 100)),
                ("supervisor.tailProcessStderrLog", ("sleeper", 0, 100)),
                ("supervisor.tailProcessStdoutLog", ("idle", 0, 100))]:
    same("%s%r" % (m, args), call(s, m, *args), call(v, m, *args))

# the same methods, and taskvisor.* after them (README "taskvisor.* methods")
same("system.listMethods", s.system.listMethods(),
     [m for m in v.system.listMethods() if not m.startswith("taskvisor.")])

# the same faults, codes and strings
for m, args in [("supervisor.getProcessInfo", ("nosuch",)), ("supervisor.getProcessInfo", ("g:nosuch",)),
                ("supervisor.getProcessInfo", ()), ("supervisor.getPID", (1,)),
                ("supervisor.startProcess", ("nosuch",)), ("supervisor.startProcess", ("sleeper",)),
                ("supervisor.startProcessGroup", ("nosuch",)),
                ("supervisor.stopProcess", ("idle",)), ("supervisor.stopProcess", ("nosuch:*",)),
                ("supervisor.signalProcess", ("idle", "HUP")),
                ("supervisor.signalProcess", ("nosuch", "HUP")),
                ("supervisor.readProcessStdoutLog", ("nosuch", 0, 10)),
                ("supervisor.readProcessStdoutLog", ("sleeper", -10, 5)),
                ("supervisor.readLog", (-10, 5)),
                ("supervisor.addProcessGroup", ("sleeper",)), ("supervisor.addProcessGroup", ("nosuch",)),
                ("supervisor.removeProcessGroup", ("sleeper",)), ("supervisor.removeProcessGroup", ("nosuch",)),
                ("supervisor.clearProcessLogs", ("nosuch",)),
                ("supervisor.sendProcessStdin", ("idle", "x")),
                ("supervisor.sendProcessStdin", ("nosuch", "x")),
                ("supervisor.nosuch", ()), ("nosuch", ()), ("a.b.c", ()), ("supervisor._update", ("x",)),
                ("system.methodHelp", ("nosuch",)), ("system.methodSignature", ("nosuch",)),
                ("system.multicall", ("x",))]:
    same("%s%r" % (m, args), call(s, m, *args), call(v, m, *args))

# start with wait: a program that dies at once is SPAWN_ERROR; wait=False returns at once
same("startProcess crash", call(s, "supervisor.startProcess", "crash"), call(v, "supervisor.startProcess", "crash"))
same("startProcess idle nowait", call(s, "supervisor.startProcess", "idle", False), call(v, "supervisor.startProcess", "idle", False))
time.sleep(0.5)
same("stopProcess idle", call(s, "supervisor.stopProcess", "idle"), call(v, "supervisor.stopProcess", "idle"))
same("startProcessGroup idle", call(s, "supervisor.startProcessGroup", "idle"), call(v, "supervisor.startProcessGroup", "idle"))
same("stopProcessGroup idle", call(s, "supervisor.stopProcessGroup", "idle"), call(v, "supervisor.stopProcessGroup", "idle"))
same("signalProcessGroup sleeper", call(s, "supervisor.signalProcessGroup", "sleeper", "USR1"), call(v, "supervisor.signalProcessGroup", "sleeper", "USR1"))

# multicall: results in order, faults as structs, no recursion
mc = [{"methodName": "supervisor.getAPIVersion", "params": []},
      {"methodName": "supervisor.getProcessInfo", "params": ["nosuch"]},
      {"methodName": "supervisor.startProcess", "params": ["idle"]},
      {"methodName": "supervisor.stopProcess", "params": ["idle"]},
      {"methodName": "system.multicall", "params": [[]]},
      {"params": []},
      {"methodName": "supervisor.getState", "params": []}]
same("multicall", call(s, "system.multicall", mc), call(v, "system.multicall", mc))

# the Unix socket answers as TCP does
same("unix getAllProcessInfo names", [i["name"] for i in local(S).supervisor.getAllProcessInfo()],
     [i["name"] for i in local(V).supervisor.getAllProcessInfo()])

# Basic auth: wrong or no password 401 on both
same("wrong password", call(inet(SPORT, pw="nope"), "supervisor.getState"), call(inet(VPORT, pw="nope"), "supervisor.getState"))
same("no credentials", call(inet(SPORT, user=None), "supervisor.getState"), call(inet(VPORT, user=None), "supervisor.getState"))
same("wrong password is 401", call(inet(VPORT, pw="nope"), "supervisor.getState"), ("http", 401))

# a malformed body: 400, and the daemon still answers
def raw(port, body):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    import base64
    c.request("POST", "/RPC2", body, {"Content-Type": "text/xml",
              "Authorization": "Basic " + base64.b64encode(b"admin:s3cret").decode()})
    return c.getresponse().status
for body in ("<methodCall><methodName>x", "not xml", "<methodCall></methodCall>",
             "<methodCall><methodName>supervisor.getState</methodName><params><param><value><array><data>" * 3):
    same("malformed %r" % body[:30], raw(SPORT, body), raw(VPORT, body))
same("after malformed", call(s, "supervisor.getState"), call(v, "supervisor.getState"))

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("ok")
EOF
) || fail "xmlrpc.client: $out"
echo "$out"
