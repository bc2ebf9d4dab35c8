#!/bin/sh
# exitcodes + autorestart=unexpected: an expected exit stays EXITED, an unexpected one restarts.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program good <<EOF2
[program:good]
command = sh -c 'sleep 0.3; exit 2'
startsecs = 0
autorestart = unexpected
exitcodes = 0,2
EOF2
tv_program bad <<EOF2
[program:bad]
command = sh -c 'sleep 0.3; exit 3'
startsecs = 0
autorestart = unexpected
exitcodes = 0,2
EOF2
tv_start
wait_state good EXITED 5
wait_for 5 sh -c "[ \$(grep -c 'bad: EXITED -> STARTING' '$T/taskvisord.log') -ge 2 ]" ||
	fail "bad was not restarted twice: $(grep 'bad:' "$T/taskvisord.log")"
sleep 0.5
assert_eq "$(grep -c 'good: spawned' "$T/taskvisord.log")" 1 "good spawned once"
grep -q "good: RUNNING -> EXITED (exited 2; expected)" "$T/taskvisord.log" || fail "good exit not expected"
grep -q "bad: RUNNING -> EXITED (exited 3; not expected)" "$T/taskvisord.log" || fail "bad exit not unexpected"
out=$(ctl status good)
assert_contains "$out" "EXITED" "good state"
