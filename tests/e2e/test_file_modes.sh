#!/bin/sh
# Files the daemon creates are not world-readable: the task database (with its -wal and
# -shm), the daemon's log and the programs' logs are 0600, or 0640 with the group of
# [unix_socket] chown= when one is given. An existing database that others could read has
# that access taken away (logged); an existing log keeps the mode the operator gave it.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program app <<EOF2
[program:talker]
command = sh -c 'echo out; echo err >&2; exec sleep 600'
startsecs = 0

[task:hello]
steps = one
step.one = /bin/true
EOF2
tv_start
wait_state talker RUNNING
ctl task submit hello --start-at +1h >/dev/null || fail "submit"
wait_for 5 test -s "$T/log/talker-stderr.log" || fail "no stderr log"
mode() { stat -c %a "$1"; }
for f in tasks.db tasks.db-wal tasks.db-shm taskvisord.log log/talker.log log/talker-stderr.log; do
	[ -e "$T/$f" ] || fail "$f missing"
	assert_eq "$(mode "$T/$f")" 600 "mode of $f"
done
ctl shutdown >/dev/null
wait "$DAEMON_PID"

# with chown=USER:GROUP on the socket: 0640 and that group, for new files
grp=adm
getent group "$grp" >/dev/null || { echo "SKIP: no group $grp"; exit 77; }
rm -rf "$T/tasks.db"* "$T/taskvisord.log" "$T/log"/*
sed -i "s|^file = $T/tv.sock|file = $T/tv.sock\nchown = root:$grp|" "$T/taskvisord.conf"
grep -q "^chown = root:$grp" "$T/taskvisord.conf" || fail "conf edit"
# an existing program log keeps its mode
: >"$T/log/talker.log"
chmod 644 "$T/log/talker.log"
tv_start
wait_state talker RUNNING
ctl task submit hello --start-at +1h >/dev/null || fail "submit"
wait_for 5 test -s "$T/log/talker-stderr.log" || fail "no stderr log"
for f in tasks.db tasks.db-wal tasks.db-shm taskvisord.log log/talker-stderr.log; do
	assert_eq "$(stat -c %a:%G "$T/$f")" "640:$grp" "mode and group of $f"
done
assert_eq "$(mode "$T/log/talker.log")" 644 "an existing log's mode"
ctl shutdown >/dev/null
wait "$DAEMON_PID"

# an existing world-readable database loses the world's access
chmod 644 "$T/tasks.db"
tv_start
wait_state talker RUNNING
ctl task list >/dev/null || fail "task list"
assert_eq "$(mode "$T/tasks.db")" 640 "world access taken from the database"
grep -q "tasks.db: mode 0644: others' access removed" "$T/taskvisord.log" || fail "not logged"
exit 0
