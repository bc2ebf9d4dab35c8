#!/bin/sh
# The taskvisor.* XML-RPC namespace (README "XML-RPC"), with Python's xmlrpc.client over the Unix
# socket: submitTask, listTasks (search, limit, offset), getTask, cancelTask, listQueues,
# listWorkers, taskLocks, check; a missing task is BAD_NAME, a refused action FAILED with the
# daemon's words; the methods are in system.listMethods with their help and signature; a
# read-only user may list but not submit (FAILED: permission denied), and nothing is created.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || { echo "needs /usr/bin/python3"; exit 77; }
tv_init
tv_program p <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:quick]
steps = one
step.one = true

[task:later]
steps = one
step.one = true
EOF2
tv_start
wait_state exec-worker RUNNING

cat >"$T/client.py" <<'PY'
import http.client, socket, sys, time, xmlrpc.client
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
class Tr(xmlrpc.client.Transport):
    def make_connection(self, host): return C("localhost")
s = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=Tr())
tv = s.taskvisor
def fault(f, *a):
    try:
        f(*a)
    except xmlrpc.client.Fault as e:
        return "%d %s" % (e.faultCode, e.faultString)
    return "no fault"
def check(what, got, want):
    if got != want:
        print("%s: got %r, want %r" % (what, got, want)); sys.exit(1)

mode = sys.argv[2]
if mode == "readonly":
    check("read-only list", type(tv.listTasks("", 10, 0)), list)
    check("read-only submit", fault(tv.submitTask, "quick", {}), "30 FAILED: permission denied (read-only access)")
    check("read-only cancel", fault(tv.cancelTask, sys.argv[3]), "30 FAILED: permission denied (read-only access)")
    print("ok"); sys.exit(0)

methods = s.system.listMethods()
for m in ("taskvisor.submitTask", "taskvisor.listTasks", "taskvisor.getTask", "taskvisor.cancelTask",
          "taskvisor.resumeTask", "taskvisor.skipTask", "taskvisor.unlockTask", "taskvisor.taskLocks",
          "taskvisor.listWorkers", "taskvisor.listQueues", "taskvisor.listRecurring", "taskvisor.check"):
    check(m + " listed", m in methods, True)
check("supervisor.* still listed", "supervisor.getAllProcessInfo" in methods, True)
check("signature", s.system.methodSignature("taskvisor.getTask"), ["struct", "string"])
check("help", "@return string id" in s.system.methodHelp("taskvisor.submitTask"), True)

# submit and get: a quick task runs to success
tid = tv.submitTask("quick", {"repo": "base"})
check("id shape", len(tid), 36)
for _ in range(100):
    t = tv.getTask(tid)
    if t["state"] == "stopped":
        break
    time.sleep(0.05)
check("quick state", (t["state"], t["result"]), ("stopped", "success"))
check("input back", t["input"], {"repo": "base"})
check("steps", [st["name"] for st in t["steps"]], ["one"])
check("id prefix", tv.getTask(tid[:13])["id"], tid)

# a delayed task, cancelled
lid = tv.submitTask("later", {}, {"start_at": "+1h"})
check("later planned", tv.getTask(lid)["state"], "planned")
tl = tv.listTasks("label = later", 10, 0)
check("list search", [x["id"] for x in tl], [lid])
check("list has no null", all(v is not None for x in tl for v in x.values()), True)
c = tv.cancelTask(lid)
check("cancelled", (c["state"], c["result"]), ("stopped", "cancelled"))
check("cancel again", fault(tv.cancelTask, lid), "30 FAILED: task %s is already stopped" % lid)

# list, limit, offset
allids = [x["id"] for x in tv.listTasks("", 100, 0)]
check("list all", sorted(allids), sorted([tid, lid]))
check("limit", len(tv.listTasks("", 1, 0)), 1)
check("offset", [x["id"] for x in tv.listTasks("", 1, 1)], allids[1:2])
check("bad search", fault(tv.listTasks, "nosuchfield = 1")[:10], "30 FAILED:")

# faults
check("missing task", fault(tv.getTask, "00000000-dead"), "10 BAD_NAME: 00000000-dead")
check("missing task cancel", fault(tv.cancelTask, "00000000-dead"), "10 BAD_NAME: 00000000-dead")
check("unknown label", fault(tv.submitTask, "nosuch", {}), "30 FAILED: unknown task type 'nosuch'")
check("bad input", fault(tv.submitTask, "quick", [1]), "2 INCORRECT_PARAMETERS: input must be a struct")
check("no params", fault(tv.getTask), "2 INCORRECT_PARAMETERS")
check("unknown method", fault(tv.nosuch), "1 UNKNOWN_METHOD")

# workers, queues, locks, check, in one multicall too
w = tv.listWorkers()
check("one worker", [x["name"] for x in w], ["exec-worker"])
q = {x["name"]: x for x in tv.listQueues()}
check("queue default done", q["default"]["done"] >= 1, True)
check("locks", tv.taskLocks(""), [])
chk = tv.check("queue")
check("check queue", (chk["code"], chk["line"][:14]), (0, "TASKS QUEUE OK"))
mc = s.system.multicall([{"methodName": "taskvisor.getTask", "params": [tid]},
                         {"methodName": "taskvisor.getTask", "params": ["00000000-dead"]}])
check("multicall", (mc[0]["id"], mc[1]["faultCode"]), (tid, 10))
print(lid)
PY
out=$(python3 "$T/client.py" "$T/tv.sock" admin 2>&1) || fail "client: $out"
lid=$(echo "$out" | tail -n 1)
case "$lid" in ????????-????-????-????-????????????) ;; *) fail "client: $out" ;; esac

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ro_group=$(id -gn nobody 2>/dev/null); then
	python3 - "$T/taskvisord.conf" "$ro_group" <<'PY'
import sys
p, g = sys.argv[1], sys.argv[2]
lines = open(p).read().split("\n")
i = lines.index("[unix_socket]")
lines[i + 1:i + 1] = ["readonly_groups = " + g, "admin_groups = root", "chmod = 0766"]
open(p, "w").write("\n".join(lines))
PY
	chmod 755 "$T"
	chmod 644 "$T/client.py"
	ctl reload >/dev/null 2>&1 || fail "reload"
	wait_state exec-worker RUNNING
	chmod 766 "$T/tv.sock" # the socket is kept across a reload, with the mode it had
	before=$(ctl task list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
	out=$(HOME=/ setpriv --reuid=nobody --regid="$ro_group" --clear-groups /usr/bin/python3 "$T/client.py" "$T/tv.sock" readonly "$lid" 2>&1)
	assert_eq "$out" ok "read-only client"
	after=$(ctl task list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))')
	assert_eq "$after" "$before" "tasks created by a refused submit"
fi
echo ok
