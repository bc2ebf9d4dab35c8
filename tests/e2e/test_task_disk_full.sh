#!/bin/sh
# The database on a full filesystem (DESIGN.md, promise 1: nothing is visible
# before it is durable): a submit refused with an error never runs,
# every acknowledged one is in the database and runs exactly once, programs are
# supervised throughout, and once space (or write access) returns submits are
# accepted again without a restart.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (tmpfs mount)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3"; exit 77; }
tv_init
mkdir -p "$T/db"
mount -t tmpfs -o size=3m tmpfs "$T/db" 2>/dev/null || { echo "cannot mount a tmpfs here"; exit 77; }
umount_db() { umount -l "$T/db" 2>/dev/null; }
trap 'umount_db; tv_cleanup' EXIT
sed -i "s|^database = .*|database = $T/db/tasks.db|" "$T/taskvisord.conf"
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default --prefetch 4
startsecs = 0

[program:sleeper]
command = sleep 1000
startsecs = 0

[task:mark]
steps = run
step.run = sh -c 'echo "\$TASK_ID" >> $T/ran'
EOF2
tv_start
wait_state exec-worker RUNNING
wait_state sleeper RUNNING

: >"$T/ran"
: >"$T/acked"
: >"$T/refused"
pad=$(head -c 60000 /dev/zero | tr '\0' x)
submit() { # one submit with a 60 KB input: its id to acked, or its error to refused
	if out=$(ctl task submit mark --input "{\"pad\":\"$pad\"}" 2>&1); then
		echo "$out" >>"$T/acked"
	else
		echo "$out" >>"$T/refused"
	fi
}
for i in 1 2 3; do submit; done
[ "$(wc -l <"$T/acked")" = 3 ] || fail "submits before the disk filled: $(cat "$T/refused")"

# Fill the filesystem, then keep submitting: the WAL must grow, and cannot.
dd if=/dev/zero of="$T/db/fill" bs=64k 2>/dev/null
i=0
while [ $i -lt 60 ]; do submit; i=$((i + 1)); done
nref=$(grep -c . "$T/refused")
[ "$nref" -gt 0 ] || fail "no submit was refused on a full disk"
assert_not_contains "$(cat "$T/refused")" "INSERT" "a refusal shows SQL"

# supervision goes on: a killed program comes back
pid=$(ctl pid sleeper)
kill -9 "$pid"
wait_for 5 sh -c "[ \"\$($TVCTL -c $T/taskvisord.conf pid sleeper)\" != $pid ] && [ \"\$($TVCTL -c $T/taskvisord.conf pid sleeper)\" != 0 ]" ||
	fail "sleeper not respawned while the disk was full"
ctl status sleeper >/dev/null || fail "status while the disk was full"

# Space returns: submits are accepted again without a restart.
rm -f "$T/db/fill"
ok=0
i=0
while [ $i -lt 100 ]; do
	if out=$(ctl task submit mark 2>&1); then echo "$out" >>"$T/acked"; ok=1; break; fi
	sleep 0.1; i=$((i + 1))
done
[ $ok = 1 ] || fail "submits still refused after space returned: $out"

# Every acknowledged task ran exactly once and is in the database; nothing else ran.
all_done() {
	[ "$(sqlite3 "$T/db/tasks.db" "select count(*) from tasks where state = 'stopped' and result = 'success'")" = "$(wc -l <"$T/acked")" ]
}
wait_for 30 all_done || fail "acknowledged tasks did not all succeed: $(sqlite3 "$T/db/tasks.db" 'select state, result, count(*) from tasks group by 1, 2')"
sort "$T/acked" >"$T/acked.s"
sort "$T/ran" >"$T/ran.s"
[ -z "$(sort "$T/ran" | uniq -d)" ] || fail "a task ran twice: $(sort "$T/ran" | uniq -d | head -3)"
cmp -s "$T/acked.s" "$T/ran.s" || fail "ran != acknowledged: $(diff "$T/acked.s" "$T/ran.s" | head -5)"
sqlite3 "$T/db/tasks.db" 'select id from tasks' | sort >"$T/db.s"
cmp -s "$T/acked.s" "$T/db.s" || fail "database != acknowledged: $(diff "$T/acked.s" "$T/db.s" | head -5)"
echo "acknowledged $(wc -l <"$T/acked"), refused $(grep -c . "$T/refused"): none of the refused ran"
