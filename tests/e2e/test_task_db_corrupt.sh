#!/bin/sh
# The database never takes supervision down: a database whose header or middle is garbage,
# one that is a directory and one that cannot be read all leave the daemon running its
# programs; every task command and `ping` say why (the path and "file is not a database" /
# "database is corrupt"...), `status` works. Restoring the file brings the tasks back
# without a restart (the engine is retried at the next task command, at most every 2 s).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program app <<EOF2
[program:sleeper]
command = sleep 600
startsecs = 0

[task:hello]
steps = one
step.one = /bin/true
EOF2
tv_start
wait_state sleeper RUNNING
i=0
while [ $i -lt 300 ]; do
	ctl task submit hello --start-at +1h >/dev/null || fail "submit $i"
	i=$((i + 1))
done
ctl shutdown >/dev/null
wait "$DAEMON_PID"
cp "$T/tasks.db" "$T/good.db"
size=$(stat -c %s "$T/good.db")
[ "$size" -gt 40000 ] || fail "database only $size bytes"

# check_broken WHAT WORDS: the daemon starts, supervises, and names the trouble
check_broken() {
	tv_start
	wait_state sleeper RUNNING
	out=$(ctl task list 2>&1); rc=$?
	[ "$rc" -ne 0 ] || fail "$1: task list succeeded: [$out]"
	assert_contains "$out" "task database: $T/tasks.db" "$1: task list names the path"
	assert_contains "$out" "$2" "$1: task list says why"
	out=$(ctl task submit hello 2>&1) && fail "$1: submit succeeded: [$out]"
	assert_contains "$out" "$2" "$1: submit says why"
	out=$(ctl ping 2>&1); rc=$?
	[ "$rc" -ne 0 ] || fail "$1: ping exit 0: [$out]"
	echo "$out" | grep -q "^database .*FAIL.*$T/tasks.db" || fail "$1: ping: [$out]"
	assert_contains "$out" "$2" "$1: ping says why"
	for c in queue paused stuck; do
		out=$(ctl check $c 2>&1)
		assert_contains "$out" "$2" "$1: check $c says why"
	done
	ctl check processes >/dev/null || fail "$1: check processes"
	out=$(ctl status); rc=$?
	assert_eq "$rc" 0 "$1: status exit"
	assert_contains "$out" "RUNNING" "$1: status"
	kill -0 "$DAEMON_PID" || fail "$1: daemon died"
}
stop_daemon() {
	ctl shutdown >/dev/null
	wait "$DAEMON_PID"
	rm -rf "$T/tasks.db" "$T/tasks.db-wal" "$T/tasks.db-shm"
}

# garbage over the header
cp "$T/good.db" "$T/tasks.db"
head -c 100 /dev/urandom | dd of="$T/tasks.db" conv=notrunc 2>/dev/null
check_broken header "file is not a database"
# restored behind the daemon's back: the next task command (2 s later) opens it
cp "$T/good.db" "$T/tasks.db"
sleep 2.1
out=$(ctl task list 2>&1) || fail "task list after the file was restored: [$out]"
ctl ping >/dev/null || fail "ping after the file was restored: [$(ctl ping 2>&1)]"
stop_daemon

# garbage in the middle (the pages of the tasks table)
cp "$T/good.db" "$T/tasks.db"
dd if=/dev/urandom of="$T/tasks.db" bs=1024 seek=8 count=24 conv=notrunc 2>/dev/null
check_broken middle "database is corrupt"
stop_daemon

# a directory
mkdir "$T/tasks.db"
check_broken directory "$T/tasks.db"
stop_daemon

# a file the daemon cannot read (as root, chmod does not stop us: skip that part)
if [ "$(id -u)" -ne 0 ]; then
	cp "$T/good.db" "$T/tasks.db"
	chmod 000 "$T/tasks.db"
	check_broken unreadable "unable to open"
	stop_daemon
fi
exit 0
