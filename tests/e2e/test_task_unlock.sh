#!/bin/sh
# Dangerous actions: `task unlock` / `task force-unlock` are refused by default with
# a message naming allow_dangerous_actions, and change nothing. With it set, unlock
# stops a paused task and frees its locks, keeping its result; a resume re-takes the
# locks, or, while another task holds one, fails with the planning conflict message
# and the holder's id, changing nothing. force-unlock frees a running task's locks
# and cancels its running step at the worker: the step's process is gone (never left
# running unseen beside the next holder of the lock), and `task show` says so.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program exec <<EOF2
[program:exec-worker]
command = $BUILD/bin/exec-worker --queue default
process_name = %(program_name)s_%(process_num)02d
numprocs = 2
startsecs = 0

[task:sync]
steps = run
step.run = sh -c 'echo \$\$ > "$T/pid-\$1"; test -f "$T/ok-\$1" || exit 3; while [ ! -f "$T/go-\$1" ]; do sleep 0.1; done; echo "\$1" >> $T/done' sh %(input.repo)s
lock = repository:%(input.repo)s
EOF2
tv_start
wait_state exec-worker:exec-worker_00 RUNNING

field() { ctl task show "$1" | awk -v f="$2:" '$1 == f {print $2}'; }
is_state() { [ "$(field "$1" State)" = "$2" ]; }
holder() { ctl task locks "repository:$1" | awk '{print $3}'; }

a=$(ctl task submit sync --input '{"repo":"base"}') || fail "submit a"
wait_for 30 is_state "$a" paused || fail "a did not pause: $(ctl task show "$a")"

# refused by default, nothing changes
for cmd in unlock force-unlock; do
	out=$(ctl task "$cmd" "$a" 2>&1); rc=$?
	[ $rc -ne 0 ] || fail "$cmd allowed by default"
	assert_contains "$out" "allow_dangerous_actions = true" "$cmd refusal names the setting"
done
assert_eq "$(field "$a" State)" paused "refused unlock left the task paused"
assert_eq "$(holder base)" "$a" "refused unlock left the lock"

# allow dangerous actions: restart the daemon on the same database
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
sed -i 's/^\[taskvisord\]$/[taskvisord]\nallow_dangerous_actions = true/' "$T/taskvisord.conf"
tv_start
wait_state exec-worker:exec-worker_00 RUNNING
assert_eq "$(field "$a" State)" paused "a is paused after the restart"

out=$(ctl task unlock "$a" 2>&1) || fail "unlock: $out"
assert_eq "$(field "$a" State)" stopped "unlocked task is stopped"
assert_eq "$(field "$a" Result)" error "unlocked task keeps its result"
assert_contains "$(ctl task locks repository:base)" "no locks" "unlock frees the lock"

# b takes the lock; a resume of a must fail with the conflict and change nothing
b=$(ctl task submit sync --input '{"repo":"base"}') || fail "submit b"
wait_for 30 is_state "$b" paused || fail "b did not pause: $(ctl task show "$b")"
assert_eq "$(holder base)" "$b" "b holds the freed lock"
out=$(ctl task resume "$a" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "resume of a took a lock held by b: $out"
assert_contains "$out" "Required lock is already taken by other running tasks." "conflict message"
assert_contains "$out" "$b" "conflict names the holder"
assert_eq "$(field "$a" State)" stopped "failed resume left a stopped"
assert_eq "$(holder base)" "$b" "failed resume took no lock"

# b goes; now the resume re-takes the lock and holds it while running
ctl task cancel "$b" >/dev/null || fail "cancel b"
touch "$T/ok-base"
out=$(ctl task resume "$a" 2>&1) || fail "resume a: $out"
wait_for 30 is_state "$a" running || fail "a not running after resume: $(ctl task show "$a")"
assert_eq "$(holder base)" "$a" "resume re-took the lock"
out=$(ctl task submit sync --input '{"repo":"base"}' 2>&1)
c=$(ctl task list --search 'state = stopped and result = error' | awk -v a="$a" -v b="$b" 'NR > 1 && $1 != a && $1 != b && $1 != "" {print $1}')
[ -n "$c" ] || fail "a third task on base was not refused: $out"
touch "$T/go-base"
wait_for 30 is_state "$a" stopped || fail "a did not finish"
assert_eq "$(field "$a" Result)" success "resumed task succeeded"
assert_contains "$(ctl task locks repository:base)" "no locks" "a finished: lock released"

# force-unlock of a running task frees its locks
touch "$T/ok-f"
f=$(ctl task submit sync --input '{"repo":"f"}') || fail "submit f"
wait_for 30 is_state "$f" running || fail "f not running"
assert_eq "$(holder f)" "$f" "f holds its lock"
out=$(ctl task force-unlock "$f" 2>&1) || fail "force-unlock: $out"
assert_eq "$(field "$f" State)" stopped "force-unlocked task is stopped"
assert_contains "$(ctl task locks repository:f)" "no locks" "force-unlock frees the lock"
out=$(ctl task force-unlock "$f" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "force-unlock of a stopped task accepted"
# its running step is cancelled at the worker: the process is gone, and show says so
spid=$(cat "$T/pid-f")
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
wait_for 10 gone "$spid" || fail "the force-unlocked task's step process $spid still runs"
assert_contains "$(ctl task show "$f")" "running step run cancelled at worker exec-worker_0" "show names the cancelled step"
touch "$T/go-f"
sleep 0.5
grep -qx f "$T/done" 2>/dev/null && fail "the force-unlocked task's step went on to finish"
assert_eq "$(field "$f" State)" stopped "force-unlocked task still stopped after its step ended"
assert_eq "$(field "$f" Result)" error "force-unlocked task result"
# and the worker serves the next task on that resource
ctl task submit sync --input '{"repo":"f"}' --wait >"$T/g.out" || fail "next task on f: $(cat "$T/g.out")"
echo "ok $TEST_NAME"
