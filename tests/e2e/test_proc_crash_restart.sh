#!/bin/sh
# A crashed program (kill -9) is respawned within ~100 ms, not on a 1 s poll.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program crashy <<EOF2
[program:crashy]
command = sleep 1000
startsecs = 0
autorestart = true
EOF2
tv_start
wait_state crashy RUNNING
old=$(ctl pid crashy)
[ "$old" -gt 0 ] 2>/dev/null || fail "no pid: [$old]"
kill -9 "$old"
t0=$(date +%s%N)
new=$old
while [ "$new" = "$old" ] || [ "$new" = 0 ]; do
	new=$(ctl pid crashy 2>/dev/null)
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 2000 ] && fail "no new pid after 2 s"
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# the ctl round trips count too: allow 300 ms here, the daemon log shows the real gap
[ "$ms" -lt 300 ] || fail "restart took ${ms} ms"
wait_state crashy RUNNING
grep -q "crashy: pid $old terminated by signal 9" "$T/taskvisord.log" || fail "reap not logged: $(cat "$T/taskvisord.log")"
grep -q "crashy: EXITED -> STARTING" "$T/taskvisord.log" || fail "restart transition not logged"
echo "restart in ${ms} ms"
