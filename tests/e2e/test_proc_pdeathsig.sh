#!/bin/sh
# kill -9 of the daemon leaves no child running (PR_SET_PDEATHSIG).
. "$(dirname "$0")/lib.sh"
tv_init
tv_program orphan <<EOF2
[program:orphan]
command = sleep 1000
startsecs = 0
numprocs = 2
process_name = %(program_name)s_%(process_num)d
EOF2
users=""
if [ "$(id -u)" = 0 ]; then
	# setuid() clears the parent-death signal: it must be set after the user switch
	tv_program nobody <<EOF2
[program:nobody]
command = sleep 1000
startsecs = 0
user = nobody
EOF2
	users=1
fi
tv_start
wait_state orphan:orphan_0 RUNNING
wait_state orphan:orphan_1 RUNNING
p0=$(ctl pid orphan:orphan_0)
p1=$(ctl pid orphan:orphan_1)
p2=""
if [ -n "$users" ]; then
	wait_state nobody RUNNING
	p2=$(ctl pid nobody)
fi
kill -9 "$DAEMON_PID"
gone() { for p in "$@"; do st=$(awk '{print $3}' /proc/$p/stat 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ] || return 1; done; }
wait_for 2 gone "$p0" "$p1" $p2 || fail "children outlived the daemon: $(ps -o pid,ppid,user,stat,args -p "$p0,$p1${p2:+,$p2}")"
