#!/bin/sh
# taskvisorctl debug-bundle: one .tar.gz with MANIFEST, versions, limits, the store's schema and
# integrity, the configuration in use (every file) with planted secrets masked (a password, an
# environment= value, a --token in a command, user:pass@ in a URL), status/ping/checks, worker
# and queue lists, the daemon's log and each program's log tails, and the failed task of the
# window exported. A read-only user may make one; the archive is private (0600); the daemon down
# still gives a bundle that says what was not collected; a bad --since is refused.
. "$(dirname "$0")/lib.sh"
command -v tar >/dev/null || { echo "needs tar"; exit 77; }
tv_init
cat >>"$T/taskvisord.conf" <<EOF2
[inet_http_server]
port = 127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
username = admin
password = Hunter2Planted
EOF2
tv_program prog <<EOF2
[program:prog]
command = sh -c 'echo out-line; echo err-line >&2; exec sleep 1000' --token TokPlanted3
environment = API_KEY="EnvPlanted1",DB_URL="postgres://u:UrlPlanted4@db/x"
startsecs = 0

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[task:breaks]
steps = run
step.run = sh -c 'echo step-failed >&2; exit 3'
on_error = stop
EOF2
tv_start
wait_state prog RUNNING
wait_state exec-worker RUNNING
id=$(ctl task submit breaks) || fail "submit"
stopped() { ctl task show "$id" | grep -q '^State: *stopped'; }
wait_for 30 stopped || fail "task did not stop: $(ctl task show "$id")"

cd "$T" || fail "cd"
out=$(ctl debug-bundle --file b.tar.gz 2>&1); rc=$?
assert_eq "$rc" 0 "debug-bundle exit ($out)"
assert_contains "$out" "debug bundle: $T/b.tar.gz" "says where"
assert_contains "$out" "config/" "says what it collected"
assert_eq "$(stat -c %a b.tar.gz)" 600 "the archive is private"
mkdir x && tar -xzf b.tar.gz -C x || fail "not a .tar.gz"
D=$(echo x/taskvisor-debug-*)
[ -d "$D" ] || fail "no taskvisor-debug-HOST-STAMP directory: $(ls x)"
for f in MANIFEST versions.txt limits.txt store.txt status.txt ping.txt check-processes.txt \
	check-queue.txt worker-list.txt queue-list.txt logs/taskvisord.log logs/prog.stdout.log \
	logs/prog.stderr.log tasks-unsuccessful.txt tasks-unsuccessful.json; do
	[ -s "$D/$f" ] || fail "$f missing or empty; MANIFEST: $(cat "$D/MANIFEST")"
done
assert_eq "$(ls "$D/config" | wc -l)" 2 "both configuration files"
assert_contains "$(cat "$D/store.txt")" "integrity (quick_check): ok" "integrity check"
assert_contains "$(cat "$D/store.txt")" "schema version: " "schema version"
assert_contains "$(cat "$D/versions.txt")" "SQLite 3." "SQLite version"
assert_contains "$(cat "$D/versions.txt")" "memory cgroups: " "cgroup mode"
assert_contains "$(cat "$D/limits.txt")" "Max open files" "the daemon's limits"
assert_contains "$(cat "$D/logs/prog.stdout.log")" "out-line" "program stdout tail"
assert_contains "$(cat "$D/logs/prog.stderr.log")" "err-line" "program stderr tail"
assert_contains "$(cat "$D/status.txt")" "prog" "status output"
assert_contains "$(cat "$D/tasks-unsuccessful.json")" "$id" "the failed task exported"
assert_contains "$(cat "$D/tasks-unsuccessful.txt")" "$id" "the failed task listed"
# no planted secret anywhere in the archive; the names stay
if grep -r -e Hunter2Planted -e EnvPlanted1 -e TokPlanted3 -e UrlPlanted4 x; then fail "a secret in the bundle"; fi
conf=$(cat "$D"/config/*)
assert_contains "$conf" "password = ***" "password masked"
assert_contains "$conf" 'API_KEY=***,DB_URL=***' "environment values masked, names kept"
assert_contains "$conf" "--token ***" "a --token in a command masked"
assert_contains "$conf" "exec-worker --queue default" "the rest as written"

# a read-only user may make one (through the socket only)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && ro_group=$(id -gn nobody 2>/dev/null); then
	sed -i '/^\[unix_socket\]$/a chmod = 0766\nreadonly_groups = '"$ro_group"'\nadmin_groups = root' "$T/taskvisord.conf"
	kill -TERM "$DAEMON_PID"; wait_for 15 sh -c "! kill -0 $DAEMON_PID" || fail "daemon did not stop"
	tv_start
	wait_state prog RUNNING
	chmod 755 "$T"; mkdir -m 777 "$T/ro"
	out=$(cd "$T/ro" && TMPDIR="$T/ro" setpriv --reuid=nobody --regid="$ro_group" --clear-groups \
		"$TVCTL" -s "$T/tv.sock" debug-bundle --file ro.tar.gz 2>&1); rc=$?
	assert_eq "$rc" 0 "read-only user's bundle ($out)"
	assert_contains "$(tar -tzf "$T/ro/ro.tar.gz")" "/store.txt" "read-only bundle has the store ($out)"
	out=$(setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -s "$T/tv.sock" start prog 2>&1)
	assert_eq "$out" "ERROR: permission denied" "and stays read-only"
fi

# an existing file is never overwritten
out=$(ctl debug-bundle --file b.tar.gz 2>&1); rc=$?
assert_eq "$rc" 1 "existing --file exit"
assert_contains "$out" "File exists (not overwritten" "existing --file message"

# bad --since: refused, nothing written
out=$(ctl debug-bundle --since tomorrowish --file bad.tar.gz 2>&1); rc=$?
assert_eq "$rc" 2 "bad --since exit"
assert_contains "$out" "--since: not an age or a past time" "bad --since message"
[ ! -e bad.tar.gz ] || fail "a bundle despite a bad --since"

# the daemon down: a bundle that says what could not be collected
kill -TERM "$DAEMON_PID"; wait_for 15 sh -c "! kill -0 $DAEMON_PID" || fail "daemon did not stop"
out=$(ctl debug-bundle --file down.tar.gz 2>&1); rc=$?
assert_eq "$rc" 0 "bundle with the daemon down ($out)"
assert_contains "$out" "NOT COLLECTED: unix://$T/tv.sock" "says what is missing and why"
tar -tzf down.tar.gz | grep -q '/MANIFEST$' || fail "no MANIFEST in the bundle made without a daemon"
