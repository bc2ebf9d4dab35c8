#!/bin/sh
# What the running child carries, read from /proc/PID: environment_file= (comments, export,
# quotes; environment= overrides it) in /proc/PID/environ, rlimit_nofile= / rlimit_core= /
# rlimit_nproc= in /proc/PID/limits, oom_score_adj= in /proc/PID/oom_score_adj.
. "$(dirname "$0")/lib.sh"
tv_init
cat >"$T/app.env" <<EOF2
# a comment
FROM_FILE=file value
export EXPORTED=yes
QUOTED="a b  c"
OVERRIDDEN=from-file
EOF2
tv_program app <<EOF2
[program:app]
command = sleep 1000
startsecs = 0
environment_file = $T/app.env
environment = OVERRIDDEN="from-environment"
rlimit_nofile = 1000:2000
rlimit_core = 1MB
rlimit_nproc = 5000
oom_score_adj = 321
EOF2
tv_start
wait_state app RUNNING
pid=$(ctl pid app)
[ "$pid" -gt 0 ] || fail "no pid"
env=$(tr '\0' '\n' <"/proc/$pid/environ")
for kv in "FROM_FILE=file value" "EXPORTED=yes" "QUOTED=a b  c" "OVERRIDDEN=from-environment"; do
	echo "$env" | grep -qx "$kv" || fail "[$kv] not in the child's environment:
$env"
done
lim=$(cat "/proc/$pid/limits")
echo "$lim" | grep -Eq '^Max open files +1000 +2000 +files' || fail "rlimit_nofile: $lim"
echo "$lim" | grep -Eq '^Max core file size +1048576 +1048576 +bytes' || fail "rlimit_core: $lim"
echo "$lim" | grep -Eq '^Max processes +5000 +5000 +processes' || fail "rlimit_nproc: $lim"
assert_eq "$(cat "/proc/$pid/oom_score_adj")" 321 "oom_score_adj"
# the daemon itself is untouched
assert_eq "$(cat "/proc/$DAEMON_PID/oom_score_adj")" "$(cat /proc/self/oom_score_adj)" "daemon's oom_score_adj"
echo "ok $TEST_NAME"
