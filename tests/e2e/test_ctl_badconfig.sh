#!/bin/sh
# A bad config is refused at start with file:line and exit 2; nothing is left running.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program bad <<EOF2
[program:bad]
command = sleep 1000
startretries = many
EOF2
"$TVD" -n -c "$T/taskvisord.conf" >"$T/daemon.out" 2>&1 &
DAEMON_PID=$!
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null; do
	[ $i -ge 50 ] && fail "daemon kept running on a bad config"
	sleep 0.1; i=$((i + 1))
done
wait "$DAEMON_PID"; rc=$?
assert_eq "$rc" 2 "exit status on a bad config"
assert_contains "$(cat "$T/daemon.out")" "$T/conf.d/bad.conf:3:" "file:line in the message"
[ -S "$T/tv.sock" ] && fail "socket created for a refused config"
[ -f "$T/taskvisord.pid" ] && fail "pidfile written for a refused config"
out=$("$TVD" --help); rc=$?
assert_eq "$rc" 0 "--help exit"
assert_contains "$out" "usage: taskvisord" "--help text"
