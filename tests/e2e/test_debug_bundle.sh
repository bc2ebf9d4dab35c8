#!/bin/sh
# taskvisorctl debug-bundle: a .tar.gz with the configuration (a planted password and planted
# environment= values must not be in it anywhere), the logs, status, ping, every check, worker and
# queue lists, the failed task of the window, the database check and the system; it names what it
# wrote, never overwrites a file, and a read-only user may run it.
. "$(dirname "$0")/lib.sh"
command -v tar >/dev/null 2>&1 || { echo "needs tar"; exit 77; }
tv_init
chmod 755 "$T"
ro_group=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	ro_group=$(id -gn nobody 2>/dev/null) || ro_group=""
fi
# The secrets: the socket's XML-RPC password, and environment= values over two lines.
sed -i "s|^file = $T/tv.sock\$|file = $T/tv.sock\nchmod = 0766\nusername = admin\npassword = PLANTED-socket-password|" "$T/taskvisord.conf"
[ -n "$ro_group" ] && sed -i "s|^chmod = 0766\$|chmod = 0766\nadmin_groups = root\nreadonly_groups = $ro_group|" "$T/taskvisord.conf"
grep -q PLANTED-socket-password "$T/taskvisord.conf" || fail "test setup: no password planted"
tv_program app <<EOF2
[program:app]
command = /bin/sh -c 'echo hello-from-app; echo oops-from-app >&2; exec sleep 1000'
startsecs = 0
environment = API_KEY="PLANTED-env-one",MODE=plain,
    DB_PASSWORD='PLANTED-env-two'

[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --socket $T/tv.sock
startsecs = 0

[task:bundle.fail]
steps = boom
step.boom = /bin/sh -c 'echo step-went-wrong >&2; exit 3'
EOF2
tv_start
wait_state app RUNNING
wait_state exec-worker RUNNING
out=$(ctl task submit bundle.fail --wait 2>&1)
id=$(ctl task list --json | sed -n 's/.*"id": *"\([0-9a-f-]*\)".*/\1/p' | head -n 1)
[ -n "$id" ] || fail "no task id: $out"

out=$(cd "$T" && ctl debug-bundle --file "$T/b.tar.gz" --since 1h 2>&1); rc=$?
assert_eq "$rc" 0 "debug-bundle exit: $out"
assert_contains "$out" "debug-bundle: wrote $T/b.tar.gz" "says where"
assert_contains "$out" "config/taskvisord.conf (1 value masked)" "says what was masked"
assert_contains "$out" "config/conf.d/app.conf (2 values masked)" "the environment= value and its continuation"
assert_eq "$(stat -c %a "$T/b.tar.gz")" 600 "the bundle's mode"
list=$(tar -tzf "$T/b.tar.gz") || fail "not a tar.gz"
echo "$list" | sed 's/^/    /'
for f in MANIFEST.txt config/taskvisord.conf config/conf.d/app.conf ctl/version.txt ctl/status.txt ctl/avail.txt \
	ctl/ping.txt ctl/check-processes.txt ctl/check-memory.txt ctl/check-queue.txt ctl/check-paused.txt \
	ctl/check-stuck.txt ctl/worker-list.txt ctl/queue-list.txt logs/taskvisord.log logs/app.stdout.log \
	logs/app.stderr.log logs/exec-worker.stdout.log tasks/not-succeeded.json database.txt system.txt; do
	echo "$list" | grep -q "^taskvisor-debug-[^/]*/$f\$" || fail "$f not in the bundle"
done
mkdir "$T/x" && tar -xzf "$T/b.tar.gz" -C "$T/x" || fail "cannot unpack"
B=$(echo "$T"/x/taskvisor-debug-*)
if grep -rl PLANTED "$T/x"; then fail "a planted secret is in the bundle: $(grep -r PLANTED "$T/x")"; fi
grep -qx 'password = \*\*\*\*\*\*\*\*' "$B/config/taskvisord.conf" || fail "password line: $(grep password "$B/config/taskvisord.conf")"
grep -q '^environment = API_KEY=\*\*\*,MODE=\*\*\*$' "$B/config/conf.d/app.conf" || fail "environment line: $(cat "$B/config/conf.d/app.conf")"
grep -q '^username = admin$' "$B/config/taskvisord.conf" || fail "other options are kept as they are"
assert_contains "$(cat "$B/ctl/status.txt")" "RUNNING" "status"
assert_contains "$(cat "$B/ctl/ping.txt")" "daemon" "ping"
assert_contains "$(cat "$B/ctl/check-processes.txt")" "PROCESSES" "check processes"
assert_contains "$(cat "$B/logs/app.stdout.log")" "hello-from-app" "program stdout"
assert_contains "$(cat "$B/logs/app.stderr.log")" "oops-from-app" "program stderr"
assert_contains "$(cat "$B/logs/taskvisord.log")" "taskvisord" "daemon log"
assert_contains "$(cat "$B/tasks/not-succeeded.json")" "$id" "the failed task"
assert_contains "$(cat "$B/database.txt")" "schema version: " "schema version"
assert_contains "$(cat "$B/database.txt")" "quick_check: ok" "database check"
assert_contains "$(cat "$B/system.txt")" "cgroup mode: " "cgroup mode"
assert_contains "$(cat "$B/system.txt")" "limits of taskvisord" "the daemon's limits"
assert_contains "$(cat "$B/ctl/version.txt")" "." "version"

# An existing file is not overwritten; nothing is left behind.
sum=$(md5sum <"$T/b.tar.gz")
out=$(ctl debug-bundle --file "$T/b.tar.gz" 2>&1); rc=$?
assert_eq "$rc" 1 "existing file: exit"
assert_contains "$out" "not overwritten" "existing file: message"
assert_eq "$(md5sum <"$T/b.tar.gz")" "$sum" "existing file unchanged"
out=$(ctl debug-bundle --since never 2>&1); rc=$?
assert_eq "$rc" 2 "bad --since: exit"
assert_contains "$out" "debug-bundle: --since:" "bad --since: message"

if [ -n "$ro_group" ]; then
	mkdir -m 777 "$T/ro"
	out=$(cd "$T/ro" && setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -c "$T/taskvisord.conf" \
		debug-bundle 2>&1); rc=$?
	assert_eq "$rc" 0 "read-only user: $out"
	f=$(echo "$T"/ro/taskvisor-debug-*.tar.gz)
	[ -f "$f" ] || fail "read-only user: no default file in the current directory: $(ls -la "$T/ro")"
	assert_contains "$out" "ctl/status.txt" "read-only user: status collected"
	assert_contains "$out" "not collected:" "read-only user: says what it could not read"
	assert_contains "$out" "database.txt: Permission denied" "read-only user: the database"
	tar -xzOf "$f" --wildcards '*/ctl/status.txt' | grep -q RUNNING || fail "read-only user: status"
	if tar -xzOf "$f" | grep -q PLANTED; then fail "read-only user's bundle holds a secret"; fi
else
	echo "(read-only user not tried: needs root, setpriv and the user nobody)"
fi
echo "PASS $TEST_NAME"
