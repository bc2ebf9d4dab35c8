#!/bin/sh
# No respawn storm: a program that exits at once with startsecs=0 and autorestart=true
# is restarted at most start_limit_burst (5) times within start_limit_interval (10 s);
# beyond, it waits in BACKOFF (1 s, 2 s, 3 s ...) and status says why. It never goes
# FATAL for it (startsecs=0: no start ever fails), and the daemon stays idle.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program q <<EOF2
[program:q]
command = sh -c 'echo x >> $T/count; exit 1'
startsecs = 0
autorestart = true
EOF2
tv_start
sleep 5
n=$(wc -l <"$T/count")
[ "$n" -le 10 ] || fail "$n spawns in 5 s: no rate limit"
[ "$n" -ge 6 ] || fail "only $n spawns in 5 s: the burst should be allowed"
# the daemon's CPU time over those 5 s (utime+stime, clock ticks)
cpu=$(awk '{print $14 + $15}' "/proc/$DAEMON_PID/stat")
hz=$(getconf CLK_TCK)
[ "$cpu" -le $((hz / 2)) ] || fail "daemon used $cpu ticks of CPU in 5 s"
out=$(ctl status q)
assert_contains "$out" "BACKOFF" "state while rate limited"
assert_contains "$out" "restart rate limited: 6 exits in 10 s, next start in" "description"
grep -q "q: BACKOFF -> FATAL" "$T/taskvisord.log" && fail "rate limiting made it FATAL"
# a stop in that back-off holds; a start starts at once
ctl stop q >/dev/null || fail "stop in rate-limited back-off"
wait_state q STOPPED 3
n1=$(wc -l <"$T/count")
sleep 1.5
assert_eq "$(wc -l <"$T/count")" "$n1" "no spawn after stop"

# configurable per program
tv_program r <<EOF2
[program:r]
command = sh -c 'echo x >> $T/count_r; sleep 0.05; exit 1'
startsecs = 0
autorestart = true
start_limit_burst = 2
start_limit_interval = 5s
EOF2
ctl update >/dev/null || fail "update"
sleep 2
n=$(wc -l <"$T/count_r")
[ "$n" -le 4 ] || fail "start_limit_burst=2: $n spawns in 2 s"
out=$(ctl status r)
assert_contains "$out" "restart rate limited: 3 exits in 5 s" "configured limit in status"
exit 0
