#!/bin/sh
# reload: a config with an error is refused (the client gets why) and the old one keeps
# running untouched; a good one restarts every program under the new config.
. "$(dirname "$0")/lib.sh"
tv_init
tv_program app <<EOF2
[program:app]
command = sleep 1000
startsecs = 0
EOF2
tv_start
wait_state app RUNNING
pid=$(ctl pid app)

printf '[program:app]\ncommand = sleep 1000\nstartsecs = 0\nautorestart = sometimes\n' >"$T/conf.d/app.conf"
out=$(ctl reload); rc=$?
assert_contains "$out" "ERROR: " "reload of a bad config"
assert_contains "$out" "$T/conf.d/app.conf:4" "the error names file:line"
assert_eq "$rc" 1 "reload bad exit"
sleep 0.3
assert_eq "$(ctl pid app)" "$pid" "app untouched by the refused reload"
grep -q "keeping the running configuration" "$T/taskvisord.log" || fail "refusal not logged"

# SIGHUP with the same bad file: refused too, the daemon lives on.
kill -HUP "$DAEMON_PID"
sleep 0.5
kill -0 "$DAEMON_PID" || fail "daemon died on SIGHUP with a bad config"
assert_eq "$(ctl pid app)" "$pid" "app untouched by a refused SIGHUP"

printf '[program:app]\ncommand = sleep 1001\nstartsecs = 0\n[program:extra]\ncommand = sleep 1000\nstartsecs = 0\n' >"$T/conf.d/app.conf"
out=$(ctl reload); rc=$?
assert_eq "$out" "Restarted taskvisord" "reload text"
assert_eq "$rc" 0 "reload exit"
wait_state app RUNNING
wait_state extra RUNNING
new=$(ctl pid app)
[ "$new" != "$pid" ] || fail "reload did not restart app"
assert_contains "$(tr '\0' ' ' <"/proc/$new/cmdline")" "sleep 1001" "app runs the new command"
kill -0 "$pid" 2>/dev/null && fail "old app pid $pid still alive"

# SIGHUP reloads too.
kill -HUP "$DAEMON_PID"
wait_for 10 sh -c "[ \"\$($TVCTL -c $T/taskvisord.conf pid app)\" != \"$new\" ] && [ \"\$($TVCTL -c $T/taskvisord.conf pid app)\" != 0 ]" ||
	fail "SIGHUP did not restart app"
