#!/bin/sh
# check canary: a no-op task's round trip through a real worker (Zulip's check_send_receive_time):
# OK with perfdata rtt=S;W;C while a worker serves it; CRITICAL when no worker runs it within
# --crit (the canary is cancelled, none is left behind); UNKNOWN, saying how to define it, when
# the type does not exist.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:taskvisor.canary]
steps = noop
step.noop = true
EOF2
tv_start
wait_state exec-worker RUNNING

out=$(ctl check canary); rc=$?
assert_eq "$rc" 0 "canary with a worker: OK ($out)"
echo "$out" | grep -Eq '^CANARY OK - task [0-9a-f-]{36} round trip [0-9.]+ s \| rtt=[0-9.]+s;5;30$' || fail "OK line: [$out]"
out=$(ctl check canary --warn 0.000001); rc=$?
assert_eq "$rc" 1 "canary slower than --warn: WARNING ($out)"
j=$(ctl check canary --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["perfdata"]["rtt"]["unit"], d["perfdata"]["rtt"]["crit"])') || fail "--json"
assert_eq "$j" "OK s 30.0" "check canary --json fields"

ctl stop exec-worker >/dev/null
out=$(ctl check canary --crit 1); rc=$?
assert_eq "$rc" 2 "no worker: CRITICAL ($out)"
assert_contains "$out" "no worker ran it (cancelled)" "CRITICAL line"
assert_eq "$(ctl task list --search 'label = taskvisor.canary and state != stopped' --ids | grep -c .)" 0 "no canary left waiting"

out=$(ctl check canary --label nosuch); rc=$?
assert_eq "$rc" 3 "unknown canary type: UNKNOWN ($out)"
assert_contains "$out" "define it as a [task:...] section" "how to define it"
echo "ok"
