#!/bin/sh
# Permissions with a real second uid (nobody, in a readonly_groups group): a
# read-only user may list, show, search, see locks and recurring logics, and
# export (CSV and HTML); every changing command - task submit, resume, skip,
# cancel, unlock, force-unlock, cleanup, schedule, recurring cancel, and process
# control (start, stop, restart, signal, reload, update, shutdown), and a worker
# hello from an unsupervised process - is refused with "permission denied" and
# nothing changes. root, always admin, may do them.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root to act as another user"; exit 77; }
command -v setpriv >/dev/null || { echo "needs setpriv"; exit 77; }
ro_group=$(id -gn nobody 2>/dev/null) || { echo "no user nobody"; exit 77; }
tv_init
chmod 755 "$T"
sed -i 's/^\[taskvisord\]$/[taskvisord]\nallow_dangerous_actions = true/' "$T/taskvisord.conf"
sed -i "s|^file = $T/tv.sock\$|file = $T/tv.sock\nchmod = 0766\nreadonly_groups = $ro_group\nadmin_groups = root|" "$T/taskvisord.conf"
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
startsecs = 0

[program:idle]
command = sleep 1000
startsecs = 0
autostart = false

[task:sync]
steps = run
step.run = false
lock = repository:%(input.repo)s
EOF2
tv_start
wait_state exec-worker RUNNING
mkdir "$T/ro" && chmod 777 "$T/ro"
ro() { setpriv --reuid=nobody --regid="$ro_group" --clear-groups "$TVCTL" -s "$T/tv.sock" "$@"; }
field() { ctl task show "$1" | awk -v f="$2:" '$1 == f {print $2}'; }
is_paused() { [ "$(field "$1" State)" = paused ]; }

a=$(ctl task submit sync --input '{"repo":"base"}') || fail "submit"
wait_for 30 is_paused "$a" || fail "a did not pause"
r=$(ctl task schedule sync --cron '0 3 * * 0' --input '{"repo":"r"}' | head -n 1) || fail "schedule"
snapshot() {
	sqlite3 "$T/tasks.db" "select id, state, result, ended_at from tasks order by id;
		select resource, task from locks order by resource; select id, state from recurring order by id;"
	ctl status | awk '{print $1, $2}'
}
before=$(snapshot)

# looking is allowed
out=$(ro task list) || fail "read-only list: $out"
assert_contains "$out" "$a" "read-only list shows the task"
out=$(ro task list --search 'state = paused and result = error') || fail "read-only search: $out"
assert_contains "$out" "$a" "read-only search"
out=$(ro task show "$a") || fail "read-only show: $out"
assert_contains "$out" "repository:base" "read-only show lists locks"
out=$(ro task locks) || fail "read-only locks: $out"
assert_contains "$out" "$a" "read-only locks"
out=$(ro recurring list) || fail "read-only recurring list: $out"
assert_contains "$out" "$r" "read-only recurring list"
out=$(ro task cleanup --config) || fail "read-only cleanup --config: $out"
ro task export --file "$T/ro/out.csv" 2>/dev/null || fail "read-only CSV export"
assert_contains "$(cat "$T/ro/out.csv")" "$a,paused,sync,sync,error" "read-only CSV"
ro task export --format html --file "$T/ro/out.tar.gz" 2>/dev/null || fail "read-only HTML export"
tar -tzf "$T/ro/out.tar.gz" | grep -q "$a.html" || fail "read-only HTML has the task page"
out=$(ro status idle); rc=$?
assert_eq "$rc" 3 "read-only status"

# changing is refused, with permission denied
refused() {
	out=$(ro "$@" 2>&1); rc=$?
	[ $rc -ne 0 ] || fail "read-only user could run: $*"
	assert_contains "$out" "permission denied" "refusal of: $*"
}
refused task submit sync --input '{"repo":"x"}'
refused task resume "$a"
refused task skip "$a"
refused task cancel "$a"
refused task unlock "$a"
refused task force-unlock "$a"
refused task cleanup
refused task cleanup --noop
refused task schedule sync --cron '0 4 * * *'
refused recurring cancel "$r"
refused start idle
refused stop exec-worker
refused restart exec-worker
refused signal HUP exec-worker
refused reload
refused update
refused shutdown
# a worker that is not supervised, run by the read-only user, gets no steps
out=$(setpriv --reuid=nobody --regid="$ro_group" --clear-groups timeout 10 "$BUILD/bin/noop-worker" --socket "$T/tv.sock" 2>&1); rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "unsupervised read-only worker was accepted (rc $rc): $out"
assert_contains "$out" "permission denied" "worker hello refusal"

assert_eq "$(snapshot)" "$before" "nothing changed after the refused requests"
kill -0 "$DAEMON_PID" || fail "daemon gone after a refused shutdown"

# root is admin
ctl task cancel "$a" >/dev/null || fail "root cancel"
assert_eq "$(field "$a" State)" stopped "root may change"
echo "ok $TEST_NAME"
