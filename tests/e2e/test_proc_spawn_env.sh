#!/bin/sh
# What a child gets: user (HOME/USER/LOGNAME), directory, umask, oom_score_adj, rlimits,
# SUPERVISOR_* and TASKVISOR_* variables, environment=, stdin a pipe (as supervisord's), no fd
# beyond 0-2, its own process group; and a spawn error for a missing command.
# (The fds are listed by ls straight into the log: a pipeline would show the shell's own
# pipe end for as long as the shell holds it, a race.)
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: needs root for user="; exit 77; }
tv_init
mkdir -p "$T/work"
chmod 755 "$T" "$T/work"
tv_program envy <<EOF2
[program:envy]
command = sh -c 'id -un; echo "\$HOME \$USER \$LOGNAME"; pwd; umask; cat /proc/self/oom_score_adj; ulimit -n; echo "\$SUPERVISOR_ENABLED \$SUPERVISOR_PROCESS_NAME \$SUPERVISOR_GROUP_NAME \$SUPERVISOR_SERVER_URL"; echo "\$TASKVISOR_PROCESS_NAME \$TASKVISOR_SOCKET \$TASKVISOR_DATABASE"; echo "\$MYVAR"; ls -m /proc/\$\$/fd; readlink /proc/\$\$/fd/0; ps -o pgid= -p \$\$ | tr -d " "; echo \$\$'
user = nobody
directory = $T/work
umask = 027
oom_score_adj = 500
rlimit_nofile = 777
environment = MYVAR="hello world"
startsecs = 0
autorestart = false
EOF2
tv_program missing <<EOF2
[program:missing]
command = no-such-command-xyz --flag
startretries = 0
EOF2
tv_start
wait_state envy EXITED 5
wait_state missing FATAL 5
out=$(cat "$T/log/envy.log")
exp="nobody
/nonexistent nobody nobody
$T/work
0027
500
777
1 envy envy unix://$T/tv.sock
envy $T/tv.sock $T/tasks.db
hello world
0, 1, 2
pipe:["
case "$out" in
"$exp"*) ;;
*) fail "child saw:
$out
want:
$exp" ;;
esac
pg=$(echo "$out" | tail -n 2 | head -n 1)
pid=$(echo "$out" | tail -n 1)
assert_eq "$pg" "$pid" "child leads its own process group"
assert_contains "$(ctl status missing)" "can't find command 'no-such-command-xyz'" "spawn error description"
