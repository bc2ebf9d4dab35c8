#!/bin/sh
# A crashed program (kill -9) is respawned within ~100 ms, not on a 1 s poll. The latency
# is read from the daemon's own log (kill time -> "spawned" line), so slow ctl round
# trips (ASan builds) do not count.
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
t_kill=$(date +%H:%M:%S.%N)
kill -9 "$old"
wait_for 3 sh -c "[ \$(grep -c 'crashy: spawned pid' '$T/taskvisord.log') -ge 2 ]" || fail "no new spawn after 3 s"
t_spawn=$(grep 'crashy: spawned pid' "$T/taskvisord.log" | tail -n 1 | awk '{print $2}' | tr ',' '.')
ms=$(echo "$t_kill $t_spawn" | awk '{
	split($1, a, ":"); split($2, b, ":");
	ka = a[1] * 3600 + a[2] * 60 + a[3]; kb = b[1] * 3600 + b[2] * 60 + b[3];
	d = kb - ka; if (d < -43200) d += 86400; printf "%d", d * 1000 }')
[ "$ms" -lt 100 ] || fail "restart took ${ms} ms (killed at $t_kill, spawned at $t_spawn)"
wait_state crashy RUNNING
new=$(ctl pid crashy)
[ "$new" != "$old" ] && [ "$new" -gt 0 ] || fail "pid did not change: $old -> $new"
grep -q "crashy: pid $old terminated by signal 9" "$T/taskvisord.log" || fail "reap not logged: $(cat "$T/taskvisord.log")"
grep -q "crashy: EXITED -> STARTING (autorestart)" "$T/taskvisord.log" || fail "restart transition not logged"
echo "restart in ${ms} ms"
