#!/bin/sh
# GET /metrics (README "Metrics"): on the Unix socket and on [inet_http_server], in the Prometheus
# text format that `promtool check metrics` accepts, with the right values: a program's restarts
# and its last exit status after crashes, a task's step in the step duration histogram, the
# submitted/finished counters and the tasks by state. A read-only user may read it; over TCP the
# configured credentials are asked; a user with no role gets 401.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed (apt-get install prometheus)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "needs curl"; exit 77; }
port=$((20000 + $$ % 20000))
tv_init
cat >>"$T/taskvisord.conf" <<CONF

[inet_http_server]
port = 127.0.0.1:$port
username = mon
password = secret
CONF
tv_program p <<EOF2
[program:crasher]
command = sh -c 'sleep 0.3; exit 3'
startsecs = 0
startretries = 100
autorestart = true

[program:sleeper]
command = sleep 1000
startsecs = 0

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:two]
steps = fetch, publish
step.fetch = sleep 0.2
step.publish = true
EOF2
tv_start
wait_state sleeper RUNNING
wait_state exec-worker RUNNING
get() { curl -s --unix-socket "$T/tv.sock" -o "$T/m.txt" -w '%{http_code} %{content_type}' http://localhost/metrics; }

# the crasher has restarted at least twice, exiting 3 each time
wait_for 10 sh -c "curl -s --unix-socket $T/tv.sock http://localhost/metrics | grep -Eq '^taskvisor_process_restarts_total\\{group=\"crasher\",name=\"crasher\"\\} [2-9]'" ||
	fail "restarts of crasher not counted: $(grep crasher "$T/m.txt" 2>/dev/null)"
out=$(get)
assert_eq "$out" "200 text/plain; version=0.0.4; charset=utf-8" "status and content type"
promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
grep -qx 'taskvisor_process_last_exit_status{group="crasher",name="crasher"} 3' "$T/m.txt" ||
	fail "exit status of crasher: $(grep last_exit "$T/m.txt")"
grep -qx 'taskvisor_process_state{group="sleeper",name="sleeper",state="RUNNING"} 1' "$T/m.txt" ||
	fail "sleeper RUNNING: $(grep 'state{group="sleeper"' "$T/m.txt")"
grep -qx 'taskvisor_process_state{group="sleeper",name="sleeper",state="STOPPED"} 0' "$T/m.txt" ||
	fail "sleeper not STOPPED"
grep -Eq '^taskvisor_process_memory_bytes\{group="sleeper",name="sleeper"\} [1-9][0-9]*$' "$T/m.txt" ||
	fail "sleeper memory: $(grep memory_bytes "$T/m.txt")"
grep -Eq '^taskvisor_process_uptime_seconds\{group="sleeper",name="sleeper"\} [0-9]+$' "$T/m.txt" || fail "uptime"
grep -Eq '^process_resident_memory_bytes [1-9][0-9]*$' "$T/m.txt" || fail "daemon RSS"
grep -Eq '^process_open_fds [1-9][0-9]*$' "$T/m.txt" || fail "daemon fds"
grep -qx 'taskvisor_connections{kind="http"} 1' "$T/m.txt" || fail "http connections: $(grep connections "$T/m.txt")"

# a task's two steps land in the histogram; the counters and the tasks by state follow
out=$(ctl task submit two --wait) || fail "task: $out"
get >/dev/null
promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 || fail "promtool with tasks: $(cat "$T/promtool.out")"
grep -qx 'taskvisor_task_database_open 1' "$T/m.txt" || fail "database open"
grep -qx 'taskvisor_step_duration_seconds_count{label="two",step="fetch"} 1' "$T/m.txt" ||
	fail "fetch step count: $(grep step_duration "$T/m.txt" | head)"
grep -qx 'taskvisor_step_duration_seconds_bucket{label="two",step="fetch",le="0.1"} 0' "$T/m.txt" ||
	fail "fetch (0.2 s) is not under 0.1 s: $(grep 'fetch' "$T/m.txt")"
grep -qx 'taskvisor_step_duration_seconds_bucket{label="two",step="fetch",le="0.5"} 1' "$T/m.txt" ||
	fail "fetch (0.2 s) is under 0.5 s: $(grep 'fetch' "$T/m.txt")"
grep -qx 'taskvisor_step_duration_seconds_bucket{label="two",step="publish",le="+Inf"} 1' "$T/m.txt" ||
	fail "publish +Inf bucket"
grep -qx 'taskvisor_tasks_submitted_total{label="two"} 1' "$T/m.txt" || fail "submitted"
grep -qx 'taskvisor_tasks_finished_total{label="two",result="success"} 1' "$T/m.txt" || fail "finished"
# (the tasks by state are counted in the database at most every 2 s)
wait_for 5 sh -c "curl -s --unix-socket $T/tv.sock http://localhost/metrics | grep -qx 'taskvisor_tasks{state=\"stopped\",result=\"success\",label=\"two\"} 1'" ||
	fail "tasks by state: $(grep '^taskvisor_tasks{' "$T/m.txt")"
grep -qx 'taskvisor_queue_workers{queue="default"} 1' "$T/m.txt" || fail "queue workers"
grep -qx 'taskvisor_queue_steps_done_total{queue="default"} 2' "$T/m.txt" || fail "queue steps done"
grep -Eq '^taskvisor_store_commit_duration_seconds_count [1-9]' "$T/m.txt" || fail "commit latency"

# over TCP: the configured credentials
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
assert_eq "$code" 401 "TCP without credentials"
code=$(curl -s -o /dev/null -w '%{http_code}' -u mon:wrong "http://127.0.0.1:$port/metrics")
assert_eq "$code" 401 "TCP with a wrong password"
curl -s -u mon:secret "http://127.0.0.1:$port/metrics" >"$T/tcp.txt" || fail "TCP with credentials"
promtool check metrics <"$T/tcp.txt" >"$T/promtool.out" 2>&1 || fail "promtool over TCP: $(cat "$T/promtool.out")"
grep -q '^taskvisor_process_state{group="sleeper"' "$T/tcp.txt" || fail "TCP page content"

# roles on the socket: read-only reads it, no role gets 401
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ro_group=$(id -gn nobody 2>/dev/null); then
	cat >>"$T/taskvisord.conf" <<CONF
readonly_groups = $ro_group
admin_groups = root
chmod = 0766
CONF
	# the [unix_socket] lines must be in that section: move them there
	python3 - "$T/taskvisord.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
extra = [l for l in lines[-5:] if l.startswith(("readonly_groups", "admin_groups", "chmod"))]
lines = [l for l in lines if l not in extra]
i = lines.index("[unix_socket]")
lines[i + 1:i + 1] = extra
open(p, "w").write("\n".join(lines))
PY
	chmod 755 "$T"
	ctl reload >/dev/null 2>&1 || fail "reload"
	wait_for 10 test -S "$T/tv.sock"
	wait_state sleeper RUNNING
	chmod 766 "$T/tv.sock" 2>/dev/null
	code=$(setpriv --reuid=nobody --regid="$ro_group" --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$T/tv.sock" http://localhost/metrics)
	assert_eq "$code" 200 "read-only user reads /metrics"
	code=$(setpriv --reuid=nobody --regid=12345 --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$T/tv.sock" http://localhost/metrics)
	assert_eq "$code" 401 "a user with no role"
fi
echo ok
