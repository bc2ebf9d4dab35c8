#!/bin/sh
# --json on status prints the daemon's reply: parseable, with state and description; same exit code.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program j <<EOF2
[program:j1]
command = sleep 1000
startsecs = 0
[program:j2]
command = sleep 1000
autostart = false
EOF2
tv_start
wait_state j1 RUNNING
out=$(ctl --json status); rc=$?
assert_eq "$rc" 3 "json status exit as text status"
got=$(echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%s" % (p["fullname"], p["statename"]) for p in d["processes"]))') || fail "status --json does not parse: $out"
assert_eq "$got" "j1=RUNNING j2=STOPPED" "json states"
desc=$(ctl status j1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["description"])')
assert_contains "$desc" "pid $(ctl pid j1), uptime" "json description"
for cmd in "avail" "reread" "pid all" "start j2" "stop j2"; do
	ctl --json $cmd | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "--json $cmd does not parse"
done
